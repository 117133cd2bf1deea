"""Reads and appends inside one transaction of the SQL store, at the driver.

Plain SQL through the DBAPI connection: every statement here is fixed text, and
both drivers stream rows without SQLAlchemy's per-statement work.
"""

from __future__ import annotations

import operator
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from accord.errors import StorageError
from accord.store.ports import CHAIN_START, INDEXED_KINDS, Head, Row, Subtree, TokenRow, require_indexed

# Only the INDEXED_KINDS are in the partial index accord_log_kind (migration 0002). A
# query names the index's predicate word for word, because SQLite uses a partial index
# only when the query's WHERE contains the index's own terms.
_KIND_PREDICATE = "(" + " OR ".join(f"type = '{k}'" for k in INDEXED_KINDS) + ")"
_COLUMNS = "seq, case_id, type, canonical, leaf_hash, chain_hash, event_id"
_HEAD = "SELECT seq, chain_hash FROM accord_log ORDER BY seq DESC LIMIT 1"
_INSERT = {  # by the driver's placeholder; SQLite's OR ROLLBACK: see _Txn.append
    "?": f"INSERT OR ROLLBACK INTO accord_log ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
    "%s": f"INSERT INTO accord_log ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)",
}
_INSERT_SUBTREE = {
    "?": "INSERT OR ROLLBACK INTO accord_subtree (height, idx, hash) VALUES (?, ?, ?)",
    "%s": "INSERT INTO accord_subtree (height, idx, hash) VALUES (%s, %s, %s)",
}
_SCAN_BATCH = 5000

