"""Route decisions (SPEC §6): skip rules, the routed scope, exception routes and their due
times, sampling. Through the library, and on every backend through `accord record` and
`accord case show` (tests/cli_scenarios.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import accord.ledger
from accord.errors import ActionRefused
from accord.ledger import Ledger
from accord.runtime.routing import sample_value
from accord.testing import FixedClock, MemoryStore
from tests.cli_scenarios import DUE, OUT_AT, cli, jcli, opened, output, route, write_contract, write_events
from tests.helpers import CLOCK_AT, at, open_case, refund_contract

# -- what the route requires -------------------------------------------------------------------------


def test_low_risk_small_refund_skips_review(refunds: Ledger) -> None:
    case = open_case(refunds, "R-1", amount=40, risk=0.1)
    route = case.output("Refund 40", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    assert (route.review, route.review_required, route.exception) == ("skipped", False, None)
    assert route.rule_owner == "risk-manager"


def test_risky_refund_requires_the_routed_scope(refunds: Ledger) -> None:
    case = open_case(refunds, "R-2", amount=120, risk=0.5)
    route = case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    assert route.review == "required" and route.attests == ["correct", "appropriately_toned"]
    assert route.reviewer_role == "support-agent"


def test_missing_confidence_in_a_rule_reviews_rather_than_skips(refunds: Ledger) -> None:
    refunds.apply_contract(refund_contract(review={
        "mode": "risk_based", "reviewer": "support-agent", "attests": ["correct"],
        "skip_when": "confidence > 0.8", "threshold_owner": "risk-manager"},
        quality_bar={"correct": "ok"}, policies=[], accepted_risks=[]))
    case = open_case(refunds, "R-3", amount=10, risk=0.0)
    route = case.output("x", model="m", prompt_version="v7", at=at(1))
    assert route.review == "required" and route.errors and "skip_when" in route.errors[0]
    assert route.inputs["confidence"] is None


def test_an_exception_rule_that_errs_escalates_and_later_routes_are_not_tried(refunds: Ledger) -> None:
    """The first route whose `when` errs is taken (escalate rather than let through); its error
    is recorded, and routes after it are neither evaluated nor reported."""
    route = {"owner": "refunds-escalations", "decide_within": "4h", "evidence": ["input"],
             "escalate_to": "support-director"}
    refunds.apply_contract(refund_contract(exceptions=[
        {**route, "name": "tiny", "when": "amount < 1"},
        {**route, "name": "unsure", "when": "confidence < 0.5 || amount > 1000"},
        {**route, "name": "also-unsure", "when": "confidence < 0.6"}]))
    case = open_case(refunds, "R-3b", amount=10, risk=0.5)
    route_taken = case.output("x", model="m", prompt_version="v7", at=at(1))
    assert route_taken.exception == "unsure" and route_taken.review == "required"
    assert route_taken.errors == ['exception unsure when: No value with name "confidence" found in '
                                  'Activation; escalating instead']


def test_exception_route_raises_with_due_time_and_review_stays(refunds: Ledger) -> None:
    case = open_case(refunds, "R-4", amount=900, risk=0.1)
    route = case.output("Refund 900", model="m", prompt_version="v7", confidence=0.95, at=at(1))
    assert route.exception == "large-refund" and route.exception_owner == "refunds-escalations"
    assert route.due == "2026-03-02T13:01:00Z"
    assert route.review == "required", "an exception does not remove the review"
    kinds = [e.type for e in list(refunds.events("R-4"))]
    assert kinds[-2:] == ["routing.decided", "exception.raised"]
    second = case.output("Refund 900 (v2)", model="m", prompt_version="v7", confidence=0.9, at=at(30))
    assert second.due == route.due, "a later route keeps the first due time"
    assert [e.type for e in list(refunds.events("R-4"))].count("exception.raised") == 1


def test_two_exception_routes_of_one_name_each_keep_their_own_owner_and_sla() -> None:
    """Names need not be unique: the matched route's owner and SLA decide, not its namesake's."""
    routes = [{"name": "large-refund", "when": "amount >= 500", "owner": "refunds-escalations",
               "decide_within": "4h", "evidence": ["input"], "escalate_to": "support-director"},
              {"name": "large-refund", "when": "amount >= 100", "owner": "risk-manager",
               "decide_within": "2d", "evidence": ["input"], "escalate_to": "support-director"}]
    ledger = accord.ledger.open(store=MemoryStore(), clock=FixedClock(CLOCK_AT))
    ledger.apply_contract(refund_contract(exceptions=routes))
    big = open_case(ledger, "R-big", amount=900).output("x", model="m", prompt_version="v", at=at(1))
    mid = open_case(ledger, "R-mid", amount=200).output("x", model="m", prompt_version="v", at=at(1))
    assert (big.exception_owner, big.due) == ("refunds-escalations", "2026-03-02T13:01:00Z")
    assert (mid.exception_owner, mid.due) == ("risk-manager", "2026-03-04T09:01:00Z")


def test_a_returned_route_is_a_copy_the_ledger_does_not_depend_on() -> None:
    ledger = accord.ledger.open(store=MemoryStore(), clock=FixedClock(CLOCK_AT))
    ledger.apply_contract(refund_contract(enforce=True))
    case = open_case(ledger, "R-1", amount=900)
    route = case.output("x", model="m", prompt_version="v", confidence=0.5, at=at(1))
    assert route.review == "required"
    route.attests.clear()
    route.inputs.clear()
    with pytest.raises(ActionRefused, match="approval"):
        case.action("email.sent", by="system:mailer", at=at(2))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(amount=st.floats(0, 2000, allow_nan=False), risk=st.floats(0, 1, allow_nan=False),
       tier=st.sampled_from(["standard", "enterprise", "gold"]),
       confidence=st.one_of(st.none(), st.floats(0, 1, allow_nan=False)))
def test_routing_the_same_case_twice_gives_the_same_decision(
        amount: float, risk: float, tier: str, confidence: float | None) -> None:
    decisions = []
    for _ in range(2):
        ledger = accord.ledger.open(store=MemoryStore(), clock=FixedClock(CLOCK_AT))
        ledger.apply_contract(refund_contract())
        case = open_case(ledger, "R-same", amount=amount, tier=tier, risk=risk)
        route = case.output("x", model="m", prompt_version="v", confidence=confidence, at=at(1))
        decisions.append(route)
    assert decisions[0] == decisions[1]


# -- sampling ----------------------------------------------------------------------------------------


def test_sampled_share_is_close_to_the_sample_rate() -> None:
    inside = sum(sample_value("claims-triage", f"C-{i}") < 0.1 for i in range(10_000))
    assert abs(inside / 10_000 - 0.1) < 0.015


def test_sampling_follows_the_published_formula() -> None:
    import hashlib

    ledger = accord.ledger.open(store=MemoryStore(), clock=FixedClock(CLOCK_AT))
    ledger.apply_contract(refund_contract(review={
        "mode": "sampled", "reviewer": "support-agent", "attests": ["correct"],
        "sample_rate": 0.5, "sampling_owner": "risk-manager"},
        quality_bar={"correct": "ok"}, policies=[], accepted_risks=[], exceptions=[]))
    for i in range(40):
        case = open_case(ledger, f"S-{i}")
        route = case.output("x", model="m", prompt_version="v", at=at(1))
        value = int(hashlib.sha256(f"refund-replies:S-{i}".encode()).hexdigest()[:8], 16) / 2**32
        assert route.review == ("sampled_in" if value < 0.5 else "sampled_out")
        assert route.rule == "sample_rate 0.5" and route.rule_owner == "risk-manager"


# -- routing.decided through the command line --------------------------------------------------------


def test_routing_decided_follows_spec_6(db_url: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Each case gets SPEC §6's route; routing.decided and exception.raised follow the output."""
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path))
    events = [opened("R-skip", 40, risk=0.1), output("R-skip"),
              opened("R-float", 49.99, risk=0.1), output("R-float"),
              opened("R-edge", 50, risk=0.1), output("R-edge"),
              opened("R-large", 600, risk=0.1), output("R-large"),
              opened("R-ent", 10, tier="enterprise", risk=0.1), output("R-ent", confidence=None)]
    assert cli(capsys, db_url, "record", write_events(tmp_path, "e.jsonl", events))[0] == 0
    expected = {"R-skip": ("skipped", None), "R-float": ("skipped", None),
                "R-edge": ("required", None), "R-large": ("required", "large-refund"),
                "R-ent": ("skipped", "large-refund")}
    for case, (review_kind, exception) in expected.items():
        r = route(capsys, db_url, case)
        assert (r["review"], r["exception"]) == (review_kind, exception), case
        assert r["rule"] == "risk < 0.2 && amount < 50" and r["rule_owner"] == "risk-manager"
        assert r["reviewer_role"] == "support-agent"
        assert r["attests"] == ["correct", "appropriately_toned"]
        assert r["due"] == (DUE if exception else None)
        assert r["exception_owner"] == ("refunds-escalations" if exception else None)
        assert set(r["inputs"]) == {"amount", "tier", "risk", "confidence"}
        assert r["errors"] == [] and r["contract_version"] == 1
    assert route(capsys, db_url, "R-ent")["inputs"]["confidence"] is None
    # routing.decided has the output's `at` and the next seq; exception.raised follows it
    view = jcli(capsys, db_url, "case", "show", "R-large")
    kinds = [(e["type"], e["at"]) for e in view["events"]]
    assert kinds[1:] == [("output.generated", OUT_AT), ("routing.decided", OUT_AT),
                         ("exception.raised", OUT_AT)]
    seqs = [e["seq"] for e in view["events"]]
    assert seqs[2] == seqs[1] + 1 and seqs[3] == seqs[2] + 1


