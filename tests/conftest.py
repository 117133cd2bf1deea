"""Shared fixtures: a ledger on every backend, the refund workflow on it, a CLI ledger.

Plain helpers (the refund contract, rosters, events, case runners) are in helpers.py and
cli_scenarios.py; this file holds only fixtures.

The storage suite runs against SQLite and PostgreSQL. PostgreSQL is found through
ACCORD_TEST_POSTGRES; each test gets its own schema, dropped afterwards. Without a
server the PostgreSQL half is skipped with the reason — except under CI=true,
where an unreachable server fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

import accord.ledger
from accord.ledger import Ledger
from accord.testing import FixedClock
from tests.helpers import CLOCK_AT, PEOPLE, PgRoles, refund_contract, roster, run_case

PG_URL = os.environ.get("ACCORD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
_pg_problem: list[str | None] = []


def _postgres_problem() -> str | None:
    if not _pg_problem:
        try:
            psycopg.connect(PG_URL, connect_timeout=3).close()
            _pg_problem.append(None)
        except psycopg.Error as err:
            _pg_problem.append(f"PostgreSQL at {PG_URL} is unreachable: {str(err).strip()}")
    return _pg_problem[0]


def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after use."""
    problem = _postgres_problem()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(problem + " (CI=true: the PostgreSQL half of the storage suite must run)")
        pytest.skip(problem)
    schema = f"accord_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = sa.engine.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def pg_roles() -> Iterator[PgRoles]:
    """Three LOGIN roles, neither superusers nor owners of anything, dropped with their grants
    after the session (skipped without a server, failing under CI=true)."""
    problem = _postgres_problem()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(problem + " (CI=true: the PostgreSQL half of the storage suite must run)")
        pytest.skip(problem)
    roles = PgRoles()
    names = (roles.owner, roles.writer, roles.reader)
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for name in names:
            conn.execute(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{roles.password}'")
    try:
        yield roles
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP OWNED BY "{name}"')  # its grants, and anything it still owns
                conn.execute(f'DROP ROLE "{name}"')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A fresh, empty ledger database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/ledger.db"
    else:
        yield from postgres_url()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema's URL, for what only PostgreSQL can show (skipped without a server,
    failing under CI=true)."""
    yield from postgres_url()


@pytest.fixture(scope="module")
def pg_module_url() -> Iterator[str]:
    """A fresh PostgreSQL schema's URL shared by one module's tests, for a ledger they only read
    or fail to change (skipped without a server, failing under CI=true)."""
    yield from postgres_url()


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    """A fresh, empty SQLite ledger URL, for what only SQLite can show (or too slow for both)."""
    return f"sqlite:///{tmp_path}/ledger.db"


@pytest.fixture
def clock() -> FixedClock:
    """A clock stopped at T0."""
    return FixedClock(CLOCK_AT)


@pytest.fixture
def ledger(db_url: str, clock: FixedClock) -> Iterator[Ledger]:
    """An empty ledger on each backend, its clock at T0."""
    with accord.ledger.open(db_url, clock=clock) as opened:
        yield opened


@pytest.fixture
def refunds(ledger: Ledger) -> Ledger:
    """The refund workflow on each backend: the refund contract, every role held (PEOPLE), no cases.

    The incident, drill and learning modules narrow it to their own needs (in memory, or with
    cases already run) with a module fixture of the same name.
    """
    ledger.apply_roster(roster(**PEOPLE))
    ledger.apply_contract(refund_contract())
    return ledger


@pytest.fixture
def cli_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SQLite ledger for the command line: R-1 complete, R-2 lacking its policy result.

    ACCORD_DB names it and the working directory is its folder, which is returned.
    """
    url = f"sqlite:///{tmp_path}/accord.db"
    monkeypatch.setenv("ACCORD_DB", url)
    monkeypatch.chdir(tmp_path)
    with accord.ledger.open(url, clock=FixedClock(CLOCK_AT)) as ledger:
        ledger.apply_roster(roster(**PEOPLE))
        ledger.apply_contract(refund_contract())
        run_case(ledger, "R-1", attests=["correct", "appropriately_toned"])
        run_case(ledger, "R-2", policy=None, attests=["correct", "appropriately_toned"])
    return tmp_path
