"""A client's own event id, unique in the ledger, so a retried or re-run batch adds nothing.

Revision ID: 0005
Revises: 0004

``event_id`` holds the ``id`` a client may give an event (it is also in the
hashed envelope; verify checks the column says what the bytes say). The unique
index covers only events that carry one, so it costs nothing to the rest.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accord_log", sa.Column("event_id", sa.Text, nullable=True))
    op.create_index("accord_log_event_id", "accord_log", ["event_id"], unique=True,
                    sqlite_where=sa.text("event_id IS NOT NULL"),
                    postgresql_where=sa.text("event_id IS NOT NULL"))
