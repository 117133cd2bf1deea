"""`accord demo`: build the demo ledger in a folder and walk a newcomer through it."""

from __future__ import annotations

import shlex
import shutil
import sys
import time
from pathlib import Path

import click

from accord import demo as demos
from accord._time import format_time
from accord.cli import cli
from accord.cli._common import echo_json, json_option
from accord.review.describe import artefact
from accord.review.questions import keys
from accord.review.render import render_text
from accord.runtime.findings import DETECTORS


@cli.command(short_help="Build a simulated month of work and review an incident in it.")
@click.option("--dir", "directory", default=".demo", show_default=True, metavar="DIR",
              type=click.Path(path_type=Path), help="Folder for the demo ledger and incident brief.")
@click.option("--seed", default=demos.DEMO_SEED, show_default=True, type=int,
              help="Seed of the simulation: the same seed builds the same month.")
@json_option
def demo(directory: Path, seed: int, as_json: bool) -> None:
    """Build a realistic ledger in DIR and show an incident review and a drill.

    Four simulated weeks (from 2026-10-05) of three example workflows — refund
    replies, clause drafting, claims triage — recorded through the SDK: reviews,
    skips, sampling, exceptions, a roster hand-over, and a refund reply that
    promised the wrong amount. Writes DIR/accord.db (replacing only a previous
    demo's ledger) and DIR/incident-INC-1.html.

    \b
    Example:
      accord demo --dir .demo
      accord --db sqlite:///.demo/accord.db case show R-1155
    """
    started = time.perf_counter()
    result = demos.run_demo(directory, seed=seed)
    if as_json:
        echo_json(result.as_json())
        return
    click.echo(_render(result, directory, time.perf_counter() - started), nl=False)


def accord_command() -> str:
    """How to run this accord from a fresh shell in the current folder: ``accord`` when that
    is on PATH and is this very script, else the path of the script of this Python
    environment (``.venv/bin/accord`` after ``make demo``, which does not activate it)."""
    script = Path(sys.executable).parent / "accord"
    found = shutil.which("accord")
    if not script.exists():
        return "accord"  # not a script install (e.g. run from a source tree): trust PATH
    if found is not None and Path(found).resolve() == script.resolve():
        return "accord"
    return shlex.quote(str(_shown(script)))


