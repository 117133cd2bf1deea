"""Approvals count only from the right people: review teams, owner roles held by one person,
and a roster that cannot rewrite who held a role in the past."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from accord.contract.model import Roster
from accord.errors import ActionRefused, RosterRefused
from accord.ledger import Ledger
from tests.helpers import PEOPLE, T0, at, count, open_case, refund_contract, roster, run_cli

TEAM = {"accord": 1, "kind": "roster", "roles": {
    **{role: {"held_by": [{"person": person, "from": "2026-01-01"}]} for role, person in PEOPLE.items()},
    "support-agent": {"held_by": [{"person": "ann@example.com", "from": "2026-01-01"},
                                  {"person": "bo@example.com", "from": "2026-02-01"}]}}}


def team_roster(**changes: object) -> Roster:
    return Roster.model_validate({**TEAM, **changes}, strict=False)


@pytest.fixture
def team(ledger: Ledger) -> Ledger:
    """The refund workflow whose support-agent role is a team of two."""
    ledger.apply_roster(team_roster())
    ledger.apply_contract(refund_contract())
    return ledger


def test_a_review_by_someone_outside_the_role_is_stored_and_counts_for_nothing(team: Ledger) -> None:
    case = open_case(team, "R-1")
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.review(reviewer="random.person@gmail.com", attests=["whole_action"], at=at(2))
    view = team.case_view("R-1")
    assert [e.type for e in view.events][-1] == "review.recorded", "kept as evidence of what happened"
    assert not view.evidence.approval.holds
    assert "random.person@gmail.com did not hold support-agent" in " ".join(view.evidence.approval.lacking())
    case.action("email.sent", by="system:mailer", at=at(3))
    rules = {f.rule for f in team.findings(at(4)) if f.case == "R-1"}
    assert {"reviewer-not-in-role", "unapproved-action"} <= rules


def test_every_holder_of_a_review_team_may_approve(team: Ledger) -> None:
    case = open_case(team, "R-2")
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.review(reviewer="ann@example.com", attests=["correct"], at=at(2))
    case.review(reviewer="bo@example.com", attests=["appropriately_toned"], at=at(3))
    assert team.case_view("R-2").evidence.approval.holds, "two members of the team together"
    case.action("email.sent", by="system:mailer", at=at(4))
    approvals = {"reviewer-not-in-role", "unapproved-action"}
    assert not [f for f in team.findings(at(5)) if f.case == "R-2" and f.rule in approvals]


def test_enforcement_refuses_an_action_approved_by_an_outsider(ledger: Ledger) -> None:
    ledger.apply_roster(team_roster())
    ledger.apply_contract(refund_contract(enforce=True))
    case = open_case(ledger, "R-3")
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.review(reviewer="random.person@gmail.com", attests=["whole_action"], at=at(2))
    before = count(ledger)
    with pytest.raises(ActionRefused) as refused:
        case.action("email.sent", by="system:mailer", at=at(3))
    assert "random.person@gmail.com did not hold support-agent" in str(refused.value)
    assert count(ledger) == before


def test_a_review_counts_only_while_its_reviewer_holds_the_role(ledger: Ledger) -> None:
    left = team_roster(roles={**TEAM["roles"], "support-agent": {"held_by": [  # type: ignore[dict-item]
        {"person": "ann@example.com", "from": "2026-01-01", "until": "2026-03-01"},
        {"person": "bo@example.com", "from": "2026-03-02"}]}})
    ledger.apply_roster(left)
    ledger.apply_contract(refund_contract())
    case = open_case(ledger, "R-4")
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.review(reviewer="ann@example.com", attests=["whole_action"], at=at(2))
    assert not ledger.case_view("R-4").evidence.approval.holds, "ann left the day before"


def test_a_decision_dated_after_the_action_is_no_prior_approval(refunds: Ledger) -> None:
    case = open_case(refunds, "R-5", amount=900)
    case.output("Refund 900", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.review(reviewer="ann@example.com", attests=["whole_action"], at=at(2))
    # recorded before the action (by seq) but dated five hours after it
    case.decide(decider="eve@example.com", decision="approved", at=at(5 * 60 + 3))
    case.action("email.sent", by="system:mailer", at=at(3))
    view = refunds.case_view("R-5")
    assert not view.evidence.approval.holds
    assert "after the action" in " ".join(view.evidence.approval.lacking())


def test_an_exception_is_decided_by_its_owner_or_by_escalate_to_once_escalated(refunds: Ledger) -> None:
    case = open_case(refunds, "R-6", amount=900)
    case.output("Refund 900", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.review(reviewer="ann@example.com", attests=["whole_action"], at=at(2))
    case.decide(decider="sam@example.com", decision="approved", at=at(3))  # escalate_to, too early
    assert not refunds.case_view("R-6").evidence.approval.holds
    assert [e.case for e in refunds.tick(at(5 * 60))] == ["R-6"]
    case.decide(decider="sam@example.com", decision="approved", at=at(5 * 60 + 1))
    assert refunds.case_view("R-6").evidence.approval.holds, "once escalated, the director decides"


def test_no_approval_counts_before_a_roster_is_applied(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    case = open_case(ledger, "R-7")
    case.output("Refund 120", model="m", prompt_version="v7", confidence=0.9, at=at(1))
    case.review(reviewer="ann@example.com", attests=["whole_action"], at=at(2))
    assert not ledger.case_view("R-7").evidence.approval.holds, "with no roster every role is vacant"


# -- owner roles --------------------------------------------------------------------------------------


def test_roster_apply_refuses_two_holders_of_an_applied_contracts_owner_role(team: Ledger) -> None:
    both = team_roster(roles={**TEAM["roles"], "risk-manager": {"held_by": [  # type: ignore[dict-item]
        {"person": "rik@example.com", "from": "2026-01-01"},
        {"person": "ria@example.com", "from": "2026-02-01"}]}})
    with pytest.raises(RosterRefused) as refused:
        team.apply_roster(both)
    text = "\n".join(refused.value.lines())
    assert "roles.risk-manager" in text and "review.threshold_owner" in text and "one holder" in text
    assert team.roster().version == 1  # type: ignore[union-attr]


def test_lint_with_a_roster_reports_an_owner_role_held_by_two_as_diffuse_owner(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    contract = tmp_path / "refunds.yaml"
    contract.write_text(yaml.safe_dump(refund_contract().model_dump(mode="json", by_alias=True,
                                                                    exclude_none=True), sort_keys=False))
    shared = {**TEAM, "roles": {**TEAM["roles"], "support-ops-lead": {"held_by": [
        {"person": "dana@example.com", "from": "2026-01-01"},
        {"person": "omar@example.com", "from": "2026-06-01"}]}}}
    (tmp_path / "roster.yaml").write_text(yaml.safe_dump(shared))
    code, out, _ = run_cli(capsys, "lint", str(contract), "--roster", str(tmp_path / "roster.yaml"),
                           "--now", "2026-07-01T00:00:00Z")
    assert code == 1 and "diffuse-owner" in out and "support-ops-lead" in out
    assert "support-agent" not in out, "a review team is no diffuse owner"


# -- the past is not rewritten silently --------------------------------------------------------------


def test_removing_a_person_who_left_is_refused_and_an_until_is_not(team: Ledger) -> None:
    without_bo = team_roster(roles={**TEAM["roles"], "support-agent": {"held_by": [  # type: ignore[dict-item]
        {"person": "ann@example.com", "from": "2026-01-01"}]}})
    with pytest.raises(RosterRefused) as refused:
        team.apply_roster(without_bo)
    assert "bo@example.com held it 2026-02-01..2026-03-04; the new roster drops 2026-02-01..2026-03-04" in (
        "\n".join(refused.value.lines()))
    assert "--amend-past" in "\n".join(refused.value.lines())
    bo_leaves = team_roster(roles={**TEAM["roles"], "support-agent": {"held_by": [  # type: ignore[dict-item]
        {"person": "ann@example.com", "from": "2026-01-01"},
        {"person": "bo@example.com", "from": "2026-02-01", "until": "2026-03-04"}]}})
    assert team.apply_roster(bo_leaves).version == 2, "an until from today on rewrites nothing"


def test_amend_past_applies_and_keeps_the_reason_in_the_log(team: Ledger) -> None:
    corrected = team_roster(roles={**TEAM["roles"], "support-agent": {"held_by": [  # type: ignore[dict-item]
        {"person": "ann@example.com", "from": "2026-01-01"}]}})
    applied = team.apply_roster(corrected, amend_past="bo was entered by mistake; he never joined")
    assert applied.version == 2
    record = [e for e in team.events() if e.type == "roster.applied"][-1]
    assert record.data["amended_past"]["reason"] == "bo was entered by mistake; he never joined"
    assert record.data["amended_past"]["changes"] == [
        "roles.support-agent: bo@example.com held it 2026-02-01..2026-03-04; the new roster drops "
        "2026-02-01..2026-03-04"]


def test_cli_roster_apply_lists_each_change_and_needs_a_reason_to_amend(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    db = f"sqlite:///{tmp_path}/l.db"
    first, second = tmp_path / "r1.yaml", tmp_path / "r2.yaml"
    first.write_text(yaml.safe_dump(roster(**{"support-agent": "ann@example.com"}).model_dump(
        mode="json", by_alias=True, exclude_none=True)))
    second.write_text(yaml.safe_dump(roster(**{"support-agent": "bo@example.com"}).model_dump(
        mode="json", by_alias=True, exclude_none=True)))
    assert run_cli(capsys, "--db", db, "roster", "apply", str(first))[0] == 0
    code, _, err = run_cli(capsys, "--db", db, "roster", "apply", str(second))
    assert code == 2 and "ann@example.com held it 2026-01-01" in err and "nothing was applied" in err
    code, _, err = run_cli(capsys, "--db", db, "roster", "apply", str(second), "--amend-past")
    assert code == 2 and "--reason" in err
    code, out, _ = run_cli(capsys, "--db", db, "roster", "apply", str(second), "--amend-past",
                           "--reason", "ann's holding was a typo for bo")
    assert code == 0 and "version 2" in out


def test_roles_resolve_at_an_instant_in_utc() -> None:
    team = team_roster()
    instant = dt.datetime(2026, 2, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))  # 31 Jan UTC
    assert team.holders("support-agent", instant) == ["ann@example.com"]
    assert team.holders("support-agent", T0) == ["ann@example.com", "bo@example.com"]
    assert team.holder("support-agent", T0) == "ann@example.com", "the earliest holding"
