"""One simulated month: the examples applied, every day planned, the agenda run, the answers read back."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from accord.demo import claims, clauses, refunds
from accord.demo._report import DemoResult
from accord.demo._script import Script
from accord.demo._sim import DEMO_ACTOR, Simulation, Workflow
from accord.errors import AccordError
from accord.ledger import Ledger

DEMO_START = dt.datetime(2026, 10, 5, 8, 0, tzinfo=dt.UTC)
"""The simulated Monday the month starts on; every time in the demo derives from it."""
WEEKS = 4
WORKDAY_MINUTES = 9 * 60
"""How long after a working day's opening (the start's time of day) cases keep arriving."""

WORKFLOWS: tuple[Workflow, ...] = (refunds.WORKFLOW, clauses.WORKFLOW, claims.WORKFLOW)
CONTRACT_FILES = tuple(f"{workflow.name}.yaml" for workflow in WORKFLOWS)
ROSTER_FILE = "roster.yaml"


@contextmanager
def demo_file(name: str) -> Iterator[Path]:
    """A path to one of the example files packaged in ``accord/_data/demo``."""
    with resources.as_file(resources.files("accord") / "_data" / "demo" / name) as path:
        yield path


def simulate(ledger: Ledger, seed: int, start: dt.datetime) -> DemoResult:
    """Record the month from ``start`` into ``ledger`` and read accord's answers back."""
    sim = Simulation(ledger, seed, start, start + dt.timedelta(weeks=WEEKS), WORKFLOWS)
    script = Script(sim)
    contracts = _apply_examples(sim)
    _plan(sim, script)
    sim.agenda.run_until(sim.end)
    sim.tick(sim.end)
    return _report(sim, script, contracts)


def _apply_examples(sim: Simulation) -> list[dict[str, Any]]:
    """Apply the example roster and contracts three days before the start; returns the contracts."""
    at = sim.start - dt.timedelta(days=3)
    with demo_file(ROSTER_FILE) as path:
        sim.apply_roster(path, at)
    contracts = []
    for name in CONTRACT_FILES:
        with demo_file(name) as path:
            contract = sim.ledger.apply_contract(path, actor=DEMO_ACTOR)
        contracts.append({"workflow": contract.workflow, "version": contract.version})
    return contracts


def _plan(sim: Simulation, script: Script) -> None:
    """Plan each day in turn: on a working day the cases arriving in each workflow, then the day's
    scripted moments, then the nightly tick. Steps due at the same instant run in this order."""
    moments = script.moments()
    for day in range(WEEKS * 7):
        opening = sim.start + dt.timedelta(days=day)
        if opening.weekday() < 5:
            for workflow in WORKFLOWS:
                for _ in range(sim.rng.randint(*workflow.per_workday)):
                    at = opening + dt.timedelta(minutes=sim.rng.randrange(0, WORKDAY_MINUTES))
                    sim.at(at, functools.partial(workflow.arrive, sim, at))
        for moment in (m for m in moments if m.day == day):
            at = opening + moment.after_opening
            sim.at(at, functools.partial(moment.play, at))
        midnight = opening.replace(hour=23, minute=59)
        sim.at(midnight, functools.partial(sim.tick, midnight))


def _report(sim: Simulation, script: Script, contracts: list[dict[str, Any]]) -> DemoResult:
    """The :class:`DemoResult`: the simulation's tallies and accord's answers from the ledger."""
    if script.incident is None or script.handover is None:
        raise AccordError("demo: the simulated month ended before its incident or hand-over; "
                          f"WEEKS={WEEKS} must cover INCIDENT_DAY and HANDOVER_DAY")
    ledger, now = sim.ledger, sim.end
    found = ledger.findings(now)
    roster = ledger.roster()
    with ledger.store.reading() as reader:
        records = reader.head().size
    return DemoResult(
        seed=sim.seed, start=sim.start, now=now, events=records, contracts=contracts,
        rosters=roster.version if roster else 0, handover=script.handover,
        workflows=list(sim.tallies.values()), escalated=sim.escalated,
        waiting={"reviews": [i.as_json() for i in ledger.review_queue(now)],
                 "exceptions": [i.as_json() for i in ledger.exception_queue(now)]},
        incident=script.incident, review=ledger.review_incident(script.incident.incident),
        findings=dict(sorted(Counter(f.rule for f in found).items())), drill=ledger.drill(now=now))