def _shown(path: Path) -> Path:
    """``path`` relative to the current folder when it lies inside it, else as it is."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _heading(number: int, title: str, meaning: str) -> list[str]:
    return ["", click.style(f"{number}. {title}", bold=True), f"   {meaning}", ""]


def _render(result: demos.DemoResult, directory: Path, seconds: float) -> str:
    """The demo's report for a newcomer: six short parts, each saying what it means."""
    command = accord_command()
    accord = f"{command} --db {shlex.quote(f'sqlite:///{directory / demos.DB_NAME}')}"
    review, incident, handover = result.review, result.incident.as_json(), result.handover
    lines = [click.style("accord demo", bold=True) + " — four simulated weeks of AI-assisted work, "
             "kept as evidence",
             f"Seed {result.seed}; simulated {result.start.date()} to {result.now.date()}; "
             f"built in {seconds:.1f} s.",
             f"Ledger: {directory / demos.DB_NAME}  (explore it with `{accord} …`)"]

    lines += _heading(1, "The agreements",
                      "Each contract names who owns the outcome, what a reviewer approves and "
                      "where exceptions go.")
    lines.append("   contracts  " + ", ".join(f"{c['workflow']} v{c['version']}"
                                             for c in result.contracts))
    lines.append(f"   roster     v1, then v{result.rosters} on {handover.on}: {handover.took_over} "
                 f"took over {handover.role} from {handover.left}")

    lines += _heading(2, "The work",
                      "Every case's input, sources, AI output, route, reviews, decisions and final "
                      "action, as events.")
    lines.append(f"   {'workflow':<17} {'cases':>5} {'closed':>6}  routes (accord decided each one)"
                 f"{'':<9} {'exceptions':>10}")
    for w in result.workflows:
        routes = ", ".join(f"{n} {route}" for route, n in sorted(w.routes.items()))
        lines.append(f"   {w.workflow:<17} {w.cases:>5} {w.closed:>6}  {routes:<41} {w.exceptions:>10}")
    lines.append(f"   {result.events:,} records in the log. Exceptions escalated at their SLA because "
                 f"nobody decided them: {result.escalated}.")
    for item in result.waiting["exceptions"]:
        lines.append(f"   {item['case']} still waits for a decision by {item['role']} "
                     f"(was due {item['due']}).")
    for w in result.workflows:
        for refusal in w.refused:
            lines.append(f"   {w.workflow} enforces its contract: a send before review was refused, "
                         f"{refusal}.")
    if handover.late_review:
        lines.append(f"   {handover.left} reviewed {handover.late_review} after leaving "
                     f"{handover.role}.")

    lines += _heading(3, "The incident",
                      f"A customer complained about case {incident['case']}; the outcome owner opened "
                      f"{incident['incident']}. Its brief, from the ledger — what went wrong, what went "
                      "out, the seven questions, who changes what:")
    lines += ["   " + line if line else "" for line in
              render_text(review).rstrip("\n").split("\n")]
    if result.brief is not None:
        lines += ["", f"   The same brief as one printable page, to forward: {result.brief}"]

    lines += _heading(4, "Learning actions", "Who changes which part of the system, by when — "
                      "one per cause and owner, open until the change is made.")
    actions = incident["learning_actions"]
    lines.append(f"   {len(actions)} open: " + "; ".join(
        f"{la['id']} ({artefact(la['artefact'])}, {la['person'] or 'vacant'})" for la in actions)
        + (f"; due {actions[0]['due'][:10]}" if actions else "") + ".")
    if actions:
        lines.append(f"   Close one with the change that was made: {accord} learning close "
                     f"{actions[0]['id']} --change refund-v8")

    lines += _heading(5, "Findings", "What accord noticed while the work ran (at "
                      f"{format_time(result.now)}).")
    for rule, (meaning, _) in DETECTORS.items():
        lines.append(f"   {rule:<23} {result.findings.get(rule, 0):>4}  {meaning}")

    lines += _heading(6, "Drill", "Could every closed case pass the ten-minute test if it failed "
                      "today? Readiness is the share that would.")
    lines.append(f"   {'workflow':<17} {'cases':>5} {'readiness':>9}  questions that would fail (cases)")
    drill = result.drill.as_json()
    for w in drill["workflows"]:
        readiness = "-" if w["readiness"] is None else f"{w['readiness']:.1%}"
        failing = ", ".join(f"{key} {w['failing'][key]}" for key in keys() if w["failing"][key])
        lines.append(f"   {w['workflow']:<17} {w['cases']:>5} {readiness:>9}  {failing or 'none'}")
    weakest = min((w for w in drill["workflows"] if w["readiness"] is not None),
                  key=lambda w: w["readiness"], default=None)
    if weakest is not None and weakest["readiness"] < 1:
        key = next(k for k in keys() if weakest["examples"][k])
        lines.append(f"   Why {weakest['workflow']} is least ready: {accord} case show "
                     f"{weakest['examples'][key][0]}  (see its evidence.missing)")

    now = f"--now {format_time(result.now)}"
    activate = Path(sys.executable).parent / "activate"
    if command != "accord" and activate.exists():
        lines += ["", click.style("Explore it", bold=True) + " (run them from this folder as shown, or "
                  f"`. {shlex.quote(str(_shown(activate)))}` first and type plain `accord`)"]
    else:
        lines += ["", click.style("Explore it", bold=True)]
    lines += [
              f"   {accord} case show {incident['case']}",
              f"   {accord} incident review {incident['incident']} --format markdown",
              f"   {accord} findings {now}",
              f"   {accord} queue exceptions {now}",
              f"   {accord} drill {now}",
              f"   {accord} case list --route skipped --limit 10",
              f"   {accord} verify",
              "   A tour of what you just saw: docs/demo.md", ""]
    return "\n".join(lines)
