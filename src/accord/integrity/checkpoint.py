"""Signed checkpoints of the log: C2SP ``tlog-checkpoint`` in a C2SP ``signed-note``, Ed25519.

A checkpoint is a note whose text is three lines — the log's origin, its tree
size and the base64 root hash — followed by a blank line and one signature line
per key::

    accord.example/refunds
    10000
    d3Vu3X…=

    — accord-prod Gu4k…=

A signature line is ``— <key name> <base64(key id ‖ signature)>`` (U+2014 and a
space); the key id is the first 4 bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖
public key) and the Ed25519 signature covers the note text with its final
newline. Keys use the text forms of Go's ``golang.org/x/mod/sumdb/note``, so
notes and keys interoperate with that ecosystem::

    public:  <name>+<hex key id>+<base64(0x01 ‖ public key)>
    private: PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 ‖ seed)>

Everything a user can get wrong (a key file, a checkpoint file) raises
:class:`~accord.errors.CheckpointError` with a message that names the file and
line. Messages never quote a private key.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from accord.errors import CheckpointError
from accord.integrity.keys import (
    Signer,
    Verifier,
    generate_key,
    key_id,
    load_signer,
    load_verifier,
    name_problem,
    signer_from_text,
    verifier_from_text,
    write_keypair,
)

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "NoteSignature",
    "Signer",
    "Verifier",
    "generate_key",
    "key_id",
    "load_signer",
    "load_verifier",
    "parse_checkpoint",
    "parse_note",
    "sign_checkpoint",
    "sign_note",
    "signer_from_text",
    "verifier_from_text",
    "verify_checkpoint",
    "verify_note",
    "write_keypair",
]

SIGNATURE_PREFIX = "— "  # U+2014 EM DASH and a space open every signature line
MAX_SIGNATURES = 100  # as Go's note.Open: a note with more is malformed
MAX_NOTE_BYTES = 1 << 20  # a checkpoint is a few hundred bytes; refuse to parse megabytes

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_MAX_TREE_SIZE = 2**64 - 1
_ROOT_SIZE = 32


class NoteSignature(NamedTuple):
    """One signature line of a note: who signed (name and 4-byte key id) and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class Checkpoint:
    """A parsed checkpoint: the log's ``origin``, tree ``size`` and ``root`` hash, and its signatures.

    ``body`` is the signed text (origin, size, root and any extension lines, each
    ending in a newline); ``extensions`` holds the extension lines, if any.
    """

    origin: str
    size: int
    root: bytes
    signatures: list[NoteSignature]
    body: str
    extensions: tuple[str, ...] = ()


def _text_problem(text: str) -> str | None:
    for number, line in enumerate(text.split("\n"), start=1):
        for ch in line:
            if ord(ch) < 0x20:
                return f"line {number} holds control character U+{ord(ch):04X}; a note is plain text lines"
            if 0xD800 <= ord(ch) <= 0xDFFF:
                return f"line {number} is not valid Unicode text"
    return None


def sign_note(text: str, signer: Signer) -> str:
    """The signed note: ``text`` (which must end in a newline), a blank line, and ``signer``'s signature line.

    Raises CheckpointError when ``text`` is empty, does not end in a newline, or
    holds a control character other than newline.
    """
    if not text.endswith("\n"):
        raise CheckpointError("a note's text must end with a newline")
    problem = _text_problem(text)
    if problem:
        raise CheckpointError(f"cannot sign this note: {problem}")
    signature = signer.sign(text.encode())
    encoded = base64.b64encode(signer.key_id + signature).decode()
    return f"{text}\n{SIGNATURE_PREFIX}{signer.name} {encoded}\n"


