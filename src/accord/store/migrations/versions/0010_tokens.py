"""API tokens: who may call `accord serve`, stored as SHA-256 of their secrets only.

Revision ID: 0010
Revises: 0009

``accord_tokens`` holds one row per token made by ``accord token create``: its id,
the SHA-256 of its secret (never the secret), the subject it acts as, its kind and
grants, and when it was made and expires. A revocation is a row of
``accord_token_revoked``, so both tables only ever take INSERTs: a writer role (which
``accord db migrate --writer`` grants SELECT and INSERT on them) cannot un-revoke a
token, and both tables refuse UPDATE and DELETE. Creating and revoking a token also
append ``token.created`` / ``token.revoked`` to the log, so who could act is
tamper-evident there.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FIXED = "{table} only takes new rows: {verb} refused (revoke a token with `accord token revoke`)"


def upgrade() -> None:
    blob = "BYTEA" if op.get_bind().dialect.name == "postgresql" else "BLOB"
    op.execute(f"""CREATE TABLE accord_tokens (
        id TEXT PRIMARY KEY,
        secret_hash {blob} NOT NULL,
        subject TEXT NOT NULL,
        kind TEXT NOT NULL,
        grants TEXT NOT NULL,
        created TEXT NOT NULL,
        expires TEXT,
        seq BIGINT NOT NULL)""")
    op.execute("""CREATE TABLE accord_token_revoked (
        id TEXT PRIMARY KEY REFERENCES accord_tokens (id),
        revoked TEXT NOT NULL,
        seq BIGINT NOT NULL)""")
    if op.get_bind().dialect.name == "postgresql":
        message = FIXED.format(table="%", verb="%")
        op.execute(f"""
            CREATE FUNCTION accord_tokens_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION '{message}', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
            END $$""")
        for table in ("accord_tokens", "accord_token_revoked"):
            op.execute(f"""CREATE TRIGGER {table}_fixed BEFORE UPDATE OR DELETE ON {table}
                           FOR EACH ROW EXECUTE FUNCTION accord_tokens_fixed()""")
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_fixed")
        return
    for table in ("accord_tokens", "accord_token_revoked"):
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
                BEGIN SELECT RAISE(ABORT, '{FIXED.format(table=table, verb=verb)}'); END""")
