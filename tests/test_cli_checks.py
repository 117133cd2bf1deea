"""Checks for CI and cron: `findings --fail-on` and `drill --min-readiness` exit 1 when they
are not met, print what they always print, and refuse a bad value with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.runtime.findings import DETECTORS
from tests.cli_scenarios import CLAIMS, NOW, REFUNDS, REVIEWED, CliLedger, refund_case

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def ci(tmp_path: Path, capsys: Capsys) -> CliLedger:
    """Refunds and claims applied; R-1 complete, R-2 without its policy result (an evidence gap);
    no claims case at all."""
    ledger = CliLedger(capsys, tmp_path, contracts=(REFUNDS, CLAIMS))
    ledger.record(refund_case("R-1", attests=REVIEWED))
    ledger.record(refund_case("R-2", attests=REVIEWED, policy=None))
    return ledger


# -- findings --fail-on --------------------------------------------------------------------------------


@pytest.mark.parametrize("fail_on", ["evidence-gap", "unapproved-action,evidence-gap", "any",
                                     " evidence-gap , tool-blame "])
def test_fail_on_a_rule_that_has_a_finding_exits_1_and_still_prints(ci: CliLedger, fail_on: str) -> None:
    code, out, err = ci.cli("findings", "--now", NOW, "--fail-on", fail_on)
    assert code == 1
    assert "refund-replies:R-2:" in out and "evidence-gap" in out
    assert "accord: --fail-on: 1 finding of evidence-gap" in err


def test_fail_on_rules_without_findings_exits_0(ci: CliLedger) -> None:
    code, out, err = ci.cli("findings", "--now", NOW, "--fail-on", "unapproved-action,tool-blame")
    assert code == 0 and "evidence-gap" in out and "--fail-on" not in err


def test_fail_on_keeps_the_json_on_stdout(ci: CliLedger) -> None:
    code, out, _ = ci.cli("findings", "--now", NOW, "--fail-on", "any", "--json")
    assert code == 1 and [f["rule"] for f in json.loads(out)["findings"]] == ["evidence-gap"]


def test_fail_on_an_unknown_rule_exits_2_listing_the_rules(ci: CliLedger) -> None:
    code, out, err = ci.cli("findings", "--now", NOW, "--fail-on", "evidence-gap,missing-evidence")
    assert code == 2 and out == ""
    assert "unknown rule missing-evidence" in err
    assert all(rule in err for rule in DETECTORS) and "(or any)" in err


# -- drill --min-readiness -----------------------------------------------------------------------------


def test_min_readiness_above_a_workflow_s_readiness_exits_1(ci: CliLedger) -> None:
    code, out, err = ci.cli("drill", "--now", NOW, "--min-readiness", "0.9")
    assert code == 1 and "refund-replies: 1 of 2 cases would pass (50.00%)" in out
    assert "readiness below --min-readiness 0.9: refund-replies 0.5" in err


def test_min_readiness_met_exits_0(ci: CliLedger) -> None:
    code, out, _ = ci.cli("drill", "--now", NOW, "--min-readiness", "0.5", "--json")
    workflows = {w["workflow"]: w["readiness"] for w in json.loads(out)["workflows"]}
    assert code == 0 and workflows == {"claims-triage": None, "refund-replies": 0.5}


def test_a_workflow_without_closed_cases_is_not_held_to_it(ci: CliLedger) -> None:
    """Nothing to judge is not a failure: a freshly applied contract must not break the cron job."""
    code, _, err = ci.cli("drill", "--now", NOW, "--workflow", "claims-triage", "--min-readiness", "1")
    assert code == 0
    assert "claims-triage has no closed cases: not held to --min-readiness" in err


@pytest.mark.parametrize("value", ["1.5", "-0.1", "most"])
def test_min_readiness_outside_0_to_1_is_a_usage_error(ci: CliLedger, value: str) -> None:
    code, out, err = ci.cli("drill", "--now", NOW, "--min-readiness", value)
    assert code == 2 and out == "" and "--min-readiness" in err
