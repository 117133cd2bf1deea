"""Incident benchmark: the ten-minute review must not grow with the size of the log.

Builds two SQLite ledgers through `record_many` in batches of 1,000 — 10,000 and
1,000,000 client events of small refund cases — opens an incident on a case in
the middle of each, and prints the median `review_incident` time at each size
and their ratio (target: <= 1.5). Then prints `drill` throughput (cases/s) over
a ledger of 10,000 closed cases. Figures only; nothing here asserts on timing.

    python bench/incident.py [--quick]

--quick uses 1,000 and 10,000 events and 500 drill cases (a smoke run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _corpus

import accord.ledger

BATCH = 1_000
EVENTS_PER_CASE = 5
TEXT = 60
"""Characters of text per event: realistic shapes, small records, so 1M events build in minutes."""
RUNS = 21
NOW = _corpus.START + dt.timedelta(days=400)


def case_batches(cases: int, seed: int = 1) -> Iterator[list[dict[str, Any]]]:
    """Whole refund cases (five client events each), in batches of about 1,000 events."""
    rng = random.Random(seed)
    batch: list[dict[str, Any]] = []
    for i in range(cases):
        batch.extend(_corpus.case_events(i, rng, size=TEXT))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def build(path: str, events: int) -> tuple[accord.ledger.Ledger, float]:
    """A ledger at ``path`` holding ``events`` client events; returns it and the seconds taken."""
    ledger = accord.ledger.open(f"sqlite:///{path}")
    ledger.apply_roster(_corpus.ROSTER)
    ledger.apply_contract(_corpus.CONTRACT)
    started = time.perf_counter()
    for batch in case_batches(events // EVENTS_PER_CASE):
        ledger.record_many(batch)
    return ledger, time.perf_counter() - started


def median_review_ms(ledger: accord.ledger.Ledger, events: int) -> float:
    """Open an incident on the middle case and time its review; the median in milliseconds."""
    case = f"B-{events // EVENTS_PER_CASE // 2:07d}"
    output = next(e for e in list(ledger.events(case)) if e.type == "output.generated")
    opened = ledger.open_incident(case, failed=["correct"], faulty=[output.seq],
                                   summary="Refund amount did not match the order",
                                   by="dana.okafor@example.com", now=NOW)
    ledger.review_incident(opened.incident)  # warm the contract and roster caches
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        ledger.review_incident(opened.incident)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    args = parser.parse_args()
    small, large, drill_cases = (1_000, 10_000, 500) if args.quick else (10_000, 1_000_000, 10_000)
    medians = {}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        for size in (small, large):
            ledger, seconds = build(f"{tmp}/log-{size}.db", size)
            print(f"built a log of {size:,} client events in {seconds:.1f} s "
                  f"({size / seconds:,.0f} events/s)")
            medians[size] = median_review_ms(ledger, size)
            print(f"review_incident median at {size:,} events: {medians[size]:.2f} ms ({RUNS} runs)")
            ledger.close()
        ratio = medians[large] / medians[small]
        print(f"review_incident ratio {large:,} / {small:,} events: {ratio:.2f} (target <= 1.50)")
        ledger, _ = build(f"{tmp}/drill.db", drill_cases * EVENTS_PER_CASE)
        started = time.perf_counter()
        report = ledger.drill(now=NOW)
        seconds = time.perf_counter() - started
        drilled = sum(w.cases for w in report.workflows)
        print(f"drill throughput: {drilled:,} cases in {seconds:.2f} s = {drilled / seconds:,.0f} cases/s")
        ledger.close()


if __name__ == "__main__":
    main()