class _Txn:
    """Reads and appends inside one transaction, on the DBAPI connection.

    Plain SQL through the driver: every statement here is fixed text, and both
    drivers stream rows without SQLAlchemy's per-statement work. ``mark`` is the
    driver's placeholder (sqlite3 ``?``, psycopg ``%s``).
    """

    def __init__(self, dbapi: Any, mark: str) -> None:
        self.dbapi = dbapi
        self.mark = mark
        self._insert = _INSERT[mark]

    def still_open(self) -> None:
        """Raise StorageError if an INSERT OR ROLLBACK refused a row and so ended this write.

        SQLite is back in autocommit then; a caller that caught the refusal must not go
        on as if its transaction were still there.
        """
        if self.mark == "?" and not self.dbapi.in_transaction:
            raise StorageError("the ledger refused the write and rolled it back; "
                               "nothing of it is stored")

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        cur = self.dbapi.cursor()
        try:
            cur.execute(sql, tuple(params))
            return list(cur.fetchall())
        finally:
            cur.close()

    def _marks(self, n: int) -> str:
        return ", ".join([self.mark] * n)

    def head(self) -> Head:
        row = self.dbapi.execute(_HEAD).fetchone()
        return Head(0, CHAIN_START) if row is None else Head(int(row[0]), bytes(row[1]))

    def case_rows(self, case_ids: Collection[str]) -> list[Row]:
        # The index accord_log_case (migration 0003) yields a case's rows nearly in seq order
        # (its key puts case.opened first): sorting them here is cheaper than SQL's ORDER BY,
        # which would sort through a temporary b-tree.
        ids = list(case_ids)
        if len(ids) == 1:  # the common read of a write: one case
            out = [_row(r) for r in self._all(
                f"SELECT {_COLUMNS} FROM accord_log WHERE case_id = {self.mark}", ids)]
        else:
            out = []
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                out.extend(_row(r) for r in self._all(
                    f"SELECT {_COLUMNS} FROM accord_log WHERE case_id IN ({self._marks(len(chunk))})",
                    chunk))
        out.sort(key=_SEQ)
        return out

    def kind_rows(self, types: Collection[str], after_seq: int = 0) -> list[Row]:
        kinds = list(types)
        require_indexed(kinds)
        return [_row(r) for r in self._all(
            f"SELECT {_COLUMNS} FROM accord_log WHERE {_KIND_PREDICATE} "
            f"AND type IN ({self._marks(len(kinds))}) AND seq > {self.mark} ORDER BY seq",
            [*kinds, after_seq])]

    def latest_kind_rows(self, types: Collection[str], limit: int,
                         before_seq: int | None = None) -> list[Row]:
        kinds = list(types)
        require_indexed(kinds)
        before = before_seq if before_seq is not None else 2**62
        return [_row(r) for r in self._all(
            f"SELECT {_COLUMNS} FROM accord_log WHERE {_KIND_PREDICATE} "
            f"AND type IN ({self._marks(len(kinds))}) AND seq < {self.mark} ORDER BY seq DESC "
            f"LIMIT {self.mark}", [*kinds, before, limit])]

    def scan(self, start: int | None = None, stop: int | None = None) -> Iterator[Row]:
        bounds = [(f"seq >= {self.mark}", start), (f"seq < {self.mark}", stop)]
        where = " AND ".join(c for c, v in bounds if v is not None) or "TRUE"
        sql = f"SELECT {_COLUMNS} FROM accord_log WHERE {where} ORDER BY seq"
        params = tuple(v for _, v in bounds if v is not None)
        if self.mark == "?":  # sqlite3 steps the statement as we iterate: rows stream
            cur = self.dbapi.cursor()
        else:  # psycopg: a server-side cursor, else the whole log would be fetched at once
            cur = self.dbapi.cursor(name="accord_scan")
            cur.itersize = _SCAN_BATCH
        try:
            cur.execute(sql, params)
            yield from map(Row._make, cur)
        finally:
            cur.close()

    def leaf_hashes(self, size: int) -> list[bytes]:
        cur = self.dbapi.cursor()
        try:
            cur.execute(f"SELECT leaf_hash FROM accord_log WHERE seq <= {self.mark} ORDER BY seq", (size,))
            return [bytes(r[0]) for r in cur]
        finally:
            cur.close()

    def tree_hashes(self, height: int, start: int, stop: int) -> list[bytes]:
        m = self.mark
        if height == 0:
            sql = f"SELECT leaf_hash FROM accord_log WHERE seq > {m} AND seq <= {m} ORDER BY seq"
            params: tuple[int, ...] = (start, stop)
        else:
            sql = (f"SELECT hash FROM accord_subtree WHERE height = {m} AND idx >= {m} AND idx < {m} "
                   "ORDER BY idx")
            params = (height, start, stop)
        return [bytes(r[0]) for r in self._all(sql, params)]

    def subtrees(self) -> Iterator[Subtree]:
        cur = self.dbapi.cursor()
        try:
            cur.execute("SELECT height, idx, hash FROM accord_subtree ORDER BY height, idx")
            yield from map(Subtree._make, cur)
        finally:
            cur.close()

    def chain_hashes(self, seqs: Collection[int]) -> dict[int, bytes]:
        wanted = list(seqs)
        found: dict[int, bytes] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            found.update((int(r[0]), r[1]) for r in self._all(
                f"SELECT seq, chain_hash FROM accord_log WHERE seq IN ({self._marks(len(chunk))})", chunk))
        return found

    def known_ids(self, event_ids: Collection[str]) -> set[str]:
        ids = list(event_ids)
        found: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            found.update(r[0] for r in self._all(
                f"SELECT event_id FROM accord_log WHERE event_id IN ({self._marks(len(chunk))})", chunk))
        return found

    def meta(self, key: str) -> str | None:
        rows = self._all(f"SELECT value FROM accord_meta WHERE key = {self.mark}", (key,))
        return None if not rows else str(rows[0][0])

    def tokens(self, token_id: str | None = None) -> list[TokenRow]:
        where = f"WHERE t.id = {self.mark}" if token_id is not None else ""
        rows = self._all(
            "SELECT t.id, t.secret_hash, t.subject, t.kind, t.grants, t.created, t.expires, t.seq, "
            f"r.revoked, r.seq FROM accord_tokens t LEFT JOIN accord_token_revoked r ON r.id = t.id "
            f"{where} ORDER BY t.seq", () if token_id is None else (token_id,))
        return [TokenRow(_text(r[0]), bytes(r[1]), _text(r[2]), _text(r[3]), _text(r[4]), _text(r[5]),
                         _text(r[6]), int(r[7]), _text(r[8]), None if r[9] is None else int(r[9]))
                for r in rows]

    def add_token(self, token: TokenRow) -> None:
        self._execute("INSERT INTO accord_tokens (id, secret_hash, subject, kind, grants, created, expires, "
                      f"seq) VALUES ({self._marks(8)})", token[:8])

    def revoke_token(self, token_id: str, at: str, seq: int) -> None:
        self._execute(f"INSERT INTO accord_token_revoked (id, revoked, seq) VALUES ({self._marks(3)})",
                      (token_id, at, seq))

    def _execute(self, sql: str, params: Sequence[Any]) -> None:
        self.still_open()
        cur = self.dbapi.cursor()
        try:
            cur.execute(sql, tuple(params))
        finally:
            cur.close()

    def append(self, rows: list[Row]) -> None:
        """Insert ``rows`` (a Row is a tuple in column order).

        On SQLite the statement is ``INSERT OR ROLLBACK``: a refused row ends the
        transaction, which accord rolls back anyway, and a statement that cannot
        stop halfway needs no statement journal (see migration 0002).
        """
        if not rows:
            return
        self.still_open()  # else these rows would autocommit on their own
        cur = self.dbapi.cursor()
        try:
            cur.executemany(self._insert, rows)
        finally:
            cur.close()

    def append_subtrees(self, subtrees: list[Subtree]) -> None:
        """Insert interior hashes (a Subtree is a tuple in column order), as :meth:`append` does."""
        if not subtrees:
            return
        self.still_open()
        cur = self.dbapi.cursor()
        try:
            cur.executemany(_INSERT_SUBTREE[self.mark], subtrees)
        finally:
            cur.close()


