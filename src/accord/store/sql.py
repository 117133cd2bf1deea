"""The SQL store: one schema for SQLite (embedded default) and PostgreSQL.

Writes go through :meth:`SqlStore.writing`, one transaction that first takes
the ledger's write lock — ``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped
advisory lock on PostgreSQL — so concurrent writers, threads or processes,
never fork the chain. A write is acknowledged only after COMMIT returns under
SQLite WAL ``synchronous=FULL`` or PostgreSQL ``synchronous_commit=on``.
"""

from __future__ import annotations

import functools
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from accord.errors import StorageError
from accord.store._txn import _BytesTxn, _Txn

HEAD_REVISION = "0010"

MIGRATION_LOCK_ID = 727100
"""PostgreSQL advisory lock that lets one process at a time migrate a ledger's schema."""
WRITE_LOCK_ID = 727101
"""PostgreSQL advisory lock that orders writers across processes, so the chain never forks."""
_WRITE_LOCK = f"SELECT pg_advisory_xact_lock({WRITE_LOCK_ID})"
ALTERS_LOG = """SELECT r.rolsuper OR r.rolcreaterole OR pg_has_role(r.oid, c.relowner, 'MEMBER')
       OR EXISTS (SELECT 1 FROM pg_roles s WHERE s.rolsuper AND pg_has_role(r.oid, s.oid, 'MEMBER'))
FROM pg_roles r, pg_class c WHERE r.rolname = {role} AND c.oid = to_regclass('accord_log')"""
"""PostgreSQL: whether the role ``{role}`` can alter ``accord_log`` and so lift its triggers.

Its owner, a superuser, a member of either (who can SET ROLE to it), and a role with
CREATEROLE (which may grant itself the owner's role) can; a role granted only SELECT and
INSERT cannot. No row when the database has no accord_log."""


