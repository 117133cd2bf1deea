"""What one write transaction of the recorder holds besides its batch: the case states it works
with (:class:`States`) and, in a group, what each request found (:class:`Mark`), so that a refused
request can be taken back out."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from accord.runtime.ledger_rules import CaseState
from accord.runtime.writer import Batch
from accord.store.ports import Head, Reader

if TYPE_CHECKING:
    from accord.runtime.recording import Recorder

STREAM_CASES = 4096
"""Case states a stream keeps; a case that comes back after eviction is read from the transaction."""


class Mark:
    """What one request of a group found in the batch, so that its refusal can be undone:
    the batch's stamped rows and counters, the case states it may extend, the ids it saw."""

    def __init__(self, batch: Batch, held: dict[str, CaseState], seen: set[str]) -> None:
        self.batch, self.held, self.seen = batch, held, seen
        self.rows = len(batch.rows)
        self.next_seq = batch.next_seq
        self.chain = batch.chain
        self.client_events = batch.client_events
        self.lengths = {case: len(state.events) for case, state in held.items()}
        self.seen_before = set(seen)
        batch.routes = {}  # this request's routes only

    def restore(self) -> None:
        """Take everything this request stamped back out of the batch and the case states."""
        batch = self.batch
        del batch.rows[self.rows:]
        batch.chain = self.chain
        batch.client_events = self.client_events
        batch.problems, batch.unlisted, batch.missing = [], 0, []
        batch.routes = {}
        for case in [c for c in self.held if c not in self.lengths]:
            del self.held[case]
        for case, length in self.lengths.items():
            del self.held[case].events[length:]
        self.seen.clear()
        self.seen.update(self.seen_before)


class States:
    """The case states one write works with: from the recorder's cache (a small batch), else read
    from the transaction; a stream keeps at most STREAM_CASES and reads an evicted one back."""

    def __init__(self, recorder: Recorder, reader: Reader, head: Head, stream: bool) -> None:
        self._recorder = recorder
        self._reader = reader
        self._head = head
        self._stream = stream
        self.held: dict[str, CaseState] = OrderedDict() if stream else {}

    def load(self, cases: Iterable[str]) -> None:
        held = self.held
        wanted = dict.fromkeys(cases)
        if self._stream:
            for case in wanted:
                if case in held:
                    held.move_to_end(case)  # type: ignore[attr-defined]
        missing = [case for case in wanted if case not in held]
        if not self._stream and missing:
            missing = self._recorder.cached(self._head, missing, held)
        self._recorder.load_states(self._reader, missing, held)

    def trim(self) -> None:
        while len(self.held) > STREAM_CASES:
            self.held.popitem(last=False)  # type: ignore[call-arg]
