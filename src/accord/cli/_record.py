"""Recording and looking: `record`, `case list` and `case show`."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click

from accord._time import parse_time
from accord.cli import cli
from accord.cli._common import (
    echo_json,
    echo_line,
    exit_if_tampered,
    json_option,
    ledger,
    now_option,
    one_line,
    parse_now,
    progress,
    whole_seconds,
)
from accord.errors import EventProblem, UsageError
from accord.integrity.canonical import parse_json
from accord.review.describe import counted, describe, seqs
from accord.runtime.cases import ROUTES
from accord.runtime.findings import DETECTORS

BOM = b"\xef\xbb\xbf"
JSONL_HELP = "accord record reads one JSON object a line (docs/events.md)"


def _read_lines(files: tuple[str, ...], empty: list[str]) -> Iterator[tuple[Any, str]]:
    """Every line of ``files`` parsed, streamed: (entry, where it came from). Names of inputs
    with no line at all go to ``empty``.

    A line that is not JSON becomes an EventProblem in its place, so the ledger lists it in
    order with the other lines' problems. A leading UTF-8 byte order mark is dropped
    silently: editors on Windows write one, and it means nothing in JSON. Lines are read one
    at a time, so a file of millions of events never sits in memory whole.
    """
    for name in files:
        if name == "-":
            yield from _entries("<stdin>", getattr(sys.stdin, "buffer", None) or _text_stdin(), empty)
            continue
        try:
            opened = Path(name).open("rb")  # noqa: SIM115 - closed by the with below
        except OSError as err:
            raise UsageError(f"{name}: cannot read: {err.strerror}") from None
        with opened:
            yield from _entries(name, opened, empty)


def _entries(label: str, stream: Iterable[bytes], empty: list[str]) -> Iterator[tuple[Any, str]]:
    first = True
    for number, raw in enumerate(stream, 1):
        line = raw.rstrip(b"\r\n")
        if first and line.startswith(BOM):
            line = line[len(BOM):]
        if not line.strip():
            continue
        where = f"{label}:{number}"
        if first:
            first = False
            if (hint := _not_json_lines(label, number, line)) is not None:
                yield hint, where
                return
        try:
            yield parse_json(line, ledger_numbers=True), where
        except ValueError as err:
            yield EventProblem(where, "", f"not a JSON object: {err}"), where
    if first:
        empty.append(label)


def _text_stdin() -> Iterator[bytes]:
    for line in sys.stdin:
        yield line.encode("utf-8", "surrogateescape")


def _not_json_lines(label: str, number: int, first: bytes) -> EventProblem | None:
    """A problem for a whole input that is not JSON lines at all, judged by its first line:
    a JSON array, or CSV. None when it may well be JSON lines."""
    where = f"{label}:{number}"
    start = first.lstrip()
    if start.startswith(b"["):
        source = label if label != "<stdin>" else "FILE"
        return EventProblem(where, "", f"a JSON array, not JSON lines: {JSONL_HELP}; convert it "
                            f"with `jq -c '.[]' {source} > events.jsonl`")
    if not start.startswith(b"{") and any(sep in start for sep in (b",", b";", b"\t")):
        try:
            parse_json(first)
        except ValueError:
            return EventProblem(where, "", f"this looks like CSV, not JSON lines: {JSONL_HELP}, such as "
                                '{"case": "R-1", "type": "case.opened", "at": "2026-11-26T10:00:00Z", '
                                '"actor": "system:app", "data": {…}}')
    return None


@cli.command(short_help="Record JSON-lines events from files or stdin, all or nothing.")
@click.argument("files", nargs=-1, required=True)
@json_option
@click.pass_context
def record(ctx: click.Context, files: tuple[str, ...], as_json: bool) -> None:
    """Record events from JSON-lines FILES (or - for standard input) as one atomic batch.

    Each line is one JSON object, one event (docs/events.md). A batch with any
    problem is refused whole: every problem of every line is listed as
    `file:line: field: message` (lines that are not JSON among them; the first
    100, then a count), the command exits 2 and nothing is stored. A JSON array
    or a CSV file is named as such. A leading UTF-8 byte order mark is ignored;
    an empty file records nothing. An event whose `id` is already stored is
    skipped and counted, so a re-run adds nothing.

    \b
    Example:
      accord record events.jsonl
      producer | accord record -
    """
    for name in files:  # before the ledger is opened (or made): a typo creates nothing
        if name != "-" and not os.access(name, os.R_OK):
            reason = "no such file" if not os.path.exists(name) else "permission denied"
            raise UsageError(f"{name}: cannot read: {reason}")
    empty: list[str] = []
    led = ledger(ctx, create=True)
    label = "recording " + (Path(files[0]).name if len(files) == 1 and files[0] != "-" else "events")
    with progress(label, quiet=as_json) as bar:
        result = led.record_stream(_read_lines(files, empty), progress=bar)
    for label in empty:
        click.echo(f"accord: {label} is empty: nothing to record from it", err=True)
    if as_json:
        echo_json(result.as_json())
    elif result.recorded:
        repeats = f"; {counted(result.duplicates, 'repeat')} of stored events skipped" \
            if result.duplicates else ""
        click.echo(f"recorded {counted(result.recorded, 'event')} (seq {result.first_seq}.."
                   f"{result.last_seq}, with the records accord adds){repeats}")
    elif result.duplicates:
        click.echo(f"nothing new to record: {counted(result.duplicates, 'event')} with an id already "
                   "stored, skipped")
    else:
        click.echo("nothing to record")


@cli.group()
def case() -> None:
    """List cases, and look at one: its timeline and its evidence.

    \b
    Examples:
      accord case list --open
      accord case show R-1042
    """


def _time_option(value: str | None, flag: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as err:
        raise UsageError(f"{flag}: {err}") from None


@case.command("list")
@click.option("--workflow", default=None, metavar="W", help="Only cases of this workflow.")
@click.option("--route", type=click.Choice(ROUTES), default=None,
              help="Only cases whose latest route is this one.")
@click.option("--open", "state", flag_value="open", default=None,
              help="Only open cases (no action.taken yet).")
@click.option("--closed", "state", flag_value="closed", help="Only closed cases (an action.taken).")
@click.option("--since", default=None, metavar="TIME", help="Only cases opened at or after TIME (RFC 3339).")
@click.option("--until", default=None, metavar="TIME", help="Only cases opened before TIME (RFC 3339).")
@click.option("--finding", type=click.Choice(list(DETECTORS)), default=None, metavar="RULE",
              help="Only cases with a run-time finding of RULE at --now (docs/findings.md).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, metavar="N",
              help="List at most N cases.")
@now_option
@json_option
@click.pass_context
def case_list(ctx: click.Context, workflow: str | None, route: str | None, state: str | None,
              since: str | None, until: str | None, finding: str | None, limit: int, now: str | None,
              as_json: bool) -> None:
    """List cases, newest first by when they opened.

    Each line shows the case, its workflow, when it opened, its latest route,
    whether it is closed (an action.taken is recorded) and its latest record's
    time. With --json: {"cases": [{"case", "workflow", "contract_version",
    "opened_at", "route", "closed", "closed_at", "last_at", "records"}]}, where
    route is the `review` of the latest routing.decided (null before an
    output) and records counts the case's records.

    \b
    Examples:
      accord case list --workflow refund-replies --open
      accord case list --route skipped --since 2026-11-01T00:00:00Z --limit 20
      accord case list --finding evidence-gap --json
    """
    found = ledger(ctx).cases(workflow=workflow, route=route,
                              closed=None if state is None else state == "closed",
                              since=_time_option(since, "--since"), until=_time_option(until, "--until"),
                              finding=finding, limit=limit, now=parse_now(now))
    if as_json:
        echo_json({"cases": [c.as_json() for c in found]})
        return
    if not found:
        click.echo("no cases match" if any((workflow, route, state, since, until, finding))
                   else "no cases recorded yet: see `accord record --help`")
        return
    click.echo(f"{'case':<16} {'workflow':<22} {'opened':<20}  {'route':<12} {'state':<6}  last record")
    for c in found:
        click.echo(f"{one_line(c.case, 16):<16} {one_line(c.workflow, 22):<22} "
                   f"{whole_seconds(c.opened_at):<20}  {c.route or '-':<12} "
                   f"{'closed' if c.closed else 'open':<6}  {whole_seconds(c.last_at)}")
    if len(found) == limit:
        click.echo(f"the newest {counted(limit, 'case')} shown; --limit N shows more", err=True)


@case.command("show", short_help="Print CASE's timeline and its evidence present and missing.")
@click.argument("case_id", metavar="CASE")
@json_option
@click.pass_context
def case_show(ctx: click.Context, case_id: str, as_json: bool) -> None:
    """Print CASE's timeline and which evidence fields are present or missing.

    Every record shown is re-hashed and its link in the chain checked: one that
    does not hold is marked TAMPERED with its seq, and the command exits 1.

    \b
    Example:
      accord case show R-1042
      accord case show R-1042 --json
    """
    view = ledger(ctx, read_only=True).case_view(case_id)
    bad = {t.seq for t in view.tampered}
    if as_json:
        echo_json(view.as_json())
    else:
        echo_line(f"case {view.case}  workflow {view.workflow}  contract v{view.contract_version}")
        for e in view.events:
            mark = "TAMPERED " if e.seq in bad else ""
            click.echo(f"  {e.seq:>7}  {e.at}  {e.type:<20} {one_line(e.actor, 28):<28} "
                       f"{mark}{one_line(describe(e))}")
        present = ", ".join(f"{k} ({seqs(v)})" for k, v in view.evidence.present.items()) or "none"
        echo_line(f"evidence present: {present}")
        echo_line(f"evidence missing: {', '.join(view.evidence.missing) or 'none'}")
    exit_if_tampered(view.tampered)
