"""Incident commands: `incident open|review|list`, `learning list|close` and `drill`."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

import click

from accord.cli import cli
from accord.cli._common import (
    echo_json,
    echo_line,
    exit_if_tampered,
    json_option,
    ledger,
    now_option,
    parse_now,
    progress,
)
from accord.errors import UsageError
from accord.review.brief import brief as brief_of
from accord.review.describe import artefact, counted
from accord.review.drill import DrillReport
from accord.review.render import RENDERERS
from accord.vocab import duration_seconds


def _due_in(text: str) -> dt.timedelta:
    try:
        return dt.timedelta(seconds=duration_seconds(text))
    except ValueError as err:
        raise UsageError(f"--due-in: {err}") from None


@cli.group(short_help="Open and review incidents: the ten-minute test.")
def incident() -> None:
    """Open and review incidents: the ten-minute test of accountability.

    An incident names a case, the quality dimensions that failed and the events
    where the defect was introduced; the review answers seven questions from
    the case's evidence and names who changes what, by when
    (docs/incident-review.md).

    \b
    Examples:
      accord incident open R-1042 --failed correct --faulty 17 --summary "…" --by dana@example.com
      accord incident review INC-1
    """


@incident.command("open", short_help="Record an incident on CASE; open its learning actions.")
@click.argument("case_id", metavar="CASE")
@click.option("--failed", "failed", multiple=True, required=True, metavar="DIM[,DIM]",
              help="Quality dimensions that failed (repeat or separate with commas).")
@click.option("--faulty", "faulty", multiple=True, type=int, metavar="SEQ",
              help="Seq of an event where the defect was introduced (repeatable).")
@click.option("--should-have-escalated", is_flag=True,
              help="The case should have gone to an exception owner but did not.")
@click.option("--summary", required=True, help="What went wrong, in a sentence.")
@click.option("--by", "by", required=True, metavar="PERSON", help="Who opens the incident (a person).")
@click.option("--due-in", "due_in", default="14d", show_default=True, metavar="DURATION",
              help="When learning actions fall due after the incident (30m, 12h, 14d …).")
@now_option
@json_option
@click.pass_context
def incident_open(ctx: click.Context, case_id: str, failed: tuple[str, ...], faulty: tuple[int, ...],
                  should_have_escalated: bool, summary: str, by: str, due_in: str, now: str | None,
                  as_json: bool) -> None:
    """Record an incident on CASE and open one learning action per (cause, owner).

    \b
    Example:
      accord incident open R-1042 --failed correct --faulty 5 \\
        --summary "Refunded 400 EUR on a 40 EUR order" --by dana@example.com
    """
    dims = [d.strip() for value in failed for d in value.split(",") if d.strip()]
    opened = ledger(ctx).open_incident(
        case_id, failed=dims, faulty=faulty, should_have_escalated=should_have_escalated,
        summary=summary, by=by, now=parse_now(now), due_in=_due_in(due_in))
    if as_json:
        echo_json(opened.as_json())
        return
    echo_line(f"opened {opened.incident} on {case_id}; causes: {', '.join(opened.causes)}")
    for la in opened.learning_actions:
        echo_line(f"  {la.id:<7} {la.cause:<24} {la.role or '(no owner named)'} "
                  f"({la.person or 'vacant'}) changes the {artefact(la.artefact)} by {la.due}")
    click.echo(f"review it: accord incident review {opened.incident}")


@incident.command("review")
@click.argument("incident_id", metavar="INC")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json", "html"]),
              default="text", show_default=True, help="How to print the brief.")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Write the brief to this file instead of standard output.")
@click.option("--check", is_flag=True, help="Exit 1 when the ten-minute test fails.")
@json_option
@click.pass_context
def incident_review(ctx: click.Context, incident_id: str, fmt: str, out: str | None, check: bool,
                    as_json: bool) -> None:
    """Answer the seven questions of the ten-minute review of incident INC.

    Read-only: judges the case's evidence as it stood when the incident was
    opened. --json is --format json.

    \b
    Examples:
      accord incident review INC-1
      accord incident review INC-1 --format html --out INC-1.html
      accord incident review INC-1 --check   # in CI: exit 1 unless all seven are answered
    """
    review = ledger(ctx, read_only=True).review_incident(incident_id)
    fmt = "json" if as_json else fmt
    text = RENDERERS[fmt](review) if fmt != "json" else None
    if out is not None:
        try:
            Path(out).write_text(text if text is not None else _json_text(review.as_json()),
                                 encoding="utf-8")
        except OSError as err:
            raise UsageError(f"--out {out}: cannot write: {err.strerror}") from None
        brief = brief_of(review)
        echo_line(f"wrote {out}: {incident_id}, {brief.badge[0].lower()}{brief.badge[1:]}")
    elif text is None:
        echo_json(review.as_json())
    else:
        click.echo(text, nl=False)
    exit_if_tampered(review.tampered)
    if check and review.ten_minute_test != "pass":
        # click's non-standalone main returns ctx.exit codes instead of raising them
        sys.exit(1)


def _json_text(value: Any) -> str:
    import orjson

    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n"


@incident.command("list", short_help="List every incident with its causes, oldest first.")
@json_option
@click.pass_context
def incident_list(ctx: click.Context, as_json: bool) -> None:
    """List every incident, oldest first, with its causes and learning actions.

    \b
    Example:
      accord incident list --json
    """
    found = ledger(ctx, read_only=True).incidents()
    if as_json:
        echo_json({"incidents": [i.as_json() for i in found]})
        return
    if not found:
        click.echo("no incidents")
    for i in found:
        echo_line(f"{i.incident:<7} {i.case or '':<14} {i.workflow or '':<22} {i.opened_at}  "
                  f"{', '.join(i.causes)}  {i.summary}")


@cli.group(short_help="List and close learning actions: who changes what, by when.")
def learning() -> None:
    """List and close learning actions: who changes which artefact after an incident.

    An open action past its due time is a `learning-overdue` finding; an
    incident whose cause returns on a case opened after the action closed is a
    `recurrence`.

    \b
    Examples:
      accord learning list --open
      accord learning close LA-1 --change refund-v8
    """


@learning.command("list")
@click.option("--open", "only_open", is_flag=True, help="Only actions still open.")
@now_option
@json_option
@click.pass_context
def learning_list(ctx: click.Context, only_open: bool, now: str | None, as_json: bool) -> None:
    """List learning actions, oldest first (overdue ones are marked).

    \b
    Example:
      accord learning list --open
    """
    items = ledger(ctx, read_only=True).learning_actions(parse_now(now))
    if only_open:
        items = [i for i in items if i.status == "open"]
    if as_json:
        echo_json({"learning_actions": [i.as_json() for i in items]})
        return
    if not items:
        click.echo("no learning actions")
    for i in items:
        state = "OVERDUE" if i.overdue else i.status
        change = f"  change {i.change}" if i.change else ""
        echo_line(f"{i.id:<7} {state:<8} {i.incident:<7} {i.case or '':<14} {i.cause:<24} "
                  f"{i.role or '-'} ({i.person or 'vacant'}) {artefact(i.artefact)} due {i.due}{change}")


@learning.command("close", short_help="Close learning action LA with the change that was made.")
@click.argument("la_id", metavar="LA")
@click.option("--change", required=True, metavar="REF",
              help="The change that was made (a prompt version, a commit, a ticket).")
@click.option("--by", "by", default=None, metavar="PERSON",
              help="Who made the change (default: the person the action was assigned to).")
@now_option
@json_option
@click.pass_context
def learning_close(ctx: click.Context, la_id: str, change: str, by: str | None, now: str | None,
                   as_json: bool) -> None:
    """Close learning action LA with a reference to the change that was made.

    \b
    Example:
      accord learning close LA-1 --change refund-v8
    """
    item = ledger(ctx).close_learning(la_id, change, by=by, now=parse_now(now))
    if as_json:
        echo_json(item.as_json())
        return
    echo_line(f"closed {item.id} ({item.cause}, {artefact(item.artefact)}) with change {item.change}")


@cli.command("drill")
@click.option("--workflow", default=None, help="Only this workflow (default: every applied one).")
@click.option("--sample", type=click.IntRange(min=0), default=None, metavar="N",
              help="Per workflow, drill the N cases with the smallest sha256(seed:workflow:case).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sample.")
@click.option("--min-readiness", "min_readiness", type=click.FloatRange(0, 1), default=None,
              metavar="R", help="Exit 1 when a drilled workflow's readiness is below R (0 to 1), for "
                                "CI and cron; a workflow with no closed cases is not held to it.")
@now_option
@json_option
@click.pass_context
def drill_command(ctx: click.Context, workflow: str | None, sample: int | None, seed: int,
                  min_readiness: float | None, now: str | None, as_json: bool) -> None:
    """Could every closed case pass the ten-minute test? Readiness per workflow.

    Reviews each case with an action.taken as if it had failed on every quality
    dimension, with the defect at its last output, and counts the cases that
    fail each of the seven questions. Readiness is the share that would pass.

    \b
    Examples:
      accord drill
      accord drill --workflow refund-replies --sample 500 --seed 7 --json
      accord drill --min-readiness 0.95   # in cron: exit 1 when a workflow is less ready
    """
    led = ledger(ctx, read_only=True)
    started = time.perf_counter()
    with progress("drilling", quiet=as_json) as bar:
        result = led.drill(workflow=workflow, sample=sample, seed=seed, now=parse_now(now), progress=bar)
    took = time.perf_counter() - started
    if as_json:
        echo_json(result.as_json())
    else:
        _show_drill(result, took)
    if min_readiness is None:
        return
    for wf in result.workflows:
        if wf.readiness is None:
            click.echo(f"accord: {wf.workflow} has no closed cases: not held to --min-readiness",
                       err=True)
    below = [wf for wf in result.workflows if wf.readiness is not None and wf.readiness < min_readiness]
    if below:
        listed = ", ".join(f"{wf.workflow} {wf.readiness:g}" for wf in below)
        click.echo(f"accord: readiness below --min-readiness {min_readiness:g}: {listed}", err=True)
        sys.exit(1)  # click's non-standalone main returns ctx.exit codes instead of raising them


def _show_drill(result: DrillReport, took: float) -> None:
    total = 0
    for wf in result.workflows:
        total += wf.cases
        readiness = "n/a (no closed cases)" if wf.readiness is None else f"{wf.readiness:.2%}"
        echo_line(f"{wf.workflow}: {wf.ready} of {counted(wf.cases, 'case')} would pass ({readiness})")
        for key, count in wf.failing.items():
            if count:
                shown = ", ".join(wf.examples[key])
                echo_line(f"  {count:>7} fail {key:<12} e.g. {shown}")
    if not result.workflows:
        click.echo("no contracts applied: nothing to drill")
    rate = f", {total / took:,.0f} cases/s" if took > 0 and total else ""
    click.echo(f"drilled {counted(total, 'case')} in {took:.2f}s{rate}", err=True)
