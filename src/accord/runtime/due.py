"""Due times, written once: when an exception is undecided past its due time, and
when a learning action is overdue. `tick`, the exception queue and the findings
all ask here, so "overdue" has one answer everywhere.

A decision is on time when its ``at`` is no later than the due time; an
exception is overdue once ``now`` is past its due time with no on-time decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from accord.runtime.roles import Roles
from accord.store.stored import StoredEvent

EXCEPTION_TYPES = ("exception.raised", "exception.decided", "exception.escalated")
"""The records that say how an exception stands."""


def overdue(due: str | dt.datetime, now: dt.datetime) -> bool:
    """Whether ``now`` is past ``due`` (an action at the due time itself is still on time)."""
    return now > (due if isinstance(due, dt.datetime) else dt.datetime.fromisoformat(due))


@dataclass(frozen=True)
class ExceptionStatus:
    """One raised exception of a case: its decisions that count (by a holder of its owner role,
    or of ``escalate_to`` once escalated, at the decision's time) and whether it was escalated."""

    raised: StoredEvent
    decisions: tuple[StoredEvent, ...]
    escalated: bool

    @property
    def name(self) -> str:
        return str(self.raised.data["exception"])

    @property
    def due(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.raised.data["due"])

    @property
    def decided(self) -> bool:
        """Some decision was recorded, on time or not."""
        return bool(self.decisions)

    @property
    def on_time(self) -> bool:
        """Some decision's ``at`` is no later than the due time."""
        due = self.due
        return any(d.when <= due for d in self.decisions)

    @property
    def late(self) -> list[StoredEvent]:
        """Decisions recorded after the due time."""
        due = self.due
        return [d for d in self.decisions if d.when > due]

    @property
    def deciding_role(self) -> str | None:
        """Who decides it now: the owner, or ``escalate_to`` once escalated."""
        data = self.raised.data
        return data.get("escalate_to") if self.escalated else data.get("owner")

    def overdue(self, now: dt.datetime) -> bool:
        """No on-time decision and ``now`` is past the due time."""
        return not self.on_time and overdue(self.due, now)


def exception_statuses(events: Iterable[StoredEvent], roles: Roles) -> Iterator[ExceptionStatus]:
    """Every raised exception among ``events`` (one case's, or the log's exception records),
    in the order raised, with the decisions that count (by route name) and its escalation.
    A decision by anyone else counts for nothing: the exception stays undecided."""
    raised: dict[tuple[str | None, str], StoredEvent] = {}
    decisions: dict[tuple[str | None, str], list[StoredEvent]] = {}
    escalated: set[tuple[str | None, str]] = set()
    for e in events:
        if e.type not in EXCEPTION_TYPES:
            continue
        key = (e.case, str(e.data.get("exception")))
        if e.type == "exception.raised":
            raised.setdefault(key, e)
        elif e.type == "exception.decided" and key in raised:
            data = raised[key].data
            deciders = [data.get("owner")] + ([data.get("escalate_to")] if key in escalated else [])
            if any(roles.holds(role, e.data["decider"], e.when) for role in deciders):
                decisions.setdefault(key, []).append(e)
        elif e.type == "exception.escalated":
            escalated.add(key)
    for key, event in raised.items():
        yield ExceptionStatus(event, tuple(decisions.get(key, ())), key in escalated)
