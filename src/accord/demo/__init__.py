"""`accord demo`: four simulated weeks of three AI-assisted workflows, kept as evidence.

:func:`build_demo` applies the example roster and contracts shipped in
``accord/_data/demo`` (byte-identical to ``examples/``) and drives several
hundred cases through the public SDK only — ``Ledger.record_many`` one batch per
step of a case, ``Ledger.tick``, ``Ledger.apply_roster`` — then opens the
incident and reads the review, the findings and the drill back from the ledger.
Nothing it reports is hard-coded: routes, causes, owners, findings and readiness
are accord's own answers about what was recorded.

What the month holds: refund replies with risk-based skips and reviews of narrow
and whole-action scopes, large refunds decided by the escalations desk (one left
undecided, so it escalates at its SLA), clause drafting under legal review with
``enforce: true`` (one early send is refused), claims triage with sampled QA and
thin evidence, a hand-over in the roster with a reviewer acting after she left,
and the incident: a reply that promised a €480 refund on a €48 order after its
review was skipped.

Every time comes from the simulated start, never from today's date, and the
only randomness is ``random.Random(seed)``: the same seed gives the same ledger
(apart from its origin line, which names each database uniquely).

Read it in this order:

- :mod:`._sim` — the simulation core: the agenda of timed steps, the clock,
  recording a step of a case, who holds a role, counting routes;
- :mod:`.refunds`, :mod:`.clauses`, :mod:`.claims` — one module per workflow:
  how its cases arrive and how people handle them;
- :mod:`._script` — the scripted moments, each planned at its day and time;
- :mod:`._month` — the month: the examples applied, the days planned, the run;
- :mod:`._report` — what the demo reports (:class:`DemoResult`);
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from accord.demo._month import CONTRACT_FILES, DEMO_START, ROSTER_FILE, WEEKS, demo_file, simulate
from accord.demo._month import WORKFLOWS as _WORKFLOWS
from accord.demo._report import DemoResult, Handover, WorkflowTally
from accord.demo._sim import DEMO_ACTOR
from accord.errors import AccordError, UsageError
from accord.ledger import Ledger
from accord.ledger import open as open_ledger
from accord.review.render import render_html
from accord.testing import FixedClock

__all__ = ["CONTRACT_FILES", "DB_NAME", "DEMO_ACTOR", "DEMO_SEED", "DEMO_START", "ROSTER_FILE", "WEEKS",
           "WORKFLOWS", "DemoResult", "Handover", "WorkflowTally", "build_demo", "demo_file", "run_demo"]

DEMO_SEED = 7
WORKFLOWS = tuple(workflow.name for workflow in _WORKFLOWS)
"""The names of the simulated workflows, as their contracts name them."""

DB_NAME = "accord.db"
MARKER = ".accord-demo"
"""The file a demo leaves in its folder so a later run may replace the ledger there."""


def run_demo(directory: Path, *, seed: int = DEMO_SEED, start: dt.datetime = DEMO_START) -> DemoResult:
    """Build the demo ledger afresh in ``directory`` and write its incident brief there.

    Creates ``directory/accord.db`` (replacing a previous demo's ledger, never any
    other) and ``directory/incident-INC-<n>.html``. Returns the :class:`DemoResult`
    with ``ledger`` (the database URL) and ``brief`` set. Raises UsageError when
    the folder holds a ledger the demo did not make, and whatever the SDK raises
    if the packaged examples no longer describe a working month.
    """
    database = _fresh_database(directory)
    # written first, so a run that was interrupted can still be replaced by the next one
    (directory / MARKER).write_text(f"accord demo, seed {seed}: {DB_NAME} may be replaced by "
                                    "the next `accord demo` run in this folder\n")
    url = f"sqlite:///{database}"
    with open_ledger(url, clock=FixedClock(start)) as ledger:
        result = build_demo(ledger, seed=seed, start=start)
    brief = directory / f"incident-{result.review.incident}.html"
    brief.write_text(render_html(result.review), encoding="utf-8")
    result.ledger, result.brief = url, brief
    return result


def _fresh_database(directory: Path) -> Path:
    """The demo's database path in ``directory``, cleared; refuses another ledger."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--dir {directory}: is a file; name a folder for the demo ledger")
    database = directory / DB_NAME
    previous = _previous_demo(directory)
    if database.exists() and database.stat().st_size > 0 and not previous:
        raise UsageError(
            f"--dir {directory}: {database} already holds a ledger that `accord demo` did not "
            "create, and the demo never overwrites one; choose another folder with --dir")
    directory.mkdir(parents=True, exist_ok=True)
    stale = [database, *(directory / (DB_NAME + s) for s in ("-wal", "-shm", "-journal"))]
    if previous:  # only a demo's own briefs; a folder of someone else's files keeps them
        stale += directory.glob("incident-INC-*.html")
    for path in stale:
        path.unlink(missing_ok=True)
    return database


def _previous_demo(directory: Path) -> bool:
    """True when ``directory`` holds a ledger an earlier demo made (marker and first record)."""
    if not (directory / MARKER).is_file() or not (directory / DB_NAME).is_file():
        return False
    try:
        with open_ledger(f"sqlite:///{directory / DB_NAME}") as ledger:
            first = next(ledger.events(), None)
    except AccordError:
        return False
    return first is None or first.actor == DEMO_ACTOR


def build_demo(ledger: Ledger, *, seed: int = DEMO_SEED, start: dt.datetime = DEMO_START) -> DemoResult:
    """Record four simulated weeks from ``start`` into an empty ``ledger`` and read back the results.

    When the ledger's clock is a :class:`~accord.testing.FixedClock` it follows the
    simulation, so each record's ``recorded_at`` is its batch's simulated time.
    Returns the :class:`DemoResult` (``ledger`` and ``brief`` unset). Raises
    UsageError for a ledger that already holds records, and the SDK's errors if
    the packaged examples no longer fit the simulated month.
    """
    with ledger.store.reading() as reader:
        empty = reader.head().size == 0
    if not empty:
        raise UsageError(f"the demo needs an empty ledger; {ledger.store.url} already "
                         "holds records")
    return simulate(ledger, seed, start)
