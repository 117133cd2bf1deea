"""The simulation core: an agenda of timed steps, the simulated clock, and what every workflow shares.

Nothing here knows any one workflow. A :class:`Workflow` says how its cases
arrive; :class:`Simulation` gives it the randomness, the agenda, who holds a
role, and one way to record a step of a case through the SDK.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from accord._time import format_time
from accord.contract.model import Roster
from accord.demo._report import WorkflowTally
from accord.errors import AccordError
from accord.ledger import Ledger
from accord.runtime.routing import Route
from accord.testing import FixedClock

DEMO_ACTOR = "system:accord-demo"
"""Who applies the demo's roster and contracts; how a previous demo's ledger is recognised."""
MINUTE = dt.timedelta(minutes=1)

Step = Callable[[], None]
T = TypeVar("T")


class Agenda:
    """Steps to run at simulated times: earliest first, and steps due at the same instant in the
    order they were planned, so the same plan always runs the same way."""

    def __init__(self) -> None:
        self._due: list[tuple[dt.datetime, int, Step]] = []
        self._planned = 0

    def plan(self, at: dt.datetime, step: Step) -> None:
        self._planned += 1  # ties run in the order they were planned
        heapq.heappush(self._due, (at, self._planned, step))

    def run_until(self, end: dt.datetime) -> None:
        """Run every step due by ``end`` in time order, including steps planned while running."""
        while self._due:
            at, _, step = heapq.heappop(self._due)
            if at > end:
                break
            step()


class Batch:
    """One step of one case: events recorded together in one `record_many` call."""

    def __init__(self, case: str) -> None:
        self.case = case
        self.events: list[dict[str, Any]] = []
        self.latest: dt.datetime | None = None

    def add(self, event_type: str, at: dt.datetime, actor: str, /, **data: Any) -> None:
        self.events.append({"case": self.case, "type": event_type, "at": format_time(at), "actor": actor,
                            "data": {k: v for k, v in data.items() if v is not None}})
        self.latest = at if self.latest is None else max(self.latest, at)


@dataclass(frozen=True)
class Workflow:
    """One simulated workflow: its contract's name, its case ids, and how its cases arrive."""

    name: str
    case_prefix: str
    first_case: int
    """The number of its first case id (``R-1001``); later cases count up from it."""
    per_workday: tuple[int, int]
    """How many cases arrive on a working day, at least and at most."""
    arrive: Callable[[Simulation, dt.datetime], None]
    """Record a new case arriving at the given time and plan what happens to it next."""


@dataclass(frozen=True)
class Cue(Generic[T]):
    """A point in a workflow where a scripted moment may stand in, once, for what usually happens."""

    name: str


class Simulation:
    """One simulated run on a ledger: randomness, agenda, roster, and a tally per workflow."""

    def __init__(self, ledger: Ledger, seed: int, start: dt.datetime, end: dt.datetime,
                 workflows: Sequence[Workflow]) -> None:
        self.ledger = ledger
        self.seed, self.rng = seed, random.Random(seed)
        self.start, self.end = start, end
        self.agenda = Agenda()
        self.tallies = {workflow.name: WorkflowTally(workflow.name) for workflow in workflows}
        self.roster: Roster | None = None
        self.escalated = 0
        """Exceptions accord escalated at their SLA on the daily ticks."""
        self._clock = ledger.clock if isinstance(ledger.clock, FixedClock) else None
        self._stand_ins: dict[Cue[Any], object] = {}

    def at(self, when: dt.datetime, step: Step) -> None:
        """Plan ``step`` to run at ``when``."""
        self.agenda.plan(when, step)

    def advance(self, now: dt.datetime) -> None:
        """Move the ledger's clock (when it is a FixedClock) to ``now``."""
        if self._clock is not None:
            self._clock.set(now)

    # -- recording through the SDK ------------------------------------------------------------

    def record(self, batch: Batch) -> Route | None:
        """Record one step; returns the route accord decided when it held an output."""
        assert batch.latest is not None
        self.advance(batch.latest)
        recorded = self.ledger.record_many(batch.events)
        return recorded.routes.get(batch.case)

    def apply_roster(self, source: Roster | Path, at: dt.datetime) -> None:
        """Apply a roster at ``at``; :meth:`person` answers from it from then on."""
        self.advance(at)
        applied = self.ledger.apply_roster(source, actor=DEMO_ACTOR)
        self.roster = applied.roster

    def tick(self, now: dt.datetime) -> None:
        """Let accord escalate what is overdue at ``now``."""
        self.advance(now)
        self.escalated += len(self.ledger.tick(now=now))

    # -- people and roles ---------------------------------------------------------------------

    def person(self, role: str, at: dt.datetime) -> str:
        """Who holds ``role`` at ``at``; raises AccordError when nobody does."""
        assert self.roster is not None
        holder = self.roster.holder(role, at)
        if holder is None:
            raise AccordError(f"demo: role {role} has no holder at {format_time(at)} in the example "
                              "roster; the demo needs every role it routes to held")
        return holder

    # -- counting cases and routes ------------------------------------------------------------

    def open_case(self, workflow: Workflow) -> str:
        """The id of ``workflow``'s next case."""
        tally = self.tallies[workflow.name]
        tally.cases += 1
        return f"{workflow.case_prefix}-{workflow.first_case + tally.cases - 1}"

    def routed(self, workflow: Workflow, route: Route | None) -> Route:
        """Count the route accord decided for a case's output; returns it."""
        assert route is not None, "an output.generated is always routed"
        tally = self.tallies[workflow.name]
        tally.routes[route.review] += 1
        tally.exceptions += route.exception is not None
        return route

    def close(self, batch: Batch, workflow: Workflow) -> None:
        """Record a case's last step, its action, and count the case closed."""
        self.record(batch)
        self.tallies[workflow.name].closed += 1

    # -- scripted moments stepping in ---------------------------------------------------------

    def cue(self, cue: Cue[T], stand_in: T) -> None:
        """Have ``stand_in`` play the next step that asks for ``cue``."""
        self._stand_ins[cue] = stand_in

    def take_cue(self, cue: Cue[T]) -> T | None:
        """The stand-in cued for this step, once; None when nothing was cued."""
        return cast("T | None", self._stand_ins.pop(cue, None))
