"""Plain helpers the tests share: the refund contract, rosters, events and the CLI runner.

Fixtures live in conftest.py; everything here is an ordinary function or constant, imported
as ``from tests.helpers import ...``. A helper used by one module stays in that module.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

import accord.ledger
from accord.case import Case
from accord.contract.model import Contract, Roster
from accord.integrity.merkle import ProofError
from accord.ledger import Ledger
from accord.testing import FixedClock, MemoryStore

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
"""When the suite's cases start: Monday 2026-03-02 09:00 UTC."""
CLOCK_AT = T0 + dt.timedelta(days=3)
"""The ledgers' clock in tests: three days after T0, so the events the tests date from T0
have happened (an event dated more than five minutes after the clock is refused)."""


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
    """One client event as `record_many` and `accord record` take it."""
    return {"case": case, "type": kind, "at": at, "actor": actor, "data": data, **extra}


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `accord ARGS` as the installed script does: (exit status, stdout, stderr)."""
    from accord.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(list(args))
    out, err = capsys.readouterr()
    code = stopped.value.code
    return (code if isinstance(code, int) else 0), out, err


def proof_problem(verify: Callable[..., None], *args: Any) -> str | None:
    """What a Merkle proof verifier objects to, or None when the proof verifies.

    The verifiers return nothing and raise ProofError; this makes "it verifies" a value a
    test asserts (``assert proof_problem(...) is None``), and a failure shows the objection.
    """
    try:
        verify(*args)
    except ProofError as err:
        return str(err)
    return None


# -- raw client events for `Ledger.record_many` (the storage suite) -------------------------------

AT = "2026-03-02T09:00:00Z"


def opened(case: str = "R-1", amount: float = 40, tier: str = "standard", risk: float = 0.1,
           at: str = AT) -> dict[str, object]:
    """A `case.opened` of the refund workflow; by default a small, low-risk refund (review skipped)."""
    return event(case, "case.opened", at, {"workflow": "refund-replies",
                                           "attributes": {"amount": amount, "tier": tier, "risk": risk}})


def output(case: str = "R-1", at: str = "2026-03-02T09:01:00Z", **data: object) -> dict[str, object]:
    """An `output.generated` by the drafter; ``data`` overrides or adds fields."""
    body = {"content": "We will refund 40 EUR.", "model": "m-1", "prompt_version": "refund-v7",
            "confidence": 0.9, **data}
    return event(case, "output.generated", at, body, actor="system:drafter")


def review(case: str = "R-1", at: str = "2026-03-02T09:02:00Z") -> dict[str, object]:
    """An approving `review.recorded` attesting `correct`."""
    return event(case, "review.recorded", at, {"reviewer": "ann@example.com", "decision": "approved",
                                               "attests": ["correct"]}, actor="ann@example.com")


def count(ledger: Ledger) -> int:
    """How many records the ledger's log holds."""
    with ledger.store.reading() as r:
        return r.head().size


# -- the refund workflow through the library -----------------------------------------------------

PEOPLE = {"support-ops-lead": "dana@example.com", "support-agent": "ann@example.com",
          "refunds-escalations": "eve@example.com", "support-director": "sam@example.com",
          "risk-manager": "rik@example.com", "ai-enablement": "pat@example.com",
          "support-enablement": "sue@example.com", "data-platform": "dan@example.com",
          "refunds-policy-owner": "polly@example.com", "qa-lead": "quinn@example.com",
          "ops-architect": "oli@example.com"}
"""Who holds each role of the refund workflow (and a few more) all of 2026."""

INCIDENT_AT = T0 + dt.timedelta(days=2)


def at(minutes: float) -> dt.datetime:
    """``minutes`` after T0."""
    return T0 + dt.timedelta(minutes=minutes)


def open_case(ledger: Ledger, case: str, amount: float = 120, tier: str = "standard",
              risk: float = 0.5) -> Case:
    """Open a refund case at T0; by default one that needs a review."""
    return ledger.case("refund-replies", case, {"amount": amount, "tier": tier, "risk": risk},
                       at=at(0))


def memory_ledger(**contract_changes: Any) -> Ledger:
    """A fast in-memory ledger with the refund contract and a full roster."""
    ledger = accord.ledger.open(store=MemoryStore(), clock=FixedClock(CLOCK_AT))
    ledger.apply_roster(roster(**PEOPLE))
    ledger.apply_contract(refund_contract(**contract_changes))
    return ledger


def run_case(ledger: Ledger, case: str, *, amount: float = 120, risk: float = 0.5, tier: str = "standard",
             policy: str | None = "pass", attests: list[str] | None = None, playbook: str | None = None,
             decide: str | None = None, action: bool = True, start: float = 0) -> None:
    """A refund case: input, source, output, policy, review (of ``attests``), decision, action.

    Its events are one minute apart from ``start`` minutes after T0.
    """
    def when(minute: int) -> dt.datetime:
        return at(start + minute)

    c = ledger.case("refund-replies", case, {"amount": amount, "tier": tier, "risk": risk}, at=when(0))
    c.input("Please refund order 77", at=when(1))
    c.source("orders://77", version="2026-03", at=when(2))
    c.output("We refund 120 EUR.", model="m-2026-10", prompt_version="refund-v7",
             playbook_version=playbook, confidence=0.9, at=when(3))
    if policy is not None:
        c.policy("refund-policy", version="RP-4", result=policy, at=when(4))
    if attests:
        c.review(reviewer="ann@example.com", attests=attests, at=when(5))
    if decide is not None:
        c.decide(decider="eve@example.com", decision=decide, at=when(6))
    if action:
        c.action("email.sent", by="system:mailer", at=when(7))


def seq(ledger: Ledger, case: str, kind: str) -> int:
    """The seq of the last ``kind`` event of ``case``."""
    return [e.seq for e in list(ledger.events(case)) if e.type == kind][-1]


def incident(ledger: Ledger, case: str, failed: list[str], faulty: list[int] | None = None,
             should_have_escalated: bool = False,
             summary: str = "Refunded the wrong amount") -> dict[str, Any]:
    """Open an incident on ``case`` at INCIDENT_AT and return its review as JSON."""
    opened = ledger.open_incident(case, failed=failed, faulty=faulty or [],
                           should_have_escalated=should_have_escalated, summary=summary,
                           by="dana@example.com", now=INCIDENT_AT).as_json()
    return ledger.review_incident(opened["incident"]).as_json()


def opened_with_prompt_cause(ledger: Ledger, case: str = "R-1", now: dt.datetime = INCIDENT_AT,
                             summary: str = "Refunded the wrong amount") -> dict[str, object]:
    """Open an incident on ``case`` blaming its last output (bad_prompt; LA-1 goes to ai-enablement)."""
    output = seq(ledger, case, "output.generated")
    return ledger.open_incident(case, failed=["correct"], faulty=[output],
                         summary=summary, by="dana@example.com", now=now).as_json()


# -- PostgreSQL roles ---------------------------------------------------------------------------


class PgRoles:
    """Roles made for one test session: ``owner`` (may own a schema, not a superuser), ``writer``
    and ``reader`` (nothing until `accord db migrate` grants it). ``url_as`` connects as one."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:8]
        self.owner, self.writer, self.reader = (f"accord_{r}_{tag}" for r in ("owner", "writer", "reader"))
        self.password = uuid.uuid4().hex  # ignored under trust auth; lets password auth work too

    def url_as(self, url: str, role: str) -> str:
        """``url`` (same database and search path) connecting as ``role``."""
        return sa.engine.make_url(url).set(username=role, password=self.password).render_as_string(
            hide_password=False)
