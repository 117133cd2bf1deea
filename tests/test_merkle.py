"""RFC 6962 / RFC 9162 Merkle trees: published vectors; valid proofs verify, tampered ones fail."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from accord.integrity.merkle import (
    EMPTY_ROOT,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)
from tests.helpers import proof_problem

VECTORS = json.loads((Path(__file__).parent / "vectors" / "rfc6962.json").read_text())
LEAVES = [leaf_hash(bytes.fromhex(data)) for data in VECTORS["leaves_hex"]]
ROOTS = [bytes.fromhex(h) for h in VECTORS["roots_hex"]]


def _reference_root(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH, written as the recursive definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(_reference_root(leaves[:k]), _reference_root(leaves[k:]))


def _leaves(n: int) -> list[bytes]:
    return [leaf_hash(f"event {i}".encode()) for i in range(n)]


# --- hashing and published vectors -------------------------------------------------------------

def test_the_empty_tree_root_is_sha256_of_nothing() -> None:
    """MTH({}) = SHA-256('') = e3b0c442…"""
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]) == EMPTY_ROOT


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    """leaf('') = 6e340b9c…; a node hashes 0x01 ‖ left ‖ right, so it never equals a leaf of those bytes."""
    assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    left, right = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert node_hash(left, right) != leaf_hash(left + right)


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_the_rfc6962_reference_tree(size: int) -> None:
    """Roots of the first 1..8 leaves of the reference tree match transparency-dev's table."""
    assert root(LEAVES[:size]) == ROOTS[size - 1]


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=lambda c: f"leaf{c['leaf']}-size{c['size']}")
def test_inclusion_proofs_of_the_reference_tree(case: dict[str, Any]) -> None:
    """The audit paths equal the published ones and verify against the published roots."""
    index, size = case["leaf"] - 1, case["size"]
    expected = [bytes.fromhex(h) for h in case["proof_hex"]]
    assert inclusion_proof(LEAVES, index, size) == expected
    verify_inclusion(LEAVES[index], index, size, expected, ROOTS[size - 1])


@pytest.mark.parametrize("case", VECTORS["consistency"], ids=lambda c: f"{c['size1']}-to-{c['size2']}")
def test_consistency_proofs_of_the_reference_tree(case: dict[str, Any]) -> None:
    """The consistency proofs equal the published ones and verify against the published roots."""
    old, new = case["size1"], case["size2"]
    expected = [bytes.fromhex(h) for h in case["proof_hex"]]
    assert consistency_proof(LEAVES, old, new) == expected
    verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], expected)


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


@pytest.mark.parametrize("probe", VECTORS["inclusion_probes"], ids=lambda p: p["file"])
def test_transparency_dev_inclusion_probes(probe: dict[str, Any]) -> None:
    """Each inclusion probe file verifies exactly when it says it should."""
    args = (_b64(probe["leafHash"]), probe["leafIdx"], probe["treeSize"],
            [_b64(h) for h in probe["proof"] or []], _b64(probe["root"]))
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("probe", VECTORS["consistency_probes"], ids=lambda p: p["file"])
def test_transparency_dev_consistency_probes(probe: dict[str, Any]) -> None:
    """Each consistency probe file verifies exactly when it says it should."""
    args = (probe["size1"], probe["size2"], _b64(probe["root1"]), _b64(probe["root2"]),
            [_b64(h) for h in probe["proof"] or []])
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


# --- building ----------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=300))
def test_root_agrees_with_the_recursive_definition(size: int) -> None:
    """root() and the RFC's recursive MTH give the same hash for any size."""
    leaves = _leaves(size)
    assert root(leaves) == _reference_root(leaves)


@pytest.mark.parametrize(("index", "size"), [(-1, 3), (3, 3), (0, 0), (0, 9)])
def test_inclusion_proof_refuses_a_leaf_outside_the_tree(index: int, size: int) -> None:
    """A leaf index or tree size outside the leaves given is a ValueError."""
    with pytest.raises(ValueError, match="no leaf"):
        inclusion_proof(_leaves(8), index, size)


@pytest.mark.parametrize(("old", "new"), [(-1, 3), (4, 3), (0, 9)])
def test_consistency_proof_refuses_sizes_outside_the_leaves(old: int, new: int) -> None:
    """Sizes that shrink or exceed the leaves given are a ValueError."""
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(_leaves(8), old, new)


# --- every valid proof verifies, every tampered one fails --------------------------------------

