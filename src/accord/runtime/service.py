"""accord's use cases over the `Store` port: apply contracts, record events, tick.

Every write goes through :meth:`LedgerService.write`: one transaction that
reads the head and the touched cases, applies the ledger rules of SPEC §5,
decides routes (§6), stamps each new record (canonical bytes, leaf hash, chain
hash) and appends the whole batch — or refuses it whole, listing every problem.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import gc
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from accord.contract.model import Contract, Roster
from accord.errors import ActionRefused, EventProblem, EventRefused, NotFound
from accord.integrity.canonical import canonical_bytes, canonical_envelope
from accord.integrity.merkle import leaf_hash
from accord.runtime.events import SYSTEM_ACTOR, Event, format_time, parse_event
from accord.runtime.evidence import approval, exception_decisions, failed_policies, judge, latest_text
from accord.runtime.routing import Route, Router
from accord.store.ports import Clock, Head, HeadMoved, Reader, Row, Store, SystemClock, Writer
from accord.store.stored import StoredEvent
from accord.vocab import WHOLE_ACTION

# Cases whose state the write path keeps between transactions of this process, and the
# number of cases above which a batch counts as bulk (see `LedgerService._keep_cases`).
CASE_CACHE_SIZE = 1024
CASE_CACHE_BULK = 64
_REFRESH_TYPES = ("contract.applied", "roster.applied")
_BULK_EVENTS = 100  # a batch this large is built with the cyclic collector paused (`_bulk`)

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "number": (int, float), "integer": (int,), "boolean": (bool,),
}


@dataclass(frozen=True)
class AppliedContract:
    workflow: str
    version: int
    hash: str
    seq: int
    at: str
    contract: Contract


@dataclass(frozen=True)
class AppliedRoster:
    version: int
    hash: str
    seq: int
    at: str
    roster: Roster


@dataclass(frozen=True)
class Recorded:
    """What a committed batch added: client events and the records accord wrote with them."""

    recorded: int
    first_seq: int | None
    last_seq: int | None
    _decisions: dict[str, tuple[dict[str, Any], int]] = field(default_factory=dict, repr=False)
    """Each routed case's latest routing.decided data and seq: the ledger's own objects."""

    @functools.cached_property
    def routes(self) -> dict[str, Route]:
        """Each routed case's latest route, as copies (made on first use: a bulk batch rarely asks)."""
        return {case: Route.from_data(data, seq) for case, (data, seq) in self._decisions.items()}

    def as_json(self) -> dict[str, Any]:
        return {"recorded": self.recorded, "first_seq": self.first_seq, "last_seq": self.last_seq}


@contextmanager
def _bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large batch is built.

    A batch allocates many small objects that all stay alive until it commits,
    so the collector's young-generation passes find nothing to free and cost
    about a tenth of ingest time (bench/ingest.py). It is re-enabled only if it
    was enabled, so a program that turned it off keeps it off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass
class CaseState:
    """A case's pinned contract and events, as the write path sees them."""

    case: str
    workflow: str
    version: int
    contract: Contract
    events: list[StoredEvent]

    def copy(self) -> CaseState:
        """A copy whose event list a refused batch may extend without touching this one."""
        return CaseState(self.case, self.workflow, self.version, self.contract, list(self.events))

    def raised(self) -> dict[str, str]:
        return {e.data["exception"]: e.data["due"] for e in self.events if e.type == "exception.raised"}


class Batch:
    """New records of one write transaction, stamped in seq order."""

    __slots__ = ("chain", "changes_config", "client_events", "first", "head", "missing", "new_head",
                 "problems", "recorded_at", "routes", "rows")

    def __init__(self, head: Head, recorded_at: str) -> None:
        self.head = head
        self.first = head.size + 1
        self.chain = head.chain_hash
        self.recorded_at = recorded_at
        self.rows: list[Row] = []
        self.problems: list[EventProblem] = []
        self.missing: list[str] = []
        self.client_events = 0
        self.routes: dict[str, tuple[dict[str, Any], int]] = {}  # case -> (decision, seq)
        self.changes_config = False  # stamps a contract or roster
        self.new_head = head
        """The log's head with this batch appended; `LedgerService.write` sets it on commit."""

    def stamp(self, *, case: str | None, workflow: str | None, type: str, at: str, actor: str,
              data: dict[str, Any], version: int | None, note: str | None = None) -> StoredEvent:
        event = StoredEvent(self.first + len(self.rows), case, workflow, type, at, actor, data,
                            version, self.recorded_at, note)
        if type in _REFRESH_TYPES:
            self.changes_config = True
        canonical = canonical_envelope(event.envelope())
        event.leaf_hash = leaf = leaf_hash(canonical)
        self.chain = chain = chain_hash(self.chain, leaf)
        self.rows.append(Row(event.seq, case, type, canonical, leaf, chain))
        return event


