"""Run-time commands: tick, queues and findings."""

from __future__ import annotations

import click

from accord.cli import cli
from accord.cli._common import echo_json, echo_line, json_option, ledger, now_option, parse_now
from accord.runtime.queues import QueueItem


@cli.command()
@now_option
@json_option
@click.pass_context
def tick(ctx: click.Context, now: str | None, as_json: bool) -> None:
    """Escalate every exception still undecided at its due time (once each).

    Every queue and findings read ticks first; run this from cron to escalate
    even when nobody is looking.
    """
    written = ledger(ctx).tick(parse_now(now))
    if as_json:
        echo_json({"escalated": [e.as_json() for e in written]})
        return
    for e in written:
        echo_line(f"escalated {e.exception} on {e.case} to {e.escalate_to} (due {e.at})")
    if not written:
        click.echo("nothing to escalate")


@cli.group()
def queue() -> None:
    """What is waiting, for whom, since when, due when (overdue first)."""


def _show_queue(items: list[QueueItem], as_json: bool, empty: str) -> None:
    if as_json:
        echo_json({"items": [i.as_json() for i in items]})
        return
    if not items:
        click.echo(empty)
    for i in items:
        flag = "OVERDUE " if i.overdue else ""
        due = f" due {i.due}" if i.due else ""
        echo_line(f"{flag}{i.case:<14} {i.workflow:<22} {i.role or '-':<22} since {i.since}{due}"
                  f"  {i.what}")


@queue.command("reviews")
@click.option("--role", default=None, help="Only items for this reviewer role.")
@now_option
@json_option
@click.pass_context
def queue_reviews(ctx: click.Context, role: str | None, now: str | None, as_json: bool) -> None:
    """Cases routed for review whose approval does not hold yet."""
    items = ledger(ctx).review_queue(parse_now(now), role)
    _show_queue(items, as_json, "no reviews waiting")


@queue.command("exceptions")
@click.option("--role", default=None, help="Only items for this deciding role.")
@now_option
@json_option
@click.pass_context
def queue_exceptions(ctx: click.Context, role: str | None, now: str | None, as_json: bool) -> None:
    """Raised exceptions with no decision yet, with their due time."""
    items = ledger(ctx).exception_queue(parse_now(now), role)
    _show_queue(items, as_json, "no exceptions waiting")


@cli.command()
@click.option("--workflow", default=None, help="Only this workflow's findings.")
@now_option
@json_option
@click.pass_context
def findings(ctx: click.Context, workflow: str | None, now: str | None, as_json: bool) -> None:
    """Report the four failure modes at run time, ticking first.

    Rules: unapproved-action, evidence-gap, reviewer-not-in-role, owner-vacancy,
    exception-overdue, learning-overdue, recurrence, tool-blame.
    """
    found = ledger(ctx).findings(parse_now(now), workflow)
    if as_json:
        echo_json({"findings": [f.as_json() for f in found]})
        return
    for f in found:
        echo_line(f"{f.workflow}:{f.case}:{f.seq}: {f.rule} {f.message}")
    click.echo(f"{len(found)} finding{'s' if len(found) != 1 else ''}", err=True)
