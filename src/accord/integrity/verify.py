"""Verifying the log: re-hash every record, walk the chain, prove checkpoints.

``verify`` recomputes each leaf hash from the stored canonical bytes, checks the
stored leaf and chain hashes and the columns the database indexes, and rebuilds
the Merkle tree; with a checkpoint it proves the current log extends it — the
only defence against a rewrite that recomputes every hash, or a cut tail.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson

from accord._progress import STEP, Progress
from accord.errors import CheckpointError, IntegrityError, NotFound, UsageError
from accord.integrity import merkle
from accord.integrity.checkpoint import (
    Checkpoint,
    Signer,
    Verifier,
    parse_checkpoint,
    sign_checkpoint,
    verify_checkpoint,
)
from accord.store.ports import CHAIN_START, Reader, Row, Store

_sha256 = hashlib.sha256


@dataclass(frozen=True)
class VerifyReport:
    """`accord verify`: whether the log is intact, its size and root, the first bad seq, and the
    checkpoint's consistency and signature when one was given."""

    ok: bool
    size: int
    root: bytes
    first_bad: int | None = None
    problem: str | None = None
    checkpoint: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok, "size": self.size,
                               "root": base64.b64encode(self.root).decode(),
                               "first_bad": self.first_bad, "problem": self.problem}
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
    report = VerifyReport(first_bad is None, len(leaves), merkle.root(leaves), first_bad, problem)
    if not isinstance(ledger_origin, str) or not ledger_origin:
        report = _fail(report, None, "the ledger's origin (the name its checkpoints carry) is missing "
                       "from accord_meta: the table was altered")
    if checkpoint is not None:
        report = _check_against(report, leaves, checkpoint, checkpoint_text or "", ledger_origin, verifier)
    return report


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


def _check_against(report: VerifyReport, leaves: list[bytes], checkpoint: Checkpoint, text: str,
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
    size = len(leaves)
    if checkpoint.size > size:
        return _fail(report, size + 1, f"the log has {size} records but the checkpoint covers "
                     f"{checkpoint.size}: records after seq {size} were removed")
    proof = merkle.consistency_proof(leaves, checkpoint.size, size)
    try:
        merkle.verify_consistency(checkpoint.size, size, checkpoint.root, report.root, proof)
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
    it re-hashed on the chain (the records it covers are vouched for by the proof)."""
    earlier = parse_checkpoint(previous, source=source)
    first_bad: int | None = None
    problem: str | None = None
    with store.reading() as r:
        ledger_origin = r.meta("origin")
        size = r.head().size
        leaves = r.leaf_hashes(size)
        chain = r.chain_hashes([earlier.size]).get(earlier.size, CHAIN_START) if earlier.size else CHAIN_START
        expected = earlier.size + 1
        for row in r.scan(earlier.size + 1):
            if row.seq != expected:
                first_bad = expected
                problem = f"seq {expected} is missing: the next stored record is seq {row.seq}"
                break
            _, chain, bad = check_row(row, chain)
            if bad is not None:
                first_bad, problem = row.seq, bad
                break
            chain, expected = row.chain_hash, expected + 1
    report = VerifyReport(first_bad is None, len(leaves), merkle.root(leaves), first_bad, problem)
    return _check_against(report, leaves, earlier, previous, ledger_origin, verifier)


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
    """An inclusion proof of ``seq`` in the tree of ``size`` (default: the whole log).

    Raises UsageError when ``seq`` or ``size`` lies outside the log.
    """
    with store.reading() as r:
        head = r.head().size
        n = head if size is None else size
        if not 1 <= n <= head:
            raise UsageError(f"--size {n} is outside the log (1..{head})")
        if not 1 <= seq <= n:
            raise UsageError(f"seq {seq} is outside a tree of size {n} (1..{n})")
        leaves = r.leaf_hashes(n)
    path = merkle.inclusion_proof(leaves, seq - 1, n)
    return InclusionProof(seq, n, leaves[seq - 1], merkle.root(leaves), tuple(path))


@dataclass(frozen=True)
class ConsistencyProof:
    """That the tree of ``old`` records is a prefix of the tree of ``new`` records."""

    old: int
    new: int
    old_root: bytes
    root: bytes
    path: tuple[bytes, ...]

    def as_json(self) -> dict[str, Any]:
        """Hashes in base64; ``size``/``root`` are the new tree's."""
        b64 = base64.b64encode
        return {"from": self.old, "size": self.new, "old_root": b64(self.old_root).decode(),
                "root": b64(self.root).decode(), "hashes": [b64(h).decode() for h in self.path]}


def consistency(store: Store, old: int, new: int | None = None) -> ConsistencyProof:
    """A consistency proof from the tree of ``old`` records to that of ``new`` (default: all).

    Raises UsageError unless ``1 <= old <= new <= size``.
    """
    with store.reading() as r:
        head = r.head().size
        n = head if new is None else new
        if not 1 <= n <= head:
            raise UsageError(f"size {n} is outside the log (1..{head})")
        if not 1 <= old <= n:
            raise UsageError(f"size {old} is outside 1..{n}: a consistency proof runs from a smaller tree")
        leaves = r.leaf_hashes(n)
    path = merkle.consistency_proof(leaves, old, n)
    return ConsistencyProof(old, n, merkle.root(leaves[:old]), merkle.root(leaves), tuple(path))


__all__ = ["CheckpointError", "ConsistencyProof", "InclusionProof", "Tampering", "VerifyReport", "check_row",
           "check_rows", "checkpoint", "consistency", "origin", "proof", "verify"]
