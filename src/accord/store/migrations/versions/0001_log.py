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
        sa.CheckConstraint("seq >= 1", name="accord_log_seq_from_1"),
    )
    op.create_index("accord_log_case", "accord_log", ["case_id", "seq"])
    # The service reads the log by event type (contracts, exceptions, incidents, …). A plain
    # index: SQLite's planner cannot prove `type IN (:bound, …)` implies a partial index's
    # WHERE, so a partial index left every such read a full scan.
    op.create_index("accord_log_kind", "accord_log", ["type", "seq"])
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
        # REPLACE (INSERT OR REPLACE) deletes the old row without firing DELETE triggers.
        message = "accord_log is append-only: REPLACE refused (a correction is a new event)"
        op.execute(f"""CREATE TRIGGER accord_log_no_replace BEFORE INSERT ON accord_log
            WHEN EXISTS (SELECT 1 FROM accord_log WHERE seq = NEW.seq)
            BEGIN SELECT RAISE(ABORT, '{message}'); END""")
