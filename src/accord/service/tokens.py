"""API tokens: made by `accord token create`, stored as SHA-256 of their secrets, and read back
as the :class:`Caller` a request acts as.

A token is ``accord_<id>_<secret>``: the id finds its row, the secret (256 bits from
:mod:`secrets`) is compared by its SHA-256 in constant time. Creating and revoking a token
append ``token.created`` / ``token.revoked`` to the log (id, subject, kind, grants, expiry —
never the secret nor its hash) in the same transaction as the token's row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

import orjson

from accord._time import format_time, parse_time
from accord.errors import NotFound, Unauthorized, UsageError
from accord.runtime.core import Core
from accord.runtime.events import SYSTEM_ACTOR
from accord.runtime.writer import Batch
from accord.store.ports import TokenRow, Writer
from accord.vocab import is_role, person_problem

PREFIX = "accord_"
ADMIN = "admin"
AUDITOR = "auditor"
_TOKEN = re.compile(r"accord_([0-9a-f]{12})_([A-Za-z0-9_-]{43,})")
_SYSTEM_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")


@dataclass(frozen=True)
class TokenInfo:
    """One token as `accord token list` shows it: never its secret."""

    id: str
    subject: str
    kind: str
    """``person`` or ``system``."""
    grants: tuple[str, ...]
    """``admin``/``auditor`` for a person; the workflows a system may record for."""
    created: str
    expires: str | None
    revoked: str | None

    def as_json(self) -> dict[str, Any]:
        """A `token list --json` item."""
        return {"id": self.id, "subject": self.subject, "kind": self.kind, "grants": list(self.grants),
                "created": self.created, "expires": self.expires, "revoked": self.revoked}

    def live(self, now: dt.datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked is None and (self.expires is None or parse_time(self.expires) > now)


@dataclass(frozen=True)
class TokenCreated:
    """`accord token create --json`: the secret, shown this once."""

    id: str
    token: str
    subject: str
    kind: str
    grants: tuple[str, ...]
    expires: str | None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "token": self.token, "subject": self.subject, "kind": self.kind,
                "grants": list(self.grants), "expires": self.expires}


@dataclass(frozen=True)
class Caller:
    """Who a request acts as: its token's subject and grants."""

    token_id: str
    subject: str
    kind: str
    grants: tuple[str, ...]

    @property
    def person(self) -> str | None:
        """The person's id, or None for a system token."""
        return self.subject if self.kind == "person" else None

    @property
    def admin(self) -> bool:
        return self.kind == "person" and ADMIN in self.grants

    @property
    def auditor(self) -> bool:
        return self.kind == "person" and AUDITOR in self.grants

    def system_for(self, workflow: str | None) -> bool:
        """A system token granted ``workflow``."""
        return self.kind == "system" and workflow is not None and workflow in self.grants


