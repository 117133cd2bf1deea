"""The tree's interior hashes, kept as the log grows, and hashes read back from them in O(log n).

What is kept (C2SP tlog-tiles' geometry, tile height 8): the hash of every perfect
subtree of 2**8, 2**16, 2**24 … leaves, stored once, in the write transaction that
appends its last leaf. The subtree of height ``h`` and index ``i`` covers leaves
``i·2**h … (i+1)·2**h - 1`` (seqs one more); its hash never changes once the log
holds those leaves, so it is stored append-only like the records. Grouped 256 to a
tile by index, the hashes of height 8·L are tlog-tiles' level-L tiles (level 0 being
the leaf hashes the log already holds); the right edge of each level is its partial
tile.

Reading back: every node of the tree of any size is a fold of perfect subtrees
(:func:`perfect_parts`), and a perfect subtree of height ``h`` is the root of at most
256 hashes of the stored height just below it. So a root, an inclusion proof or a
consistency proof needs O(log n) hashes, read in at most a few ranges per stored
height (:func:`tree_hashes`), whatever the size of the log.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Sequence

from accord.errors import IntegrityError
from accord.integrity import merkle
from accord.store.ports import Subtree

__all__ = ["HEIGHT", "Fetch", "Growth", "extend_root", "fold", "levels", "perfect_parts", "tree_hashes"]

HEIGHT = 8
"""Stored subtrees have heights 8, 16, 24 …: 256 hashes of one height make one of the next."""

Fetch = Callable[[int, int, int], Sequence[bytes]]
"""``fetch(height, start, stop)``: the stored hashes of the perfect subtrees of that height with
index ``start <= i < stop``, in index order, leaving out any not stored; height 0 gives the leaf
hashes of seqs ``start + 1 … stop``."""


def perfect_parts(start: int, end: int) -> list[tuple[int, int]]:
    """The perfect subtrees, as (height, index), whose :func:`fold` is the tree hash of leaves
    ``start … end - 1``, largest first.

    The range must be a node of some tree (as every range of a proof is): ``start`` a multiple
    of the smallest power of two not below ``end - start``. Raises ValueError otherwise.
    """
    size = end - start
    if start < 0 or size < 1 or start & ((1 << (size - 1).bit_length()) - 1):
        raise ValueError(f"leaves {start}..{end - 1} are not a node of a Merkle tree")
    parts = []
    for height in range(size.bit_length() - 1, -1, -1):
        if size >> height & 1:
            parts.append((height, start >> height))
            start += 1 << height
    return parts


def fold(hashes: Sequence[bytes]) -> bytes:
    """The tree hash of consecutive perfect subtrees, largest first: each joins those after it."""
    node = hashes[-1]
    for left in reversed(hashes[:-1]):
        node = merkle.node_hash(left, node)
    return node


def tree_hashes(fetch: Fetch, ranges: Sequence[tuple[int, int]], height: int | None = None) -> list[bytes]:
    """The tree hash (RFC 9162 MTH) of each of ``ranges`` (``(start, end)``, each a node as
    :func:`perfect_parts` needs), computed from stored hashes read through ``fetch``.

    Reads are planned first: per stored height, the hashes wanted are merged into runs
    (runs less than a tile apart become one), and each run is one ``fetch``.
    ``height`` is the stored heights' step (default :data:`HEIGHT`). Raises IntegrityError when
    a stored hash the ranges need is missing.
    """
    height = height or HEIGHT
    width = 1 << height
    parts = [perfect_parts(start, end) for start, end in ranges]
    wanted: dict[int, list[tuple[int, int]]] = {}
    for h, index in {part for found in parts for part in found}:
        level, rest = divmod(h, height)
        wanted.setdefault(level, []).append((index << rest, (index + 1) << rest))
    runs: dict[int, tuple[list[int], list[Sequence[bytes]]]] = {}
    for level, spans in wanted.items():
        starts: list[int] = []
        got: list[Sequence[bytes]] = []
        for lo, hi in _merged(spans, width):
            hashes = fetch(level * height, lo, hi)
            if len(hashes) != hi - lo:
                raise IntegrityError(_missing(level * height, lo, hi))
            starts.append(lo)
            got.append(hashes)
        runs[level] = (starts, got)
    known: dict[tuple[int, int], bytes] = {}
    out = []
    for found in parts:
        for part in found:
            if part not in known:
                h, index = part
                level, rest = divmod(h, height)
                starts, got = runs[level]
                run = bisect.bisect_right(starts, index << rest) - 1
                lo = (index << rest) - starts[run]
                entries = got[run][lo:lo + (1 << rest)]
                known[part] = entries[0] if rest == 0 else merkle.root(entries)
        out.append(fold([known[part] for part in found]))
    return out


def _merged(spans: list[tuple[int, int]], width: int) -> list[tuple[int, int]]:
    """``spans`` as few runs: overlapping ones, and ones less than ``width`` apart, join."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo < out[-1][1] + width:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _missing(height: int, start: int, stop: int) -> str:
    if height == 0:
        what = f"leaf hashes of seqs {start + 1}..{stop}"
    else:
        what = f"interior hashes of height {height}, indexes {start}..{stop - 1}"
    return (f"the ledger is missing stored {what}: it was altered or cut; "
            "run `accord verify` to find where")


