"""HTTP benchmark: `accord serve` beside a bare Starlette endpoint doing the same canonical bytes,
SHA-256 chain and insert with one commit per request (bench/bare/bare_http.py).

Prints, each as a ratio measured in this run (accord / bare, higher is better for accord),
with the spread of the rounds:
  (a) batch ingest, 100 events a request, 8 concurrent clients     (target >= 0.5)
  (b) single-event ingest, 64 concurrent clients, p50/p99 latency  (target >= 1.0: group commit)
  (c), (d) the same on PostgreSQL, accord --workers 2 beside a bare psycopg endpoint with 2 workers
  (e) GET /v1/cases/{case} median latency at 1M events against 10k (target <= 2x)

    python bench/http.py [--quick] [--rounds 3] [--pg URL] [--no-pg] [--no-reads] [--batches N] [--singles N]

Load goes only to 127.0.0.1, bounded in requests. The machine is shared: read the spread.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named http.py: keep its folder off the front of the path, or it shadows the
# standard library's http package (urllib, uvicorn and httpx import it).
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

import argparse
import asyncio
import datetime as dt
import os
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
import uuid
from typing import Any

import _corpus
import orjson

import accord

ACCORD = str(Path(sys.executable).with_name("accord"))
PG_DEFAULT = os.environ.get("ACCORD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, argv: list[str], port: int, log: Path, env: dict[str, str] | None = None) -> None:
        self.port = port
        self.log = log.open("wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=self.log,
                                     env={**os.environ, **(env or {})})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited: {log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)
        self.log.close()


async def _client(port: int, token: str, bodies: list[bytes], latencies: list[float],
                  path: str = "/v1/events") -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\n").encode()
    try:
        for body in bodies:
            started = time.perf_counter()
            writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            await _answer(reader, 200)
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def _answer(reader: asyncio.StreamReader, want: int) -> bytes:
    headers = await reader.readuntil(b"\r\n\r\n")
    status = int(headers.split(b" ", 2)[1])
    length = next(int(line.split(b":")[1]) for line in headers.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    body = await reader.readexactly(length)
    if status != want:
        raise SystemExit(f"answer {status}: {body[:300]!r}")
    return body


def load(port: int, token: str, bodies: list[bytes], clients: int) -> tuple[float, list[float]]:
    """Seconds to send ``bodies`` over ``clients`` keep-alive connections, and each latency."""
    latencies: list[float] = []
    shares = [bodies[i::clients] for i in range(clients)]

    async def run() -> None:
        await asyncio.gather(*(_client(port, token, share, latencies) for share in shares if share))

    started = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - started, latencies


def http_events(n: int, seed: int) -> list[dict[str, Any]]:
    """Corpus events as an HTTP client sends them: no actor (the token's), no `by` on actions."""
    out = []
    for e in _corpus.events(n, seed):
        e = {k: v for k, v in e.items() if k != "actor"}
        if e["type"] == "action.taken":
            e["data"] = {k: v for k, v in e["data"].items() if k != "by"}
        e["case"] = f"{e['case']}-{seed}"
        out.append(e)
    return out


def accord_ledger(url: str) -> str:
    """Contract and roster applied; a system token's secret."""
    with accord.open(url) as ledger:
        ledger.apply_roster(str(_corpus.ROSTER))
        ledger.apply_contract(str(_corpus.CONTRACT))
        return ledger.create_token(system="helpdesk", workflows=["refund-replies"]).token


def race(name: str, make_accord: Any, make_bare: Any, bodies: Any, clients: int, rounds: int,
         events_per_body: int) -> tuple[list[float], list[float], list[float]]:
    """Alternate accord and bare for ``rounds``; returns the ratios and accord's and bare's latencies."""
    ratios: list[float] = []
    acc_lat: list[float] = []
    bare_lat: list[float] = []
    for r in range(rounds):
        server, token = make_accord(r)
        a_s, a_lat = load(server.port, token, bodies(r, "a"), clients)
        server.stop()
        bare = make_bare(r)
        b_s, b_lat = load(bare.port, "", bodies(r, "b"), clients)
        bare.stop()
        n = len(a_lat) * events_per_body
        ratios.append(b_s / a_s)
        acc_lat += a_lat
        bare_lat += b_lat
        print(f"    {name} round {r + 1}: accord {n / a_s:,.0f} events/s, bare {n / b_s:,.0f} events/s, "
              f"ratio {b_s / a_s:.2f}", flush=True)
    return ratios, acc_lat, bare_lat


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def spread(ratios: list[float]) -> str:
    return f"median {statistics.median(ratios):.2f}, rounds {min(ratios):.2f}-{max(ratios):.2f}"


def ingest(tmp: Path, backend: str, pg: str | None, args: argparse.Namespace) -> None:
    workers = "2" if backend == "postgresql" else "1"
    label = {"sqlite": ("(a)", "(b)"), "postgresql": ("(c)", "(d)")}[backend]

    def fresh_url(r: int, kind: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp}/{kind}-{r}-{uuid.uuid4().hex[:6]}.db"
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        import psycopg

        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        schemas.append(schema)
        sep = "&" if "?" in (pg or "") else "?"
        return f"{pg}{sep}options=-csearch_path%3D{schema}"

    schemas: list[str] = []

    def make_accord(r: int) -> tuple[Server, str]:
        url = fresh_url(r, "accord")
        token = accord_ledger(url)
        port = free_port()
        return Server([ACCORD, "--db", url, "serve", "--port", str(port), "--workers", workers], port,
                      tmp / "accord.log"), token

    def make_bare(r: int) -> Server:
        port = free_port()
        where = f"{tmp}/bare-{r}-{uuid.uuid4().hex[:6]}.db" if backend == "sqlite" else fresh_url(r, "bare")
        bare = HERE / "bare"
        return Server([sys.executable, str(bare / "bare_http.py"), backend, where, str(port), workers],
                      port, tmp / "bare.log", env={"PYTHONPATH": str(bare)})

    batches = args.batches

    def batch_bodies(r: int, side: str) -> list[bytes]:
        events = http_events(batches * 100, seed=r * 2 + (side == "b"))
        return [orjson.dumps(b) for b in _corpus.batches(events, 100)]

    def single_bodies(r: int, side: str) -> list[bytes]:
        openings = [e for e in http_events(args.singles * 5, seed=100 + r * 2 + (side == "b"))
                    if e["type"] == "case.opened"]
        return [orjson.dumps([e]) for e in openings]

    try:
        ratios, _, _ = race(f"{label[0]} batch", make_accord, make_bare, batch_bodies, 8, args.rounds, 100)
        print(f"{label[0]} {backend} batch ingest, 100 events a request, 8 clients: ratio accord/bare "
              f"{statistics.median(ratios):.2f} (target >= 0.50; {spread(ratios)})", flush=True)
        ratios, a_lat, b_lat = race(f"{label[1]} single", make_accord, make_bare, single_bodies, 64,
                                    args.rounds, 1)
        print(f"{label[1]} {backend} single-event ingest, 64 clients: ratio accord/bare "
              f"{statistics.median(ratios):.2f} (target >= 1.00; {spread(ratios)}); latency accord p50 "
              f"{pct(a_lat, .5):.1f} ms p99 {pct(a_lat, .99):.1f} ms, bare p50 {pct(b_lat, .5):.1f} ms "
              f"p99 {pct(b_lat, .99):.1f} ms", flush=True)
    finally:
        if schemas:
            import psycopg

            with psycopg.connect(pg, autocommit=True) as conn:
                for schema in schemas:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")


def reads(tmp: Path, args: argparse.Namespace) -> None:
    small, large = 10_000, (100_000 if args.quick else 1_000_000)
    # the corpus spaces cases 37 s apart: start early enough that a million events lie in the past
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    _corpus.START = now - dt.timedelta(seconds=37 * large // 5 + 86400)
    medians = {}
    for size in (small, large):
        url = f"sqlite:///{tmp}/reads-{size}.db"
        with accord.open(url) as ledger:
            ledger.apply_roster(str(_corpus.ROSTER))
            ledger.apply_contract(str(_corpus.CONTRACT))
            started = time.perf_counter()
            ledger.record_stream((e, f"event {i}") for i, e in enumerate(_corpus.events(size, seed=7)))
            built = time.perf_counter() - started
            token = ledger.create_token(person="aud@example.com", auditor=True).token
        port = free_port()
        server = Server([ACCORD, "--db", url, "serve", "--port", str(port)], port, tmp / "reads.log")
        cases = [f"B-{i:07d}" for i in random.Random(3).sample(range(size // 5), 300)]
        timings = []
        for case in cases:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/cases/{case}",
                                             headers={"Authorization": f"Bearer {token}"})
            t = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as answer:
                answer.read()
            timings.append(time.perf_counter() - t)
        server.stop()
        medians[size] = statistics.median(timings[50:]) * 1000
        print(f"    reads at {size:,} events (built in {built:.0f} s): GET /v1/cases/{{case}} median "
              f"{medians[size]:.2f} ms", flush=True)
    print(f"(e) reads: GET /v1/cases/{{case}} at {large:,} events {medians[large]:.2f} ms vs "
          f"{small:,} {medians[small]:.2f} ms: ratio {medians[large] / medians[small]:.2f} (target <= 2.00)",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (reads at 100k, not 1M)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL URL for (c) and (d)")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-reads", action="store_true")
    parser.add_argument("--no-ingest", action="store_true", help="only the reads (e)")
    parser.add_argument("--batches", type=int, default=None, help="requests of 100 events per round")
    parser.add_argument("--singles", type=int, default=None, help="one-event requests per round")
    args = parser.parse_args()
    args.batches = args.batches or (20 if args.quick else 60)
    args.singles = args.singles or (600 if args.quick else 3000)
    tmp = Path(tempfile.mkdtemp(dir=os.environ.get("BENCH_DIR")))
    try:
        if not args.no_ingest:
            ingest(tmp, "sqlite", None, args)
        if not args.no_pg and not args.no_ingest:
            ingest(tmp, "postgresql", args.pg, args)
        if not args.no_reads:
            reads(tmp, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
