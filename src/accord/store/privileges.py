"""Least privilege on PostgreSQL: the owner migrates, the writer only reads and inserts.

The role that owns accord's tables can alter them — disable or drop the triggers that
keep the log append-only, truncate it. accord itself needs none of that at run time, so
the owner creates and upgrades the schema (:func:`migrate`, ``accord db migrate``) and
grants a *writer* role exactly what recording needs, and a *reader* role what the
integrity tools need; accord then runs as the writer. SQLite has no roles: there
whoever can write the file can change it, and only checkpoints kept elsewhere tell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from accord.errors import StorageError, UsageError
from accord.store import sql
from accord.store.sql import ALTERS_LOG, SqlStore

WRITER = {"accord_log": "SELECT, INSERT", "accord_subtree": "SELECT, INSERT", "accord_meta": "SELECT",
          "alembic_version": "SELECT", "accord_tokens": "SELECT, INSERT",
          "accord_token_revoked": "SELECT, INSERT"}
"""What a writer role is granted on each of accord's tables: no UPDATE, DELETE, TRUNCATE,
REFERENCES or TRIGGER (a write appends records and the interior hashes they complete). The
write lock (pg_advisory_xact_lock) needs no privilege. Tokens are made and revoked by INSERTs
only (`accord token create|revoke`, which write)."""
READER = {"accord_log": "SELECT", "accord_subtree": "SELECT", "accord_meta": "SELECT",
          "alembic_version": "SELECT", "accord_tokens": "SELECT", "accord_token_revoked": "SELECT"}
"""What a reader role (an auditor's `verify`, `export`, `checkpoint`) is granted."""


@dataclass(frozen=True)
class Grant:
    """What one role may now do: ``access`` is ``writer`` or ``reader``."""

    role: str
    access: str
    schema: str
    tables: dict[str, str]

    def as_json(self) -> dict[str, Any]:
        return {"role": self.role, "access": self.access, "schema": self.schema,
                "privileges": {"schema": "USAGE", **self.tables}}


@dataclass(frozen=True)
class Migrated:
    """A ledger's schema after :func:`migrate`: the revision found (None: created), the one
    it is at now, the role that owns its tables (None on SQLite) and what each role was granted."""

    url: str
    backend: str
    found: str | None
    revision: str
    owner: str | None
    grants: tuple[Grant, ...]

    def as_json(self) -> dict[str, Any]:
        return {"db": self.url, "backend": self.backend, "found": self.found, "revision": self.revision,
                "owner": self.owner, "grants": [g.as_json() for g in self.grants]}


def migrate(url: str, *, writers: Sequence[str] = (), readers: Sequence[str] = ()) -> Migrated:
    """Create or upgrade the ledger's schema at ``url``, then grant each writer and reader role
    exactly its privileges (what it held beyond them on accord's tables is revoked).

    Run it as the role that is to own the tables; running it again changes nothing. On
    SQLite the file is created or upgraded and roles do not apply: ``grants`` is empty.
    Raises UsageError for a role that does not exist, is named twice, or could alter the
    log itself (the owner, a superuser, a member of either, a role with CREATEROLE), and
    StorageError when the database refuses (e.g. this role does not own the tables).
    """
    named = [*writers, *readers]
    twice = sorted({r for r in named if named.count(r) > 1})
    if twice:
        raise UsageError(f"role {twice[0]!r} is named twice: give each role once, as --writer or --reader")
    store = SqlStore(url, create=True)
    try:
        if store.dialect != "postgresql":
            return Migrated(store.url, store.dialect, store.revision_found, sql.HEAD_REVISION, None, ())
        try:
            with store.engine.begin() as conn:
                owner = str(conn.exec_driver_sql("SELECT pg_get_userbyid(relowner) FROM pg_class "
                                                 "WHERE oid = to_regclass('accord_log')").scalar_one())
                schema = _schema(conn)
                if named and not conn.exec_driver_sql(_GRANTS_AS_OWNER).scalar():
                    # PostgreSQL only warns when a GRANT by a role without the right grants nothing
                    raise StorageError(f"cannot grant on the ledger at {store.url}: this role does not "
                                       f"own accord's tables ({owner} does); run `accord db migrate` "
                                       "as the owner")
                grants = tuple(_grant(conn, schema, role, access, table)
                               for access, roles, table in (("writer", writers, WRITER),
                                                            ("reader", readers, READER))
                               for role in roles)
        except sa.exc.DBAPIError as err:
            reason = str(err.orig or err).strip().splitlines()[0]
            raise StorageError(f"cannot grant on the ledger at {store.url}: {reason}; run `accord db "
                               "migrate` as the role that owns accord's tables") from None
        return Migrated(store.url, store.dialect, store.revision_found, sql.HEAD_REVISION, owner, grants)
    finally:
        store.close()


_GRANTS_AS_OWNER = """SELECT r.rolsuper OR pg_has_role(r.oid, c.relowner, 'USAGE')
FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.oid = to_regclass('accord_log')"""


def _schema(conn: sa.Connection) -> str:
    """The schema of accord's tables (the first on the search path, where migrations made them)."""
    found = conn.exec_driver_sql(
        "SELECT DISTINCT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.oid IN (to_regclass('accord_log'), to_regclass('accord_subtree'), "
        "to_regclass('accord_meta'), to_regclass('alembic_version'), to_regclass('accord_tokens'), "
        "to_regclass('accord_token_revoked'))").scalars().all()
    if len(found) != 1:
        raise StorageError(f"accord's tables are not in one schema (found {', '.join(found) or 'none'}); "
                           "set the search path to the ledger's schema in the URL "
                           "(?options=-csearch_path%3DSCHEMA)")
    return str(found[0])


def _grant(conn: sa.Connection, schema: str, role: str, access: str, tables: dict[str, str]) -> Grant:
    known = conn.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).first()
    if known is None:
        raise UsageError(f"--{access} {role}: no such role; create it first "
                         f"(CREATE ROLE {role} LOGIN), then run `accord db migrate` again")
    if conn.exec_driver_sql(ALTERS_LOG.format(role="%s"), (role,)).scalar():
        raise UsageError(f"--{access} {role}: this role can alter accord_log and so lift its append-only "
                         "triggers (it owns the tables, is a superuser, can act as one of them or has "
                         f"CREATEROLE); give the {access} a role of its own (CREATE ROLE accord_{access} "
                         "LOGIN)")
    quote = conn.dialect.identifier_preparer.quote_identifier
    who, where = quote(role), quote(schema)
    # a table a later revision adds is not there while an older accord's schema is kept
    tables = {t: p for t, p in tables.items()
              if conn.exec_driver_sql("SELECT to_regclass(%s)", (f"{where}.{quote(t)}",)).scalar()}
    listed = ", ".join(f"{where}.{quote(t)}" for t in tables)
    conn.exec_driver_sql(f"REVOKE ALL ON TABLE {listed} FROM {who}")
    has_usage = conn.exec_driver_sql("SELECT has_schema_privilege(%s, %s, 'USAGE')", (role, schema)).scalar()
    if not has_usage:  # a schema the public may use (PostgreSQL's own public) needs no grant
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {where} TO {who}")
    for table, privileges in tables.items():
        conn.exec_driver_sql(f"GRANT {privileges} ON TABLE {where}.{quote(table)} TO {who}")
    extra = _beyond(conn, role, {f"{where}.{quote(t)}": (t, p) for t, p in tables.items()})
    if extra:  # held through PUBLIC or a role it belongs to: not ours to revoke
        raise UsageError(f"--{access} {role}: the role still holds {'; '.join(extra)}, granted to PUBLIC "
                         "or to a role it belongs to; revoke it there, then run `accord db migrate` again")
    return Grant(role, access, schema, dict(tables))


_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def _beyond(conn: sa.Connection, role: str, tables: dict[str, tuple[str, str]]) -> list[str]:
    """What ``role`` effectively holds on ``tables`` (qualified name: (table, privileges granted))
    beyond what was granted, e.g. ``UPDATE on accord_log``."""
    extra = []
    for qualified, (table, granted) in tables.items():
        held = [p for p in _PRIVILEGES if p not in granted.split(", ") and conn.exec_driver_sql(
            "SELECT has_table_privilege(%s, %s, %s)", (role, qualified, p)).scalar()]
        if held:
            extra.append(f"{', '.join(held)} on {table}")
    return extra
