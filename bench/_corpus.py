"""Realistic benchmark events: refund cases whose records average about 2 KB each.

Shared by the ingest, verify and route benchmarks so every figure is measured on
the same data. Deterministic: the same arguments give the same events.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CONTRACT = EXAMPLES / "contracts" / "refund-replies.yaml"
ROSTER = EXAMPLES / "roster.yaml"
START = dt.datetime(2026, 10, 5, 8, 0, tzinfo=dt.UTC)
WORDS = ["refund", "order", "parcel", "delivered", "damaged", "late", "customer", "policy", "invoice",
         "amount", "account", "shipping", "return", "window", "receipt", "replacement", "voucher",
         "apology", "courier", "warehouse"]


def _text(rng: random.Random, size: int) -> str:
    out: list[str] = []
    n = 0
    while n < size:
        w = rng.choice(WORDS)
        out.append(w)
        n += len(w) + 1
    return " ".join(out)


def _ts(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def case_events(i: int, rng: random.Random, size: int = 1900) -> list[dict[str, Any]]:
    """Five client events of one refund case (the ledger adds its routing record)."""
    case = f"B-{i:07d}"
    t = START + dt.timedelta(seconds=37 * i)
    amount = round(rng.uniform(5, 900), 2)
    draft = _text(rng, size)
    return [
        {"case": case, "type": "case.opened", "at": _ts(t), "actor": "system:helpdesk",
         "note": _text(rng, size),
         "data": {"workflow": "refund-replies",
                  "attributes": {"amount": amount, "tier": rng.choice(["standard", "plus"]),
                                 "risk": round(rng.random(), 3)}}},
        {"case": case, "type": "input.received", "at": _ts(t + dt.timedelta(seconds=1)),
         "actor": "system:helpdesk", "data": {"content": _text(rng, size)}},
        {"case": case, "type": "source.used", "at": _ts(t + dt.timedelta(seconds=2)),
         "actor": "system:refund-drafter",
         "data": {"uri": f"orders://{100000 + i}", "version": "2026-10", "excerpt": _text(rng, size)}},
        {"case": case, "type": "output.generated", "at": _ts(t + dt.timedelta(seconds=5)),
         "actor": "system:refund-drafter",
         "data": {"content": draft, "model": "m-2026-10", "prompt_version": "refund-v7",
                  "confidence": round(rng.uniform(0.5, 1), 3)}},
        {"case": case, "type": "action.taken", "at": _ts(t + dt.timedelta(seconds=9)),
         "actor": "system:mailer", "data": {"action": "email.sent", "by": "system:mailer",
                                            "content": draft}},
    ]


def events(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """``n`` client events (a multiple of five: whole cases)."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(n // 5):
        out.extend(case_events(i, rng))
    return out


def batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
