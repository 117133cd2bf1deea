"""Signed checkpoints: Go signed-note compatibility, round trips, tampering, key files and `accord keygen`."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import accord.cli._keys  # noqa: F401  (registers `accord keygen` until cli/__init__ imports it)
from accord.cli import cli
from accord.errors import CheckpointError
from accord.integrity.checkpoint import (
    Checkpoint,
    NoteSignature,
    Signer,
    generate_key,
    key_id,
    load_signer,
    load_verifier,
    parse_checkpoint,
    parse_note,
    sign_checkpoint,
    sign_note,
    signer_from_text,
    verifier_from_text,
    verify_checkpoint,
    verify_note,
    write_keypair,
)
from accord.integrity.merkle import leaf_hash, root

NOTE = json.loads((Path(__file__).parent / "vectors" / "signed_note.json").read_text(encoding="utf-8"))
PETER, ENOCH = NOTE["peter"], NOTE["enoch"]
ROOT = root([leaf_hash(b"one"), leaf_hash(b"two"), leaf_hash(b"three")])
ORIGIN = "accord.example/refunds"


@pytest.fixture(scope="module")
def signer() -> Signer:
    return signer_from_text(generate_key("accord-test")[0])


# --- the published signed-note vectors (golang.org/x/mod/sumdb/note) ----------------------------

def test_key_id_of_the_published_key_matches() -> None:
    """SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4] of PeterNeumann's key is c74f20a3."""
    public = base64.b64decode(PETER["verifier_key"].split("+")[2])[1:]
    assert key_id(PETER["name"], public).hex() == PETER["key_id"]
    assert verifier_from_text(PETER["verifier_key"]).key_id.hex() == PETER["key_id"]
    assert verifier_from_text(ENOCH["verifier_key"]).key_id.hex() == ENOCH["key_id"]


def test_the_published_private_key_yields_the_published_public_key() -> None:
    """Parsing Go's signer key gives back its verifier key and its own text form."""
    signer = signer_from_text(PETER["signer_key"])
    assert signer.verifier.text() == PETER["verifier_key"]
    assert signer.text() == PETER["signer_key"]


def test_signing_the_published_text_gives_gos_signed_note_byte_for_byte() -> None:
    """Ed25519 is deterministic: our note equals the one in Go's note_test.go."""
    assert sign_note(NOTE["text"], signer_from_text(PETER["signer_key"])) == NOTE["signed"]


def test_the_published_signatures_verify_with_their_keys_only() -> None:
    """In a note signed by both, each key finds its own valid signature; an unrelated key finds none."""
    both = NOTE["text"] + "\n" + PETER["signature_line"] + ENOCH["signature_line"]
    assert verify_note(both, verifier_from_text(PETER["verifier_key"]))
    assert verify_note(both, verifier_from_text(ENOCH["verifier_key"]))
    assert not verify_note(both, verifier_from_text(generate_key("PeterNeumann")[1]))
    text, signatures = parse_note(both)
    assert text == NOTE["text"]
    assert [(s.name, s.key_id.hex()) for s in signatures] == [("PeterNeumann", "c74f20a3"),
                                                              ("EnochRoot", "af0cfe78")]


# --- checkpoints ---------------------------------------------------------------------------------

def test_a_checkpoint_is_a_signed_note_in_the_c2sp_form(signer: Signer) -> None:
    """Origin, size and base64 root lines, a blank line, then `— name base64(key id ‖ signature)`."""
    text = sign_checkpoint(ORIGIN, 3, ROOT, signer)
    lines = text.split("\n")
    assert lines[:4] == [ORIGIN, "3", base64.b64encode(ROOT).decode(), ""]
    assert lines[5] == "" and len(lines) == 6
    assert lines[4].startswith("\u2014 accord-test ")
    raw = base64.b64decode(lines[4].split(" ")[2], validate=True)
    assert raw[:4] == signer.key_id and len(raw) == 4 + 64


def test_a_checkpoint_round_trips_and_verifies(signer: Signer) -> None:
    """parse_checkpoint gives back what was signed, and the signature verifies."""
    text = sign_checkpoint(ORIGIN, 12345, ROOT, signer)
    checkpoint = parse_checkpoint(text)
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == (ORIGIN, 12345, ROOT)
    assert checkpoint.signatures[0][:2] == ("accord-test", signer.key_id)
    assert checkpoint.body == f"{ORIGIN}\n12345\n{base64.b64encode(ROOT).decode()}\n"
    assert verify_checkpoint(text, signer.verifier)


