"""Test doubles for users' own tests: an in-memory store and a fixed clock.

``accord.open(store=MemoryStore(), clock=FixedClock(...))`` gives a full ledger
with no database: the same rules and hashing as the SQL store.
"""

from __future__ import annotations

from accord.store.memory import MemoryStore
from accord.store.ports import FixedClock

__all__ = ["FixedClock", "MemoryStore"]
