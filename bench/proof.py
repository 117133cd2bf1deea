"""Proof benchmark: inclusion and consistency proofs as the log grows from 10,000 to 1,000,000 records.

One SQLite ledger grows to each size in turn; at each, `Ledger.proof` (a random seq in the
whole log), `Ledger.proof` with a random earlier `--size`, and `Ledger.consistency_proof` from a
random earlier size are timed, each a whole front-door call (read transaction, head, stored
hashes), and the reads each makes are counted. Printed: ms per proof at each size, the ratio of
1,000,000 to 10,000 (target <= 2, measured in this run), the proof built the old way from every
leaf hash, and merkle.root's speed beside verify's pass that also keeps the interior hashes.

The log is written through the store's write path (`Batch.stamp` then `Batch.flush`: canonical
bytes, leaf and chain hashes, the interior hashes each chunk completes, one transaction per
10,000 records) without the ledger's rules and routing: the records are the ingest benchmark's
refund events (~2 KB each), and building a million of them through `record_many` would take
many minutes for a figure that depends only on what is stored.

    python bench/proof.py [--sizes 10000,100000,1000000] [--proofs 300]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _corpus

import accord.ledger
from accord.integrity import merkle, subtrees
from accord.runtime.writer import Batch
from accord.store.ports import Store

CHUNK = 10_000


def grow(store: Store, to: int) -> None:
    """Append refund events to ``store`` until it holds ``to`` records."""
    with store.reading() as r:
        size = r.head().size
    while size < to:
        n = min(CHUNK, to - size)
        events = _corpus.events(n + 5, seed=size + 1)[:n]
        with store.writing() as w:
            batch = Batch(w.head(), "2026-11-26T00:00:00Z")
            for e in events:
                batch.stamp(case=f"{e['case']}-{size}", workflow="refund-replies", type=e["type"], at=e["at"],
                            actor=e["actor"], data=e["data"], version=1, note=e.get("note"))
            batch.flush(w)
        size += n


class Counted:
    """A store whose readers count their `tree_hashes` calls and the hashes those return."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.url = store.url
        self.calls = self.hashes = 0

    def reading(self) -> Any:
        outer = self

        class _Reading:
            def __enter__(self) -> Any:
                self.inner = outer.store.reading()
                reader = self.inner.__enter__()
                plain = reader.tree_hashes

                def counted(height: int, start: int, stop: int) -> list[bytes]:
                    found = plain(height, start, stop)
                    outer.calls += 1
                    outer.hashes += len(found)
                    return found

                reader.tree_hashes = counted
                return reader

            def __exit__(self, *exc: object) -> None:
                self.inner.__exit__(*exc)

        return _Reading()

    def writing(self) -> Any:
        return self.store.writing()

    def close(self) -> None:
        self.store.close()


def timed(call: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        call()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--proofs", type=int, default=300, help="proofs of each kind timed at each size")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        path = f"{tmp}/proof.db"
        ledger = accord.ledger.open(f"sqlite:///{path}")
        counted = Counted(ledger.store)
        front = accord.ledger.open(store=counted)
        inclusion: dict[int, float] = {}
        print(f"{'records':>10} {'build s':>8} {'proof ms':>9} {'p99':>6} {'--size ms':>9} "
              f"{'consist. ms':>11} {'reads/proof':>11} {'hashes/proof':>12}")
        built = 0.0
        for size in sizes:
            t = time.perf_counter()
            grow(ledger.store, size)
            built += time.perf_counter() - t
            for _ in range(20):  # warm the page cache and the code paths alike at every size
                front.proof(rng.randint(1, size))
            counted.calls = counted.hashes = 0
            whole = timed(lambda n=size: front.proof(rng.randint(1, n)), args.proofs)
            reads, hashes = counted.calls / args.proofs, counted.hashes / args.proofs

            def earlier(n: int = size) -> object:
                m = rng.randint(1, n)
                return front.proof(rng.randint(1, m), m)

            sized = timed(earlier, args.proofs)
            consistency = timed(lambda n=size: front.consistency_proof(rng.randint(1, n)), args.proofs)
            inclusion[size] = statistics.mean(whole)
            print(f"{size:>10,} {built:>8.0f} {statistics.mean(whole):>9.3f} "
                  f"{statistics.quantiles(whole, n=100)[98]:>6.2f} {statistics.mean(sized):>9.3f} "
                  f"{statistics.mean(consistency):>11.3f} {reads:>11.1f} {hashes:>12.0f}")
        first, last = sizes[0], sizes[-1]
        print(f"proof at {last:,} / at {first:,}: {inclusion[last] / inclusion[first]:.2f} "
              "(target <= 2.00)")
        with ledger.store.reading() as r:
            leaves = r.leaf_hashes(last)
        t = time.perf_counter()
        with ledger.store.reading() as r:
            old = r.leaf_hashes(last)
            merkle.inclusion_proof(old, last // 2, last)
            merkle.root(old)
        print(f"the same proof from every leaf hash (before interior hashes were kept): "
              f"{(time.perf_counter() - t) * 1000:,.0f} ms at {last:,}")
        size_mib = sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p)) / 2**20
        with ledger.store.reading() as r:
            stored = sum(1 for _ in r.subtrees())
        print(f"stored interior hashes: {stored:,} rows for {last:,} records; database {size_mib:,.0f} MiB")
        ledger.close()
    root_s = min(timed(lambda: merkle.root(leaves), 3)) / 1000
    levels_s = min(timed(lambda: subtrees.levels(leaves), 3)) / 1000
    print(f"merkle.root over {len(leaves):,} leaves: {len(leaves) / root_s:,.0f} leaves/s; verify's pass "
          f"keeping the interior hashes (subtrees.levels): {len(leaves) / levels_s:,.0f} leaves/s "
          f"({root_s / levels_s:.2f}x)")
    try:
        from pymerkle import InmemoryTree  # type: ignore[import-not-found]
    except ImportError:
        return
    tree = InmemoryTree(algorithm="sha256")
    sample = leaves[:100_000]
    for leaf in sample:  # pymerkle hashes data itself: give it the leaf hashes as data
        tree.append_entry(leaf)
    py_s = min(timed(lambda: tree.get_state(), 3)) / 1000
    root_sample = min(timed(lambda: merkle.root(sample), 3)) / 1000
    print(f"merkle.root beside pymerkle's root over {len(sample):,} leaves: "
          f"{py_s / root_sample:.1f}x as fast")


if __name__ == "__main__":
    main()
