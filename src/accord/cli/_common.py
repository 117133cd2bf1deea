"""Helpers every command module shares: JSON output, times, the ledger."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

import click
import orjson

from accord import _text
from accord._progress import Progress
from accord._time import parse_time
from accord.errors import UsageError
from accord.integrity.verify import Tampering
from accord.ledger import Ledger


def ledger(ctx: click.Context, *, create: bool = False, read_only: bool = False) -> Ledger:
    """The ledger named by --db / ACCORD_DB, opened once per command.

    Only the commands that write pass ``create``; for every other command a URL
    with no accord ledger is an error (``no accord ledger at URL``), never a new
    empty ledger. Commands that only read pass ``read_only``: they can change
    nothing, not even an older schema.
    """
    result: Ledger = ctx.find_root().obj.ledger(create, read_only)
    return result


def echo_json(value: Any) -> None:
    """Print ``value`` as indented JSON (UTF-8, keys in the order built).

    A value nested deeper than orjson writes (a record stored before accord refused such
    input) goes through the standard library's writer instead.
    """
    try:
        text = orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONEncodeError:
        text = json.dumps(value, indent=2, ensure_ascii=False)
    sys.stdout.write(text + "\n")


def now_option(func: Any) -> Any:
    return click.option("--now", "now", metavar="TIME", default=None,
                        help="Treat TIME (RFC 3339) as the current time; default: now, UTC.")(func)


def json_option(func: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)


def parse_now(value: str | None) -> dt.datetime:
    """``--now`` as an aware UTC datetime (default: the current time, in whole seconds).

    Whole seconds because what a command stamps or prints with it (due times, incident
    and learning records, columns of times) reads badly with microseconds.
    """
    if value is None:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        return parse_time(value)
    except ValueError as err:
        raise UsageError(f"--now: {err}") from None


def whole_seconds(time: str) -> str:
    """A stored time (``…T09:00:00.123456Z``) to the second, for a column a person reads."""
    head, dot, _ = time.partition(".")
    return head + "Z" if dot else time


def one_line(text: str, width: int = 60) -> str:
    """``text`` on one printable line (whitespace runs become one space, control characters
    visible signs), cut to ``width`` with an ellipsis."""
    return _text.one_line(text, width)


def echo_line(text: str, *, err: bool = False) -> None:
    """Print one line that holds user values (case ids, summaries, person ids …): their line
    breaks become spaces and their control characters visible signs, so nothing they hold
    forges a line or reaches the terminal as an escape sequence."""
    click.echo(_text.safe_line(text), err=err)


def exit_if_tampered(tampered: Sequence[Tampering]) -> None:
    """After a command showed records: name each one that does not hold (TAMPERED), exit 1."""
    if not tampered:
        return
    for t in tampered:
        click.echo(f"TAMPERED: seq {t.seq}: {one_line(t.problem, 300)}", err=True)
    click.echo("accord: the records above do not hold; run `accord verify` and keep a copy of the "
               "database before anything else touches it", err=True)
    sys.exit(1)


DELAY = 0.5
"""Seconds a job runs before its bar appears: a quick command stays quiet."""
REDRAW = 0.1
"""Seconds between two drawings of a bar."""
BAR = 30


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal a person watches (not a pipe, a file or a test)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class ProgressBar:
    """A one-line bar on standard error, redrawn in place and wiped when the job ends."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.monotonic()
        self.drawn_at: float | None = None
        self.width = 0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.started < DELAY or (self.drawn_at is not None and now - self.drawn_at < REDRAW
                                           and done < total):
            return
        self.drawn_at = now
        if total:
            share = min(done / total, 1.0)
            filled = int(share * BAR)
            bar = f" [{'#' * filled}{'.' * (BAR - filled)}] {share:4.0%} {done:,} of {total:,}"
        else:  # a stream: how far it has come, not how far it has to go
            bar = f" {done:,} so far"
        room = max(shutil.get_terminal_size().columns - 1 - len(bar), 8)  # a wrapped line cannot be redrawn
        label = self.label if len(self.label) <= room else self.label[:room - 1] + "…"
        line = label + bar
        sys.stderr.write("\r" + line.ljust(self.width))
        sys.stderr.flush()
        self.width = max(self.width, len(line))

    def close(self) -> None:
        if self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()


@contextmanager
def progress(label: str, *, quiet: bool = False) -> Iterator[Progress | None]:
    """A bar for a long job while standard error is a terminal; None (no bar) when it is piped
    or redirected, or ``quiet`` (--json: the output is for a program)."""
    if quiet or not is_terminal(sys.stderr):
        yield None
        return
    bar = ProgressBar(label)
    try:
        yield bar
    finally:
        bar.close()
