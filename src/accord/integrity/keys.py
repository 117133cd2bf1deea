"""Ed25519 keys for signed notes, in the text forms of Go's ``golang.org/x/mod/sumdb/note``::

    public:  <name>+<hex key id>+<base64(0x01 ‖ public key)>
    private: PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 ‖ seed)>

A key file a user gets wrong raises :class:`~accord.errors.CheckpointError`
naming the file; messages never quote a private key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.errors import CheckpointError

ALG_ED25519 = 0x01
"""The signed-note algorithm byte for Ed25519 keys."""

_PRIVATE_PREFIX = "PRIVATE+KEY+"
_HEX_KEY_ID = re.compile(r"[0-9a-f]{8}")


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id of an Ed25519 ``public_key`` (32 bytes) under ``name``.

    It is the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public_key).
    """
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


def name_problem(name: str) -> str | None:
    if not name:
        return "a key name cannot be empty"
    if "+" in name:
        return f"the key name {name!r} contains '+', which separates the parts of a key"
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        return f"the key name {name!r} contains a space or control character"
    try:
        name.encode()
    except UnicodeEncodeError:
        return f"the key name {name!r} is not valid Unicode text"
    return None


class Verifier:
    """An Ed25519 public key under a name: checks signatures made by the matching :class:`Signer`."""

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        problem = name_problem(name)
        if problem:
            raise CheckpointError(problem)
        self.name = name
        self.public_key = public_key
        self.key_id = key_id(name, public_key.public_bytes_raw())

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True when ``signature`` is this key's Ed25519 signature of ``message``."""
        try:
            self.public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def text(self) -> str:
        """The public verifier key in note form: ``name+hex(key id)+base64(0x01 ‖ public key)``."""
        raw = bytes([ALG_ED25519]) + self.public_key.public_bytes_raw()
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(raw).decode()}"

    def __repr__(self) -> str:
        return f"Verifier({self.name}+{self.key_id.hex()})"


