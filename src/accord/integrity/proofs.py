"""Inclusion and consistency proofs of the log, read from its stored interior hashes.

Each is O(log n) hashes in a few range reads per stored height
(`accord.integrity.subtrees`), whatever the size of the log; the ranges are the
RFC 9162 walk of `accord.integrity.merkle`. Anyone checks them with
`merkle.verify_inclusion` and `merkle.verify_consistency` against a checkpoint.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from accord.errors import UsageError
from accord.integrity import merkle, subtrees
from accord.store.ports import Store

__all__ = ["ConsistencyProof", "InclusionProof", "consistency_proof", "proof"]


@dataclass(frozen=True)
class InclusionProof:
    """That record ``seq`` (leaf index ``seq - 1``) is in the tree of ``size`` records with ``root``."""

    seq: int
    size: int
    leaf_hash: bytes
    root: bytes
    path: tuple[bytes, ...]

    def as_json(self) -> dict[str, Any]:
        """`accord proof --json`: hashes in base64."""
        b64 = base64.b64encode
        return {"seq": self.seq, "index": self.seq - 1, "size": self.size,
                "leaf_hash": b64(self.leaf_hash).decode(), "root": b64(self.root).decode(),
                "proof": [b64(h).decode() for h in self.path]}


def proof(store: Store, seq: int, size: int | None = None) -> InclusionProof:
    """An inclusion proof of ``seq`` in the tree of ``size`` (default: the whole log), read from
    the stored interior hashes: O(log n) hashes, in a few reads per stored height.

    Raises UsageError when ``seq`` or ``size`` lies outside the log, and IntegrityError when a
    stored hash the proof needs is missing.
    """
    with store.reading() as r:
        head = r.head().size
        n = head if size is None else size
        if not 1 <= n <= head:
            raise UsageError(f"--size {n} is outside the log (1..{head})")
        if not 1 <= seq <= n:
            raise UsageError(f"seq {seq} is outside a tree of size {n} (1..{n})")
        leaf, root, *path = subtrees.tree_hashes(
            r.tree_hashes, [(seq - 1, seq), (0, n), *merkle.inclusion_ranges(seq - 1, n)])
    return InclusionProof(seq, n, leaf, root, tuple(path))


@dataclass(frozen=True)
class ConsistencyProof:
    """That the log's tree of ``old_size`` records (root ``old_root``) is the start of its tree of
    ``size`` records (root ``root``): the RFC 9162 consistency proof ``hashes``."""

    old_size: int
    size: int
    old_root: bytes
    root: bytes
    hashes: tuple[bytes, ...]

    def as_json(self) -> dict[str, Any]:
        """The new tree's size and root and the proof's hashes, in base64."""
        b64 = base64.b64encode
        return {"size": self.size, "root": b64(self.root).decode(),
                "hashes": [b64(h).decode() for h in self.hashes]}


def consistency_proof(store: Store, old_size: int, size: int | None = None) -> ConsistencyProof:
    """The consistency proof from the tree of ``old_size`` records to the tree of ``size`` (default:
    the whole log), read from the stored interior hashes: O(log n) hashes.

    Raises UsageError unless ``0 <= old_size <= size <= `` the log's size, and IntegrityError when a
    stored hash the proof needs is missing.
    """
    with store.reading() as r:
        head = r.head().size
        n = head if size is None else size
        if not 0 <= n <= head:
            raise UsageError(f"size {n} is outside the log (0..{head})")
        if not 0 <= old_size <= n:
            raise UsageError(f"old size {old_size} is outside 0..{n}: a consistency proof goes from a "
                             "tree to one at least as large")
        roots = [(0, m) for m in (old_size, n) if m]
        found = subtrees.tree_hashes(r.tree_hashes, [*roots, *merkle.consistency_ranges(old_size, n)])
    old_root = found.pop(0) if old_size else merkle.EMPTY_ROOT
    root = found.pop(0) if n else merkle.EMPTY_ROOT
    return ConsistencyProof(old_size, n, old_root, root, tuple(found))
