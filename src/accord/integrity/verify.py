"""Verifying the log: re-hash every record, walk the chain, prove checkpoints; proofs.

``verify`` recomputes each leaf hash from the stored canonical bytes, checks the
stored leaf and chain hashes and the columns the database indexes, rebuilds the
Merkle tree and checks every stored interior hash against it; with a checkpoint
it proves the current log extends it — the only defence against a rewrite that
recomputes every hash, or a cut tail. (Proofs for others to check are
`accord.integrity.proofs`.)
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson

from accord._progress import STEP, Progress
from accord.errors import CheckpointError, IntegrityError, NotFound
from accord.integrity import merkle, subtrees
from accord.integrity.checkpoint import (
    Checkpoint,
    Signer,
    Verifier,
    parse_checkpoint,
    sign_checkpoint,
    verify_checkpoint,
)
from accord.store.ports import CHAIN_START, Reader, Row, Store, Subtree

_sha256 = hashlib.sha256


@dataclass(frozen=True)
class VerifyReport:
    """`accord verify`: whether the log is intact, its size and root, the first bad seq, the
    stored interior hash found altered, missing or forged (``subtree``: its height, index and
    the seqs it covers) when that is what is wrong, and the checkpoint's consistency and
    signature when one was given."""

    ok: bool
    size: int
    root: bytes
    first_bad: int | None = None
    problem: str | None = None
    checkpoint: dict[str, Any] | None = None
    subtree: dict[str, int] | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok, "size": self.size,
                               "root": base64.b64encode(self.root).decode(),
                               "first_bad": self.first_bad, "problem": self.problem}
        if self.subtree is not None:
            out["subtree"] = self.subtree
        if self.checkpoint is not None:
            out["checkpoint"] = self.checkpoint
        return out


def origin(store: Store) -> str:
    with store.reading() as r:
        value = r.meta("origin")
    if value is None:
        raise NotFound("this database has no accord origin; is it an accord ledger?")
    return value


def verify(store: Store, checkpoint_text: str | None = None, verifier: Verifier | None = None,
           checkpoint_source: str = "checkpoint", progress: Progress | None = None) -> VerifyReport:
    """Check every record; returns a report naming the lowest bad seq, if any.

    ``progress`` hears (records checked, records in the log) as it goes. Raises
    CheckpointError, naming ``checkpoint_source``, for a checkpoint that cannot be parsed.
    """
    checkpoint = (parse_checkpoint(checkpoint_text, source=checkpoint_source)
                  if checkpoint_text is not None else None)
    leaves: list[bytes] = []
    first_bad: int | None = None
    problem: str | None = None
    chain = CHAIN_START
    expected = 1
    with store.reading() as r:
        ledger_origin = r.meta("origin")
        size = r.head().size if progress is not None else 0
        for row in r.scan():  # from the lowest seq stored: a row forged below 1 is bad too
            seq = row.seq
            if progress is not None and seq % STEP == 0:
                progress(min(seq, size), size)
            if seq != expected:
                first_bad, problem = (seq, f"seq {seq} precedes the log's first record, seq 1: "
                                      "it was inserted") if seq < expected else (
                    expected, f"seq {expected} is missing: the next stored record is seq {seq}")
                break
            leaf, chain, bad = check_row(row, chain)
            if bad is not None:
                first_bad, problem = seq, bad
                break
            leaves.append(leaf)
            expected += 1
        if progress is not None:
            progress(size, size)
        root, kept = subtrees.levels(leaves)
        report = VerifyReport(first_bad is None, len(leaves), root, first_bad, problem)
        if report.ok:  # the interior hashes of a log that failed would only echo its problem
            report = _check_subtrees(report, r.subtrees(), kept)
    if not isinstance(ledger_origin, str) or not ledger_origin:
        report = _fail(report, None, "the ledger's origin (the name its checkpoints carry) is missing "
                       "from accord_meta: the table was altered")
    if checkpoint is not None:
        report = _check_against(report, _computed(leaves, kept), checkpoint, checkpoint_text or "",
                                ledger_origin, verifier)
    return report


def _subtree_failed(report: VerifyReport, height: int, index: int, problem: str) -> VerifyReport:
    """``report`` failed with ``problem`` about the stored interior hash of ``height`` and ``index``."""
    sane = type(height) is int and type(index) is int and 0 <= height < 64 and index >= 0  # forged: anything
    first, last = ((index << height) + 1, (index + 1) << height) if sane else (0, 0)
    where = {"height": height, "index": index, "first_seq": first, "last_seq": last}
    seqs = f"seqs {first}..{last} (height {height}, index {index})"
    return replace(_fail(report, None, problem.replace("{seqs}", seqs)), subtree=where)


_DELETED = "the interior hash of {seqs} is missing from accord_subtree: it was deleted"


def _altered(stored: object, computed: bytes) -> str:
    shown = stored.hex()[:16] if isinstance(stored, bytes) else repr(stored)[:16]
    return (f"the stored interior hash of {{seqs}} is {shown}…, but those records hash to "
            f"{computed.hex()[:16]}…: the interior hash was altered")


def _check_subtrees(report: VerifyReport, stored: Iterable[Subtree], kept: list[list[bytes]]) -> VerifyReport:
    """``report`` failed at the first stored interior hash (by height, then index) that the
    re-hashed leaves do not give: altered, missing, or stored where the log has no such subtree."""
    step = subtrees.HEIGHT
    level, expected = 0, 0  # the next hash due: kept[level][expected]
    for height, index, digest in stored:
        at = height // step - 1 if height > 0 and height % step == 0 else -1
        if at < 0 or type(index) is not int:
            return _subtree_failed(report, height, index, f"accord_subtree holds a hash of height "
                                   f"{height}, which accord never stores (heights are multiples of {step}): "
                                   "it was forged")
        while level < at:
            if level < len(kept) and expected < len(kept[level]):
                return _subtree_failed(report, (level + 1) * step, expected, _DELETED)
            level, expected = level + 1, 0
        if index > expected and level < len(kept) and expected < len(kept[level]):
            return _subtree_failed(report, height, expected, _DELETED)
        if level >= len(kept) or not 0 <= index < len(kept[level]):
            return _subtree_failed(report, height, index, "accord_subtree holds the hash of {seqs} but the "
                                   f"log has {report.size} records: records after seq {report.size} were "
                                   "removed, or the hash was forged")
        if digest != kept[level][index]:
            return _subtree_failed(report, height, index, _altered(digest, kept[level][index]))
        expected = index + 1
    while level < len(kept):
        if expected < len(kept[level]):
            return _subtree_failed(report, (level + 1) * step, expected, _DELETED)
        level, expected = level + 1, 0
    return report


Prove = Callable[[int, int], list[bytes]]
"""``prove(old_size, new_size)``: the consistency proof between two sizes of the log."""


def _computed(leaves: list[bytes], kept: list[list[bytes]]) -> Prove:
    """Consistency proofs from the leaves verify re-hashed and the interior hashes it computed."""
    step = subtrees.HEIGHT

    def fetch(height: int, start: int, stop: int) -> Sequence[bytes]:
        return leaves[start:stop] if height == 0 else kept[height // step - 1][start:stop]

    return lambda old, new: subtrees.tree_hashes(fetch, merkle.consistency_ranges(old, new))


def _stored(reader: Reader) -> Prove:
    """Consistency proofs read from the stored interior hashes."""
    return lambda old, new: subtrees.tree_hashes(reader.tree_hashes, merkle.consistency_ranges(old, new))


@dataclass(frozen=True)
class Tampering:
    """A record that does not re-hash to what the log holds: its seq and what is wrong."""

    seq: int
    problem: str

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "problem": self.problem}


def check_rows(rows: Sequence[Row], reader: Reader) -> list[Tampering]:
    """Re-hash each of ``rows`` (in seq order; a case's, not necessarily contiguous) against the
    chain hash of the record before it, read from the log; every problem found."""
    own = {r.seq: r.chain_hash for r in rows}
    before = reader.chain_hashes({r.seq - 1 for r in rows if r.seq > 1} - own.keys())
    found = []
    for row in rows:
        previous = CHAIN_START if row.seq == 1 else own.get(row.seq - 1, before.get(row.seq - 1))
        if previous is None or type(previous) is not bytes:
            found.append(Tampering(row.seq, f"seq {row.seq}: the record before it (seq {row.seq - 1}) "
                                   "is missing from the log: a record was removed"))
            continue
        _, _, problem = check_row(row, previous)
        if problem is not None:
            found.append(Tampering(row.seq, problem))
    return found


def check_row(row: Row, previous_chain: bytes) -> tuple[bytes, bytes, str | None]:
    """Re-hash one stored record against the chain hash of the record before it.

    Returns (leaf hash, chain hash, problem): the problem says in words what does
    not hold (bytes, leaf hash, chain link, indexed columns), None when all does.
    """
    seq = row.seq
    if not (type(row.canonical) is bytes and type(row.leaf_hash) is bytes
            and type(row.chain_hash) is bytes):
        return b"", b"", (f"seq {seq}: a hashed column is stored as something other than bytes: "
                          "the record was altered")
    leaf = _sha256(b"\x00" + row.canonical).digest()
    if leaf != row.leaf_hash:
        return leaf, b"", (f"seq {seq}: stored leaf hash {row.leaf_hash.hex()[:16]}… does not match "
                           f"its bytes ({leaf.hex()[:16]}…): the record or its hash was altered")
    chain = _sha256(previous_chain + leaf).digest()
    if chain != row.chain_hash:
        return leaf, chain, (f"seq {seq}: chain hash does not follow from seq {seq - 1}: "
                             "a record was altered, inserted or removed here")
    column_problem = _columns_problem(row.canonical, seq, row.case_id, row.type, row.event_id)
    if column_problem:
        return leaf, chain, f"seq {seq}: {column_problem}"
    return leaf, chain, None


def _columns_problem(canonical: bytes, seq: int, case_id: str | None, kind: str,
                     event_id: str | None) -> str | None:
    """The indexed columns must say what the hashed bytes say."""
    try:
        env = orjson.loads(canonical)
    except orjson.JSONDecodeError:
        return "stored bytes are not JSON"
    if env.get("seq") != seq:
        return f"record says seq {env.get('seq')} but is stored at seq {seq}: out of place"
    if env.get("case") != case_id:
        return f"case column {case_id!r} differs from the record's case {env.get('case')!r}"
    if env.get("type") != kind:
        return f"type column {kind!r} differs from the record's type {env.get('type')!r}"
    if env.get("id") != event_id:
        return f"event id column {event_id!r} differs from the record's id {env.get('id')!r}"
    return None


def _check_against(report: VerifyReport, prove: Prove, checkpoint: Checkpoint, text: str,
                   ledger_origin: str | None, verifier: Verifier | None) -> VerifyReport:
    """``report`` with the checkpoint's result, failed at the first problem the checkpoint shows."""
    signature = "not_checked"
    if verifier is not None:
        signature = "valid" if verify_checkpoint(text, verifier) else "invalid"
    result: dict[str, Any] = {"size": checkpoint.size, "consistent": False, "signature": signature}
    report = replace(report, checkpoint=result)
    if signature == "invalid":
        report = _fail(report, None, "the checkpoint's signature does not verify with the given public key")
    if checkpoint.origin != ledger_origin:
        return _fail(report, None, f"the checkpoint is for {checkpoint.origin!r}, not this ledger "
                     f"({ledger_origin!r})")
    if not report.ok and report.first_bad is not None and report.first_bad <= checkpoint.size:
        return report  # already failed inside the checkpointed prefix
    size = report.size
    if checkpoint.size > size:
        return _fail(report, size + 1, f"the log has {size} records but the checkpoint covers "
                     f"{checkpoint.size}: records after seq {size} were removed")
    try:
        merkle.verify_consistency(checkpoint.size, size, checkpoint.root, report.root,
                                  prove(checkpoint.size, size))
    except IntegrityError as err:
        return _fail(report, None, str(err))
    except merkle.ProofError as err:
        return _fail(report, None, f"the log does not extend the checkpoint of size {checkpoint.size} "
                     f"({err}): records up to seq {checkpoint.size} were rewritten")
    result["consistent"] = True
    return report


def _fail(report: VerifyReport, first_bad: int | None, problem: str) -> VerifyReport:
    """``report`` failed with ``problem``, unless it already failed (the first problem stands)."""
    return replace(report, ok=False, first_bad=first_bad, problem=problem) if report.ok else report


def checkpoint(store: Store, signer: Signer, previous: str | None = None,
               previous_source: str = "previous checkpoint", verifier: Verifier | None = None) -> str:
    """A signed checkpoint of the log as it stands (C2SP tlog-checkpoint), signed only after
    the log verifies: every record, or — given the ``previous`` checkpoint's text — the
    consistency of the log with it and every record since.

    Raises IntegrityError (nothing signed) when the log does not verify, and CheckpointError
    for a previous checkpoint that cannot be read.
    """
    report = (verify(store) if previous is None
              else _verify_since(store, previous, previous_source, verifier))
    if not report.ok:
        where = f" (first bad seq {report.first_bad})" if report.first_bad is not None else ""
        raise IntegrityError(f"refusing to sign: the log does not verify{where}: {report.problem}")
    with store.reading() as r:
        ledger_origin = r.meta("origin")
    if not isinstance(ledger_origin, str) or not ledger_origin:
        raise IntegrityError("refusing to sign: the ledger's origin is missing from accord_meta")
    return sign_checkpoint(ledger_origin, report.size, report.root, signer)


def _verify_since(store: Store, previous: str, source: str, verifier: Verifier | None) -> VerifyReport:
    """The log checked against an earlier checkpoint: consistent with it, and each record after
    it re-hashed on the chain (the records it covers are vouched for by the proof).

    Reads O(log n) stored hashes for the tree up to the checkpoint, and the records since: the
    new root is grown from the checkpointed tree's perfect subtrees (which must fold to the
    checkpoint's root) and the re-hashed leaves, and each interior hash stored over the new
    records must be what those give.
    """
    earlier = parse_checkpoint(previous, source=source)
    old = earlier.size
    with store.reading() as r:
        ledger_origin = r.meta("origin")
        size = r.head().size
        try:
            # a cut tail (old > size) is _check_against's to report
            report = VerifyReport(True, size, _root(r, size)) if old > size else _grown(r, old, earlier.root)
        except IntegrityError as err:
            return VerifyReport(False, size, merkle.EMPTY_ROOT, None, str(err))
        return _check_against(report, _stored(r), earlier, previous, ledger_origin, verifier)


def _root(reader: Reader, size: int) -> bytes:
    return subtrees.tree_hashes(reader.tree_hashes, [(0, size)])[0] if size else merkle.EMPTY_ROOT


def _grown(r: Reader, old: int, old_root: bytes) -> VerifyReport:
    """The log after seq ``old`` re-hashed, and its root grown from the tree of ``old``."""
    parts = [(i << h, (i + 1) << h) for h, i in subtrees.perfect_parts(0, old)] if old else []
    peaks = subtrees.tree_hashes(r.tree_hashes, parts)
    if old and subtrees.fold(peaks) != old_root:
        return VerifyReport(False, old, merkle.EMPTY_ROOT, None,
                            f"the log does not extend the checkpoint of size {old}: its first {old} records, "
                            "or the interior hashes stored over them, were rewritten")
    first_bad: int | None = None
    problem: str | None = None
    leaves: list[bytes] = []
    chain = r.chain_hashes([old]).get(old, CHAIN_START) if old else CHAIN_START
    expected = old + 1
    for row in r.scan(old + 1):
        if row.seq != expected:
            first_bad = expected
            problem = f"seq {expected} is missing: the next stored record is seq {row.seq}"
            break
        leaf, chain, bad = check_row(row, chain)
        if bad is not None:
            first_bad, problem = row.seq, bad
            break
        leaves.append(leaf)
        chain, expected = row.chain_hash, expected + 1
    report = VerifyReport(first_bad is None, old + len(leaves), subtrees.extend_root(old, peaks, leaves),
                          first_bad, problem)
    if report.ok:
        made = subtrees.Growth(old, r.tree_hashes).extend(leaves)
        stored = [r.tree_hashes(height, index, index + 1) for height, index, _ in made]
        report = _check_subtrees_made(report, made, stored)
    return report


def _check_subtrees_made(report: VerifyReport, made: list[Subtree],
                         stored: list[list[bytes]]) -> VerifyReport:
    """``report`` failed at the first interior hash the new records complete that is not stored as
    they give it."""
    for (height, index, digest), found in zip(made, stored, strict=True):
        if not found:
            return _subtree_failed(report, height, index, _DELETED)
        if found[0] != digest:
            return _subtree_failed(report, height, index, _altered(found[0], digest))
    return report


__all__ = ["CheckpointError", "Tampering", "VerifyReport", "check_row", "check_rows", "checkpoint", "origin",
           "verify"]
