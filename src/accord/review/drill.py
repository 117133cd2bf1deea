"""`accord drill`: could every closed case pass the ten-minute test?

Each closed case (one with an ``action.taken``) is reviewed by the same
:func:`accord.review.incident.answers` as a real incident, as if it had failed on every
quality dimension of its contract with the origin at its last output. Only the
indexed ``action.taken`` records and the chosen cases' own events are read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from accord._progress import STEP, Progress
from accord.contract.model import Contract
from accord.errors import UsageError
from accord.review.questions import answers, keys
from accord.runtime.core import Core
from accord.runtime.evidence import last_of, upto_last_action
from accord.store.stored import StoredEvent


@dataclass(frozen=True)
class WorkflowReadiness:
    """One workflow's drill: how many closed cases would pass, and which questions fail."""

    workflow: str
    cases: int
    ready: int
    readiness: float | None
    """Share of cases that would pass, 4 places; None without cases."""
    failing: dict[str, int]
    """Cases failing each question (all seven keys)."""
    examples: dict[str, list[str]]

    def as_json(self) -> dict[str, Any]:
        return {"workflow": self.workflow, "cases": self.cases, "ready": self.ready,
                "readiness": self.readiness, "failing": self.failing, "examples": self.examples}


@dataclass(frozen=True)
class DrillReport:
    """`accord drill`: readiness per workflow."""

    workflows: list[WorkflowReadiness]

    def as_json(self) -> dict[str, Any]:
        return {"workflows": [w.as_json() for w in self.workflows]}


EXAMPLES = 5
"""Example cases kept per failing question."""
_CHUNK = 2000
"""Cases whose events are read in one query (bounds memory on large ledgers)."""


def sample_key(seed: int, workflow: str, case: str) -> str:
    """The ordering key of ``--sample``: ``sha256(f"{seed}:{workflow}:{case}")`` in hex."""
    return hashlib.sha256(f"{seed}:{workflow}:{case}".encode()).hexdigest()


def _closed_cases(core: Core, workflows: Sequence[str]) -> dict[str, list[str]]:
    """Each workflow's cases with an action.taken, in the order of their first action."""
    wanted = set(workflows)
    closed: dict[str, dict[str, None]] = {wf: {} for wf in workflows}
    for e in core.kind_events(["action.taken"]):
        if e.workflow in wanted and e.case is not None:
            closed[e.workflow].setdefault(e.case, None)
    return {wf: list(cases) for wf, cases in closed.items()}


def _sampled(cases: list[str], seed: int, workflow: str, size: int) -> list[str]:
    return sorted(cases, key=lambda case: sample_key(seed, workflow, case))[:size]


def _chunks(cases: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(cases), _CHUNK):
        yield cases[i:i + _CHUNK]


def drill(core: Core, *, workflow: str | None = None, sample: int | None = None,
          seed: int = 0, now: dt.datetime, progress: Progress | None = None) -> DrillReport:
    """Run the seven questions over closed cases, as if each had failed on every dimension.

    Per workflow: ``cases`` drilled, ``ready`` (would pass), ``readiness`` (share
    ready, 4 places; None without cases), ``failing`` (cases failing each of the
    seven questions) and ``examples`` (up to five such cases per question).
    ``sample`` keeps, per workflow, the N cases with the smallest
    :func:`sample_key`. ``progress`` hears (cases drilled, cases to drill). Raises
    NotFound for a workflow with no applied contract and UsageError for a negative sample.
    """
    if sample is not None and sample < 0:
        raise UsageError(f"--sample: {sample} is negative; give a number of cases, 0 or more")
    if workflow is not None:
        core.book.contract(workflow)  # NotFound names the applied workflows
        workflows = [workflow]
    else:
        workflows = sorted({c.workflow for c in core.book.contracts()})
    closed = _closed_cases(core, workflows)
    if sample is not None:
        closed = {wf: _sampled(cases, seed, wf, sample) for wf, cases in closed.items()}
    roles = core.book.roles()
    contracts: dict[tuple[str, int], Contract] = {}
    report = []
    total, done = sum(len(cases) for cases in closed.values()), 0
    for wf in workflows:
        failing = dict.fromkeys(keys(), 0)
        examples: dict[str, list[str]] = {key: [] for key in keys()}
        ready = 0
        for chunk in _chunks(closed[wf]):
            for case, events in core.cases_events(chunk).items():
                version = events[0].contract_version or 0
                contract = contracts.get((wf, version))
                if contract is None:
                    contract = contracts[(wf, version)] = core.book.contract(wf, version).contract
                review = answers(contract, events, failed=contract.dimensions,
                                 faulty=_last_output(events), should_have_escalated=False,
                                 roles=roles, now=now)
                ready += review.passed
                done += 1
                if progress is not None and done % STEP == 0:
                    progress(done, total)
                for key in review.failing:
                    failing[key] += 1
                    if len(examples[key]) < EXAMPLES:
                        examples[key].append(case)
        count = len(closed[wf])
        report.append(WorkflowReadiness(wf, count, ready, round(ready / count, 4) if count else None,
                                        failing, examples))
    if progress is not None:
        progress(total, total)
    return DrillReport(report)


def _last_output(events: Sequence[StoredEvent]) -> list[int]:
    output = last_of(upto_last_action(events), "output.generated")
    return [output.seq] if output is not None else []
