"""Helpers every command module shares: JSON output, times, the ledger."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click
import orjson

from accord._time import parse_time
from accord.errors import UsageError
from accord.ledger import Ledger


def ledger(ctx: click.Context) -> Ledger:
    """The ledger named by --db / ACCORD_DB, opened once per command."""
    obj = ctx.find_root().obj
    result: Ledger = obj.ledger()
    return result


def echo_json(value: Any) -> None:
    """Print ``value`` as indented JSON (UTF-8, keys in the order built)."""
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def now_option(func: Any) -> Any:
    return click.option("--now", "now", metavar="TIME", default=None,
                        help="Treat TIME (RFC 3339) as the current time; default: now, UTC.")(func)


def json_option(func: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)


def parse_now(value: str | None) -> dt.datetime:
    """``--now`` as an aware UTC datetime (default: the current time)."""
    if value is None:
        return dt.datetime.now(dt.UTC)
    try:
        return parse_time(value)
    except ValueError as err:
        raise UsageError(f"--now: {err}") from None


def one_line(text: str, width: int = 60) -> str:
    """``text`` on one line (whitespace runs become one space), cut to ``width`` with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
