"""The append-only log, its indexes and the triggers that keep it append-only.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Types the service looks up by kind; a partial index keeps the index small.
INDEXED_TYPES = (
    "case.opened", "contract.applied", "roster.applied", "exception.raised",
    "exception.decided", "exception.escalated", "incident.opened", "learning.opened",
    "learning.closed", "action.taken", "routing.decided", "outcome.reported",
)


def upgrade() -> None:
    op.create_table(
        "accord_meta",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "accord_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                  primary_key=True, autoincrement=False),
        sa.Column("case_id", sa.Text, nullable=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("canonical", sa.LargeBinary, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary, nullable=False),
        sa.Column("chain_hash", sa.LargeBinary, nullable=False),
    )
    op.create_index("accord_log_case", "accord_log", ["case_id", "seq"])
    in_list = ", ".join(f"'{t}'" for t in INDEXED_TYPES)
    op.create_index("accord_log_kind", "accord_log", ["type", "seq"],
                    sqlite_where=sa.text(f"type IN ({in_list})"),
                    postgresql_where=sa.text(f"type IN ({in_list})"))
    # A case is opened once per ledger: enforced by the database as well as the code.
    op.create_index("accord_log_case_opened", "accord_log", ["case_id"], unique=True,
                    sqlite_where=sa.text("type = 'case.opened'"),
                    postgresql_where=sa.text("type = 'case.opened'"))

    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION accord_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'accord_log is append-only: % refused (a correction is a new event)', TG_OP
                USING ERRCODE = 'insufficient_privilege';
            END $$""")
        op.execute("""CREATE TRIGGER accord_log_no_update BEFORE UPDATE OR DELETE ON accord_log
                      FOR EACH ROW EXECUTE FUNCTION accord_log_append_only()""")
        op.execute("""CREATE TRIGGER accord_log_no_truncate BEFORE TRUNCATE ON accord_log
                      FOR EACH STATEMENT EXECUTE FUNCTION accord_log_append_only()""")
    else:
        for verb in ("UPDATE", "DELETE"):
            message = f"accord_log is append-only: {verb} refused (a correction is a new event)"
            op.execute(f"""CREATE TRIGGER accord_log_no_{verb.lower()} BEFORE {verb} ON accord_log
                BEGIN SELECT RAISE(ABORT, '{message}'); END""")