def _normalise_url(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit at the driver; accord issues BEGIN itself (see _begin).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA busy_timeout = 60000")
    if cur.execute("PRAGMA query_only").fetchone()[0]:  # a read-only store: change nothing
        cur.close()
        return
    # page_size only takes effect on a new, empty database; 16 KiB pages store
    # ~2 KB events with little slack (4 KiB pages would spill them to overflow).
    cur.execute("PRAGMA page_size = 16384")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = FULL")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get("accord_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def _pg_settings(dbapi_connection: Any, _record: Any) -> None:
    with dbapi_connection.cursor() as cur:
        cur.execute("SET synchronous_commit = on")
    dbapi_connection.commit()


def _sqlite_read_only(dbapi_connection: Any, _record: Any) -> None:
    # Text comes back as bytes, decoded by _Txn: a forged non-UTF-8 value is then evidence
    # of tampering at its seq, not a crash in the driver.
    dbapi_connection.text_factory = bytes
    dbapi_connection.execute("PRAGMA query_only = ON")


def _pg_read_only(dbapi_connection: Any, _record: Any) -> None:
    with dbapi_connection.cursor() as cur:
        cur.execute("SET default_transaction_read_only = on")
    dbapi_connection.commit()


def _read_only_url(url: str) -> str:
    """The URL opened so that nothing can be written: SQLite's read-only mode (no file is
    created, none is changed); PostgreSQL's read-only transactions are set per connection."""
    parsed = sa.engine.make_url(_normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return _normalise_url(url)
    path = os.path.abspath(parsed.database)
    return f"sqlite:///file:{path}?mode=ro&uri=true"


@contextmanager
def _migration_lock(database: str | None) -> Iterator[None]:
    """One migrator at a time on a SQLite file (PostgreSQL takes an advisory lock instead).

    An exclusive flock on the folder that holds the database, so processes opening a fresh
    file at once find the schema complete, not half made. Never on the database file
    itself: closing any descriptor of that file drops every POSIX lock this process holds
    on it, SQLite's included. Another process closing its last connection then believes
    it is the only one left, checkpoints and removes the WAL under this process's open
    connections, which read "database disk image is malformed" until they reopen. An
    flock on the folder orders only migrators and leaves SQLite's locks alone.
    """
    if database in (None, "", ":memory:"):
        yield
        return
    import fcntl

    folder = os.open(os.path.dirname(os.path.abspath(database)), os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)  # releases the flock


def redact(url: str) -> str:
    """``url`` fit to print: any password replaced by ``***``."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return "<a database URL accord cannot read>" if "@" in url else url


class SqlStore:
    """The log in a SQL database; see the module docstring for the write rules.

    With ``create`` (the writing commands), a database without accord's tables
    gets them; without it, such a database is refused with ``no accord ledger at
    URL`` and nothing is written to it.
    """

    def __init__(self, url: str, *, create: bool = True, read_only: bool = False) -> None:
        self.url = redact(url)
        self.read_only = read_only
        try:
            self.engine: Engine = sa.create_engine(_read_only_url(url) if read_only else _normalise_url(url),
                                                   pool_pre_ping=False)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as err:
            raise StorageError(f"--db {self.url!r} is not a database URL accord can open "
                               "(use sqlite:///FILE or postgresql://…): " + str(err).replace(url, self.url)
                               ) from None
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            if read_only:
                event.listen(self.engine, "connect", _sqlite_read_only)
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        elif self.dialect == "postgresql":
            event.listen(self.engine, "connect", _pg_settings)
            if read_only:
                event.listen(self.engine, "connect", _pg_read_only)
        else:
            raise StorageError(f"--db {self.url!r}: accord stores its ledger in SQLite or PostgreSQL only")
        self._thread_lock = threading.Lock()
        self._writer: Any = None  # the pooled DBAPI connection writes reuse (see `writing`)
        _OPEN_STORES.add(self)
        self._mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        self.revision_found: str | None = None
        """The schema revision the database had when this store opened it (None: no ledger,
        so the store created one); the schema is now at HEAD_REVISION."""
        self._open(create and not read_only)

    # -- schema -----------------------------------------------------------------

    @functools.cached_property
    def owns_log(self) -> bool:
        """Whether the role this store connects as could lift the log's append-only triggers.

        True on PostgreSQL when the role owns ``accord_log``, can act as its owner or as a
        superuser, or is one (see ALTERS_LOG); accord should run as a writer role that can
        only read and insert (``accord db migrate --writer ROLE``). Always False on SQLite,
        which has no roles: whoever can write its file can change it. Raises StorageError
        when the database cannot be asked.
        """
        if self.dialect != "postgresql":
            return False
        try:
            with self.engine.connect() as conn:
                return bool(conn.exec_driver_sql(ALTERS_LOG.format(role="current_user")).scalar())
        except sa.exc.DBAPIError as err:
            raise StorageError(f"cannot read the role's privileges at {self.url}: {_reason(err)}") from None

    def _open(self, create: bool) -> None:
        """Check that the ledger exists (or create it) and bring its schema to HEAD_REVISION."""
        database = self.engine.url.database
        if database and database.startswith("file:"):  # the read-only URI form
            database = database.removeprefix("file:")
        if (self.dialect == "sqlite" and not create and database not in (None, "", ":memory:")
                and not os.path.exists(database)):
            raise StorageError(f"no accord ledger at {self.url}: {database} does not exist; check the "
                               "--db path (a writing command such as `accord contract apply` creates one)")
        upgrading = False
        try:
            with self.engine.connect() as conn:
                current = self.revision_found = self._revision(conn)
                if current is None and not create:
                    raise StorageError(f"no accord ledger at {self.url}: the database has no accord "
                                       "tables; check --db (a writing command such as `accord contract "
                                       "apply` creates a ledger)")
                if current != HEAD_REVISION and self.read_only:
                    raise StorageError(f"the ledger at {self.url} was written by an older accord (schema "
                                       f"{current}); upgrade it first with `accord db migrate` (or any "
                                       "writing command), then read it")
                if current != HEAD_REVISION:
                    upgrading = True
                    with _migration_lock(database if self.dialect == "sqlite" else None):
                        self._upgrade(conn)
        except sa.exc.DBAPIError as err:  # unreachable server, not a database, no permission …
            if _denied(err) and upgrading:  # a writer role: the owner creates and upgrades the schema
                what = ("has no accord tables and this role may not create them" if current is None
                        else f"has schema {current} (accord needs {HEAD_REVISION}) and this role may "
                        "not upgrade it")
                raise StorageError(f"the ledger at {self.url} {what} ({_reason(err)}): run `accord db "
                                   "migrate` as the role that owns accord's tables, then run accord "
                                   "again") from None
            hint = ("; the owner of accord's tables grants a writer what it needs with `accord db "
                    "migrate --writer ROLE`" if _denied(err) else "")
            raise StorageError(f"cannot open the ledger at {self.url}: {_reason(err)}{hint}") from None

    @staticmethod
    def _revision(conn: Connection) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with conn.begin():
            found = MigrationContext.configure(conn).get_current_revision()
        return found.decode() if isinstance(found, bytes) else found

    def _upgrade(self, conn: Connection) -> None:
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(resources.files("accord.store") / "migrations"))
        cfg.attributes["connection"] = conn
        conn = conn.execution_options(accord_write=True)
        if self.dialect == "postgresql":
            with conn.begin():  # one migrator at a time
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")
                cfg.attributes["connection"] = conn
                if self._revision_in_txn(conn) != HEAD_REVISION:
                    command.upgrade(cfg, HEAD_REVISION)
        else:
            command.upgrade(cfg, HEAD_REVISION)
            if conn.in_transaction():
                conn.commit()

    @staticmethod
    def _revision_in_txn(conn: Connection) -> str | None:
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()

    # -- transactions -------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[_Txn]:
        txn = _BytesTxn if self.read_only and self.dialect == "sqlite" else _Txn
        with self.engine.connect() as conn, conn.begin():
            yield txn(conn.connection.driver_connection, self._mark)

    @contextmanager
    def writing(self) -> Iterator[_Txn]:
        # The thread lock spares SQLite's busy handler the in-process contention;
        # the database lock (BEGIN IMMEDIATE / advisory lock) orders processes.
        #
        # Writes run on one DBAPI connection this store keeps, at the driver: for a
        # one-event transaction SQLAlchemy's checkout, events and statement handling
        # cost more than SQLite's own work (bench/ingest.py, figure b).
        if self.read_only:
            raise StorageError(f"the ledger at {self.url} is open read-only: this command only reads")
        with self._thread_lock:
            fairy = self._writer or self.engine.raw_connection()
            self._writer = None  # held by this transaction; put back only if healthy
            dbapi: Any = fairy.driver_connection
            try:
                if self.dialect == "sqlite":
                    dbapi.execute("BEGIN IMMEDIATE")
                else:
                    with dbapi.cursor() as cur:
                        cur.execute(_WRITE_LOCK)
                txn = _Txn(dbapi, self._mark)
                yield txn
                txn.still_open()  # else commit would end nothing and report success
                dbapi.commit()
            except BaseException as err:
                if self._rollback(dbapi):
                    self._writer = fairy
                else:  # a broken connection: the pool opens a fresh one next time
                    fairy.invalidate()
                    fairy.close()
                dbapi_module: Any = self.engine.dialect.dbapi
                if isinstance(err, dbapi_module.IntegrityError):
                    raise StorageError(f"the ledger refused the write: {_first_line(err)}") from None
                if isinstance(err, dbapi_module.Error):
                    raise StorageError(f"cannot write to the ledger at {self.url}: "
                                       f"{_first_line(err)}") from None
                raise
            self._writer = fairy

    def _forget_parent_connections(self) -> None:
        """In a forked child: never touch the parent's connections; open new ones.

        SQLAlchemy's advice for fork (``dispose(close=False)``); the lock is new too,
        as another thread of the parent may have held it at the fork.
        """
        self._thread_lock = threading.Lock()
        self._writer = None
        self.engine.dispose(close=False)

    @staticmethod
    def _rollback(dbapi: Any) -> bool:
        """Roll back an open write; False when the connection itself is broken."""
        try:
            dbapi.rollback()
            return True
        except Exception:  # a dead connection: the caller discards it
            return False

    def close(self) -> None:
        with self._thread_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        self.engine.dispose()


# Every open store, so that a forked child drops the connections it inherited. A hook at
# fork, not a pid check per write: os.getpid() is a system call on every transaction.
_OPEN_STORES: weakref.WeakSet[SqlStore] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for store in list(_OPEN_STORES):
        store._forget_parent_connections()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _denied(err: sa.exc.DBAPIError) -> bool:
    """Whether PostgreSQL refused for want of a privilege, or of a schema the role may use."""
    return getattr(err.orig, "sqlstate", None) in ("42501", "3F000")


def _reason(err: sa.exc.DBAPIError) -> str:
    return _first_line(err.orig) if err.orig else str(err)


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__



