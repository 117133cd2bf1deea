"""The bare baseline: sqlite3 + orjson (sorted keys) + hashlib writing the same rows.

It does what any append-only hashed log must do at the least — build the stored
envelope, canonicalise it, hash leaf and chain, insert and commit — with no
validation, no rules and no routing. It is given the rows accord stored (its
routing records included), grouped by accord's transactions, so both write the
same rows in the same batches.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

import orjson

SCHEMA = """CREATE TABLE log (seq INTEGER PRIMARY KEY, case_id TEXT, type TEXT NOT NULL,
    canonical BLOB NOT NULL, leaf_hash BLOB NOT NULL, chain_hash BLOB NOT NULL);
    CREATE INDEX log_case ON log (case_id, seq);"""


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA page_size = 16384")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.executescript(SCHEMA)
    return conn


def stored_batches(path: str, bounds: list[tuple[int, int]]) -> list[list[dict[str, Any]]]:
    """The envelopes accord stored at seqs ``first..last`` of each transaction, less the
    keys the ledger stamps (``seq``, ``recorded_at``), which `write` adds again."""
    conn = sqlite3.connect(path)
    out = []
    for first, last in bounds:
        batch = []
        for (canonical,) in conn.execute(
                "SELECT canonical FROM accord_log WHERE seq BETWEEN ? AND ? ORDER BY seq", (first, last)):
            env = orjson.loads(canonical)
            del env["seq"], env["recorded_at"]
            batch.append(env)
        out.append(batch)
    conn.close()
    return out


class Writer:
    """Appends batches of envelopes, one transaction each, continuing seq and chain across calls."""

    def __init__(self, path: str, recorded_at: str = "2026-11-26T00:00:00Z") -> None:
        self.conn = connect(path)
        self.recorded_at = recorded_at
        self.seq = 0
        self.chain = bytes(32)

    def write(self, batches: list[list[dict[str, Any]]]) -> int:
        """Append every batch; returns the number of rows written."""
        sha = hashlib.sha256
        dumps = orjson.dumps
        seq, chain, conn = self.seq, self.chain, self.conn
        for batch in batches:
            rows = []
            for e in batch:
                seq += 1
                env = {**e, "seq": seq, "recorded_at": self.recorded_at}
                canonical = dumps(env, option=orjson.OPT_SORT_KEYS)
                leaf = sha(b"\x00" + canonical).digest()
                chain = sha(chain + leaf).digest()
                rows.append((seq, e["case"], e["type"], canonical, leaf, chain))
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO log VALUES (?, ?, ?, ?, ?, ?)", rows)
            conn.execute("COMMIT")
        written = seq - self.seq
        self.seq, self.chain = seq, chain
        return written

    def close(self) -> None:
        self.conn.close()


def rehash(path: str) -> int:
    """Re-hash every stored record's bytes (the bare verify baseline); returns the count."""
    conn = sqlite3.connect(path)
    sha = hashlib.sha256
    n = 0
    for (canonical,) in conn.execute("SELECT canonical FROM accord_log ORDER BY seq"):
        sha(b"\x00" + canonical).digest()
        n += 1
    conn.close()
    return n