class Growth:
    """The stored-height subtrees that appending leaves to a log of ``size`` completes.

    A write keeps one: :meth:`extend` takes the leaf hashes it appends, in seq order, and
    returns each subtree they complete. The hashes below it that were stored before the
    write (at most 255 of each height) are read through ``fetch`` only when a subtree they
    belong to completes, so most small writes read nothing.
    """

    def __init__(self, size: int, fetch: Fetch, height: int | None = None) -> None:
        self.size = size
        self._start = size
        self._fetch = fetch
        self._height = height or HEIGHT
        self._held: list[list[bytes]] = []
        """Per stored level (0: leaves), the hashes seen since the last whole tile."""
        self._first: list[int] = []
        """Per level, the index of its first held hash."""

    def extend(self, leaves: Sequence[bytes]) -> list[Subtree]:
        """The subtrees completed by appending ``leaves``; raises IntegrityError when a hash
        stored before the write, which one of them needs, is missing."""
        made: list[Subtree] = []
        shift = self._height
        fresh: Sequence[bytes] = leaves
        level = 0
        while fresh:
            if level == len(self._held):
                self._held.append([])
                self._first.append(self._start >> (level * shift))
            held, first = self._held[level], self._first[level]
            before = first + len(held)
            held.extend(fresh)
            after = before + len(fresh)
            completed: list[bytes] = []
            for tile in range(before >> shift, after >> shift):
                lo = tile << shift
                if lo < first:  # its first hashes were stored before this write
                    stored = self._fetch(level * shift, lo, first)
                    if len(stored) != first - lo:
                        raise IntegrityError(_missing(level * shift, lo, first))
                    entries = [*stored, *held[:lo + (1 << shift) - first]]
                else:
                    entries = held[lo - first:lo - first + (1 << shift)]
                digest = merkle.root(entries)
                made.append(Subtree((level + 1) * shift, tile, digest))
                completed.append(digest)
            edge = (after >> shift) << shift
            if edge > first:
                del held[:edge - first]
                self._first[level] = edge
            fresh = completed
            level += 1
        self.size += len(leaves)
        return made


def levels(leaves: Sequence[bytes], height: int | None = None) -> tuple[bytes, list[list[bytes]]]:
    """The root of ``leaves`` and, for each stored height (``height``, 2·``height`` …), the
    hashes of its perfect subtrees in index order: what a log of these leaves stores.

    The same pass as :func:`merkle.root` (an odd last node moves up unchanged), keeping the
    perfect prefix of every ``height``-th level.
    """
    if not leaves:
        return merkle.EMPTY_ROOT, []
    height = height or HEIGHT
    sha256 = hashlib.sha256
    size = len(leaves)
    level = list(leaves)
    kept: list[list[bytes]] = []
    h = 0
    while len(level) > 1:
        paired = [sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
        h += 1
        if h % height == 0:
            kept.append(level[:size >> h])
    return level[0], kept


def extend_root(size: int, parts: Sequence[bytes], leaves: Sequence[bytes]) -> bytes:
    """The root of the tree of ``size`` leaves, given as the hashes of :func:`perfect_parts`
    ``(0, size)``, with ``leaves`` appended (a compact range grown leaf by leaf)."""
    heights = [h for h, _ in perfect_parts(0, size)] if size else []
    stack = list(zip(heights, parts, strict=True))
    node_hash = merkle.node_hash
    for leaf in leaves:
        h, digest = 0, leaf
        while stack and stack[-1][0] == h:
            digest = node_hash(stack.pop()[1], digest)
            h += 1
        stack.append((h, digest))
    if not stack:
        return merkle.EMPTY_ROOT
    return fold([digest for _, digest in stack])