@st.composite
def _inclusion_case(draw: st.DrawFn) -> tuple[list[bytes], int, int, list[bytes]]:
    size = draw(st.integers(min_value=1, max_value=130))
    index = draw(st.integers(min_value=0, max_value=size - 1))
    leaves = _leaves(size)
    return leaves, index, size, inclusion_proof(leaves, index, size)


@settings(max_examples=150, deadline=None)
@given(_inclusion_case())
def test_every_inclusion_proof_verifies(case: tuple[list[bytes], int, int, list[bytes]]) -> None:
    """The audit path of any leaf in any tree verifies against that tree's root."""
    leaves, index, size, proof = case
    assert proof_problem(verify_inclusion, leaves[index], index, size, proof, root(leaves)) is None


@settings(max_examples=150, deadline=None)
@given(_inclusion_case(), st.data())
def test_an_inclusion_proof_with_a_flipped_bit_fails(case: tuple[list[bytes], int, int, list[bytes]],
                                                     data: st.DataObject) -> None:
    """Flipping any one bit of the proof, the leaf or the root makes verification fail."""
    leaves, index, size, proof = case
    hashes = [*proof, leaves[index], root(leaves)]
    which = data.draw(st.integers(min_value=0, max_value=len(hashes) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=255))
    flipped = bytearray(hashes[which])
    flipped[bit // 8] ^= 1 << (bit % 8)
    hashes[which] = bytes(flipped)
    with pytest.raises(ProofError):
        verify_inclusion(hashes[-2], index, size, hashes[:-2], hashes[-1])


@settings(max_examples=100, deadline=None)
@given(_inclusion_case(), st.binary(min_size=32, max_size=32))
def test_a_truncated_or_extended_inclusion_proof_fails(case: tuple[list[bytes], int, int, list[bytes]],
                                                       extra: bytes) -> None:
    """Dropping the last hash or appending any hash is rejected with the expected length in the message."""
    leaves, index, size, proof = case
    if proof:
        with pytest.raises(ProofError, match="hashes"):
            verify_inclusion(leaves[index], index, size, proof[:-1], root(leaves))
    with pytest.raises(ProofError, match="hashes"):
        verify_inclusion(leaves[index], index, size, [*proof, extra], root(leaves))


@settings(max_examples=150, deadline=None)
@given(_inclusion_case(), st.data())
def test_an_inclusion_proof_for_the_wrong_index_or_size_fails(
        case: tuple[list[bytes], int, int, list[bytes]], data: st.DataObject) -> None:
    """Claiming the leaf sits elsewhere, or in a tree of another size (with that tree's root), fails."""
    leaves, index, size, proof = case
    if size > 1:
        other = data.draw(st.integers(min_value=0, max_value=size - 1).filter(lambda i: i != index))
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], other, size, proof, root(leaves))
    all_leaves = _leaves(size + 40)
    other_size = data.draw(st.integers(min_value=index + 1, max_value=size + 40).filter(lambda n: n != size))
    assume(inclusion_proof(all_leaves, index, other_size) != proof)
    with pytest.raises(ProofError):
        verify_inclusion(leaves[index], index, other_size, proof, root(all_leaves[:other_size]))


def test_an_inclusion_failure_says_expected_and_actual_root() -> None:
    """The message names the root the proof leads to and the root expected."""
    leaves = _leaves(8)
    proof = inclusion_proof(leaves, 2, 8)
    with pytest.raises(ProofError, match=r"leads to root [0-9a-f]{16}…, expected [0-9a-f]{16}…"):
        verify_inclusion(leaves[3], 2, 8, proof, root(leaves))


@pytest.mark.parametrize(("index", "size"), [(0, 0), (3, 3), (-1, 4)])
def test_an_index_outside_the_tree_fails(index: int, size: int) -> None:
    """No leaf can be proven at an index outside 0..size-1."""
    with pytest.raises(ProofError, match="outside a tree"):
        verify_inclusion(leaf_hash(b"x"), index, size, [], leaf_hash(b"x"))


@st.composite
def _consistency_case(draw: st.DrawFn) -> tuple[list[bytes], int, int, list[bytes]]:
    new = draw(st.integers(min_value=1, max_value=130))
    old = draw(st.integers(min_value=1, max_value=new))
    leaves = _leaves(new)
    return leaves, old, new, consistency_proof(leaves, old, new)


@settings(max_examples=150, deadline=None)
@given(_consistency_case())
def test_every_consistency_proof_verifies(case: tuple[list[bytes], int, int, list[bytes]]) -> None:
    """The proof between any two sizes of a growing log verifies against their roots."""
    leaves, old, new, proof = case
    assert proof_problem(verify_consistency, old, new, root(leaves[:old]), root(leaves), proof) is None


