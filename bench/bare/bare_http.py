"""The bare HTTP baseline: Starlette + sqlite3 (or psycopg) doing only what any hashed append-only
log over HTTP must — parse the events, build each envelope, canonicalise it (sorted-key JSON),
hash leaf and chain, insert, and commit once per request — with no tokens, rules or routing.

    python bench/bare/bare_http.py sqlite FILE PORT
    python bench/bare/bare_http.py postgresql URL PORT WORKERS

(In a folder of its own: bench/http.py beside it would shadow the standard library's http.)
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import threading
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

RECORDED_AT = "2026-11-26T00:00:00Z"
SCHEMA = ("CREATE TABLE IF NOT EXISTS log (seq BIGINT PRIMARY KEY, case_id TEXT, type TEXT NOT NULL, "
          "canonical {blob} NOT NULL, leaf_hash {blob} NOT NULL, chain_hash {blob} NOT NULL)")


def _rows(events: list[dict[str, Any]], seq: int, chain: bytes) -> tuple[list[tuple[Any, ...]], bytes]:
    sha, dumps, rows = hashlib.sha256, orjson.dumps, []
    for e in events:
        seq += 1
        canonical = dumps({**e, "seq": seq, "recorded_at": RECORDED_AT}, option=orjson.OPT_SORT_KEYS)
        leaf = sha(b"\x00" + canonical).digest()
        chain = sha(chain + leaf).digest()
        rows.append((seq, e.get("case"), e.get("type"), canonical, leaf, chain))
    return rows, chain


class SqliteLog:
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("page_size = 16384", "journal_mode = WAL", "synchronous = FULL"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute(SCHEMA.format(blob="BLOB"))
        self.lock = threading.Lock()
        self.seq, self.chain = 0, bytes(32)

    def append(self, events: list[dict[str, Any]]) -> int:
        with self.lock:
            rows, chain = _rows(events, self.seq, self.chain)
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany("INSERT INTO log VALUES (?, ?, ?, ?, ?, ?)", rows)
            self.conn.execute("COMMIT")
            self.seq, self.chain = self.seq + len(rows), chain
            return self.seq


class PostgresLog:
    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url)
        self.conn.execute("SET synchronous_commit = on")
        self.conn.execute(SCHEMA.format(blob="BYTEA"))
        self.conn.commit()
        self.lock = threading.Lock()

    def append(self, events: list[dict[str, Any]]) -> int:
        with self.lock, self.conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(1)")  # several workers share the chain
            head = cur.execute("SELECT seq, chain_hash FROM log ORDER BY seq DESC LIMIT 1").fetchone()
            seq, chain = (head[0], bytes(head[1])) if head else (0, bytes(32))
            rows, _ = _rows(events, seq, chain)
            cur.executemany("INSERT INTO log VALUES (%s, %s, %s, %s, %s, %s)", rows)
            self.conn.commit()
            return seq + len(rows)


def app(log: SqliteLog | PostgresLog) -> Starlette:
    async def events(request: Request) -> Response:
        body = orjson.loads(await request.body())
        last = await run_in_threadpool(log.append, body)
        return Response(orjson.dumps({"recorded": len(body), "last_seq": last}),
                        media_type="application/json")

    async def health(request: Request) -> Response:
        return Response(b'{"ok":true}', media_type="application/json")

    return Starlette(routes=[Route("/v1/events", events, methods=["POST"]), Route("/healthz", health)])


def postgres_app() -> Starlette:
    return app(PostgresLog(os.environ["BARE_PG_URL"]))


OPTIONS: dict[str, Any] = {"host": "127.0.0.1", "access_log": False, "log_level": "warning", "loop": "uvloop",
                           "http": "httptools"}

if __name__ == "__main__":
    kind, where, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == "sqlite":
        uvicorn.run(app(SqliteLog(where)), port=port, **OPTIONS)
    else:
        os.environ["BARE_PG_URL"] = where
        uvicorn.run("bare_http:postgres_app", factory=True, port=port, workers=int(sys.argv[4]),
                    **OPTIONS)
