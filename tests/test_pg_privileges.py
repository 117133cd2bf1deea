"""Least privilege: `accord db migrate` run by the owner grants a writer role only SELECT and INSERT;
connected as that role accord records and verifies, and plain SQL cannot lift a guard, truncate,
update, delete or leave a gap. A writing command run by a role that could warns once. On SQLite
`db migrate` creates or upgrades the file and says roles do not apply."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

import accord
from accord.cli import OWNER_WARNING
from accord.store.privileges import migrate
from tests.cli_scenarios import cli, opened, output, plain_sql, write_contract, write_events, write_roster
from tests.helpers import PgRoles, refund_contract

Capsys = pytest.CaptureFixture[str]
TABLES = ("accord_log", "accord_subtree", "accord_meta", "alembic_version", "accord_tokens",
          "accord_token_revoked")
PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def held(url: str, role: str) -> dict[str, set[str]]:
    """Each of accord's tables: the privileges ``role`` holds on it (asked as the URL's user)."""
    with psycopg.connect(url) as conn:
        return {t: {p for p in PRIVILEGES
                    if conn.execute("SELECT has_table_privilege(%s, %s, %s)", (role, t, p)).fetchone()[0]}
                for t in TABLES}


def migrated_as_writer(capsys: Capsys, url: str, roles: PgRoles) -> str:
    """`accord db migrate --writer` run as the URL's user (the owner); the writer's URL."""
    code, _, err = cli(capsys, url, "db", "migrate", "--writer", roles.writer)
    assert code == 0, err
    return roles.url_as(url, roles.writer)


# -- the writer records; it cannot change what is stored ---------------------------------------------


@pytest.mark.postgres
def test_a_writer_records_through_accord_and_its_ledger_verifies(
        pg_url: str, pg_roles: PgRoles, tmp_path: Path, capsys: Capsys) -> None:
    writer = migrated_as_writer(capsys, pg_url, pg_roles)
    for args in (("roster", "apply", write_roster(tmp_path)), ("contract", "apply", write_contract(tmp_path)),
                 ("record", write_events(tmp_path, "e.jsonl", [opened("W-1"), output("W-1")]))):
        code, _, err = cli(capsys, writer, *args)
        assert code == 0 and err == "", (args, err)  # no owner warning for the writer
    with accord.open(writer) as ledger:
        ledger.apply_contract(refund_contract(title="Refund replies, second version"))  # the library too
        assert ledger.store.owns_log is False  # type: ignore[attr-defined]
    code, out, _ = cli(capsys, writer, "verify", "--json")
    assert code == 0 and json.loads(out)["size"] == 6


@pytest.fixture(scope="module")
def writer_ledger(pg_module_url: str, pg_roles: PgRoles) -> str:
    """A ledger the owner migrated for the writer, with records the writer wrote; its writer URL."""
    migrated = migrate(pg_module_url, writers=[pg_roles.writer])
    assert [g.role for g in migrated.grants] == [pg_roles.writer]
    writer = pg_roles.url_as(pg_module_url, pg_roles.writer)
    with accord.open(writer) as ledger:
        ledger.apply_contract(refund_contract())
    return writer


GAP = ("INSERT INTO accord_log SELECT seq + 10, case_id, type, canonical, leaf_hash, chain_hash, event_id "
       "FROM accord_log WHERE seq = 1")


@pytest.mark.postgres
@pytest.mark.parametrize(("statement", "refusal"), [
    ("ALTER TABLE accord_log DISABLE TRIGGER ALL", "must be owner"),
    ("ALTER TABLE accord_log DISABLE TRIGGER accord_log_no_update", "must be owner"),
    ("DROP TRIGGER accord_log_no_update ON accord_log", "must be owner"),
    ("DROP TRIGGER accord_log_append_at_head ON accord_log", "must be owner"),
    ("ALTER TABLE accord_log DROP CONSTRAINT accord_log_seq_from_1", "must be owner"),
    ("ALTER TABLE accord_meta DISABLE TRIGGER ALL", "must be owner"),
    ("ALTER TABLE accord_subtree DISABLE TRIGGER ALL", "must be owner"),
    ("DROP TRIGGER accord_subtree_no_update ON accord_subtree", "must be owner"),
    ("DROP TABLE accord_log", "must be owner"),
    ("CREATE TRIGGER forged BEFORE INSERT ON accord_log FOR EACH ROW "
     "EXECUTE FUNCTION accord_log_append_at_head()", "permission denied"),
    ("TRUNCATE accord_log", "permission denied"),
    ("UPDATE accord_log SET type = 'x'", "permission denied"),
    ("DELETE FROM accord_log", "permission denied"),
    ("UPDATE accord_meta SET value = 'accord.ledger/forged'", "permission denied"),
    ("DELETE FROM accord_meta", "permission denied"),
    ("TRUNCATE accord_meta", "permission denied"),
    ("INSERT INTO accord_meta (key, value) VALUES ('note', 'x')", "permission denied"),
    ("UPDATE accord_subtree SET hash = 'x'", "permission denied"),
    ("DELETE FROM accord_subtree", "permission denied"),
    ("TRUNCATE accord_subtree", "permission denied"),
    ("UPDATE alembic_version SET version_num = '0001'", "permission denied"),
    ("DELETE FROM accord_token_revoked", "permission denied"),
    ("UPDATE accord_tokens SET expires = NULL", "permission denied"),
    ("SET session_replication_role = replica", "permission denied"),
    (GAP, "goes at the end"),
])
def test_a_writer_cannot_change_what_is_stored(writer_ledger: str, statement: str, refusal: str) -> None:
    with pytest.raises(sa.exc.DBAPIError, match=refusal):
        plain_sql(writer_ledger, statement)
    with accord.open(writer_ledger, read_only=True) as ledger:
        report = ledger.verify()
    assert report.ok and report.size == 1


# -- db migrate -----------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_db_migrate_grants_exactly_what_accord_needs_and_again_changes_nothing(
        pg_url: str, pg_roles: PgRoles, capsys: Capsys) -> None:
    code, out, _ = cli(capsys, pg_url, "db", "migrate", "--writer", pg_roles.writer,
                       "--reader", pg_roles.reader)
    assert code == 0 and f"(created), owned by {sa.engine.make_url(pg_url).username}" in out
    writer = {"accord_log": {"SELECT", "INSERT"}, "accord_subtree": {"SELECT", "INSERT"},
              "accord_meta": {"SELECT"}, "alembic_version": {"SELECT"},
              "accord_tokens": {"SELECT", "INSERT"}, "accord_token_revoked": {"SELECT", "INSERT"}}
    reader = {t: {"SELECT"} for t in TABLES}
    assert held(pg_url, pg_roles.writer) == writer and held(pg_url, pg_roles.reader) == reader
    # too much, by hand
    plain_sql(pg_url, f'GRANT ALL ON accord_log, accord_subtree, accord_meta TO "{pg_roles.writer}"')
    code, out, _ = cli(capsys, pg_url, "db", "migrate", "--writer", pg_roles.writer,
                       "--reader", pg_roles.reader)
    assert code == 0 and "(already current)" in out
    assert held(pg_url, pg_roles.writer) == writer and held(pg_url, pg_roles.reader) == reader
    assert f"writer {pg_roles.writer}: USAGE on schema" in out


@pytest.mark.postgres
def test_db_migrate_upgrades_an_older_ledger_that_a_writer_may_not(
        pg_url: str, pg_roles: PgRoles, tmp_path: Path, capsys: Capsys,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The upgrade is the owner's; the writer's grants on the log carry over to the table it adds."""
    from accord.store import privileges
    from accord.store import sql as store_sql

    with monkeypatch.context() as patch:  # a ledger migrated by an earlier accord
        patch.setattr(store_sql, "HEAD_REVISION", "0008")
        before = {t: p for t, p in privileges.WRITER.items() if t != "accord_subtree"}
        patch.setattr(privileges, "WRITER", before)
        writer = migrated_as_writer(capsys, pg_url, pg_roles)
    code, _, err = cli(capsys, writer, "contract", "apply", write_contract(tmp_path))
    assert code == 2 and (f"has schema 0008 (accord needs {store_sql.HEAD_REVISION}) and this role may not "
                          "upgrade it") in err
    assert "run `accord db migrate` as the role that owns accord's tables" in err
    code, out, _ = cli(capsys, pg_url, "db", "migrate")
    assert code == 0 and "(upgraded from 0008)" in out
    assert held(pg_url, pg_roles.writer)["accord_subtree"] == {"SELECT", "INSERT"}
    code, _, err = cli(capsys, writer, "contract", "apply", write_contract(tmp_path))
    assert code == 0, err


