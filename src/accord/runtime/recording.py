"""Recording client events: parse, apply the ledger rules, route each output, stamp.

:meth:`Recorder.record_many` is the one way client events enter the log (the
SDK's `Case` methods, `accord record`, and every adapter call it). A batch is
atomic: committed whole, or refused whole with every problem listed.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from accord._progress import STEP, Progress
from accord.errors import EventProblem, EventRefused
from accord.runtime.book import Book
from accord.runtime.events import SYSTEM_ACTOR, Event, parse_event
from accord.runtime.ledger_rules import CaseState, Step, apply_rule, open_case
from accord.runtime.routing import Route
from accord.runtime.writer import Batch, Writer
from accord.store.ports import Head, Reader
from accord.store.ports import Writer as StoreWriter
from accord.store.stored import StoredEvent

CASE_CACHE_SIZE = 1024
"""Cases whose state the write path keeps between transactions of this process."""
CASE_CACHE_BULK = 64
"""A batch touching more cases than this is bulk: its cases are not kept."""
FUTURE_SLACK = dt.timedelta(minutes=5)
"""How far past the ledger's clock an event's ``at`` may lie (clocks differ a little)."""
BULK_EVENTS = 100
"""A batch this large is built with the cyclic collector paused (see `_collector_paused`)."""


@dataclass(frozen=True)
class Recorded:
    """What a committed batch added: client events and the records accord wrote with them;
    ``duplicates`` counts events skipped because their ``id`` was already stored."""

    recorded: int
    first_seq: int | None
    last_seq: int | None
    duplicates: int = 0
    _decisions: dict[str, tuple[dict[str, Any], int]] = field(default_factory=dict, repr=False)
    """Each routed case's latest routing.decided data and seq: the ledger's own objects."""

    @functools.cached_property
    def routes(self) -> dict[str, Route]:
        """Each routed case's latest route, as copies (made on first use: a bulk batch rarely asks)."""
        return {case: Route.from_data(data, seq) for case, (data, seq) in self._decisions.items()}

    def as_json(self) -> dict[str, Any]:
        """`accord record --json`."""
        return {"recorded": self.recorded, "first_seq": self.first_seq, "last_seq": self.last_seq,
                "duplicates": self.duplicates}


@contextmanager
def _collector_paused() -> Iterator[None]:
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