def test_the_empty_log_has_a_checkpoint_too(signer: Signer) -> None:
    """Size 0 with the empty root is a valid checkpoint."""
    text = sign_checkpoint(ORIGIN, 0, root([]), signer)
    assert parse_checkpoint(text).size == 0 and verify_checkpoint(text, signer.verifier)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_flipped_bit_in_the_body_fails(signer: Signer, data: st.DataObject) -> None:
    """Changing any bit of the signed text either breaks parsing or the signature."""
    text = sign_checkpoint(ORIGIN, 1234, ROOT, signer)
    body_length = len(parse_checkpoint(text).body.encode())
    position = data.draw(st.integers(min_value=0, max_value=body_length - 2))  # not the final newline
    bit = data.draw(st.integers(min_value=0, max_value=7))
    raw = bytearray(text.encode())
    raw[position] ^= 1 << bit
    try:
        tampered = raw.decode("utf-8")
        assert not verify_checkpoint(tampered, signer.verifier)
    except (UnicodeDecodeError, CheckpointError):
        pass  # no longer text, or no longer a checkpoint: refused either way


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=64 * 8 - 1))
def test_any_flipped_bit_in_the_signature_fails(signer: Signer, bit: int) -> None:
    """Changing any bit of the 64-byte Ed25519 signature makes it invalid."""
    text = sign_checkpoint(ORIGIN, 7, ROOT, signer)
    body, line = text.rsplit("\n\n", 1)
    encoded = line.rstrip("\n").split(" ")[2]
    raw = bytearray(base64.b64decode(encoded))
    raw[4 + bit // 8] ^= 1 << (bit % 8)
    tampered = f"{body}\n\n\u2014 accord-test {base64.b64encode(bytes(raw)).decode()}\n"
    assert not verify_checkpoint(tampered, signer.verifier)


def test_a_checkpoint_does_not_verify_with_another_key(signer: Signer) -> None:
    """A different key of the same name, or a key of another name, does not accept the signature."""
    text = sign_checkpoint(ORIGIN, 3, ROOT, signer)
    assert not verify_checkpoint(text, verifier_from_text(generate_key("accord-test")[1]))
    assert not verify_checkpoint(text, verifier_from_text(generate_key("someone-else")[1]))


def test_foreign_signatures_are_ignored_but_a_bad_one_by_our_key_is_not(signer: Signer) -> None:
    """A witness's cosignature does not matter; another, invalid signature claiming our key fails the note."""
    text = sign_checkpoint(ORIGIN, 3, ROOT, signer)
    witness = signer_from_text(generate_key("witness.example")[0])
    cosigned = sign_note(parse_checkpoint(text).body, witness).rsplit("\n\n", 1)[1]
    assert verify_checkpoint(text + cosigned, signer.verifier)
    forged = base64.b64encode(signer.key_id + bytes(64)).decode()
    assert not verify_checkpoint(text + f"\u2014 accord-test {forged}\n", signer.verifier)


def test_extension_lines_are_kept_and_signed(signer: Signer) -> None:
    """C2SP allows extension lines after the root; they are part of the signed body."""
    body = f"{ORIGIN}\n9\n{base64.b64encode(ROOT).decode()}\nextension one\n"
    text = sign_note(body, signer)
    checkpoint = parse_checkpoint(text)
    assert checkpoint.extensions == ("extension one",) and verify_checkpoint(text, signer.verifier)
    assert not verify_checkpoint(text.replace("extension one", "extension two"), signer.verifier)


def _valid(signer_name: str = "k") -> str:
    return sign_checkpoint(ORIGIN, 5, ROOT, signer_from_text(generate_key(signer_name)[0]))


@pytest.mark.parametrize(("text", "message"), [
    ("", "no blank line"),
    ("not a checkpoint\n", "no blank line"),
    (f"{ORIGIN}\n5\n{base64.b64encode(ROOT).decode()}\n\n", "signature lines must follow"),
    (f"\n5\n{base64.b64encode(ROOT).decode()}\n\n\u2014 k AAAAAAA=\n", "line 1: the origin"),
    (f"{ORIGIN}\n5\n\n\u2014 k AAAAAAA=\n", "three lines"),
    (f"{ORIGIN}\nfive\n{base64.b64encode(ROOT).decode()}\n\n\u2014 k AAAAAAA=\n", "line 2: the tree size"),
    (f"{ORIGIN}\n05\n{base64.b64encode(ROOT).decode()}\n\n\u2014 k AAAAAAA=\n", "no leading zeros"),
    (f"{ORIGIN}\n-5\n{base64.b64encode(ROOT).decode()}\n\n\u2014 k AAAAAAA=\n", "line 2"),
    (f"{ORIGIN}\n5\nnot base64!\n\n\u2014 k AAAAAAA=\n", "line 3: the root hash is not valid base64"),
    (f"{ORIGIN}\n5\n{base64.b64encode(ROOT[:31]).decode()}\n\n\u2014 k AAAAAAA=\n", "31 bytes"),
    (f"{ORIGIN}\n5\n{base64.b64encode(ROOT).decode()}\n\n- k AAAAAAA=\n", "line 5: a signature line starts"),
    (f"{ORIGIN}\n5\n{base64.b64encode(ROOT).decode()}\n\n\u2014 k AAAA\n", "too short"),
    (f"{ORIGIN}\n5\n{base64.b64encode(ROOT).decode()}\n\n\u2014 k A*AAAAA=\n", "not valid base64"),
    (f"{ORIGIN}\n5\n{base64.b64encode(ROOT).decode()}\n\n\u2014 a+b AAAAAAA=\n", "contains '+'"),
    (f"{ORIGIN}\r\n5\n{base64.b64encode(ROOT).decode()}\n\n\u2014 k AAAAAAA=\n", "control character U+000D"),
    (f"{ORIGIN}\n5\n{base64.b64encode(ROOT).decode()}\n\n" + "\u2014 k AAAAAAA=\n" * 101, "at most 100"),
])
def test_malformed_checkpoints_are_refused_naming_the_problem(text: str, message: str) -> None:
    """Each malformation raises CheckpointError with a message that says what and where."""
    with pytest.raises(CheckpointError, match=re.escape(message)):
        parse_checkpoint(text, "cp.txt")


def test_malformed_messages_name_the_source() -> None:
    """The file name given as source leads the message."""
    with pytest.raises(CheckpointError, match=r"^cp-2026\.txt line 2:"):
        parse_checkpoint(_valid().replace("\n5\n", "\nx\n"), "cp-2026.txt")


@pytest.mark.parametrize(("origin", "size", "root_hash"), [
    ("", 1, ROOT), ("two\nlines", 1, ROOT), (ORIGIN, -1, ROOT), (ORIGIN, 2**64, ROOT), (ORIGIN, 1, ROOT[:16]),
])
def test_sign_checkpoint_refuses_what_it_cannot_write(signer: Signer, origin: str, size: int,
                                                      root_hash: bytes) -> None:
    """An empty or multi-line origin, a size outside 0..2**64-1, or a root that is not 32 bytes."""
    with pytest.raises(CheckpointError):
        sign_checkpoint(origin, size, root_hash, signer)


def test_checkpoint_value_is_what_parse_returns(signer: Signer) -> None:
    """parse_checkpoint returns a Checkpoint whose signatures are NoteSignature(name, key_id, signature)."""
    checkpoint = parse_checkpoint(sign_checkpoint(ORIGIN, 1, ROOT, signer))
    assert isinstance(checkpoint, Checkpoint)
    assert isinstance(checkpoint.signatures[0], NoteSignature)
    name, key, signature = checkpoint.signatures[0]
    assert (name, key, len(signature)) == ("accord-test", signer.key_id, 64)


# --- keys ----------------------------------------------------------------------------------------

def test_generated_keys_use_the_note_key_formats() -> None:
    """private: PRIVATE+KEY+name+hex8+base64(0x01 ‖ seed); public: name+hex8+base64(0x01 ‖ key)."""
    private, public = generate_key("ledger.example")
    assert re.fullmatch(r"PRIVATE\+KEY\+ledger\.example\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}", private)
    assert re.fullmatch(r"ledger\.example\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}", public)
    assert base64.b64decode(public.split("+", 2)[2])[0] == 0x01
    signer, verifier = signer_from_text(private), verifier_from_text(public)
    assert signer.key_id == verifier.key_id and signer.verifier.text() == public


@pytest.mark.parametrize("name", ["", "a+b", "has space", "tab\there", "line\nbreak"])
def test_a_key_name_must_be_one_word_without_plus(name: str) -> None:
    """Names appear in signature lines, so they cannot be empty or hold '+', spaces or control characters."""
    with pytest.raises(CheckpointError, match="key name"):
        generate_key(name)


def test_signer_repr_never_shows_the_key() -> None:
    """repr(signer) names the key, not the secret."""
    private, _ = generate_key("k")
    assert repr(signer_from_text(private)).startswith("Signer(k+")
    assert private.split("+", 4)[4] not in repr(signer_from_text(private))  # the base64 seed


@pytest.fixture
def umask_zero() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_write_keypair_creates_a_0600_private_key_and_a_public_key(tmp_path: Path, umask_zero: None) -> None:
    """Even with umask 0 the private key file is mode 0600; KEY.pub holds the matching public key."""
    private_path, public_path = write_keypair(tmp_path / "k", "accord-test")
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    assert public_path == tmp_path / "k.pub"
    signer, verifier = load_signer(private_path), load_verifier(public_path)
    assert signer.name == verifier.name == "accord-test" and signer.key_id == verifier.key_id
    assert verify_checkpoint(sign_checkpoint(ORIGIN, 1, ROOT, signer), verifier)


@pytest.mark.parametrize("existing", ["k", "k.pub"])
def test_write_keypair_never_overwrites(tmp_path: Path, existing: str) -> None:
    """If KEY or KEY.pub exists, nothing is written and the existing file is untouched."""
    (tmp_path / existing).write_text("precious\n")
    with pytest.raises(CheckpointError, match="already exists"):
        write_keypair(tmp_path / "k", "accord")
    assert (tmp_path / existing).read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing]


