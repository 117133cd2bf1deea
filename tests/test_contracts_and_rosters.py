"""Applying contracts and rosters to a ledger: versions, refusals, pinning, holders (every backend)."""

from __future__ import annotations

import pytest

from accord.contract.model import Roster
from accord.errors import ContractRefused
from accord.ledger import Ledger
from tests.helpers import count, opened, output, refund_contract, roster


def test_contract_versions_are_kept_with_their_hash(ledger: Ledger) -> None:
    first = ledger.apply_contract(refund_contract())
    again = ledger.apply_contract(refund_contract())
    second = ledger.apply_contract(refund_contract(title="Refund replies v2"))
    assert (first.version, first.new) == (1, True)
    assert (again.version, again.new) == (1, False), "re-applying an identical contract is a no-op"
    assert (second.version, second.new) == (2, True)
    assert first.hash != second.hash and len(first.hash) == 64
    assert [c.version for c in ledger.contracts()] == [1, 2]
    assert ledger.contract("refund-replies", 1).contract.title == "Refund request replies"


def test_contract_with_lint_errors_is_refused_and_not_stored(ledger: Ledger) -> None:
    with pytest.raises(ContractRefused) as err:
        ledger.apply_contract(refund_contract(outcome_owner="the model"))
    assert "tool-as-owner" in str(err.value)
    assert count(ledger) == 0


def test_case_pins_the_contract_version_in_force_when_it_opened(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    ledger.record_many([opened("R-1")])
    ledger.apply_contract(refund_contract(title="v2"))
    ledger.record_many([opened("R-2"), output("R-1"), output("R-2")])
    assert list(ledger.events("R-1"))[-1].contract_version == 1
    assert list(ledger.events("R-2"))[-1].contract_version == 2


def test_roster_resolves_holders_and_latest_is_authoritative(ledger: Ledger) -> None:
    import datetime as dt

    ledger.apply_roster(roster(**{"support-ops-lead": "dana@example.com"}))
    handed_over = Roster.model_validate({"accord": 1, "kind": "roster", "roles": {"support-ops-lead": {
        "held_by": [{"person": "dana@example.com", "from": "2026-01-01", "until": "2026-04-30"},
                    {"person": "omar@example.com", "from": "2026-05-01"}]}}}, strict=False)
    applied = ledger.apply_roster(handed_over)
    assert applied.new and applied.version == 2
    when = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    assert ledger.roster().roster.holder("support-ops-lead", when) == "omar@example.com"
    day_before = when - dt.timedelta(days=1)
    assert ledger.roster().roster.holder("support-ops-lead", day_before) == "dana@example.com"
    assert ledger.roster().roster.holder("risk-manager", when) is None