class _BytesTxn(_Txn):
    """Reads of a read-only SQLite store, whose driver hands text back as bytes.

    Text columns are decoded here, so a value forged with invalid UTF-8 stays bytes
    (``verify`` then names its seq) instead of crashing the driver mid-scan; a hashed
    column stored as anything but a BLOB reads as text, which ``verify`` also names.
    """

    _TYPED = f"{_COLUMNS}, typeof(canonical) || typeof(leaf_hash) || typeof(chain_hash)"

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        rows = super()._all(sql, params)
        if sql.startswith(f"SELECT {_COLUMNS} "):
            return [_decoded(r) for r in rows]
        if sql.startswith(("SELECT value ", "SELECT event_id ")):  # text only
            return [tuple(_text(v) for v in r) for r in rows]
        return rows  # seqs and hashes

    def scan(self, start: int | None = None, stop: int | None = None) -> Iterator[Row]:
        bounds = [("seq >= ?", start), ("seq < ?", stop)]
        where = " AND ".join(c for c, v in bounds if v is not None) or "TRUE"
        cur = self.dbapi.cursor()
        try:
            cur.execute(f"SELECT {self._TYPED} FROM accord_log WHERE {where} ORDER BY seq",
                        tuple(v for _, v in bounds if v is not None))
            for r in cur:
                row = _decoded(r[:7])
                yield row if r[7] == b"blobblobblob" else row._replace(canonical=_text(row.canonical))
        finally:
            cur.close()


def _text(value: Any) -> Any:
    """Bytes the driver gave for a text column, as text; bytes that are not UTF-8 stay bytes."""
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return value
    return value


def _decoded(r: Sequence[Any]) -> Row:
    return Row(r[0], _text(r[1]), _text(r[2]), r[3], r[4], r[5], _text(r[6]))


# Both drivers return int, str and bytes for these columns: a row is a Row as it comes.
_row = Row._make
_SEQ = operator.attrgetter("seq")
