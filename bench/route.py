"""Routing benchmark: decisions/s, and ingest with routing on against routing off.

Targets (issue 4): >= 20,000 decisions/s; ingest with routing >= 0.8x without.
"Routing off" is this script's own patch: the off ledger's service has its
`_route` replaced by a no-op, so it stores the client events and decides nothing.

    python bench/route.py [--decisions 100000] [--events 50000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _corpus

import accord.ledger
from accord.contract.loading import load_file
from accord.contract.model import Contract
from accord.runtime.routing import Router


def decisions_per_second(n: int) -> float:
    contract = load_file(_corpus.CONTRACT).model
    assert isinstance(contract, Contract)
    router = Router(contract, 1)
    rng = random.Random(3)
    cases = [(f"R-{i}", {"amount": rng.uniform(1, 1000), "tier": rng.choice(["standard", "enterprise"]),
                         "risk": rng.random()}, rng.choice([None, rng.random()])) for i in range(n)]
    at = dt.datetime(2026, 10, 5, tzinfo=dt.UTC)
    t = time.perf_counter()
    for case, attributes, confidence in cases:
        router.decide(case, attributes, confidence, at)
    return n / (time.perf_counter() - t)


def _no_route(*_args: object) -> None:
    """Stands in for the service's `_route` on the ledger that measures ingest without routing."""


def ingest_race(folder: str, events: list[dict[str, object]],
                rounds: int = 10) -> tuple[float, float, str]:
    """Events/s with routing on and off, recorded in alternating rounds on two ledgers.

    Alternating keeps drift in the disk and page cache from favouring either side;
    both start from a collected heap (see bench/ingest.py). Also returns the spread
    of the rounds' own on/off ratios.
    """
    ledgers = {}
    for routing in (True, False):
        ledger = accord.ledger.open(f"sqlite:///{folder}/{'on' if routing else 'off'}.db")
        ledger.apply_roster(_corpus.ROSTER)
        ledger.apply_contract(_corpus.CONTRACT)
        if not routing:  # price routing: this ledger's recorder stores outputs without routing them
            ledger._core.recorder._route = _no_route  # type: ignore[method-assign]
        ledgers[routing] = ledger
    seconds = {True: 0.0, False: 0.0}
    ratios = []
    batches = list(_corpus.batches(events, 1000))
    step = max(1, len(batches) // rounds)
    gc.collect()
    for i, start in enumerate(range(0, len(batches), step)):
        taken = {}
        for routing in ((True, False) if i % 2 else (False, True)):
            t = time.perf_counter()
            for batch in batches[start:start + step]:
                ledgers[routing].record_many(batch)
            taken[routing] = time.perf_counter() - t
            seconds[routing] += taken[routing]
        ratios.append(taken[False] / taken[True])
    for ledger in ledgers.values():
        ledger.close()
    spread = f"{min(ratios):.2f}-{max(ratios):.2f}, median {statistics.median(ratios):.2f}"
    return len(events) / seconds[True], len(events) / seconds[False], spread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=50_000)
    args = parser.parse_args()
    print(f"routing: {decisions_per_second(args.decisions):,.0f} decisions/s (target >= 20,000)")
    events = _corpus.events(args.events)
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        on, off, spread = ingest_race(tmp, events)
    print(f"ingest (batches of 1,000): routing on {on:,.0f} events/s, off {off:,.0f} events/s, "
          f"ratio {on / off:.2f} (target >= 0.80; rounds {spread})")


if __name__ == "__main__":
    main()
