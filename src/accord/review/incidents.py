"""Incidents: open one on a case (recording its causes and learning actions), review
it (the seven answers from the evidence as it stood), and list them.

Opening and reviewing read only the case's records, its pinned contract, the
roster and the (indexed) incident and learning records, so a review costs the
same in a log of a hundred records or a hundred million.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from accord._time import format_time
from accord.contract.model import Contract
from accord.errors import NotFound, UsageError
from accord.integrity.verify import Tampering
from accord.review.causes import ORIGIN_CAUSE
from accord.review.describe import seqs
from accord.review.questions import LOG_TYPES, Answers, Assignment, answers
from accord.runtime.core import Core
from accord.runtime.writer import Batch
from accord.store.ports import Writer
from accord.store.stored import StoredEvent

DEFAULT_DUE_IN = dt.timedelta(days=14)
"""When learning actions fall due after their incident, unless told otherwise."""
_INCIDENT_ID = re.compile(r"INC-([0-9]+)")
_LEARNING_ID = re.compile(r"LA-([0-9]+)")


@dataclass(frozen=True)
class OpenedLearning:
    """A learning action as `incident open` reports it."""

    id: str
    cause: str
    artefact: str
    role: str | None
    person: str | None
    due: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IncidentOpened:
    """`accord incident open --json`: the incident, its causes and the learning actions opened."""

    incident: str
    case: str
    causes: list[str]
    learning_actions: list[OpenedLearning]

    def as_json(self) -> dict[str, Any]:
        return {"incident": self.incident, "case": self.case, "causes": list(self.causes),
                "learning_actions": [la.as_json() for la in self.learning_actions]}


@dataclass(frozen=True)
class IncidentReview:
    """The ten-minute review of one incident, with the case's records for the brief."""

    incident: str
    case: str
    workflow: str | None
    contract_version: int | None
    answers: Answers
    opened: StoredEvent
    """The `incident.opened` record: summary, failed dimensions, faulty seqs."""
    events: tuple[StoredEvent, ...]
    """The case's records (the incident's own included), for the timeline of a brief."""
    tampered: tuple[Tampering, ...] = ()
    """Records of the case that do not re-hash to what the log holds (none when intact)."""
    quality_bar: Mapping[str, str] = field(default_factory=dict)
    """What each quality dimension means in the pinned contract, for the brief's headline."""

    @property
    def ten_minute_test(self) -> str:
        return "pass" if self.answers.passed else "fail"

    def as_json(self) -> dict[str, Any]:
        """The review JSON: ``incident``, ``case``, ``workflow``, ``contract_version``,
        ``questions`` (key → answer) and ``ten_minute_test``."""
        return {"incident": self.incident, "case": self.case, "workflow": self.workflow,
                "contract_version": self.contract_version, "questions": self.answers.as_json(),
                "ten_minute_test": self.ten_minute_test}


@dataclass(frozen=True)
class IncidentSummary:
    """One incident as `incident list` shows it."""

    incident: str
    case: str | None
    workflow: str | None
    opened_at: str
    opened_by: str
    failed: list[str]
    faulty: list[int]
    causes: list[str]
    summary: str
    learning_actions: list[str]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _check_input(case: str, contract: Contract, events: Sequence[StoredEvent], failed: Sequence[str],
                 faulty: Sequence[int], summary: str, by: str) -> None:
    wf = f"{contract.workflow} v{events[0].contract_version}"
    dims = contract.dimensions
    if not failed:
        raise UsageError(f"--failed: name the quality dimensions that failed ({wf}: {', '.join(dims)})")
    for dim in failed:
        if dim not in dims:
            raise UsageError(f"--failed: {dim!r} is not in the quality bar of {wf} "
                             f"(use {', '.join(dims)})")
    kinds = {e.seq: e.type for e in events if e.type not in LOG_TYPES}
    for seq in faulty:
        if seq not in kinds:
            raise UsageError(f"--faulty {seq}: seq {seq} is not an event of case {case} "
                             f"(its events: {seqs(kinds)})")
        if kinds[seq] not in ORIGIN_CAUSE:
            raise UsageError(f"--faulty {seq}: a {kinds[seq]} reports a failure, it does not introduce "
                             "one; point at the event where the defect was introduced")
    if not by.strip() or by.startswith("system:"):
        raise UsageError(f"--by: {by!r}: an incident is opened by a person (an id such as an e-mail "
                         "address), not a system")
    if not summary.strip():
        raise UsageError("--summary: say in a sentence what went wrong")


def next_number(writer: Writer, kind: str, key: str, pattern: re.Pattern[str]) -> int:
    """The next free number of INC-<n> or LA-<n>, read inside the write that takes it."""
    taken = [0]
    for row in writer.kind_rows([kind]):
        m = pattern.fullmatch(str(StoredEvent.from_row(row).data.get(key, "")))
        taken.append(int(m.group(1)) if m else 0)
    return max(taken) + 1


