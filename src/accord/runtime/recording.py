"""Recording client events: parse, apply the ledger rules, route each output, stamp.

:meth:`Recorder.record_many` is the one way client events enter the log (the
SDK's `Case` methods, `accord record`, and every adapter call it). A batch is
atomic: committed whole, or refused whole with every problem listed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from accord._progress import Progress
from accord.errors import EventProblem
from accord.runtime._held import STREAM_CASES, Mark, States  # noqa: F401 - STREAM_CASES is read here too
from accord.runtime.book import Book
from accord.runtime.events import SYSTEM_ACTOR, Event, parse_event
from accord.runtime.ledger_rules import CaseState, Step, apply_rule, open_case
from accord.runtime.routing import Route
from accord.runtime.writer import Batch, Writer
from accord.store.ports import Head, Reader
from accord.store.ports import Writer as StoreWriter
from accord.store.stored import StoredEvent

STREAM_CHUNK = 1000
"""Events a stream parses, rules and appends at a time inside its one transaction."""
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


Gate = Callable[[Event, str, "CaseState | None"], None]
"""Called with each parsed event (its case's state so far, None when not open) inside the write,
before the ledger's rules: it raises (Forbidden, NotFound …) to refuse the request."""


class GroupRequest(NamedTuple):
    """One request of :meth:`Recorder.record_group`: event dicts, their origins, and a gate."""

    events: Sequence[Any]
    wheres: Sequence[str] | None = None
    gate: Gate | None = None


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
        items = zip(raw_events, wheres if wheres is not None else
                    (f"event {i}" for i in range(1, len(raw_events) + 1)), strict=False)
        return self._record(items, stream=False, progress=progress, total=len(raw_events))

    def record_stream(self, items: Iterable[tuple[Any, str]], progress: Progress | None = None) -> Recorded:
        """Record a stream of (event, where) as one atomic batch in bounded memory.

        Events are parsed, ruled and appended a chunk at a time inside one write
        transaction; an item may be an :class:`EventProblem` (a line that was not
        JSON, say), which refuses the batch. The first problems are listed, the
        rest counted; nothing is stored unless everything is. The routes of a
        stream are not kept in the result. ``progress`` hears (events read, 0).
        """
        return self._record(items, stream=True, progress=progress, total=0)

    def record_group(self, requests: Sequence[GroupRequest]) -> list[Recorded | Exception]:
        """Record several independent batches in one write transaction, each all or nothing.

        ``requests`` hold ``(raw_events, wheres)`` as :meth:`record_many` takes them, and a
        ``gate`` that may refuse an event before the ledger's rules see it. Each is
        ruled in turn on the log as the ones before it left it; one that is refused (or
        whose building raises) is rolled back out of the transaction and gets its
        exception (EventRefused, ActionRefused …) in its place in the answer, without
        touching the others. The rest commit together, once: the answer is returned only
        after that commit. Raises what the write itself raises (StorageError when the
        database is unreachable), for all of them alike.
        """
        outcomes: list[Recorded | Exception] = []
        kept: list[dict[str, CaseState]] = []

        def build(w: StoreWriter, batch: Batch) -> None:
            outcomes.clear()  # a second run (see Writer.write) starts again
            states = States(self, w, batch.head, stream=False)
            seen: set[str] = set()
            for raw_events, wheres, gate in requests:
                mark = Mark(batch, states.held, seen)
                counts = {"skipped": 0, "read": 0}
                items = zip(raw_events, wheres if wheres is not None else
                            (f"event {i}" for i in range(1, len(raw_events) + 1)), strict=False)
                refused: Exception | None
                try:
                    self._build(items, w, batch, states, seen, counts, False, None, len(raw_events), gate)
                    refused = batch.refusal()
                except Exception as err:  # a fault of this request only: the others go on
                    refused = err
                if refused is not None:
                    mark.restore()
                    outcomes.append(refused)
                    continue
                written = batch.next_seq > mark.next_seq
                outcomes.append(Recorded(batch.client_events - mark.client_events,
                                         mark.next_seq if written else None,
                                         batch.next_seq - 1 if written else None,
                                         counts["skipped"], batch.routes))
            kept.append(states.held)

        batch = self.writer.write(build)
        self._keep_cases(batch, kept[0] if kept else None)
        return outcomes

    def _record(self, items: Iterable[tuple[Any, str]], stream: bool, progress: Progress | None,
                total: int) -> Recorded:
        counts = {"skipped": 0, "read": 0}
        kept: list[dict[str, CaseState]] = []

        def build(w: StoreWriter, batch: Batch) -> None:
            states = States(self, w, batch.head, stream)
            self._build(items, w, batch, states, set(), counts, stream, progress, total)
            if not stream:
                kept.append(states.held)

        batch = self.writer.write(build)
        self._keep_cases(batch, kept[0] if kept else None)
        first = batch.first if batch.written else None
        return Recorded(batch.client_events, first, batch.next_seq - 1 if batch.written else None,
                        counts["skipped"], batch.routes)

    def _build(self, items: Iterable[tuple[Any, str]], w: StoreWriter, batch: Batch, states: States,
               seen: set[str], counts: dict[str, int], stream: bool, progress: Progress | None,
               total: int, gate: Gate | None = None) -> None:
        """Parse, rule, route and stamp ``items`` on ``batch`` (problems noted on it)."""
        parse_failed = False
        latest_at = self.writer.clock.now() + FUTURE_SLACK
        for chunk in _chunks(items, STREAM_CHUNK):
            with _collector_paused() if len(chunk) >= BULK_EVENTS else contextlib.nullcontext():
                unparsed = len(batch.problems) + batch.unlisted
                events = _parsed(chunk, batch)
                counts["read"] += len(chunk)
                if progress is not None:
                    progress(counts["read"], total)
                if len(batch.problems) + batch.unlisted > unparsed or parse_failed:
                    # once a line cannot be read, the ledger's rules would only echo it (a
                    # broken case.opened makes every later event of its case "not opened")
                    parse_failed = True
                    continue
                fresh = _without_repeats(events, w, seen)
                counts["skipped"] += len(events) - len(fresh)
                states.load(e.case for e, _ in fresh)
                for event, where in fresh:
                    if event.at > latest_at:
                        batch.refuse(where, "at", f"{event.at_text} lies more than 5 minutes after now "
                                     f"({batch.recorded_at}): record what has happened, when it happened")
                        continue
                    if gate is not None:
                        gate(event, where, states.held.get(event.case))
                    self._apply(event, where, states.held, batch)
                if stream:
                    batch.flush(w)
                    batch.routes.clear()
                    states.trim()

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

    def cached(self, head: Head, cases: Iterable[str], into: dict[str, CaseState]) -> list[str]:
        """Copy the cached states of ``cases`` into ``into`` when the cache is valid at ``head``;
        returns the cases it does not hold."""
        missing = []
        with self._lock:
            if self._cases_head != head:
                self._cases.clear()
                self._cases_head = head
            for case in cases:
                state = self._cases.get(case)
                if state is not None:
                    into[case] = state.copy()
                else:
                    missing.append(case)
        return missing

    def load_states(self, reader: Reader, case_ids: Collection[str], into: dict[str, CaseState]) -> None:
        """Read the states of ``case_ids`` from the log (the transaction's view) into ``into``."""
        for row in reader.case_rows(case_ids) if case_ids else ():
            event = StoredEvent.from_row(row)
            assert event.case is not None
            state = into.get(event.case)
            if state is None:
                if event.type != "case.opened":
                    continue  # incident/learning records of a case precede nothing
                workflow, version = event.workflow, event.contract_version
                assert workflow is not None and version is not None
                state = into[event.case] = CaseState(event.case, workflow, version,
                                                     self.book.pinned(workflow, version), [])
            state.events.append(event)

    def _keep_cases(self, batch: Batch, states: dict[str, CaseState] | None) -> None:
        """Cache the states a committed batch left, valid at its new head.

        A stream's or a bulk batch's cases are not kept (``states`` None or large):
        the cache serves a case whose events arrive a few at a time (the SDK's
        pattern), and holding thousands of finished cases only costs memory and
        collector time.
        """
        with self._lock:
            if states is None or len(states) > CASE_CACHE_BULK or self._cases_head != batch.head:
                self._cases.clear()  # bulk, or another write of this process came in between
                self._cases_head = None
                return
            for case, state in states.items():
                self._cases[case] = state
                self._cases.move_to_end(case)
            while len(self._cases) > CASE_CACHE_SIZE:
                self._cases.popitem(last=False)
            self._cases_head = batch.new_head


def _chunks(items: Iterable[tuple[Any, str]], size: int) -> Iterator[list[tuple[Any, str]]]:
    chunk: list[tuple[Any, str]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _parsed(chunk: list[tuple[Any, str]], batch: Batch) -> list[tuple[Event, str]]:
    """The chunk's events that pass the shape checks; the problems of the others go to ``batch``."""
    events: list[tuple[Event, str]] = []
    for raw, where in chunk:
        if isinstance(raw, EventProblem):
            batch.note(raw)
            continue
        parsed = raw if isinstance(raw, Event) else parse_event(raw, where)
        if isinstance(parsed, list):
            for problem in parsed:
                batch.note(problem)
        else:
            events.append((parsed, where))
    return events


def _without_repeats(events: list[tuple[Event, str]], reader: Reader,
                     seen: set[str]) -> list[tuple[Event, str]]:
    """``events`` less those whose client ``id`` is already stored or came earlier in the batch
    (``seen``, which this adds the new ids to)."""
    ids = {e.id for e, _ in events if e.id is not None} - seen
    if not ids and not any(e.id is not None for e, _ in events):
        return events
    stored = reader.known_ids(ids) if ids else set()
    fresh = []
    for event, where in events:
        if event.id is not None:
            if event.id in seen or event.id in stored:
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
