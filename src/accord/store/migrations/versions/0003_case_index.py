"""One index over cases that also keeps each case opened once.

Revision ID: 0003
Revises: 0002

0001 made two indexes over cases: ``accord_log_case`` on (case_id, seq), which
every read of a case uses, and ``accord_log_case_opened``, unique on case_id
over ``case.opened`` records, which has the database refuse a case opened
twice. One unique index does both. Its key is (case_id, 0) for a case's
``case.opened`` and (case_id, seq) for any other record: a second opening of a
case collides with the first, and nothing else can collide (seq is unique and
at least 1; NULL case ids, the ledger's own records, never collide; a case's
record forged at seq 0, past the lifted seq check, collides and is refused). A
transaction that opens a case now writes one index page for it, not two, and
each case stores one index entry less.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

KEY = "(CASE WHEN type = 'case.opened' THEN 0 ELSE seq END)"


def upgrade() -> None:
    op.execute("DROP INDEX accord_log_case_opened")
    op.execute("DROP INDEX accord_log_case")
    op.execute(f"CREATE UNIQUE INDEX accord_log_case ON accord_log (case_id, {KEY})")
