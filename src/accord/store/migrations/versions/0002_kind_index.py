"""A leaner write path: a partial kind index, and a REPLACE guard that rolls back.

Revision ID: 0002
Revises: 0001

Kind index.
0001 indexed every record by (type, seq). accord reads by type only the
records listed in ``accord.store.ports.INDEXED_KINDS`` (contracts, rosters,
routes, actions, exceptions, incidents, learning actions); the rest — inputs,
sources, outputs, edits, reviews, policies, overrides, outcomes, case
openings — are read by case. Indexing them cost a page write per transaction
for nothing: about 30 µs of a 300 µs one-event commit (bench/ingest.py b).

REPLACE guard (SQLite). A trigger that may RAISE(ABORT) makes SQLite keep a
statement journal for every INSERT on the log, so that it can undo half a
statement: a copy of each touched 16 KiB page, about 18 µs of a one-row insert.
accord's own INSERTs are ``INSERT OR ROLLBACK`` (any refusal ends the whole
write anyway), and with the guard raising ROLLBACK no statement can stop
halfway, so SQLite keeps no statement journal. A REPLACE of a stored record is
still refused; it now also rolls back the rest of the offending transaction.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen here as this revision created it; accord.store.ports.INDEXED_KINDS must match
# (tests/test_ledger.py checks the two agree and that reads use the index).
KINDS = ("contract.applied", "roster.applied", "routing.decided", "action.taken",
         "exception.raised", "exception.decided", "exception.escalated",
         "incident.opened", "learning.opened", "learning.closed")
# An OR of equalities, not `type IN (…)`: SQLite evaluates a partial index's WHERE for
# every inserted row, and an IN list costs it a temporary table per statement (~4 µs a row).
PREDICATE = "(" + " OR ".join(f"type = '{k}'" for k in KINDS) + ")"


REPLACE_REFUSED = "accord_log is append-only: REPLACE refused (a correction is a new event)"


def upgrade() -> None:
    op.execute("DROP INDEX accord_log_kind")
    op.execute(f"CREATE INDEX accord_log_kind ON accord_log (type, seq) WHERE {PREDICATE}")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER accord_log_no_replace")
        op.execute(f"""CREATE TRIGGER accord_log_no_replace BEFORE INSERT ON accord_log
            WHEN EXISTS (SELECT 1 FROM accord_log WHERE seq = NEW.seq)
            BEGIN SELECT RAISE(ROLLBACK, '{REPLACE_REFUSED}'); END""")

