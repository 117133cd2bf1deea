"""SQLite: the database keeps the log contiguous, so a writer may trust the head it wrote.

Revision ID: 0004
Revises: 0003

0002's guard refused an INSERT whose seq was already stored (a REPLACE). This
one refuses every INSERT whose seq is not the last stored seq + 1: a REPLACE, a
gap, a record slipped in below the end. With that held by the database, a
ledger that wrote the log's last record builds its next write on the head it
remembers instead of reading it (a statement per transaction saved): had
another writer appended since, or had the log been cut, the first insert is
refused, nothing is stored, and the write is built again on the head read from
the database (accord.store.sql). The guard costs an insert what 0002's did: one
lookup at the end of the log, and RAISE(ROLLBACK) keeps SQLite from needing a
statement journal.

PostgreSQL gets no trigger (each INSERT would pay a PL/pgSQL call); there
every write reads the head.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

REFUSED = ("accord_log is append-only: a record goes at the end of the log (seq = last seq + 1); "
           "a REPLACE, a gap or an insert below the end is refused")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER accord_log_no_replace")
        op.execute(f"""CREATE TRIGGER accord_log_append_at_head BEFORE INSERT ON accord_log
            WHEN NEW.seq IS NOT (SELECT ifnull(max(seq), 0) + 1 FROM accord_log)
            BEGIN SELECT RAISE(ROLLBACK, '{REFUSED}'); END""")