def test_write_keypair_does_not_follow_a_planted_symlink(tmp_path: Path) -> None:
    """A symlink at KEY (even a dangling one) is refused rather than written through."""
    (tmp_path / "k").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(CheckpointError, match="already exists"):
        write_keypair(tmp_path / "k", "accord")
    assert not (tmp_path / "elsewhere").exists()


def test_write_keypair_where_no_folder_can_be_made_says_so(tmp_path: Path) -> None:
    """A path that cannot be created is a CheckpointError naming it (a missing folder is made,
    0700, so a file stands where the folder would go)."""
    (tmp_path / "a-file").write_text("")
    with pytest.raises(CheckpointError, match="a-file: cannot create the folder for the key"):
        write_keypair(tmp_path / "a-file" / "k", "accord")


@pytest.mark.parametrize(("content", "message"), [
    ("", "not an accord private key"),
    ("hello\n", "not an accord private key"),
    (PETER["verifier_key"] + "\n", "this is a public key"),
    (PETER["signer_key"].replace("c74f20a3", "c74f20a4") + "\n", "key id c74f20a4 does not match"),
    (PETER["signer_key"].replace("c74f20a3", "C74F20A3"), "8 lower-case hex digits"),
    (PETER["signer_key"][:-1] + "\n", "not valid base64"),
    (PETER["signer_key"][:-4] + "\n", "key is 32 bytes, this one is 29"),
    ("PRIVATE+KEY+k+00000000+AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "not an Ed25519 key"),
    (PETER["signer_key"] + "\n" + PETER["signer_key"] + "\n", "one line"),
])
def test_load_signer_explains_a_bad_private_key_file(tmp_path: Path, content: str, message: str) -> None:
    """Every kind of bad private key file gives a CheckpointError naming the file and the problem."""
    path = tmp_path / "bad.key"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(CheckpointError, match=re.escape(message)) as caught:
        load_signer(path)
    assert str(caught.value).startswith(str(path))
    assert "AYEKFALVFGyNhPJEMzD1QIDr" not in str(caught.value), "a message must never quote the secret"


@pytest.mark.parametrize(("content", "message"), [
    ("", "not an accord public key"),
    (PETER["signer_key"] + "\n", "this is a private key"),
    (PETER["verifier_key"].replace("c74f20a3", "00000000"), "does not match the key"),
    (PETER["verifier_key"][:-1], "not valid base64"),
    (PETER["verifier_key"] + "AAAA", "key is 32 bytes, this one is 35"),
])
def test_load_verifier_explains_a_bad_public_key_file(tmp_path: Path, content: str, message: str) -> None:
    """Every kind of bad public key file gives a CheckpointError naming the file and the problem."""
    path = tmp_path / "bad.pub"
    path.write_text(content)
    with pytest.raises(CheckpointError, match=re.escape(message)):
        load_verifier(path)


def test_unreadable_key_files_are_checkpoint_errors(tmp_path: Path) -> None:
    """A missing file, a folder or binary junk is a CheckpointError, not an OSError."""
    with pytest.raises(CheckpointError, match="no such private key file; create one with `accord keygen"):
        load_signer(tmp_path / "nope")
    with pytest.raises(CheckpointError, match="is a folder"):
        load_verifier(tmp_path)
    (tmp_path / "junk").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CheckpointError, match="not UTF-8 text"):
        load_verifier(tmp_path / "junk")


