"""Case openings join the kind index, so cases can be listed newest first without a scan.

Revision ID: 0006
Revises: 0005

0002 left ``case.opened`` out of the partial kind index: every read of an opening
was a read of its case. `accord case list` (``Ledger.cases``) reads openings by
type, newest first, a page at a time; without the index that is a scan of the
whole log. One index entry per case costs a case's opening transaction one more
index page (a case's other records, most of the log, stay out of the index).
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Frozen here as this revision created it; accord.store.ports.INDEXED_KINDS must match
# (tests/test_store_schema.py checks the two agree and that reads use the index).
KINDS = ("contract.applied", "roster.applied", "routing.decided", "action.taken",
         "exception.raised", "exception.decided", "exception.escalated",
         "incident.opened", "learning.opened", "learning.closed", "case.opened")
# As 0002: an OR of equalities, the same text the queries name (see accord.store.sql).
PREDICATE = "(" + " OR ".join(f"type = '{k}'" for k in KINDS) + ")"


def upgrade() -> None:
    op.execute("DROP INDEX accord_log_kind")
    op.execute(f"CREATE INDEX accord_log_kind ON accord_log (type, seq) WHERE {PREDICATE}")