def chain_hash(previous: bytes, leaf: bytes) -> bytes:
    """The per-log hash chain: SHA-256(previous chain hash ‖ leaf hash)."""
    return hashlib.sha256(previous + leaf).digest()


def content_hash(value: Any) -> str:
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


class LedgerService:
    """The ledger's use cases. Thread-safe; several processes may share one database."""

    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self._lock = threading.RLock()
        self._contracts: dict[tuple[str, int], AppliedContract] = {}
        self._latest: dict[str, int] = {}
        self._routers: dict[tuple[str, int], Router] = {}
        self._rosters: list[AppliedRoster] = []
        self._seen_seq = 0
        # The write path skips work while the log's head is the one it last saw: a head
        # (size and chain hash) names the whole log, so an equal head means no other
        # writer appended anything since.
        self._refreshed: Head | None = None  # contracts and rosters are current at this head
        self._cases: OrderedDict[str, CaseState] = OrderedDict()  # LRU, valid at _cases_head
        self._cases_head: Head | None = None
        self._route_outputs = True  # only bench/route.py turns this off, to price routing

    # -- contracts and rosters ------------------------------------------------------

    def _refresh(self, reader: Reader, head: Head | None = None) -> None:
        """Pick up contracts and rosters applied since we last looked (by any process).

        Given the ``head`` the reader sees, nothing is read when we are current at it.
        """
        with self._lock:
            if head is not None and head == self._refreshed:
                return
            rows = reader.kind_rows(_REFRESH_TYPES, self._seen_seq)
            for row in rows:
                event = StoredEvent.from_row(row)
                if event.type == "contract.applied":
                    contract = Contract.model_validate(event.data["contract"], strict=False)
                    applied = AppliedContract(contract.workflow, event.data["version"],
                                              event.data["hash"], event.seq, event.at, contract)
                    self._contracts[(applied.workflow, applied.version)] = applied
                    self._latest[applied.workflow] = max(self._latest.get(applied.workflow, 0),
                                                         applied.version)
                else:
                    roster = Roster.model_validate(event.data["roster"], strict=False)
                    self._rosters.append(AppliedRoster(event.data["version"], event.data["hash"],
                                                       event.seq, event.at, roster))
                self._seen_seq = max(self._seen_seq, event.seq)
            if head is not None:
                self._refreshed = head

    def refresh(self) -> None:
        with self.store.reading() as r:
            self._refresh(r)

    def contract(self, workflow: str, version: int | None = None) -> AppliedContract:
        """The applied contract (latest version by default); raises NotFound."""
        self.refresh()
        v = version if version is not None else self._latest.get(workflow)
        found = self._contracts.get((workflow, v)) if v is not None else None
        if found is None:
            known = ", ".join(sorted(self._latest)) or "none yet"
            what = f"version {version} of {workflow!r}" if version else f"workflow {workflow!r}"
            raise NotFound(f"no contract applied for {what} (applied workflows: {known}); "
                           "run `accord contract apply FILE`")
        return found

    def contracts(self) -> list[AppliedContract]:
        """Every applied contract version, by workflow then version."""
        self.refresh()
        return sorted(self._contracts.values(), key=lambda c: (c.workflow, c.version))

    def roster(self) -> AppliedRoster | None:
        """The latest applied roster (authoritative), or None when none was applied."""
        self.refresh()
        return self._rosters[-1] if self._rosters else None

    def holder(self, role: str | None, at: dt.datetime) -> str | None:
        """The person holding ``role`` at ``at`` by the latest roster; None is a vacancy."""
        applied = self.roster()
        if applied is None or role is None:
            return None
        return applied.roster.holder(role, at)

    def router(self, workflow: str, version: int) -> Router:
        key = (workflow, version)
        router = self._routers.get(key)  # built once; a dict read needs no lock
        if router is not None:
            return router
        with self._lock:
            router = self._routers.get(key)
            if router is None:
                router = Router(self._contracts[key].contract, version)
                self._routers[key] = router
            return router

    def apply_contract(self, contract: Contract, actor: str = SYSTEM_ACTOR) -> tuple[AppliedContract, bool]:
        """Apply a (lint-clean) contract; returns it and whether a new version was stored.

        Re-applying a contract identical to the latest version is a no-op.
        """
        body = contract.model_dump(mode="json", by_alias=True, exclude_none=True)
        digest = content_hash(body)

        def build(w: Writer, batch: Batch) -> None:
            latest = self._latest.get(contract.workflow)
            if latest is not None and self._contracts[(contract.workflow, latest)].hash == digest:
                return
            version = (latest or 0) + 1
            batch.stamp(case=None, workflow=contract.workflow, type="contract.applied",
                        at=batch.recorded_at, actor=actor, version=version,
                        data={"contract": body, "hash": digest, "version": version})

        stored = self.write(build).rows
        self.refresh()
        latest = self._contracts[(contract.workflow, self._latest[contract.workflow])]
        return latest, bool(stored)

    def apply_roster(self, roster: Roster, actor: str = SYSTEM_ACTOR) -> tuple[AppliedRoster, bool]:
        """Apply a roster; the latest applied is authoritative. Identical re-apply is a no-op."""
        body = roster.model_dump(mode="json", by_alias=True, exclude_none=True)
        digest = content_hash(body)

        def build(w: Writer, batch: Batch) -> None:
            if self._rosters and self._rosters[-1].hash == digest:
                return
            version = len(self._rosters) + 1
            batch.stamp(case=None, workflow=None, type="roster.applied", at=batch.recorded_at,
                        actor=actor, version=None,
                        data={"roster": body, "hash": digest, "version": version})

        stored = self.write(build).rows
        applied = self.roster()
        assert applied is not None
        return applied, bool(stored)

    # -- the write path ---------------------------------------------------------------

    def write(self, build: Callable[[Writer, Batch], None]) -> Batch:
        """Run ``build`` inside one write transaction and append what it stamped.

        ``build`` reads through the writer and stamps new records with
        ``batch.stamp(...)``; problems it adds to ``batch.problems`` refuse the
        whole batch (EventRefused), and so does any exception it raises.

        ``build`` may run twice, so it starts from nothing each time: when the
        store built on the head it remembered and another writer had appended
        since (HeadMoved), nothing was stored and the write is built again on
        the head read from the database.
        """
        try:
            return self._write(build)
        except HeadMoved:
            return self._write(build)

    def _write(self, build: Callable[[Writer, Batch], None]) -> Batch:
        with self.store.writing() as w:
            head = w.head()
            batch = Batch(head, format_time(self.clock.now()))
            self._refresh(w, head)
            build(w, batch)
            if batch.problems:
                if batch.missing and all(p.field == "enforce" for p in batch.problems):
                    raise ActionRefused(batch.problems, batch.missing)
                raise EventRefused(batch.problems)
            w.append(batch.rows)
        # Committed. Contracts and rosters stay current if we were and added none.
        batch.new_head = Head(head.size + len(batch.rows), batch.chain)
        with self._lock:
            if self._refreshed == head and not batch.changes_config:
                self._refreshed = batch.new_head
        return batch

    def record_many(self, raw_events: Sequence[Any], wheres: Sequence[str] | None = None) -> Recorded:
        """Record a batch atomically: all of it is committed, or nothing and every problem listed.

        ``raw_events`` are event dicts as in SPEC §5 (or parsed :class:`Event`s);
        ``wheres`` names each one's origin for error messages (``file:line``).
        Raises EventRefused (or ActionRefused for enforcement) and stores nothing then.
        """
        if len(raw_events) < _BULK_EVENTS:
            return self._record_many(raw_events, wheres)
        with _bulk():
            return self._record_many(raw_events, wheres)

    def _record_many(self, raw_events: Sequence[Any], wheres: Sequence[str] | None) -> Recorded:
        events: list[tuple[Event, str]] = []
        problems: list[EventProblem] = []
        for i, raw in enumerate(raw_events):
            where = wheres[i] if wheres is not None else f"event {i + 1}"
            parsed = raw if isinstance(raw, Event) else parse_event(raw, where)
            if isinstance(parsed, list):
                problems.extend(parsed)
            else:
                events.append((parsed, where))
        if problems:
            raise EventRefused(problems)
        if not events:
            return Recorded(0, None, None)

        states: dict[str, CaseState] = {}

        def build(w: Writer, batch: Batch) -> None:
            states.clear()  # a second run (see `write`) starts again from the log
            states.update(self._load_cases(w, dict.fromkeys(e.case for e, _ in events), batch.head))
            for event, where in events:
                self._apply(event, where, states, batch)

        batch = self.write(build)
        self._keep_cases(batch, states)
        rows = batch.rows
        return Recorded(batch.client_events, rows[0].seq if rows else None,
                        rows[-1].seq if rows else None, batch.routes)

    def _load_cases(self, reader: Reader, case_ids: Iterable[str], head: Head) -> dict[str, CaseState]:
        """The cases' states at ``head``: copies of the cached ones, the rest read from the log."""
        states: dict[str, CaseState] = {}
        missing = []
        with self._lock:
            if self._cases_head != head:
                self._cases.clear()
                self._cases_head = head
            cached = self._cases
            for case in case_ids:
                state = cached.get(case)
                if state is not None:
                    states[case] = state.copy()
                else:
                    missing.append(case)
        for row in reader.case_rows(missing) if missing else ():
            event = StoredEvent.from_row(row)
            assert event.case is not None
            state = states.get(event.case)
            if state is None:
                if event.type != "case.opened":
                    continue  # incident/learning records of a case precede nothing
                wf, v = event.workflow, event.contract_version
                assert wf is not None and v is not None
                state = CaseState(event.case, wf, v, self._contracts[(wf, v)].contract, [])
                states[event.case] = state
            state.events.append(event)
        return states

    def _keep_cases(self, batch: Batch, states: dict[str, CaseState]) -> None:
        """Cache the states a committed batch left, valid at its new head.

        A bulk batch's cases are not kept: the cache serves a case whose events
        arrive a few at a time (the SDK's pattern), and holding thousands of
        finished cases only costs memory and collector time.
        """
        if len(states) > CASE_CACHE_BULK:
            with self._lock:
                self._cases.clear()
                self._cases_head = None
            return
        with self._lock:
            if self._cases_head != batch.head:
                self._cases.clear()  # another write of this process came in between
                self._cases_head = None
                return
            for case, state in states.items():
                self._cases[case] = state
                self._cases.move_to_end(case)
            while len(self._cases) > CASE_CACHE_SIZE:
                self._cases.popitem(last=False)
            self._cases_head = batch.new_head

    def _apply(self, event: Event, where: str, states: dict[str, CaseState], batch: Batch) -> None:
        def refuse(field: str, message: str) -> None:
            batch.problems.append(EventProblem(where, field, message))

        state = states.get(event.case)
        if event.type == "case.opened":
            if state is not None:
                refuse("case", f"case {event.case!r} is already open (seq {state.events[0].seq}); "
                       "case ids are unique in a ledger")
                return
            opened = self._open_case(event, refuse)
            if opened is not None:
                wf, version = opened
                stored = self._stamp_client(event, wf, version, event.data, batch)
                states[event.case] = CaseState(event.case, wf, version,
                                               self._contracts[(wf, version)].contract, [stored])
            return
        if state is None:
            refuse("case", f"case {event.case!r} has not been opened: record its case.opened first")
            return
        contract = state.contract
        data = event.data
        if event.type == "review.recorded":
            allowed = set(contract.dimensions) | {WHOLE_ACTION}
            unknown = [a for a in data["attests"] if a not in allowed]
            if unknown:
                refuse("data.attests", f"{', '.join(unknown)} not in the quality bar of "
                       f"{state.workflow} (use {', '.join(sorted(allowed))})")
                return
            if not any(e.type == "output.generated" for e in state.events):
                refuse("type", "a review before any output.generated: there is nothing to review")
                return
        elif event.type == "exception.decided":
            decisions = exception_decisions(state.events)
            name = data.get("exception")
            if not decisions:
                refuse("type", f"no exception was raised on case {event.case!r}: nothing to decide")
                return
            if name is None:
                undecided = [n for n, d in decisions.items() if d is None]
                name = undecided[-1] if undecided else list(decisions)[-1]
            elif name not in decisions:
                refuse("data.exception", f"no exception {name!r} was raised on case {event.case!r} "
                       f"(raised: {', '.join(decisions)})")
                return
            data = {**data, "exception": name}
        elif event.type == "human.edited":
            before = latest_text(state.events) or ""
            diff = "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                                data["content"].splitlines(keepends=True),
                                                "before", "after"))
            data = {**data, "diff": diff}
        elif event.type == "action.taken" and contract.enforce:
            missing = self._enforcement_gaps(state, event, batch)
            if missing:
                batch.missing.extend(missing)
                batch.problems.append(EventProblem(
                    where, "enforce", f"{state.workflow} enforces its contract; action refused, "
                    "missing: " + "; ".join(missing)))
                return
        stored = self._stamp_client(event, state.workflow, state.version, data, batch)
        state.events.append(stored)
        if event.type == "output.generated" and self._route_outputs:
            self._route(state, stored, batch)

    def _open_case(self, event: Event, refuse: Callable[[str, str], None]) -> tuple[str, int] | None:
        workflow = event.data["workflow"]
        version = self._latest.get(workflow)
        if version is None:
            refuse("data.workflow", f"no contract is applied for workflow {workflow!r}; "
                   "run `accord contract apply` first")
            return None
        contract = self._contracts[(workflow, version)].contract
        attributes = event.data.get("attributes", {})
        ok = True
        for name, kind in contract.attributes.items():
            if name not in attributes:
                refuse(f"data.attributes.{name}", f"required by {workflow} ({kind})")
                ok = False
            elif not isinstance(attributes[name], _PY_TYPES[kind]) or (
                    kind != "boolean" and isinstance(attributes[name], bool)):
                refuse(f"data.attributes.{name}",
                       f"must be a {kind}, got {type(attributes[name]).__name__}")
                ok = False
        for name in attributes:
            if name not in contract.attributes:
                declared = ", ".join(contract.attributes) or "none"
                refuse(f"data.attributes.{name}",
                       f"not declared by the {workflow} contract (declared: {declared})")
                ok = False
        return (workflow, version) if ok else None

    def _stamp_client(self, event: Event, workflow: str, version: int, data: dict[str, Any],
                      batch: Batch) -> StoredEvent:
        batch.client_events += 1
        stored = batch.stamp(case=event.case, workflow=workflow, type=event.type,
                             at=event.at_text, actor=event.actor, data=data,
                             version=version, note=event.note)
        stored._at = event.at  # parsed already: `when` need not parse it again
        return stored

    def _route(self, state: CaseState, output: StoredEvent, batch: Batch) -> None:
        router = self.router(state.workflow, state.version)
        raised = state.raised()
        attributes = state.events[0].data.get("attributes", {})  # read only: no copy needed
        decision = router.decide(state.case, attributes, output.data.get("confidence"),
                                 output.when, raised)
        routed = batch.stamp(case=state.case, workflow=state.workflow, type="routing.decided",
                             at=output.at, actor=SYSTEM_ACTOR, data=decision, version=state.version)
        state.events.append(routed)
        batch.routes[state.case] = (decision, routed.seq)
        name = decision["exception"]
        if name is not None and name not in raised:
            route = state.contract.exception(name)
            assert route is not None  # the decision named one of the contract's routes
            state.events.append(batch.stamp(
                case=state.case, workflow=state.workflow, type="exception.raised", at=output.at,
                actor=SYSTEM_ACTOR, version=state.version,
                data={"exception": name, "owner": decision["exception_owner"],
                      "due": decision["due"], "escalate_to": route.escalate_to
                      if isinstance(route.escalate_to, str) else None,
                      "evidence": list(route.evidence or []), "routing_seq": routed.seq}))

    def _enforcement_gaps(self, state: CaseState, event: Event, batch: Batch) -> list[str]:
        """What an enforced action lacks, judged as if it were stored (SPEC §5)."""
        probe = StoredEvent(batch.first + len(batch.rows), state.case, state.workflow, event.type,
                            event.at_text, event.actor, event.data, state.version,
                            batch.recorded_at)
        events = [*state.events, probe]
        report = judge(state.contract, events)
        gaps = report.approval.lacking() if not report.approval.holds else []
        gaps += [f"evidence {name}" for name in report.missing]
        gaps += [f"an override of failed policy {e.data['policy']} (seq {e.seq})"
                 for e in failed_policies(state.contract, events)]
        return gaps

    # -- time-driven writes ---------------------------------------------------------------

    def tick(self, now: dt.datetime | None = None) -> list[StoredEvent]:
        """Escalate every exception undecided at its due time (once); returns what was written."""
        now = now or self.clock.now()
        written: list[StoredEvent] = []

        def build(w: Writer, batch: Batch) -> None:
            written.clear()  # a second run (see `write`) starts again
            rows = w.kind_rows(("exception.raised", "exception.decided", "exception.escalated"))
            by_case: dict[str, list[StoredEvent]] = {}
            for row in rows:
                e = StoredEvent.from_row(row)
                by_case.setdefault(e.case or "", []).append(e)
            due_list = []
            for events in by_case.values():
                for e in events:
                    if e.type != "exception.raised":
                        continue
                    name, due = e.data["exception"], e.data["due"]
                    if _parse(due) >= now:  # a decision at the due time is still on time
                        continue
                    decided = any(d.type == "exception.decided" and d.data.get("exception") == name
                                  and d.when <= _parse(due) for d in events)
                    escalated = any(d.type == "exception.escalated" and d.data["exception"] == name
                                    for d in events)
                    if not decided and not escalated:
                        due_list.append((_parse(due), e))
            for _, e in sorted(due_list, key=lambda p: (p[0], p[1].seq)):
                written.append(batch.stamp(
                    case=e.case, workflow=e.workflow, type="exception.escalated",
                    at=e.data["due"], actor=SYSTEM_ACTOR, version=e.contract_version,
                    data={"exception": e.data["exception"], "owner": e.data.get("owner"),
                          "escalate_to": e.data.get("escalate_to"), "due": e.data["due"],
                          "raised_seq": e.seq}))

        self.write(build)
        return written

    # -- reading --------------------------------------------------------------------------

    def case_events(self, case: str) -> list[StoredEvent]:
        """Every record of ``case`` in seq order; raises NotFound for an unknown case."""
        with self.store.reading() as r:
            events = [StoredEvent.from_row(row) for row in r.case_rows([case])]
        if not events or events[0].type != "case.opened":
            raise NotFound(f"no case {case!r} in this ledger")
        return events

    def case_contract(self, events: Sequence[StoredEvent]) -> Contract:
        first = events[0]
        assert first.workflow is not None and first.contract_version is not None
        return self.contract(first.workflow, first.contract_version).contract

    def case_view(self, case: str) -> dict[str, Any]:
        """`accord case show --json` (SPEC §9)."""
        events = self.case_events(case)
        contract = self.case_contract(events)
        report = judge(contract, events)
        route = next((e for e in reversed(events) if e.type == "routing.decided"), None)
        return {"case": case, "workflow": events[0].workflow,
                "contract_version": events[0].contract_version,
                "events": [e.export() for e in events], "evidence": report.as_json(),
                "route": route.data if route else None}

    def events(self, case: str | None = None, start: int = 1) -> Iterator[StoredEvent]:
        """The log (or one case) in seq order, streamed."""
        if case is not None:
            yield from self.case_events(case)
            return
        with self.store.reading() as r:
            for row in r.scan(start):
                yield StoredEvent.from_row(row)

    def kind_events(self, types: Sequence[str]) -> list[StoredEvent]:
        with self.store.reading() as r:
            return [StoredEvent.from_row(row) for row in r.kind_rows(types)]

    def cases_events(self, cases: Iterable[str]) -> dict[str, list[StoredEvent]]:
        """Each named case's records in seq order."""
        out: dict[str, list[StoredEvent]] = {}
        with self.store.reading() as r:
            for row in r.case_rows(list(cases)):
                e = StoredEvent.from_row(row)
                out.setdefault(e.case or "", []).append(e)
        return out

    def approval_now(self, case: str) -> Any:
        events = self.case_events(case)
        return approval(self.case_contract(events), events)


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)