class Recorder:
    """Records batches of client events through the writer; thread-safe."""

    def __init__(self, writer: Writer, book: Book) -> None:
        self.writer = writer
        self.book = book
        self._lock = threading.Lock()
        self._cases: OrderedDict[str, CaseState] = OrderedDict()  # LRU, valid at _cases_head
        self._cases_head: Head | None = None

    def record_many(self, raw_events: Sequence[Any], wheres: Sequence[str] | None = None,
                    progress: Progress | None = None) -> Recorded:
        """Record a batch atomically: all of it is committed, or nothing and every problem listed.

        ``raw_events`` are event dicts (or parsed :class:`Event`s); ``wheres``
        names each one's origin for error messages (``file:line``). An entry that
        is an EventProblem stands for input its reader could not parse: it refuses
        the batch, listed in order with the other events' problems. Raises
        EventRefused (ActionRefused for enforcement) and stores nothing then.
        ``progress`` hears (events built, events in all) as the batch is built.
        """
        if len(raw_events) < BULK_EVENTS:
            return self._record_many(raw_events, wheres, progress)
        with _collector_paused():
            return self._record_many(raw_events, wheres, progress)

    def _record_many(self, raw_events: Sequence[Any], wheres: Sequence[str] | None,
                     progress: Progress | None) -> Recorded:
        events: list[tuple[Event, str]] = []
        problems: list[EventProblem] = []
        for i, raw in enumerate(raw_events):
            if isinstance(raw, EventProblem):  # its reader could not even parse it (not JSON, say)
                problems.append(raw)
                continue
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
        skipped: list[int] = [0]

        def build(w: StoreWriter, batch: Batch) -> None:
            states.clear()  # a second run (see Writer.write) starts again from the log
            fresh = _without_repeats(events, w)
            skipped[0] = len(events) - len(fresh)
            states.update(self._load_cases(w, dict.fromkeys(e.case for e, _ in fresh), batch.head))
            latest_at = self.writer.clock.now() + FUTURE_SLACK
            for done, (event, where) in enumerate(fresh):
                if progress is not None and done % STEP == 0:
                    progress(done, len(fresh))
                if event.at > latest_at:
                    batch.refuse(where, "at", f"{event.at_text} lies more than 5 minutes after now "
                                 f"({batch.recorded_at}): record what has happened, when it happened")
                    continue
                self._apply(event, where, states, batch)
            if progress is not None:
                progress(len(fresh), len(fresh))

        batch = self.writer.write(build)
        self._keep_cases(batch, states)
        rows = batch.rows
        return Recorded(batch.client_events, rows[0].seq if rows else None,
                        rows[-1].seq if rows else None, skipped[0], batch.routes)

    def _apply(self, event: Event, where: str, states: dict[str, CaseState], batch: Batch) -> None:
        state = states.get(event.case)
        if event.type == "case.opened":
            if state is not None:
                batch.refuse(where, "case", f"case {event.case!r} is already open (seq "
                             f"{state.events[0].seq}); case ids are unique in a ledger")
                return
            opened = open_case(event, where, self.book, batch)
            if opened is not None:
                workflow, version = opened
                stored = _stamp_client(event, workflow, version, event.data, batch)
                states[event.case] = CaseState(event.case, workflow, version,
                                               self.book.pinned(workflow, version), [stored])
            return
        if state is None:
            batch.refuse(where, "case", f"case {event.case!r} has not been opened: "
                         "record its case.opened first")
            return
        first = state.events[0]
        if event.at < first.when:
            batch.refuse(where, "at", f"{event.at_text} is before case {event.case!r} opened "
                         f"({first.at}): an event of a case happens after its opening")
            return
        data = apply_rule(Step(event, where, state, batch, self.book))
        if data is None:
            return
        stored = _stamp_client(event, state.workflow, state.version, data, batch)
        state.events.append(stored)
        if event.type == "output.generated":
            self._route(state, stored, batch)

    def _route(self, state: CaseState, output: StoredEvent, batch: Batch) -> None:
        """Append the output's routing.decided, and exception.raised when a route is new."""
        router = self.book.router(state.workflow, state.version)
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

    # -- the case cache ------------------------------------------------------------------------

    def _load_cases(self, reader: Reader, case_ids: Iterable[str], head: Head) -> dict[str, CaseState]:
        """The cases' states at ``head``: copies of the cached ones, the rest read from the log."""
        states: dict[str, CaseState] = {}
        missing = []
        with self._lock:
            if self._cases_head != head:
                self._cases.clear()
                self._cases_head = head
            for case in case_ids:
                state = self._cases.get(case)
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
                workflow, version = event.workflow, event.contract_version
                assert workflow is not None and version is not None
                state = states[event.case] = CaseState(event.case, workflow, version,
                                                       self.book.pinned(workflow, version), [])
            state.events.append(event)
        return states

    def _keep_cases(self, batch: Batch, states: dict[str, CaseState]) -> None:
        """Cache the states a committed batch left, valid at its new head.

        A bulk batch's cases are not kept: the cache serves a case whose events
        arrive a few at a time (the SDK's pattern), and holding thousands of
        finished cases only costs memory and collector time.
        """
        with self._lock:
            if len(states) > CASE_CACHE_BULK or self._cases_head != batch.head:
                self._cases.clear()  # bulk, or another write of this process came in between
                self._cases_head = None
                return
            for case, state in states.items():
                self._cases[case] = state
                self._cases.move_to_end(case)
            while len(self._cases) > CASE_CACHE_SIZE:
                self._cases.popitem(last=False)
            self._cases_head = batch.new_head


def _without_repeats(events: list[tuple[Event, str]], reader: Reader) -> list[tuple[Event, str]]:
    """``events`` less those whose client ``id`` is already stored or came earlier in the batch."""
    ids = [e.id for e, _ in events if e.id is not None]
    if not ids:
        return events
    seen = reader.known_ids(set(ids))
    fresh = []
    for event, where in events:
        if event.id is not None:
            if event.id in seen:
                continue
            seen.add(event.id)
        fresh.append((event, where))
    return fresh


def _stamp_client(event: Event, workflow: str, version: int, data: dict[str, Any],
                  batch: Batch) -> StoredEvent:
    batch.client_events += 1
    stored = batch.stamp(case=event.case, workflow=workflow, type=event.type, at=event.at_text,
                         actor=event.actor, data=data, version=version, note=event.note,
                         event_id=event.id)
    stored._at = event.at  # parsed already: `when` need not parse it again
    return stored