@pytest.mark.postgres
def test_a_writer_may_not_create_the_tables_or_grant(pg_url: str, pg_roles: PgRoles, capsys: Capsys) -> None:
    writer = pg_roles.url_as(pg_url, pg_roles.writer)
    code, _, err = cli(capsys, writer, "db", "migrate")  # an empty schema it may not create in
    assert code == 2 and "has no accord tables and this role may not create them" in err
    migrated_as_writer(capsys, pg_url, pg_roles)
    code, _, err = cli(capsys, writer, "db", "migrate", "--reader", pg_roles.reader)
    assert code == 2 and "this role does not own accord's tables" in err
    assert held(pg_url, pg_roles.reader) == {t: set() for t in TABLES}


@pytest.mark.postgres
@pytest.mark.parametrize("who", ["postgres", "owner", "inherits", "nobody", "twice"])
def test_db_migrate_refuses_a_role_that_could_do_more_or_is_not_there(
        pg_url: str, pg_roles: PgRoles, capsys: Capsys, who: str) -> None:
    migrated_as_writer(capsys, pg_url, pg_roles)
    owner, reader, writer = (f'"{r}"' for r in (pg_roles.owner, pg_roles.reader, pg_roles.writer))
    plain_sql(pg_url, f"ALTER TABLE accord_log OWNER TO {owner}")
    args, setup, undo, refusal = {
        "postgres": (["--writer", "postgres"], [], [], "can alter accord_log"),
        "owner": (["--reader", pg_roles.reader], [f"GRANT {owner} TO {reader}"],
                  [f"REVOKE {owner} FROM {reader}"], "can alter accord_log"),  # may SET ROLE to it
        "inherits": (["--writer", pg_roles.writer],
                     [f"GRANT UPDATE, TRUNCATE ON accord_meta TO {reader}", f"GRANT {reader} TO {writer}"],
                     [f"REVOKE {reader} FROM {writer}"],
                     "still holds UPDATE, TRUNCATE on accord_meta, granted to PUBLIC or to a role"),
        "nobody": (["--writer", "accord_nobody_at_all"], [], [], "no such role"),
        "twice": (["--writer", pg_roles.writer, "--reader", pg_roles.writer], [], [], "is named twice"),
    }[who]
    before = held(pg_url, pg_roles.writer)
    if setup:
        plain_sql(pg_url, *setup)
    try:
        code, _, err = cli(capsys, pg_url, "db", "migrate", *args)
    finally:
        if undo:
            plain_sql(pg_url, *undo)
    assert code == 2 and err.count("\n") == 1 and refusal in err
    assert held(pg_url, pg_roles.writer) == before  # nothing granted or revoked