class Signer:
    """An Ed25519 private key under a name: signs notes and checkpoints."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.verifier = Verifier(name, private_key.public_key())
        self.name = name
        self.key_id = self.verifier.key_id

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return self._private_key.sign(message)

    def text(self) -> str:
        """The private signer key in note form: ``PRIVATE+KEY+name+hex(key id)+base64(0x01 ‖ seed)``.

        This is the secret; write it only to a file of mode 0600.
        """
        seed = self._private_key.private_bytes_raw()
        raw = bytes([ALG_ED25519]) + seed
        return f"{_PRIVATE_PREFIX}{self.name}+{self.key_id.hex()}+{base64.b64encode(raw).decode()}"

    def __repr__(self) -> str:  # never show the key itself
        return f"Signer({self.name}+{self.key_id.hex()})"


def generate_key(name: str) -> tuple[str, str]:
    """A new Ed25519 key pair named ``name``, as ``(private_text, public_text)`` in note key form.

    Raises CheckpointError when ``name`` is empty or holds '+', a space or a control character.
    """
    problem = name_problem(name)
    if problem:
        raise CheckpointError(problem)
    signer = Signer(name, Ed25519PrivateKey.generate())
    return signer.text(), signer.verifier.text()


def _decode_key(text: str, source: str, kind: str) -> tuple[str, bytes, bytes]:
    """Split ``name+hexid+base64`` into (name, key id, key bytes without the algorithm byte)."""
    parts = text.split("+", 2)  # the base64 key may itself hold "+"
    if len(parts) != 3:
        raise CheckpointError(f"{source}: not an accord {kind} key: expected one line "
                              f"{'PRIVATE+KEY+' if kind == 'private' else ''}<name>+<key id>+<base64 key> "
                              "as `accord keygen` writes")
    name, hex_id, encoded = parts
    problem = name_problem(name)
    if problem:
        raise CheckpointError(f"{source}: {problem}")
    if not _HEX_KEY_ID.fullmatch(hex_id):
        raise CheckpointError(f"{source}: the key id {hex_id!r} is not 8 lower-case hex digits")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise CheckpointError(f"{source}: the {kind} key is not valid base64") from None
    if not raw or raw[0] != ALG_ED25519:
        raise CheckpointError(f"{source}: not an Ed25519 key (algorithm byte "
                              f"{raw[0] if raw else 'missing'}, expected {ALG_ED25519})")
    if len(raw) != 33:
        raise CheckpointError(f"{source}: an Ed25519 {kind} key is 32 bytes, this one is {len(raw) - 1}")
    return name, bytes.fromhex(hex_id), raw[1:]


def signer_from_text(text: str, source: str = "private key") -> Signer:
    """The :class:`Signer` for a private key in note form (``PRIVATE+KEY+name+id+base64``).

    ``source`` names where the text came from, for messages. Raises
    CheckpointError when the text is not such a key or its key id does not match it.
    """
    line = text.strip()
    if "\n" in line:
        raise CheckpointError(f"{source}: a key file holds one line, this one has several")
    if not line.startswith(_PRIVATE_PREFIX):
        if line.count("+") == 2:
            raise CheckpointError(f"{source}: this is a public key; signing needs the private key "
                                  "(the file without .pub)")
        raise CheckpointError(f"{source}: not an accord private key: expected one line "
                              "PRIVATE+KEY+<name>+<key id>+<base64 key> as `accord keygen` writes")
    name, claimed_id, seed = _decode_key(line[len(_PRIVATE_PREFIX):], source, "private")
    signer = Signer(name, Ed25519PrivateKey.from_private_bytes(seed))
    if signer.key_id != claimed_id:
        raise CheckpointError(f"{source}: the key id {claimed_id.hex()} does not match the key "
                              f"(expected {signer.key_id.hex()}): the file was altered or damaged")
    return signer


def verifier_from_text(text: str, source: str = "public key") -> Verifier:
    """The :class:`Verifier` for a public key in note form (``name+id+base64``).

    ``source`` names where the text came from, for messages. Raises
    CheckpointError when the text is not such a key or its key id does not match it.
    """
    line = text.strip()
    if line.startswith(_PRIVATE_PREFIX):
        raise CheckpointError(f"{source}: this is a private key; give the public key (KEY.pub) "
                              "and keep the private key away from verifiers")
    if "\n" in line:
        raise CheckpointError(f"{source}: a key file holds one line, this one has several")
    name, claimed_id, public = _decode_key(line, source, "public")
    verifier = Verifier(name, Ed25519PublicKey.from_public_bytes(public))
    if verifier.key_id != claimed_id:
        raise CheckpointError(f"{source}: the key id {claimed_id.hex()} does not match the key "
                              f"(expected {verifier.key_id.hex()}): the file was altered or damaged")
    return verifier


def _read_key_file(path: str | os.PathLike[str], kind: str) -> str:
    try:
        if kind == "private" and (mode := os.stat(path).st_mode) & 0o077:
            raise CheckpointError(f"{path}: the private key is readable by others (mode {mode & 0o777:o}); "
                                  f"anyone who can read it can sign checkpoints: chmod 600 {path}")
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        hint = "create one with `accord keygen --out KEY`" if kind == "private" else \
            "`accord keygen --out KEY` writes it as KEY.pub"
        raise CheckpointError(f"{path}: no such {kind} key file; {hint}") from None
    except IsADirectoryError:
        raise CheckpointError(f"{path}: is a folder, not a {kind} key file") from None
    except PermissionError:
        raise CheckpointError(f"{path}: cannot read the {kind} key file: permission denied") from None
    except UnicodeDecodeError:
        raise CheckpointError(f"{path}: not a {kind} key file (it is not UTF-8 text)") from None
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read the {kind} key file: {err.strerror or err}") from None


def load_signer(path: str | os.PathLike[str]) -> Signer:
    """The :class:`Signer` in the private key file ``path`` (as written by :func:`write_keypair`).

    Raises CheckpointError when the file cannot be read or does not hold a valid private key.
    """
    return signer_from_text(_read_key_file(path, "private"), str(path))


def load_verifier(path: str | os.PathLike[str]) -> Verifier:
    """The :class:`Verifier` in the public key file ``path`` (``KEY.pub``).

    Raises CheckpointError when the file cannot be read or does not hold a valid public key.
    """
    return verifier_from_text(_read_key_file(path, "public"), str(path))


def _create_exclusive(path: Path, content: str, mode: int) -> None:
    """Create ``path`` with ``mode`` from the first byte on; never follow or replace an existing file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, mode)
    try:
        os.fchmod(fd, mode)  # the umask may only have narrowed it; make it exact
        os.write(fd, content.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def write_keypair(path: str | os.PathLike[str], name: str = "accord") -> tuple[Path, Path]:
    """Create a new key pair: the private key at ``path`` (mode 0600) and the public key at ``path.pub``.

    The private file is created with mode 0600 (never readable by others, not
    even briefly) and neither file is ever overwritten; a missing folder is created
    with mode 0700. Returns the two paths.

    Raises CheckpointError when ``name`` is not a valid key name, either file
    already exists, or a file cannot be written.
    """
    private_text, public_text = generate_key(name)
    private_path = Path(path)
    public_path = Path(f"{private_path}.pub")
    for existing in (private_path, public_path):
        if os.path.lexists(existing):
            raise CheckpointError(f"{existing}: already exists; accord never overwrites a key — "
                                  "choose another --out or move the old key away first")
    try:
        private_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as err:
        raise CheckpointError(f"{private_path.parent}: cannot create the folder for the key: "
                              f"{err.strerror or err}") from None
    try:
        _create_exclusive(private_path, private_text + "\n", 0o600)
    except FileExistsError:
        raise CheckpointError(f"{private_path}: already exists; accord never overwrites a key") from None
    except OSError as err:
        raise CheckpointError(f"{private_path}: cannot create the private key file: "
                              f"{err.strerror or err}") from None
    try:
        _create_exclusive(public_path, public_text + "\n", 0o644)
    except OSError as err:
        private_path.unlink(missing_ok=True)  # half a key pair is worse than none
        reason = "already exists" if isinstance(err, FileExistsError) else f"{err.strerror or err}"
        raise CheckpointError(f"{public_path}: cannot create the public key file: {reason}") from None
    return private_path, public_path
