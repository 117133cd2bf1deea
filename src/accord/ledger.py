"""The Python SDK (SPEC §10): ``accord.open`` → :class:`Ledger` → :class:`Case`.

Each ``Case`` method records one event and returns once it is committed
(acknowledged). ``Case.output`` returns the :class:`~accord.runtime.routing.Route`
accord decided for that output.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import yaml

from accord.contract._loading import load_file, parse
from accord.contract.model import Contract, Roster
from accord.errors import AccordError, ContractRefused, InvalidFile, NotFound, Problem
from accord.runtime.events import format_time
from accord.runtime.routing import Route
from accord.runtime.service import AppliedContract, AppliedRoster, LedgerService, Recorded
from accord.store.ports import Clock, Store

When = dt.datetime | str | None


def open(url: str = "sqlite:///accord.db", *, clock: Clock | None = None,
         store: Store | None = None) -> Ledger:
    """Open (creating and migrating when needed) the ledger at ``url``.

    ``sqlite:///FILE`` is the embedded default; ``postgresql://…`` the scale backend.
    Raises StorageError when the database cannot be opened.
    """
    if store is None:
        from accord.store.sql import SqlStore

        store = SqlStore(url)
    return Ledger(LedgerService(store, clock))


class Ledger:
    """An open ledger: apply contracts, open cases, record batches."""

    def __init__(self, service: LedgerService) -> None:
        self.service = service

    @property
    def clock(self) -> Clock:
        return self.service.clock

    def close(self) -> None:
        self.service.store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- contracts -------------------------------------------------------------------

    def apply_contract(self, source: Contract | str | os.PathLike[str], *,
                       actor: str = "system:accord") -> tuple[AppliedContract, bool]:
        """Apply a contract (model or file). Refused with ContractRefused on lint errors."""
        from accord.contract.lint import lint_contract

        if isinstance(source, Contract):
            body = source.model_dump(mode="json", by_alias=True, exclude_none=True)
            doc = parse(yaml.safe_dump(body, sort_keys=False), f"<contract {source.workflow}>")
        else:
            doc = load_file(source)
        if not isinstance(doc.model, Contract):
            raise InvalidFile([_not_kind(doc.path, "contract", doc.kind)])
        contract = doc.model
        roster = self.service.roster()
        findings = lint_contract(doc, roster.roster if roster else None, self.clock.now().date())
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            raise ContractRefused([Problem(f.path, f.line, f.column, f.rule, f.message)
                                   for f in errors])
        return self.service.apply_contract(contract, actor)

    def apply_roster(self, source: Roster | str | os.PathLike[str], *,
                     actor: str = "system:accord") -> tuple[AppliedRoster, bool]:
        """Apply a roster (model or file); the latest applied roster is authoritative."""
        if isinstance(source, Roster):
            roster = source
        else:
            doc = load_file(source)
            if not isinstance(doc.model, Roster):
                raise InvalidFile([_not_kind(doc.path, "roster", doc.kind)])
            roster = doc.model
        return self.service.apply_roster(roster, actor)

    # -- cases -----------------------------------------------------------------------

    def case(self, workflow: str, case_id: str, attributes: dict[str, Any] | None = None, *,
             at: When = None, actor: str = "system:app") -> Case:
        """The case ``case_id``: opened now with ``attributes`` if new, else resumed."""
        try:
            events = self.service.case_events(case_id)
        except NotFound:
            events = []
        if events:
            if events[0].workflow != workflow:
                raise AccordError(f"case {case_id!r} belongs to workflow {events[0].workflow!r}, "
                                  f"not {workflow!r}")
            return Case(self, workflow, case_id, actor)
        case = Case(self, workflow, case_id, actor)
        case._record("case.opened", {"workflow": workflow, "attributes": attributes or {}}, at, actor)
        return case

    def record_many(self, events: Sequence[dict[str, Any]]) -> Recorded:
        """Record ``events`` (SPEC §5 dicts) as one atomic batch; returns once committed."""
        return self.service.record_many(events)

    def tick(self, now: dt.datetime | None = None) -> int:
        """Escalate overdue exceptions; returns how many were escalated."""
        return len(self.service.tick(now))


class Case:
    """One case of a workflow; every method records an event and returns once committed."""

    def __init__(self, ledger: Ledger, workflow: str, case_id: str, actor: str) -> None:
        self.ledger = ledger
        self.workflow = workflow
        self.id = case_id
        self.actor = actor
        self.route: Route | None = None

    def __enter__(self) -> Case:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _record(self, kind: str, data: dict[str, Any], at: When, actor: str | None,
                note: str | None = None) -> Recorded:
        when = at if isinstance(at, str) else format_time(at or self.ledger.clock.now())
        event: dict[str, Any] = {"case": self.id, "type": kind, "at": when,
                                 "actor": actor or self.actor,
                                 "data": {k: v for k, v in data.items() if v is not None}}
        if note is not None:
            event["note"] = note
        return self.ledger.service.record_many([event], [f"{kind} of case {self.id}"])

    def input(self, content: str | dict[str, Any], *, at: When = None, actor: str | None = None) -> None:
        self._record("input.received", {"content": content}, at, actor)

    def source(self, uri: str, *, version: str | None = None, excerpt: str | None = None,
               at: When = None, actor: str | None = None) -> None:
        self._record("source.used", {"uri": uri, "version": version, "excerpt": excerpt}, at, actor)

    def output(self, content: str, *, model: str, prompt_version: str,
               playbook_version: str | None = None, confidence: float | None = None,
               at: When = None, actor: str | None = None) -> Route:
        """Record an AI output; returns the route accord decided for it."""
        recorded = self._record("output.generated", {
            "content": content, "model": model, "prompt_version": prompt_version,
            "playbook_version": playbook_version, "confidence": confidence}, at, actor)
        self.route = recorded.routes[self.id]
        return self.route

    def edit(self, content: str, *, by: str, at: When = None) -> None:
        self._record("human.edited", {"content": content}, at, by)

    def review(self, *, reviewer: str, attests: list[str], decision: str = "approved",
               note: str | None = None, at: When = None) -> None:
        self._record("review.recorded", {"reviewer": reviewer, "attests": attests,
                                         "decision": decision, "note": note}, at, reviewer)

    def policy(self, policy: str, *, version: str, result: str, at: When = None,
               actor: str | None = None) -> None:
        self._record("policy.applied", {"policy": policy, "version": version, "result": result},
                     at, actor)

    def decide(self, *, decider: str, decision: str, exception: str | None = None,
               note: str | None = None, at: When = None) -> None:
        """Decide a raised exception (the latest undecided one unless ``exception`` names it)."""
        self._record("exception.decided", {"decider": decider, "decision": decision,
                                           "exception": exception, "note": note}, at, decider)

    def override(self, *, by: str, what: str, reason: str, at: When = None) -> None:
        self._record("override.recorded", {"by": by, "what": what, "reason": reason}, at, by)

    def action(self, action: str, *, by: str, content: str | None = None, at: When = None) -> None:
        """Record the final action; with ``enforce: true`` raises ActionRefused when it lacks
        approval or evidence (nothing is stored then)."""
        self._record("action.taken", {"action": action, "by": by, "content": content}, at, by)

    def outcome(self, kind: str, description: str, *, at: When = None,
                actor: str | None = None) -> None:
        self._record("outcome.reported", {"kind": kind, "description": description}, at, actor)


def _not_kind(path: str, wanted: str, found: str) -> Problem:
    return Problem(path, 1, 1, "invalid-file", f"kind: expected {wanted}, found {found}")


@contextmanager
def opened(url: str) -> Iterator[Ledger]:
    ledger = open(url)
    try:
        yield ledger
    finally:
        ledger.close()