def parse_note(note: str, source: str = "note") -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text (with final newline) and its signature lines.

    ``source`` names where the note came from, for messages. Raises
    CheckpointError when the note is malformed: control characters, no blank
    line before the signatures, a signature line not of the form ``— name
    base64``, or more than 100 signatures.
    """
    if len(note) > MAX_NOTE_BYTES:
        raise CheckpointError(f"{source}: {len(note)} characters is far too long for a signed note")
    problem = _text_problem(note)
    if problem:
        raise CheckpointError(f"{source}: {problem}")
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointError(f"{source}: no blank line before the signature lines; "
                              "is this a signed checkpoint?")
    text, block = note[: split + 1], note[split + 2:]
    if not block or not block.endswith("\n"):
        raise CheckpointError(f"{source}: the signature lines must follow the blank line and end "
                              "with a newline")
    first_line = text.count("\n") + 2
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"{source}: {len(lines)} signature lines; at most {MAX_SIGNATURES} are allowed")
    signatures = [_parse_signature_line(line, f"{source} line {first_line + offset}")
                  for offset, line in enumerate(lines)]
    return text, signatures


def _parse_signature_line(line: str, where: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise CheckpointError(f"{where}: a signature line starts with '— ' (U+2014 and a space): "
                              f"{line[:40]!r}")
    name, _, encoded = line[len(SIGNATURE_PREFIX):].partition(" ")
    problem = name_problem(name)
    if problem:
        raise CheckpointError(f"{where}: {problem}")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise CheckpointError(f"{where}: the signature of {name!r} is not valid base64") from None
    if len(raw) < 5:
        raise CheckpointError(f"{where}: the signature of {name!r} is too short to hold a key id "
                              "and a signature")
    return NoteSignature(name, raw[:4], raw[4:])


def verify_note(note: str, verifier: Verifier) -> bool:
    """True when ``note`` carries a valid signature by ``verifier``'s key (same name and key id).

    Signatures by other keys are ignored; a signature that claims this key but
    does not verify makes the answer False. Raises CheckpointError when the note
    is malformed.
    """
    text, signatures = parse_note(note)
    return _signed_by(text, signatures, verifier)


def _signed_by(text: str, signatures: Sequence[NoteSignature], verifier: Verifier) -> bool:
    claimed = [s for s in signatures if s.name == verifier.name and s.key_id == verifier.key_id]
    message = text.encode()
    return bool(claimed) and all(verifier.verify(message, s.signature) for s in claimed)


def sign_checkpoint(origin: str, size: int, root: bytes, signer: Signer) -> str:
    """The signed checkpoint note for the tree of ``size`` leaves with ``root`` in the log ``origin``.

    Returns ``origin\\nsize\\nbase64(root)\\n\\n— name base64(key id ‖ signature)\\n``.

    Raises CheckpointError when ``origin`` is empty or not one line of text,
    ``size`` is negative, or ``root`` is not a 32-byte hash.
    """
    if not origin or "\n" in origin or _text_problem(origin):
        raise CheckpointError(f"the origin {origin!r} must be one non-empty line of text")
    if not 0 <= size <= _MAX_TREE_SIZE:
        raise CheckpointError(f"the tree size {size} must be between 0 and 2**64 - 1")
    if len(root) != _ROOT_SIZE:
        raise CheckpointError(f"the root is {len(root)} bytes; a SHA-256 root is {_ROOT_SIZE}")
    body = f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"
    return sign_note(body, signer)


def parse_checkpoint(text: str, source: str = "checkpoint") -> Checkpoint:
    """The :class:`Checkpoint` in a signed checkpoint note.

    ``source`` names where the text came from (a file name), for messages.
    Signatures are parsed, not verified: use :func:`verify_checkpoint`.

    Raises CheckpointError naming the line for anything malformed: a missing
    origin, a size that is not a decimal number, a root that is not the base64
    of 32 bytes, an empty line in the body, or a bad signature block.
    """
    body, signatures = parse_note(text, source)
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError(f"{source}: a checkpoint starts with three lines (origin, tree size, "
                              f"root hash); this one has {len(lines)}")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise CheckpointError(f"{source} line 1: the origin (the name of the log) is empty")
    if not _DECIMAL.fullmatch(size_text) or int(size_text) > _MAX_TREE_SIZE:
        raise CheckpointError(f"{source} line 2: the tree size {size_text[:40]!r} is not a decimal number "
                              "(digits only, no leading zeros)")
    try:
        root = base64.b64decode(root_text, validate=True)
    except (binascii.Error, ValueError):
        raise CheckpointError(f"{source} line 3: the root hash is not valid base64") from None
    if len(root) != _ROOT_SIZE:
        raise CheckpointError(f"{source} line 3: the root hash is {len(root)} bytes; a SHA-256 root is "
                              f"{_ROOT_SIZE}")
    for number, extension in enumerate(extensions, start=4):
        if not extension:
            raise CheckpointError(f"{source} line {number}: empty line inside the checkpoint body")
    return Checkpoint(origin=origin, size=int(size_text), root=root, signatures=signatures, body=body,
                      extensions=tuple(extensions))


def verify_checkpoint(cp_text: str, verifier: Verifier) -> bool:
    """True when the checkpoint ``cp_text`` is validly signed by ``verifier``'s key.

    Only signature lines with the verifier's key name and key id count; there
    must be at least one and every one of them must verify over the checkpoint
    body. Raises CheckpointError when the checkpoint is malformed.
    """
    checkpoint = parse_checkpoint(cp_text)
    return _signed_by(checkpoint.body, checkpoint.signatures, verifier)
