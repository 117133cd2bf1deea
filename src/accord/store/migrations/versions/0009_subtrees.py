"""The Merkle tree's interior hashes, kept beside the log, so a proof reads O(log n) hashes.

Revision ID: 0009
Revises: 0008

``accord_subtree`` holds the hash of every perfect subtree of 2**8, 2**16, 2**24 …
leaves (``accord.integrity.subtrees``): the subtree of ``height`` h and index ``idx`` i
covers seqs i·2**h + 1 … (i+1)·2**h. accord writes each one in the transaction that
appends its last record. Such a hash never changes, so the table is append-only like
the log: UPDATE, DELETE and TRUNCATE are refused (always, on PostgreSQL), and on
SQLite so is an INSERT over a stored (height, idx), a REPLACE. A forged or missing
row is found by `accord verify`, which recomputes every one from the leaves.

The upgrade computes the hashes of a ledger written before it from the stored leaf
hashes, in one pass in seq order (about one row per 255 records; the time is reading
the log's leaf hashes, figures in docs/index.md's operating notes). Writes wait for it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from accord.integrity.subtrees import Growth

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

REFUSED = "accord_subtree is append-only: % refused (an interior hash never changes)"
_CHUNK = 65536


def upgrade() -> None:
    op.create_table(
        "accord_subtree",
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("idx", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.Column("hash", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("height", "idx", name="accord_subtree_pkey"),
        sa.CheckConstraint("height >= 1 AND idx >= 0", name="accord_subtree_in_tree"),
        sqlite_with_rowid=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()
    _backfill()


def _postgresql() -> None:
    op.execute(f"""
        CREATE FUNCTION accord_subtree_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION '{REFUSED}', TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$""")
    op.execute("""CREATE TRIGGER accord_subtree_no_update BEFORE UPDATE OR DELETE ON accord_subtree
                  FOR EACH ROW EXECUTE FUNCTION accord_subtree_append_only()""")
    op.execute("""CREATE TRIGGER accord_subtree_no_truncate BEFORE TRUNCATE ON accord_subtree
                  FOR EACH STATEMENT EXECUTE FUNCTION accord_subtree_append_only()""")
    for guard in ("no_update", "no_truncate"):
        op.execute(f"ALTER TABLE accord_subtree ENABLE ALWAYS TRIGGER accord_subtree_{guard}")
    # A role that reads or appends to the log does the same here, as `accord db migrate --writer`
    # and `--reader` grant: writers keep writing across the upgrade. (Granted to PUBLIC: not copied.)
    held = op.get_bind().exec_driver_sql(
        "SELECT a.grantee::regrole::text, string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type DESC) "
        "FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = to_regclass('accord_log') "
        "AND a.grantee <> 0 AND a.grantee <> c.relowner AND a.privilege_type IN ('SELECT', 'INSERT') "
        "GROUP BY a.grantee").all()
    for role, privileges in held:
        op.execute(f"GRANT {privileges} ON accord_subtree TO {role}")


def _sqlite() -> None:
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"""CREATE TRIGGER accord_subtree_no_{verb.lower()} BEFORE {verb} ON accord_subtree
            BEGIN SELECT RAISE(ABORT, '{REFUSED.replace("%", verb)}'); END""")
    # REPLACE (INSERT OR REPLACE) deletes the old row without firing DELETE triggers.
    op.execute(f"""CREATE TRIGGER accord_subtree_no_replace BEFORE INSERT ON accord_subtree
        WHEN EXISTS (SELECT 1 FROM accord_subtree WHERE height = NEW.height AND idx = NEW.idx)
        BEGIN SELECT RAISE(ABORT, '{REFUSED.replace("%", "REPLACE")}'); END""")


def _backfill() -> None:
    """The interior hashes of the records already stored, from seq 1 up to the first gap (a gap
    is tampering, which verify reports; the tree is not defined past it)."""
    conn = op.get_bind()
    insert = sa.text("INSERT INTO accord_subtree (height, idx, hash) VALUES (:height, :idx, :hash)")

    def nothing_before(height: int, start: int, stop: int) -> Sequence[bytes]:
        return []  # the growth starts at the empty tree: no hash precedes it

    growth = Growth(0, nothing_before)
    rows = conn.exec_driver_sql("SELECT seq, leaf_hash FROM accord_log WHERE seq >= 1 ORDER BY seq",
                                execution_options={"stream_results": True, "yield_per": _CHUNK})
    expected = 1
    for chunk in rows.partitions(_CHUNK):
        leaves = []
        for seq, leaf in chunk:
            if seq != expected:
                break
            leaves.append(bytes(leaf))
            expected += 1
        made = growth.extend(leaves)
        if made:
            conn.execute(insert, [{"height": h, "idx": i, "hash": d} for h, i, d in made])
        if len(leaves) < len(chunk):
            break
    rows.close()
