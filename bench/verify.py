"""Verify benchmark: `accord verify` over a large log against a bare re-hash of the stored bytes.

Builds a log of --events client events (default 1,000,000; about 2 KB each)
through `record_many`, then prints verify events/s beside the bare re-hash
measured in this run and the ratio. Targets (issue 3): >= 100,000 events/s and
>= 0.3 of the bare re-hash.

    python bench/verify.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _baseline
import _corpus

import accord.ledger
from accord.integrity import verify as integrity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        path = f"{tmp}/verify.db"
        ledger = accord.ledger.open(f"sqlite:///{path}")
        ledger.apply_roster(_corpus.ROSTER)
        ledger.apply_contract(_corpus.CONTRACT)
        t = time.perf_counter()
        chunk = 50_000
        for start in range(0, args.events, chunk):
            events = _corpus.events(min(chunk, args.events - start), seed=start + 1)
            for e in events:  # keep case ids unique across chunks
                e["case"] = f"{e['case']}-{start}"
            for batch in _corpus.batches(events, 1000):
                ledger.record_many(batch)
        build = time.perf_counter() - t
        with ledger.store.reading() as r:
            size = r.head().size
        print(f"log: {size:,} records ({args.events:,} client events + routing and contract "
              f"records), built in {build:,.0f} s, {os.path.getsize(path) / 2**30:.2f} GiB")
        t = time.perf_counter()
        rehashed = _baseline.rehash(path)
        bare = rehashed / (time.perf_counter() - t)
        t = time.perf_counter()
        report = integrity.verify(ledger.store)
        rate = report.size / (time.perf_counter() - t)
        assert report.ok, report.problem
        print(f"verify: accord {rate:,.0f} events/s (target >= 100,000), bare re-hash "
              f"{bare:,.0f} events/s, ratio {rate / bare:.2f} (target >= 0.30)")
        ledger.close()


if __name__ == "__main__":
    main()
