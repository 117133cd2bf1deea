"""Group commit: concurrent recording requests of this process share one durable commit.

Requests queue while a commit is running; the next commit takes every request waiting
(up to MAX_GROUP_EVENTS events) and records them with ``Ledger.record_group``, each all or
nothing on its own. Each request's answer is sent only after the commit that holds it: the
future it waits on is resolved when ``record_group`` has returned, i.e. after COMMIT.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from accord.ledger import Ledger
from accord.runtime.recording import GroupRequest, Recorded
from accord.web._metrics import Metrics

MAX_GROUP_EVENTS = 20_000
"""Events one commit takes at most (a request is never split)."""


class GroupCommitter:
    """Queues recording requests and commits them in groups, one group at a time."""

    def __init__(self, ledger: Ledger, metrics: Metrics) -> None:
        self._ledger = ledger
        self._metrics = metrics
        self._pending: list[tuple[GroupRequest, asyncio.Future[Recorded]]] = []
        self._draining = False
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="accord-commit")

    @property
    def waiting(self) -> int:
        """Requests queued for the next commit."""
        return len(self._pending)

    async def submit(self, request: GroupRequest) -> Recorded:
        """Record ``request`` in the next group; returns once committed, or raises its refusal."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Recorded] = loop.create_future()
        self._pending.append((request, future))
        if not self._draining:
            self._draining = True
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                group: list[tuple[GroupRequest, asyncio.Future[Recorded]]] = []
                events = 0
                while self._pending and (not group or events + len(self._pending[0][0].events)
                                         <= MAX_GROUP_EVENTS):
                    item = self._pending.pop(0)
                    group.append(item)
                    events += len(item[0].events)
                started = time.perf_counter()
                try:
                    outcomes = await loop.run_in_executor(
                        self._executor, self._ledger.record_group, [request for request, _ in group])
                except Exception as err:  # the write itself failed: nothing of the group is stored
                    for _, future in group:
                        if not future.done():
                            future.set_exception(err)
                    continue
                self._metrics.commit(time.perf_counter() - started, len(group))
                for (_, future), outcome in zip(group, outcomes, strict=True):
                    if future.done():  # the client went away; its events are committed all the same
                        continue
                    if isinstance(outcome, Exception):
                        future.set_exception(outcome)
                    else:
                        self._metrics.recorded(outcome.recorded)
                        future.set_result(outcome)
        finally:
            self._draining = False

    def close(self) -> None:
        self._executor.shutdown(wait=True)