def open_incident(core: Core, case: str, *, failed: list[str], faulty: list[int],
                  should_have_escalated: bool, summary: str, by: str, now: dt.datetime,
                  due_in: dt.timedelta = DEFAULT_DUE_IN) -> IncidentOpened:
    """Record incident INC-<n> on ``case`` and one learning action LA-<n> per (cause, role).

    Everything is appended in one write transaction that also numbers the
    incident and its learning actions, so concurrent openers never collide.
    Raises NotFound for an unknown case and UsageError for a dimension outside
    the quality bar, a faulty seq that is not an event of the case, a
    ``system:`` opener, a ``now`` before the case's events or a non-positive ``due_in``.
    """
    failed = list(dict.fromkeys(failed))
    if due_in <= dt.timedelta(0):
        raise UsageError("--due-in: learning actions must be due after the incident (e.g. 14d)")
    contract = core.case_contract(core.case_events(case))
    roles = core.book.roles()
    result: list[IncidentOpened] = []

    def build(w: Writer, batch: Batch) -> None:
        result.clear()
        events = [StoredEvent.from_row(row) for row in w.case_rows([case])]
        _check_input(case, contract, events, failed, faulty, summary, by)
        latest = max((e for e in events if e.type not in LOG_TYPES), key=lambda e: e.when)
        if now < latest.when:
            raise UsageError(f"--now {format_time(now)} is before case {case}'s event at seq "
                             f"{latest.seq} ({latest.at}): an incident is opened after what it "
                             "reviews; give a later --now")
        review = answers(contract, events, failed=failed, faulty=faulty,
                         should_have_escalated=should_have_escalated, roles=roles, now=now)
        incident = f"INC-{next_number(w, 'incident.opened', 'incident', _INCIDENT_ID)}"
        first_la = next_number(w, "learning.opened", "id", _LEARNING_ID)
        due = format_time(now + due_in)
        assigned = [Assignment(a.cause, a.artefact, a.role, a.person, f"LA-{first_la + i}", due)
                    for i, a in enumerate(review.assignments)]
        opened = events[0]

        def stamp(kind: str, data: dict[str, Any]) -> None:
            batch.stamp(case=case, workflow=opened.workflow, type=kind, at=format_time(now), actor=by,
                        version=opened.contract_version, data=data)

        stamp("incident.opened", {
            "incident": incident, "failed": failed, "faulty": sorted(set(faulty)),
            "should_have_escalated": should_have_escalated, "summary": summary,
            "causes": review.causes, "owners": [asdict(a) for a in assigned]})
        for a in assigned:
            stamp("learning.opened", {
                "id": a.learning_action, "incident": incident, "cause": a.cause, "artefact": a.artefact,
                "role": a.role, "person": a.person, "due": due})
        result.append(IncidentOpened(incident, case, review.causes, [
            OpenedLearning(a.learning_action or "", a.cause, a.artefact, a.role, a.person, due)
            for a in assigned]))

    core.writer.write(build)
    return result[0]


def _incident_record(core: Core, incident_id: str) -> StoredEvent:
    opened = core.kind_events(["incident.opened"])
    found = next((e for e in opened if e.data["incident"] == incident_id), None)
    if found is None:
        known = ", ".join(e.data["incident"] for e in opened[-5:]) or "none yet"
        raise NotFound(f"no incident {incident_id!r} in this ledger (latest: {known}); "
                       "see `accord incident list`")
    return found


def review_incident(core: Core, incident_id: str) -> IncidentReview:
    """The ten-minute review of ``incident_id``; read-only.

    Judges the case's evidence as it stood when the incident was opened, with
    the owners and persons stored then. Raises NotFound for an unknown id.
    """
    incident = _incident_record(core, incident_id)
    assert incident.case is not None
    events, tampered = core.checked_case(incident.case)
    d = incident.data
    contract = core.case_contract(events)
    review = answers(contract, [e for e in events if e.seq < incident.seq],
                     failed=d["failed"], faulty=d["faulty"],
                     should_have_escalated=d["should_have_escalated"], roles=core.book.roles(),
                     now=incident.when, assigned=[Assignment(**owner) for owner in d["owners"]])
    bar = {dim: (meaning or "").strip() for dim, meaning in (contract.quality_bar or {}).items()}
    return IncidentReview(incident_id, incident.case, incident.workflow, incident.contract_version,
                          review, incident, tuple(events), tuple(tampered), bar)


def list_incidents(core: Core) -> list[IncidentSummary]:
    """Every incident, oldest first, with its causes and learning action ids."""
    return [IncidentSummary(e.data["incident"], e.case, e.workflow, e.at, e.actor, e.data["failed"],
                            e.data["faulty"], e.data["causes"], e.data["summary"],
                            [o["learning_action"] for o in e.data["owners"]])
            for e in core.kind_events(["incident.opened"])]
