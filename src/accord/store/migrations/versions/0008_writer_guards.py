"""What a writer role could still change, the database refuses: gaps on PostgreSQL, and accord_meta.

Revision ID: 0008
Revises: 0007

accord runs as a writer role that may only SELECT and INSERT (``accord db migrate
--writer ROLE``); the owner of the tables keeps the power to alter them. This revision
closes what INSERT alone still allowed, and what the log's own triggers did not cover:

- PostgreSQL refuses a record that leaves a gap, as SQLite has since 0004: a row
  trigger refuses an INSERT whose seq is neither 1 nor the successor of a stored
  record. A seq already stored is the primary key's to refuse and a seq below 1 the
  check's, so with the log contiguous this is "seq = last seq + 1". The trigger
  looks up the predecessor by primary key, which costs a PL/pgSQL call per row,
  a few µs (measured beside max(seq) per row, ~2x that, a statement trigger over a
  transition table, ~4x that while accord sends one INSERT per row, and a foreign
  key from seq - 1, which also stores a column and locks the predecessor).
- ``accord_meta`` (the origin, written once by 0007) refuses UPDATE and DELETE on
  both backends, TRUNCATE on PostgreSQL, and on SQLite an INSERT over a key it holds
  (a REPLACE, which deletes without firing a DELETE trigger).
- On PostgreSQL accord's triggers fire ALWAYS, so a session that sets
  ``session_replication_role = replica`` (which skips ordinary triggers) is refused
  all the same. Only a role that can alter the tables (their owner, a superuser)
  can still lift a guard; checkpoints kept elsewhere catch what it changes.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

GAP_REFUSED = ("accord_log is append-only: a record goes at the end of the log (seq = last seq + 1); "
               "seq % follows no stored record")
META_FIXED = "accord_meta is fixed when the ledger is created: {verb} refused"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def _postgresql() -> None:
    op.execute(f"""
        CREATE FUNCTION accord_log_append_at_head() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.seq <> 1 AND NOT EXISTS (SELECT 1 FROM accord_log WHERE seq = NEW.seq - 1) THEN
            RAISE EXCEPTION '{GAP_REFUSED}', NEW.seq USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          RETURN NEW;
        END $$""")
    op.execute("""CREATE TRIGGER accord_log_append_at_head BEFORE INSERT ON accord_log
                  FOR EACH ROW EXECUTE FUNCTION accord_log_append_at_head()""")
    message = META_FIXED.format(verb="%")
    op.execute(f"""
        CREATE FUNCTION accord_meta_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION '{message}', TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$""")
    op.execute("""CREATE TRIGGER accord_meta_no_update BEFORE UPDATE OR DELETE ON accord_meta
                  FOR EACH ROW EXECUTE FUNCTION accord_meta_fixed()""")
    op.execute("""CREATE TRIGGER accord_meta_no_truncate BEFORE TRUNCATE ON accord_meta
                  FOR EACH STATEMENT EXECUTE FUNCTION accord_meta_fixed()""")
    for table, guards in (("accord_log", ("no_update", "no_truncate", "append_at_head")),
                          ("accord_meta", ("no_update", "no_truncate"))):
        for guard in guards:
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_{guard}")


def _sqlite() -> None:
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"""CREATE TRIGGER accord_meta_no_{verb.lower()} BEFORE {verb} ON accord_meta
            BEGIN SELECT RAISE(ABORT, '{META_FIXED.format(verb=verb)}'); END""")
    op.execute(f"""CREATE TRIGGER accord_meta_no_replace BEFORE INSERT ON accord_meta
        WHEN EXISTS (SELECT 1 FROM accord_meta WHERE key = NEW.key)
        BEGIN SELECT RAISE(ABORT, '{META_FIXED.format(verb="REPLACE")}'); END""")
