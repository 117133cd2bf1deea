"""Concurrent writers never fork the chain; an acknowledged event survives kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import accord.ledger
from accord.integrity import verify as integrity
from accord.ledger import Ledger
from tests.helpers import opened, refund_contract

WRITER = r"""
import sys
import accord.ledger
url, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ledger = accord.ledger.open(url)
for i in range(n):
    case = f"{prefix}-{i}"
    ledger.record_many([{"case": case, "type": "case.opened", "at": "2026-03-02T09:00:00Z",
        "actor": "system:app", "data": {"workflow": "refund-replies",
        "attributes": {"amount": 40, "tier": "standard", "risk": 0.1}}}])
    print("ack", case, flush=True)
"""


def writer(url: str, prefix: str, n: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, "-c", WRITER, url, prefix, str(n)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_concurrent_threads_never_fork_the_chain(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(15):
                ledger.record_many([opened(f"T{t}-{i}")])
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = integrity.verify(ledger.store)
    assert report.ok and report.size == 1 + 4 * 15


def test_concurrent_processes_never_fork_the_chain(ledger: Ledger, db_url: str) -> None:
    ledger.apply_contract(refund_contract())
    procs = [writer(db_url, f"P{p}", 20) for p in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-400:] for o in outputs]
    report = integrity.verify(ledger.store)
    assert report.ok and report.size == 1 + 3 * 20


def test_every_acknowledged_event_survives_kill_9(ledger: Ledger, db_url: str) -> None:
    ledger.apply_contract(refund_contract())
    proc = writer(db_url, "K", 100_000)
    acked: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        acked.append(line.split()[1])
        if len(acked) == 40:
            break
    assert len(acked) == 40, proc.stderr.read() if proc.stderr else ""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    acked.extend(line.split()[1] for line in proc.stdout if line.startswith("ack"))
    with accord.ledger.open(db_url) as after:
        report = integrity.verify(after.store)
        assert report.ok, report.problem
        stored = {e.case for e in after.events() if e.type == "case.opened"}
    assert set(acked) <= stored
    assert len(stored) >= len(acked)


def test_forked_children_write_through_the_parents_ledger_object(ledger: Ledger) -> None:
    """A child of os.fork() must open its own connection, not share the parent's."""
    ledger.apply_contract(refund_contract())
    ledger.record_many([opened("before-fork")])  # the parent now holds a write connection
    children = []
    for n in range(2):
        pid = os.fork()
        if pid == 0:  # the child: write, then leave without running pytest's teardown
            signal.alarm(60)  # a child stuck on a shared connection dies, and the test fails
            try:
                for i in range(15):
                    ledger.record_many([opened(f"child{n}-{i}")])
            except BaseException:
                os._exit(1)
            os._exit(0)
        children.append(pid)
    for i in range(15):
        ledger.record_many([opened(f"parent-{i}")])
    assert all(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0 for pid in children)
    report = integrity.verify(ledger.store)
    assert report.ok and report.size == 1 + 1 + 3 * 15


def test_creating_a_ledger_keeps_sqlites_locks_on_its_file(tmp_path: Path) -> None:
    """A process that just created a ledger still holds its SQLite locks on the file.

    Were they dropped (closing any other descriptor of the file drops a process's POSIX
    locks), another process closing its connection would think itself the last one and
    remove the WAL under this one's open connections: "database disk image is malformed".
    """
    path = tmp_path / "fresh.db"
    with accord.ledger.open(f"sqlite:///{path}") as ledger:
        ledger.apply_contract(refund_contract())
        reader = ("import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\n"
                  "c.execute('SELECT count(*) FROM accord_log').fetchall()\nc.close()")
        other = subprocess.run([sys.executable, "-c", reader, str(path)], capture_output=True, text=True,
                               timeout=60, check=False)
        assert other.returncode == 0, other.stderr
        assert (tmp_path / "fresh.db-wal").exists(), "another process's close removed the WAL"
        assert integrity.verify(ledger.store).ok