def test_evaluation_errors_review_and_escalate(db_url: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A rule that cannot be evaluated requires review and raises the exception, never skips."""
    review_block = dict(refund_contract().review.model_dump(mode="json", exclude_none=True),
                        skip_when="confidence > 0.9 && amount == 40")
    exceptions = [{"name": "low-confidence", "when": "confidence < 0.5",
                   "owner": "refunds-escalations", "decide_within": "1d",
                   "evidence": ["input", "output"], "escalate_to": "support-director"}]
    cli(capsys, db_url, "contract", "apply",
        write_contract(tmp_path, review=review_block, exceptions=exceptions))
    events = [opened("C-none", 40), output("C-none", confidence=None),
              opened("C-int", 40), output("C-int", confidence=0.95)]
    assert cli(capsys, db_url, "record", write_events(tmp_path, "e.jsonl", events))[0] == 0
    missing = route(capsys, db_url, "C-none")
    assert missing["review"] == "required" and missing["exception"] == "low-confidence"
    assert len(missing["errors"]) == 2 and missing["due"] == "2026-03-03T09:01:00Z"
    # `number` binds as a double and `amount == 40` holds for the integer 40
    assert route(capsys, db_url, "C-int")["review"] == "skipped"


def test_always_and_none_modes(db_url: str, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    """Mode always requires review, mode none requires none, each with its owner and no rule."""
    always = {"mode": "always", "reviewer": "support-agent",
              "attests": ["correct", "appropriately_toned"]}
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path, review=always))
    none = {"mode": "none", "threshold_owner": "risk-manager"}
    cli(capsys, db_url, "contract", "apply",
        write_contract(tmp_path, "none.yaml", workflow="refund-none", review=none))
    events = [opened("A-1"), output("A-1"), opened("N-1", workflow="refund-none"), output("N-1")]
    assert cli(capsys, db_url, "record", write_events(tmp_path, "e.jsonl", events))[0] == 0
    a = route(capsys, db_url, "A-1")
    assert (a["review"], a["rule"], a["rule_owner"]) == ("required", None, "support-ops-lead")
    n = route(capsys, db_url, "N-1")
    assert (n["review"], n["rule"], n["rule_owner"]) == ("not_required", None, "risk-manager")


def test_sampled_share_over_10000_cases(sqlite_url: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Over 10,000 cases a route is sampled in exactly when its published sample value is below the rate."""
    sampled = {"mode": "sampled", "reviewer": "support-agent",
               "attests": ["correct", "appropriately_toned"],
               "sample_rate": 0.1, "sampling_owner": "risk-manager"}
    cli(capsys, sqlite_url, "contract", "apply", write_contract(tmp_path, review=sampled))
    events = [e for i in range(10_000) for e in (opened(f"S-{i}"), output(f"S-{i}"))]
    assert cli(capsys, sqlite_url, "record", write_events(tmp_path, "e.jsonl", events))[0] == 0
    code, out, _ = cli(capsys, sqlite_url, "export", "--format", "jsonl")
    assert code == 0
    routes = [e for e in map(json.loads, out.splitlines()) if e["type"] == "routing.decided"]
    assert len(routes) == 10_000
    for r in routes:
        value = int(hashlib.sha256(f"refund-replies:{r['case']}".encode()).hexdigest()[:8], 16) / 2**32
        assert r["data"]["sample_value"] == value
        assert r["data"]["review"] == ("sampled_in" if value < 0.1 else "sampled_out")
        assert r["data"]["rule"] == "sample_rate 0.1" and r["data"]["rule_owner"] == "risk-manager"
    share = sum(r["data"]["review"] == "sampled_in" for r in routes) / len(routes)
    assert abs(share - 0.1) <= 0.015
