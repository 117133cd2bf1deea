"""Shared fixtures: a ledger on every backend, a fixed clock, contract factories.

The storage suite runs against SQLite and PostgreSQL. PostgreSQL is found through
ACCORD_TEST_POSTGRES; each test gets its own schema, dropped afterwards. Without a
server the PostgreSQL half is skipped with the reason — except under CI=true,
where an unreachable server fails the run.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

import accord.ledger
from accord.contract.model import Contract, Roster
from accord.ledger import Ledger
from accord.testing import FixedClock

PG_URL = os.environ.get("ACCORD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A fresh, empty ledger database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/ledger.db"
    else:
        yield from postgres_url()


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path}/ledger.db"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def ledger(db_url: str, clock: FixedClock) -> Iterator[Ledger]:
    with accord.ledger.open(db_url, clock=clock) as opened:
        yield opened


def refund_contract(**changes: Any) -> Contract:
    """The SPEC §2 refund-replies contract, with top-level keys replaced by ``changes``."""
    body: dict[str, Any] = {
        "accord": 1, "kind": "contract", "workflow": "refund-replies",
        "title": "Refund request replies",
        "purpose": "Draft a reply to each refund request that states the correct refund.",
        "outcome_owner": "support-ops-lead",
        "attributes": {"amount": "number", "tier": "string", "risk": "number"},
        "quality_bar": {
            "correct": "Refund amount and eligibility match the order record.",
            "compliant": "Follows refund policy RP-4.",
            "appropriately_toned": "Polite, plain, no blame on the customer.",
            "margin_safe": "The refund never exceeds what the order cost.",
        },
        "policies": [{"id": "refund-policy", "covers": ["compliant"]}],
        "review": {"mode": "risk_based", "reviewer": "support-agent",
                   "attests": ["correct", "appropriately_toned"],
                   "skip_when": "risk < 0.2 && amount < 50", "threshold_owner": "risk-manager"},
        "exceptions": [{"name": "large-refund", "when": "amount >= 500 || tier == 'enterprise'",
                        "owner": "refunds-escalations", "decide_within": "4h",
                        "evidence": ["input", "output", "sources"],
                        "escalate_to": "support-director"}],
        "evidence": {"required": ["input", "sources", "output", "edits", "approval", "policy",
                                  "final_action", "confidence", "prompt_version"],
                     "retain_for": "400d"},
        "learning": {"prompt": "ai-enablement", "playbook": "support-enablement",
                     "data_source": "data-platform", "routing_rule": "support-ops-lead",
                     "exception_threshold": "risk-manager", "policy": "refunds-policy-owner",
                     "training_material": "support-enablement"},
        "accepted_risks": [{"dimension": "margin_safe",
                            "reason": "Refunds are capped by the payment system."}],
        "enforce": False,
    }
    body.update(changes)
    return Contract.model_validate(body)


def roster(**holders: str) -> Roster:
    """A roster where each role is held all of 2026 by the named person."""
    return Roster.model_validate({
        "accord": 1, "kind": "roster",
        "roles": {role: {"held_by": [{"person": person, "from": dt.date(2026, 1, 1),
                                      "until": dt.date(2026, 12, 31)}]}
                  for role, person in holders.items()},
    }, strict=False)


def event(case: str, kind: str, at: str, data: dict[str, Any], actor: str = "system:app",
          **extra: Any) -> dict[str, Any]:
    return {"case": case, "type": kind, "at": at, "actor": actor, "data": data, **extra}


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `accord ARGS` as the installed script does: (exit status, stdout, stderr)."""
    from accord.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(list(args))
    out, err = capsys.readouterr()
    code = stopped.value.code
    return (code if isinstance(code, int) else 0), out, err