@settings(max_examples=150, deadline=None)
@given(_consistency_case(), st.data())
def test_a_consistency_proof_with_a_flipped_bit_fails(case: tuple[list[bytes], int, int, list[bytes]],
                                                      data: st.DataObject) -> None:
    """Flipping any one bit of the proof or of either root makes verification fail."""
    leaves, old, new, proof = case
    hashes = [*proof, root(leaves[:old]), root(leaves)]
    which = data.draw(st.integers(min_value=0, max_value=len(hashes) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=255))
    flipped = bytearray(hashes[which])
    flipped[bit // 8] ^= 1 << (bit % 8)
    hashes[which] = bytes(flipped)
    with pytest.raises(ProofError):
        verify_consistency(old, new, hashes[-2], hashes[-1], hashes[:-2])


@settings(max_examples=100, deadline=None)
@given(_consistency_case(), st.binary(min_size=32, max_size=32))
def test_a_truncated_or_extended_consistency_proof_fails(case: tuple[list[bytes], int, int, list[bytes]],
                                                         extra: bytes) -> None:
    """Dropping the last hash or appending any hash is rejected."""
    leaves, old, new, proof = case
    old_root, new_root = root(leaves[:old]), root(leaves)
    if proof:
        with pytest.raises(ProofError):
            verify_consistency(old, new, old_root, new_root, proof[:-1])
    with pytest.raises(ProofError):
        verify_consistency(old, new, old_root, new_root, [*proof, extra])


@settings(max_examples=150, deadline=None)
@given(_consistency_case(), st.data())
def test_a_consistency_proof_for_other_sizes_fails(case: tuple[list[bytes], int, int, list[bytes]],
                                                   data: st.DataObject) -> None:
    """The proof does not verify for another old or new size, even with those trees' true roots."""
    leaves, old, new, proof = case
    all_leaves = _leaves(new + 40)
    other_old = data.draw(st.integers(min_value=0, max_value=new).filter(lambda m: m != old))
    assume(consistency_proof(all_leaves, other_old, new) != proof)
    with pytest.raises(ProofError):
        verify_consistency(other_old, new, root(all_leaves[:other_old]), root(leaves), proof)
    other_new = data.draw(st.integers(min_value=old, max_value=new + 40).filter(lambda n: n != new))
    assume(consistency_proof(all_leaves, old, other_new) != proof)
    with pytest.raises(ProofError):
        verify_consistency(old, other_new, root(all_leaves[:old]), root(all_leaves[:other_new]), proof)


def test_a_rewritten_prefix_is_caught_by_the_consistency_proof() -> None:
    """If any record up to the old size changed, the new log's proof cannot rebuild the old root."""
    leaves = _leaves(20)
    old_root = root(leaves[:11])
    rewritten = [*leaves[:4], leaf_hash(b"forged"), *leaves[5:]]
    with pytest.raises(ProofError, match="old root"):
        verify_consistency(11, 20, old_root, root(rewritten), consistency_proof(rewritten, 11, 20))


def test_trivial_consistency_cases() -> None:
    """From the empty tree or to the same size the proof is empty; other inputs are refused with reasons."""
    leaves = _leaves(6)
    assert proof_problem(verify_consistency, 0, 6, EMPTY_ROOT, root(leaves), []) is None
    assert proof_problem(verify_consistency, 6, 6, root(leaves), root(leaves), []) is None
    with pytest.raises(ProofError, match="never shrinks"):
        verify_consistency(6, 5, root(leaves), root(leaves[:5]), [])
    with pytest.raises(ProofError, match="roots differ"):
        verify_consistency(6, 6, root(leaves), root(leaves[:5]), [])
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 6, root(leaves[:1]), root(leaves), [])
    with pytest.raises(ProofError, match="is empty, this one has 1"):
        verify_consistency(6, 6, root(leaves), root(leaves), [EMPTY_ROOT])


def test_hashes_of_the_wrong_length_are_refused() -> None:
    """A proof hash, leaf or root that is not 32 bytes is named in the error."""
    leaves = _leaves(4)
    proof = inclusion_proof(leaves, 1, 4)
    with pytest.raises(ProofError, match="proof hash 1 is 31 bytes"):
        verify_inclusion(leaves[1], 1, 4, [proof[0], proof[1][:31]], root(leaves))
    with pytest.raises(ProofError, match="the new root is 0 bytes"):
        verify_consistency(2, 4, root(leaves[:2]), b"", consistency_proof(leaves, 2, 4))