def _info(row: TokenRow) -> TokenInfo:
    return TokenInfo(row.id, row.subject, row.kind, tuple(orjson.loads(row.grants)), row.created, row.expires,
                     row.revoked)


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def create_token(core: Core, *, person: str | None, system: str | None, admin: bool, auditor: bool,
                 workflows: tuple[str, ...], expires_in: dt.timedelta | None, now: dt.datetime,
                 actor: str = SYSTEM_ACTOR) -> TokenCreated:
    """Make a token for a person (with ``admin``/``auditor``) or a system (for ``workflows``).

    Returns it with its secret, which is stored only as SHA-256. Raises UsageError for a
    person and a system both or neither, a system without workflows, a person with workflows,
    a bad id, name or workflow, or an expiry that is not in the future.
    """
    if (person is None) == (system is None):
        raise UsageError("give --person ID or --system NAME (one of them)")
    if person is not None:
        if problem := person_problem(person):
            raise UsageError(f"--person: {problem}")
        if workflows:
            raise UsageError("--workflow is for system tokens; a person's access follows the roster")
        subject, kind = person, "person"
        grants = tuple(g for g, on in ((ADMIN, admin), (AUDITOR, auditor)) if on)
    else:
        assert system is not None
        if not _SYSTEM_NAME.fullmatch(system):
            raise UsageError(f"--system {system!r}: a system's name is lower-case letters, digits, '.', "
                             "'_' and '-' (e.g. refund-drafter); it acts as system:NAME")
        if admin or auditor:
            raise UsageError("--admin and --auditor are for people; a system records for its workflows")
        if not workflows:
            raise UsageError("--workflow W: name each workflow the system records for")
        bad = [w for w in workflows if not is_role(w)]
        if bad:
            raise UsageError(f"--workflow {bad[0]!r} is not a workflow name (a slug such as refund-replies)")
        subject, kind, grants = f"system:{system}", "system", tuple(dict.fromkeys(workflows))
    if expires_in is not None and expires_in <= dt.timedelta(0):
        raise UsageError("--expires: a token must expire in the future (e.g. 90d)")
    expires = format_time(now + expires_in) if expires_in is not None else None
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)  # 256 bits
    created = format_time(now)

    def build(w: Writer, batch: Batch) -> None:
        record = batch.stamp(case=None, workflow=None, type="token.created", at=created, actor=actor,
                             version=None, data={"id": token_id, "subject": subject, "kind": kind,
                                                 "grants": list(grants), "expires": expires})
        w.add_token(TokenRow(token_id, _digest(secret), subject, kind, orjson.dumps(list(grants)).decode(),
                             created, expires, record.seq))

    core.writer.write(build)
    return TokenCreated(token_id, f"{PREFIX}{token_id}_{secret}", subject, kind, grants, expires)


def list_tokens(core: Core) -> list[TokenInfo]:
    """Every token, oldest first, with whether and when it was revoked."""
    with core.store.reading() as r:
        return [_info(t) for t in r.tokens()]


def revoke_token(core: Core, token_id: str, now: dt.datetime, actor: str = SYSTEM_ACTOR) -> TokenInfo:
    """Revoke a token from now on; returns it. Raises NotFound for an unknown id and UsageError
    for one already revoked."""
    at = format_time(now)
    result: list[TokenInfo] = []

    def build(w: Writer, batch: Batch) -> None:
        result.clear()
        found = w.tokens(token_id)
        if not found:
            raise NotFound(f"no token {token_id!r} in this ledger; see `accord token list`")
        row = found[0]
        if row.revoked is not None:
            raise UsageError(f"token {token_id} was already revoked at {row.revoked}")
        record = batch.stamp(case=None, workflow=None, type="token.revoked", at=at, actor=actor, version=None,
                             data={"id": token_id, "subject": row.subject, "kind": row.kind,
                                   "grants": orjson.loads(row.grants), "expires": row.expires})
        w.revoke_token(token_id, at, record.seq)
        result.append(_info(row._replace(revoked=at)))

    core.writer.write(build)
    return result[0]


def authenticate(core: Core, bearer: str, now: dt.datetime) -> Caller:
    """The caller a bearer token stands for. Raises Unauthorized, saying why, for a token that is
    malformed, unknown, revoked or expired."""
    m = _TOKEN.fullmatch(bearer.strip())
    if m is None:
        raise Unauthorized("not an accord token (accord_<id>_<secret>)")
    token_id, secret = m.groups()
    with core.store.reading() as r:
        found = r.tokens(token_id)
    if not found or not hmac.compare_digest(found[0].secret_hash, _digest(secret)):
        raise Unauthorized("unknown token")
    info = _info(found[0])
    if info.revoked is not None:
        raise Unauthorized(f"token {token_id} was revoked at {info.revoked}")
    if info.expires is not None and parse_time(info.expires) <= now:
        raise Unauthorized(f"token {token_id} expired at {info.expires}")
    return Caller(info.id, info.subject, info.kind, info.grants)
