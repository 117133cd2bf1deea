"""What `accord serve` acknowledged stays acknowledged: kill -9 under concurrent ingest, and (with
ACCORD_PG_RESTART=1, `make pg-restart`) the PostgreSQL server stopped and started under load."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

import accord
from tests.serving import Served, case_events, seed


class Load:
    """Clients posting one new case a request until told to stop; what got a 2xx is ``acked``."""

    def __init__(self, server: Served, token: str, clients: int, prefix: str) -> None:
        self.acked: set[str] = set()
        self.statuses: list[int] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(server, token, f"{prefix}{n}"))
                        for n in range(clients)]
        for t in self.threads:
            t.start()

    def _run(self, server: Served, token: str, prefix: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.base, headers=headers, timeout=10) as c:
            for i in range(100_000):
                if self.stop.is_set():
                    return
                case = f"{prefix}-{i}"
                try:
                    got = c.post("/v1/events", json=case_events(case, amount=40)[:1])
                except httpx.HTTPError:
                    time.sleep(0.05)  # the server is gone or restarting
                    continue
                with self._lock:
                    self.statuses.append(got.status_code)
                    if got.status_code == 200:
                        self.acked.add(case)

    def wait_for(self, acked: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acked) < acked and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.acked) >= acked, f"only {len(self.acked)} acknowledged in {timeout}s"

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(30)


def _stored(url: str) -> tuple[set[str], bool]:
    with accord.open(url, create=False) as ledger:
        return {e.case or "" for e in ledger.events() if e.type == "case.opened"}, ledger.verify().ok


def test_kill_9_during_concurrent_ingest_loses_no_acknowledged_event(db_url: str, tmp_path: Path) -> None:
    tokens = seed(db_url)
    server = Served(db_url, tmp_path / "serve.log")
    with server:
        load = Load(server, tokens["system"], clients=8, prefix="K")
        load.wait_for(200)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(30)
        load.finish()
    stored, intact = _stored(db_url)
    assert intact
    assert load.acked <= stored
    with Served(db_url, tmp_path / "again.log") as again, again.client(tokens["system"]) as c:
        assert c.post("/v1/events", json=case_events("after-restart", amount=40)[:1]).status_code == 200


PG_CLUSTER = ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main"]


@pytest.mark.postgres
@pytest.mark.skipif(os.environ.get("ACCORD_PG_RESTART") != "1",
                    reason="stops this machine's PostgreSQL: run with ACCORD_PG_RESTART=1 (make pg-restart)")
def test_postgres_stopped_and_started_under_load_answers_503_and_recovers(pg_url: str,
                                                                         tmp_path: Path) -> None:
    tokens = seed(pg_url)
    server = Served(pg_url, tmp_path / "serve.log", "--workers", "2")

    def pg(action: str) -> None:
        subprocess.run([*PG_CLUSTER, action], check=True, timeout=120, capture_output=True)

    restart: Callable[[], None] = lambda: pg("start")  # noqa: E731 - run in finally, whatever happens
    with server:
        load = Load(server, tokens["system"], clients=8, prefix="P")
        try:
            load.wait_for(100)
            pg("stop")
            deadline = time.monotonic() + 30
            health = 0
            while time.monotonic() < deadline and health != 503:
                health = httpx.get(f"{server.base}/healthz", timeout=5).status_code
            assert health == 503
            time.sleep(1)
            down = len(load.statuses)
        finally:
            restart()
        server.wait_healthy(60)
        acked_before = len(load.acked)
        load.wait_for(acked_before + 100)
        load.finish()
        assert server.proc.poll() is None  # accord itself was never restarted
    assert 500 not in load.statuses and 503 in load.statuses[:down + 50] + load.statuses
    stored, intact = _stored(pg_url)
    assert intact and load.acked <= stored
