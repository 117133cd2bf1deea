"""The ledger's origin is written with its schema, by whoever migrates it.

Revision ID: 0007
Revises: 0006

The origin line of every checkpoint names the ledger; it is fixed when the
database is created. Before this revision accord wrote it when a store opened
and found none — so a deleted origin was silently replaced by a fresh one, and
every reader needed write access. Now a migration writes it once (a ledger that
already has one keeps it), and nothing else ever writes ``accord_meta``: a
missing origin is tampering that ``verify`` reports.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    found = op.get_bind().execute(sa.text("SELECT value FROM accord_meta WHERE key = 'origin'")).scalar()
    if found is None:
        op.get_bind().execute(sa.text("INSERT INTO accord_meta (key, value) VALUES ('origin', :v)"),
                              {"v": f"accord.ledger/{uuid.uuid4().hex}"})
