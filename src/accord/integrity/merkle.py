"""The ledger's Merkle tree: RFC 6962 / RFC 9162 hashing, proofs and their verification.

Leaves are ``SHA-256(0x00 ‖ data)`` and interior nodes ``SHA-256(0x01 ‖ left ‖
right)``, so a leaf can never pass for a node. The tree over ``n`` leaves splits
at the largest power of two below ``n`` (RFC 9162 §2.1.1); leaf ``i`` of the
ledger is the record with ``seq = i + 1``.

Building (:func:`root`, :func:`inclusion_proof`,
:func:`consistency_proof`) takes leaf hashes, not data. Verifying
(:func:`verify_inclusion`, :func:`verify_consistency`) follows the algorithms of
RFC 9162 §2.1.3.2 and §2.1.4.2 and raises :class:`ProofError` that says what
was expected and what was found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "ProofError",
    "consistency_proof",
    "consistency_ranges",
    "inclusion_proof",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Bytes in every hash of the tree (SHA-256)."""

_sha256 = hashlib.sha256
_LEAF = b"\x00"
_NODE = b"\x01"

EMPTY_ROOT = _sha256(b"").digest()
"""The root of the tree with no leaves: SHA-256 of the empty string (e3b0c442…)."""


class ProofError(ValueError):
    """A Merkle proof that does not verify; the message says what differed."""


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf, ``SHA-256(0x00 ‖ data)`` (32 bytes)."""
    return _sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node, ``SHA-256(0x01 ‖ left ‖ right)`` (32 bytes)."""
    return _sha256(_NODE + left + right).digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash (RFC 9162 MTH) over ``leaf_hashes`` in order.

    Returns :data:`EMPTY_ROOT` for no leaves. Works level by level: an odd last
    node moves up unchanged, which yields exactly the RFC's split at the largest
    power of two; a million leaves take about a second.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [_sha256(_NODE + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _mth(leaves: Sequence[bytes], start: int, end: int) -> bytes:
    return root(leaves[start:end])


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges ``[start, end)`` whose tree hashes, in order, are the audit path of leaf
    ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1), from the leaf up to the root.

    Each range is a node of that tree: ``start`` is a multiple of the smallest power of two
    not below its length. Raises ValueError unless ``0 <= index < size``.
    """
    if not 0 <= index < size:
        raise ValueError(f"no leaf {index} in a tree of size {size}")
    path: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:  # PATH(m, D[n]), walking down; siblings collected bottom-up at the end
        k = _split(end - start)
        if index - start < k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start += k
    path.reverse()
    return path


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges ``[start, end)`` whose tree hashes, in order, are the consistency proof
    (RFC 9162 §2.1.4.1) from the tree of ``old_size`` leaves to the tree of ``new_size``.

    Empty when ``old_size`` is 0 or equals ``new_size``; each range lies wholly below
    ``old_size`` or wholly above it. Raises ValueError unless ``0 <= old_size <= new_size``.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to {new_size}")
    if old_size in (0, new_size):
        return []
    proof: list[tuple[int, int]] = []
    m, start, end, whole = old_size, 0, new_size, True  # SUBPROOF(m, D[start:end], whole)
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            proof.append((start + k, end))
            end = start + k
        else:
            proof.append((start, start + k))
            m -= k
            start += k
            whole = False
    if not whole:
        proof.append((start, end))
    proof.reverse()
    return proof


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """The audit path (RFC 9162 §2.1.3.1) of leaf ``index`` in the tree of the first ``size`` leaves.

    Returns the sibling hashes from the leaf up to the root.

    Raises ValueError unless ``0 <= index < size <= len(leaf_hashes)``.
    """
    if not 0 <= index < size <= len(leaf_hashes):
        raise ValueError(f"no leaf {index} in a tree of size {size} built from {len(leaf_hashes)} leaves")
    return [_mth(leaf_hashes, start, end) for start, end in inclusion_ranges(index, size)]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """The proof (RFC 9162 §2.1.4.1) that the tree of ``old_size`` leaves is a prefix of ``new_size``.

    Returns an empty list when ``old_size`` is 0 or equals ``new_size``.

    Raises ValueError unless ``0 <= old_size <= new_size <= len(leaf_hashes)``.
    """
    if not 0 <= old_size <= new_size <= len(leaf_hashes):
        raise ValueError(f"no consistency proof from size {old_size} to {new_size} "
                         f"over {len(leaf_hashes)} leaves")
    return [_mth(leaf_hashes, start, end) for start, end in consistency_ranges(old_size, new_size)]


def _short(digest: bytes) -> str:
    return digest.hex()[:16] + "…" if len(digest) > 8 else digest.hex() or "(empty)"


def _check_hash(what: str, digest: bytes) -> None:
    if len(digest) != HASH_SIZE:
        raise ProofError(f"{what} is {len(digest)} bytes; a SHA-256 hash is {HASH_SIZE}")


def _inclusion_length(index: int, size: int) -> int:
    """How many hashes an audit path of leaf ``index`` in a tree of ``size`` has."""
    inner = (index ^ (size - 1)).bit_length()  # levels where the sibling subtree is perfect
    border = (index >> inner).bit_count()  # levels above, along the right border
    return inner + border


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes) -> None:
    """Check that ``leaf`` is leaf ``index`` of the tree of ``size`` whose root is ``root_hash``.

    Follows RFC 9162 §2.1.3.2. Returns None when the proof holds.

    Raises ProofError saying what was expected and what was found: an index
    outside the tree, a proof of the wrong length, a hash of the wrong size, or
    a computed root that differs from ``root_hash``.
    """
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size} (expected 0..{size - 1})")
    _check_hash("the leaf hash", leaf)
    _check_hash("the root hash", root_hash)
    for position, sibling in enumerate(proof):
        _check_hash(f"proof hash {position}", sibling)
    expected = _inclusion_length(index, size)
    if len(proof) != expected:
        raise ProofError(f"an inclusion proof for leaf {index} in a tree of size {size} has "
                         f"{expected} hashes, this one has {len(proof)}")
    fn, sn, node = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            node = _sha256(_NODE + sibling + node).digest()
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            node = _sha256(_NODE + node + sibling).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the path to the root")
    if node != root_hash:
        raise ProofError(f"the inclusion proof for leaf {index} leads to root {_short(node)}, "
                         f"expected {_short(root_hash)}")


def _consistency_length(old_size: int, new_size: int) -> int:
    """How many hashes a consistency proof from ``old_size`` to ``new_size`` (0 < old < new) has."""
    shift = (old_size & -old_size).bit_length() - 1  # the old tree's last perfect subtree is 2**shift
    length = _inclusion_length(old_size - 1, new_size) - shift
    return length if old_size == 1 << shift else length + 1


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> None:
    """Check that the tree of ``new_size`` (``new_root``) extends the tree of ``old_size`` (``old_root``).

    Follows RFC 9162 §2.1.4.2. An empty old tree (root :data:`EMPTY_ROOT`) is a
    prefix of every tree; equal sizes need equal roots. Either way the proof
    must then be empty. Returns None when the proof holds.

    Raises ProofError saying what was expected and what was found: a new size
    smaller than the old, a proof of the wrong length, a hash of the wrong size,
    or a computed old or new root that differs from the one given.
    """
    if not 0 <= old_size <= new_size:
        raise ProofError(f"the new tree (size {new_size}) is smaller than the old one (size {old_size}): "
                         "a log never shrinks")
    _check_hash("the old root", old_root)
    _check_hash("the new root", new_root)
    for position, node in enumerate(proof):
        _check_hash(f"proof hash {position}", node)
    if old_size == 0 or old_size == new_size:
        if proof:
            raise ProofError(f"a consistency proof from size {old_size} to {new_size} is empty, "
                             f"this one has {len(proof)} hashes")
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise ProofError(f"the root of the empty tree is {_short(EMPTY_ROOT)}, not {_short(old_root)}")
        if old_size == new_size and old_root != new_root:
            raise ProofError(f"both trees have size {old_size} but their roots differ: "
                             f"{_short(old_root)} and {_short(new_root)}")
        return
    expected = _consistency_length(old_size, new_size)
    if len(proof) != expected:
        raise ProofError(f"a consistency proof from size {old_size} to {new_size} has {expected} hashes, "
                         f"this one has {len(proof)}")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # the old tree is one perfect subtree: its root seeds the walk
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first = second = path[0]
    for node in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the path to the new root")
        if fn & 1 or fn == sn:
            first = _sha256(_NODE + node + first).digest()
            second = _sha256(_NODE + node + second).digest()
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            second = _sha256(_NODE + second + node).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than the path to the new root")
    if first != old_root:
        raise ProofError(f"the consistency proof rebuilds the old root (size {old_size}) as "
                         f"{_short(first)}, expected {_short(old_root)}")
    if second != new_root:
        raise ProofError(f"the consistency proof rebuilds the new root (size {new_size}) as "
                         f"{_short(second)}, expected {_short(new_root)}")
