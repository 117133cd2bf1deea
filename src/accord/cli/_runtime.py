"""Run-time commands: tick, queues and findings."""

from __future__ import annotations

import sys
from collections import Counter

import click

from accord.cli import cli
from accord.cli._common import echo_json, echo_line, json_option, ledger, now_option, parse_now
from accord.errors import UsageError
from accord.review.describe import counted
from accord.runtime.findings import DETECTORS
from accord.runtime.queues import QueueItem


@cli.command(short_help="Escalate every exception left undecided past its due time.")
@now_option
@json_option
@click.pass_context
def tick(ctx: click.Context, now: str | None, as_json: bool) -> None:
    """Escalate every exception still undecided at its due time (once each).

    Every queue and findings read ticks first; run this from cron to escalate
    even when nobody is looking.

    \b
    Example:
      accord tick                       # e.g. every 5 minutes from cron
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
    """What is waiting, for whom, since when, due when (overdue first).

    \b
    Examples:
      accord queue reviews --role support-agent
      accord queue exceptions --json
    """


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
    """Cases routed for review whose approval does not hold yet.

    \b
    Example:
      accord queue reviews --role support-agent
    """
    items = ledger(ctx).review_queue(parse_now(now), role)
    _show_queue(items, as_json, "no reviews waiting")


@queue.command("exceptions")
@click.option("--role", default=None, help="Only items for this deciding role.")
@now_option
@json_option
@click.pass_context
def queue_exceptions(ctx: click.Context, role: str | None, now: str | None, as_json: bool) -> None:
    """Raised exceptions with no decision yet, with their due time.

    \b
    Example:
      accord queue exceptions --role refunds-escalations --json
    """
    items = ledger(ctx).exception_queue(parse_now(now), role)
    _show_queue(items, as_json, "no exceptions waiting")


def _fail_on(value: str | None) -> set[str]:
    """The rules --fail-on names (every rule for ``any``); unknown names are a usage error."""
    if value is None:
        return set()
    names = {name.strip() for name in value.split(",") if name.strip()}
    if "any" in names:
        return set(DETECTORS)
    unknown = sorted(names - set(DETECTORS))
    if unknown or not names:
        raise UsageError(f"--fail-on: unknown rule {', '.join(unknown) or repr(value)}; the rules are "
                         f"{', '.join(DETECTORS)} (or any)")
    return names


@cli.command()
@click.option("--workflow", default=None, help="Only this workflow's findings.")
@click.option("--fail-on", "fail_on", default=None, metavar="RULE[,RULE…]|any",
              help="Exit 1 when there is a finding of one of these rules (any: of any rule), "
                   "for CI and cron; the findings are printed as usual.")
@now_option
@json_option
@click.pass_context
def findings(ctx: click.Context, workflow: str | None, fail_on: str | None, now: str | None,
             as_json: bool) -> None:
    """Report the four failure modes at run time, ticking first.

    Rules (docs/findings.md): unapproved-action, ignored-policy-failure,
    evidence-gap, reviewer-not-in-role, owner-vacancy, exception-overdue,
    learning-overdue, recurrence, tool-blame. Each finding prints as
    `workflow:case:seq: rule message`.

    \b
    Examples:
      accord findings
      accord findings --workflow refund-replies --json
      accord findings --fail-on unapproved-action,evidence-gap   # in CI: exit 1 if any
    """
    failing = _fail_on(fail_on)
    found = ledger(ctx).findings(parse_now(now), workflow)
    if as_json:
        echo_json({"findings": [f.as_json() for f in found]})
    else:
        for f in found:
            echo_line(f"{f.workflow}:{f.case}:{f.seq}: {f.rule} {f.message}")
        echo_line(counted(len(found), "finding"), err=True)
    hits = Counter(f.rule for f in found if f.rule in failing)
    if hits:
        listed = ", ".join(f"{counted(n, 'finding')} of {rule}" for rule, n in sorted(hits.items()))
        echo_line(f"accord: --fail-on: {listed}", err=True)
        sys.exit(1)  # click's non-standalone main returns ctx.exit codes instead of raising them