# --- accord keygen -------------------------------------------------------------------------------

def test_keygen_writes_the_pair_and_prints_the_public_key(tmp_path: Path) -> None:
    """`accord keygen --out KEY --name N` writes KEY (0600) and KEY.pub and prints the public key."""
    result = CliRunner().invoke(cli, ["keygen", "--out", str(tmp_path / "k"), "--name", "refunds-ledger"])
    assert result.exit_code == 0, result.output
    public = (tmp_path / "k.pub").read_text().strip()
    assert result.stdout.strip() == public and public.startswith("refunds-ledger+")
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o600
    assert load_signer(tmp_path / "k").verifier.text() == public


def test_keygen_names_the_key_accord_by_default_and_speaks_json(tmp_path: Path) -> None:
    """Without --name the key is called `accord`; --json reports paths, name and key id."""
    result = CliRunner().invoke(cli, ["keygen", "--out", str(tmp_path / "k"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["name"] == "accord" and report["public_key"] == str(tmp_path / "k.pub")
    assert report["verifier_key"] == (tmp_path / "k.pub").read_text().strip()
    assert report["key_id"] == load_verifier(tmp_path / "k.pub").key_id.hex()


def test_keygen_refuses_to_overwrite_a_key(tmp_path: Path) -> None:
    """A second keygen to one path raises CheckpointError (exit 2 at the CLI boundary) and keeps the key."""
    CliRunner().invoke(cli, ["keygen", "--out", str(tmp_path / "k")])
    before = (tmp_path / "k").read_text()
    result = CliRunner().invoke(cli, ["keygen", "--out", str(tmp_path / "k")])
    assert isinstance(result.exception, CheckpointError) and result.exception.exit_code == 2
    assert "already exists" in str(result.exception)
    assert (tmp_path / "k").read_text() == before


def test_keygen_help_has_an_example() -> None:
    """`accord keygen --help` explains the command and shows an example."""
    result = CliRunner().invoke(cli, ["keygen", "--help"])
    assert result.exit_code == 0 and "Example:" in result.output and "accord keygen --out" in result.output


def test_the_checkpoint_shown_in_the_docs_verifies_with_the_key_shown_there() -> None:
    """docs/integrity.md's example checkpoint is real: it verifies with the public key shown there."""
    text = (Path(__file__).parent.parent / "docs" / "integrity.md").read_text(encoding="utf-8")
    example = re.search(r"```\n(accord\.ledger/.*?\n\n\u2014 .*?\n)```", text, re.DOTALL)
    public = re.search(r"^refunds-ledger\+[0-9a-f]{8}\+\S+$", text, re.MULTILINE)
    assert example and public, "docs/integrity.md lost its checkpoint or key example"
    assert verify_checkpoint(example.group(1), verifier_from_text(public.group(0)))


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_a_private_key_others_can_read_is_refused_as_ssh_does(tmp_path: Path, mode: int) -> None:
    private, _ = write_keypair(tmp_path / "k.key", "k")
    private.chmod(mode)
    with pytest.raises(CheckpointError, match=f"readable by others \\(mode {mode:o}\\).*chmod 600"):
        load_signer(private)
