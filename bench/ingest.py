"""Ingest benchmark: accord's `record_many` against a bare sqlite3 loop on the same data.

Prints events/s for (a) batches of 1,000 and (b) one event per committed
transaction, each beside the baseline measured in this run on the same rows
(bench/_baseline.py) and the ratio, and
the bytes stored per event against the canonical size. Targets (issue 3):
(a) >= 0.5 of baseline, (b) >= 0.7, bytes <= 1.3x canonical.

    python bench/ingest.py [--events 100000] [--single 3000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _baseline
import _corpus

import accord.sdk
from accord.canonical import canonical_bytes


def accord_ledger(folder: str, name: str) -> accord.sdk.Ledger:
    ledger = accord.sdk.open(f"sqlite:///{folder}/{name}.db")
    ledger.apply_roster(_corpus.ROSTER)
    ledger.apply_contract(_corpus.CONTRACT)
    return ledger


def db_bytes(path: str) -> int:
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=3_000,
                        help="events for the one-per-transaction figure (each is an fsync)")
    args = parser.parse_args()
    events = _corpus.events(args.events)
    sizes = [len(canonical_bytes(e)) for e in events[:2000]]
    print(f"events: {len(events):,} client events, mean client JSON "
          f"{statistics.mean(sizes):,.0f} bytes")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        # accord first: the baseline then writes the very rows accord stored, routing
        # records included, in accord's transactions.
        ledger = accord_ledger(tmp, "a")
        bounds = []
        t = time.perf_counter()
        for batch in _corpus.batches(events, 1000):
            done = ledger.record_many(batch)
            bounds.append((done.first_seq, done.last_seq))
        acc_a = len(events) / (time.perf_counter() - t)
        with ledger.service.store.reading() as r:
            stored = r.head().size
            total = count = 0
            for row in r.scan():
                total += len(row.canonical)
                count += 1
        ledger.close()
        path = f"{tmp}/a.db"
        per_event = db_bytes(path) / stored
        same = _baseline.stored_batches(path, bounds)
        conn = _baseline.connect(f"{tmp}/base.db")
        t = time.perf_counter()
        rows = _baseline.write(conn, same)
        base_a = len(events) / (time.perf_counter() - t)
        conn.close()
        print(f"    both stored {rows:,} rows ({rows - len(events):,} of them accord's routing records)")
        print(f"(a) batches of 1,000: accord {acc_a:,.0f} events/s, baseline {base_a:,.0f} events/s, "
              f"ratio {acc_a / base_a:.2f} (target >= 0.50)")

        single = events[: args.single]
        ledger = accord_ledger(tmp, "b")
        bounds = []
        t = time.perf_counter()
        for e in single:
            done = ledger.record_many([e])
            bounds.append((done.first_seq, done.last_seq))
        acc_b = len(single) / (time.perf_counter() - t)
        ledger.close()
        same = _baseline.stored_batches(f"{tmp}/b.db", bounds)
        conn = _baseline.connect(f"{tmp}/base1.db")
        t = time.perf_counter()
        _baseline.write(conn, same)
        base_b = len(single) / (time.perf_counter() - t)
        conn.close()
        print(f"(b) one event per transaction: accord {acc_b:,.0f} events/s, baseline "
              f"{base_b:,.0f} events/s, ratio {acc_b / base_b:.2f} (target >= 0.70)")
        print(f"bytes stored per record: {per_event:,.0f} (database file incl. WAL) vs "
              f"{total / count:,.0f} canonical bytes: {per_event / (total / count):.2f}x "
              "(target <= 1.30x)")

if __name__ == "__main__":
    main()