@pytest.mark.postgres
def test_a_reader_verifies_and_exports_but_cannot_record(pg_url: str, pg_roles: PgRoles, tmp_path: Path,
                                                         capsys: Capsys) -> None:
    cli(capsys, pg_url, "contract", "apply", write_contract(tmp_path))
    code, _, _ = cli(capsys, pg_url, "db", "migrate", "--reader", pg_roles.reader)
    reader = pg_roles.url_as(pg_url, pg_roles.reader)
    for args in (("verify",), ("export",), ("contract", "list")):
        code, _, err = cli(capsys, reader, *args)
        assert code == 0, (args, err)
    code, _, err = cli(capsys, reader, "record", write_events(tmp_path, "e.jsonl", [opened("W-1")]))
    assert code == 2 and "permission denied for table accord_log" in err


# -- the owner is warned -----------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_writing_command_run_as_the_owner_warns_once_and_reading_ones_do_not(
        pg_url: str, pg_roles: PgRoles, tmp_path: Path, capsys: Capsys) -> None:
    """The two-role setup without a superuser: the owner role owns the schema, migrates and grants;
    what it records itself comes with one warning line, what the writer records with none."""
    plain_sql(pg_url, f'ALTER SCHEMA {sa.engine.make_url(pg_url).query["options"].split("=")[1]} '
                      f'OWNER TO "{pg_roles.owner}"')
    owner = pg_roles.url_as(pg_url, pg_roles.owner)
    writer = migrated_as_writer(capsys, owner, pg_roles)
    code, _, err = cli(capsys, owner, "contract", "apply", write_contract(tmp_path))
    assert code == 0 and err == OWNER_WARNING + "\n"
    assert "accord db migrate --writer ROLE" in err
    code, _, err = cli(capsys, owner, "verify")
    assert code == 0 and err == ""  # a command that only reads changes nothing: no warning
    code, _, err = cli(capsys, writer, "record", write_events(tmp_path, "e.jsonl", [opened("W-1")]))
    assert code == 0 and err == ""
    with accord.open(owner) as as_owner, accord.open(pg_url) as as_superuser:
        assert as_owner.store.owns_log and as_superuser.store.owns_log  # type: ignore[attr-defined]


# -- SQLite: no roles ------------------------------------------------------------------------------


def test_sqlite_db_migrate_creates_and_upgrades_the_file_and_roles_do_not_apply(
        sqlite_url: str, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.store import sql as store_sql

    with monkeypatch.context() as patch:
        patch.setattr(store_sql, "HEAD_REVISION", "0007")
        code, out, _ = cli(capsys, sqlite_url, "db", "migrate")
    assert code == 0 and out.endswith("schema 0007 (created)\n")
    code, out, _ = cli(capsys, sqlite_url, "db", "migrate")
    assert code == 0 and out.endswith(f"schema {store_sql.HEAD_REVISION} (upgraded from 0007)\n")
    code, out, err = cli(capsys, sqlite_url, "db", "migrate", "--writer", "accord_writer", "--json")
    assert code == 0 and json.loads(out)["found"] == store_sql.HEAD_REVISION
    assert json.loads(out)["grants"] == []
    assert "SQLite has no roles: --writer and --reader do not apply" in err
    with accord.open(sqlite_url) as ledger:
        assert ledger.store.owns_log is False  # type: ignore[attr-defined]
