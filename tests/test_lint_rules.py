"""Every lint rule of SPEC §4 fires when it should and stays quiet when it should not."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.contract.lint import (
    LintFinding,
    LintResult,
    Subject,
    lint_contract,
    lint_documents,
    lint_paths,
    rule,
    rules,
)
from accord.contract.loading import Document, load_file, parse
from accord.contract.model import Roster

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
TODAY = dt.date(2026, 6, 1)
SPEC_RULES = [
    "missing-outcome-owner", "tool-as-owner", "diffuse-owner", "undefined-quality-bar",
    "reviewer-scope-undefined", "unchecked-quality-dimension", "sampling-without-owner",
    "threshold-without-owner", "exception-route-incomplete", "evidence-incomplete",
    "learning-without-owner", "unknown-role", "vacant-role", "invalid-rule", "duplicate-workflow",
]
BASE: dict[str, Any] = yaml.safe_load((DATA / "refund-replies.yaml").read_text())
OWNER_PATHS: list[tuple[str | int, ...]] = [
    ("outcome_owner",), ("review", "reviewer"), ("review", "threshold_owner"),
    ("exceptions", 0, "owner"), ("exceptions", 0, "escalate_to"), ("learning", "prompt"),
    ("learning", "training_material"),
]

Change = Callable[[dict[str, Any]], object]


def document(*changes: Change, path: str = "c/refunds.yaml", body: dict[str, Any] | None = None) -> Document:
    """The clean refund contract with ``changes`` applied, parsed as if read from ``path``."""
    raw = copy.deepcopy(BASE if body is None else body)
    for change in changes:
        change(raw)
    return parse(yaml.safe_dump(raw, sort_keys=False), path)


def found(*changes: Change, roster: Roster | None = None, today: dt.date = TODAY) -> list[LintFinding]:
    return lint_documents([document(*changes)], roster, today)


def rule_ids(findings: list[LintFinding]) -> list[str]:
    return [f.rule for f in findings]


def setting(path: tuple[str | int, ...], value: Any) -> Change:
    def change(raw: dict[str, Any]) -> None:
        node: Any = raw
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
    return change


def removing(path: tuple[str | int, ...]) -> Change:
    def change(raw: dict[str, Any]) -> None:
        node: Any = raw
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]
    return change


@pytest.fixture(scope="module")
def roster() -> Roster:
    model = load_file(ROOT / "examples" / "roster.yaml").model
    assert isinstance(model, Roster)
    return model


# -- the registry ------------------------------------------------------------------------------

def test_registry_holds_exactly_the_spec_rules_in_spec_order() -> None:
    assert [r.id for r in rules()] == SPEC_RULES


def test_only_unchecked_dimension_and_vacant_role_are_warnings() -> None:
    warnings = {r.id for r in rules() if r.severity == "warning"}
    assert warnings == {"unchecked-quality-dimension", "vacant-role"}


def test_every_rule_has_a_one_line_summary() -> None:
    for registered in rules():
        assert registered.summary and "\n" not in registered.summary, registered.id


def test_registering_a_rule_id_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        @rule("tool-as-owner")
        def again(s: Subject) -> list[Any]:
            """Again."""
            return []


def test_the_clean_contract_has_no_findings_with_or_without_a_roster(roster: Roster) -> None:
    assert found() == []
    assert found(roster=roster) == []


def test_findings_are_sorted_by_path_line_column_rule() -> None:
    docs = [document(removing(("learning",)), path="b.yaml"),
            document(setting(("outcome_owner",), "the model"), removing(("evidence",)), path="a.yaml")]
    findings = lint_documents(docs, None, TODAY)
    keys = [(f.path, f.line, f.column, f.rule) for f in findings]
    assert keys == sorted(keys) and keys[0][0] == "a.yaml"


def test_finding_prints_as_path_line_col_severity_rule_message() -> None:
    finding = LintFinding("tool-as-owner", "error", "c/r.yaml", 7, 16, "refund-replies", "why")
    assert str(finding) == "c/r.yaml:7:16: error tool-as-owner why"


# -- missing-outcome-owner ---------------------------------------------------------------------

def test_missing_outcome_owner_fires_without_the_key() -> None:
    assert rule_ids(found(removing(("outcome_owner",)))) == ["missing-outcome-owner"]


def test_missing_outcome_owner_fires_on_an_empty_value_at_its_key() -> None:
    [finding] = found(setting(("outcome_owner",), None))
    assert (finding.rule, finding.line, finding.column) == ("missing-outcome-owner", 6, 1)


# -- tool-as-owner, diffuse-owner, precedence --------------------------------------------------

@pytest.mark.parametrize("value", [
    "ai", "The AI", "MODEL", "the model", "llm", "bot", "chatbot", "tool", "system", "automation",
    "assistant", "copilot", "agent", "the agent", "system:router", "gpt-4o", "claude-3-opus",
    "Gemini-pro", "llama-guard", "refund-bot",
])
def test_tool_as_owner_fires_on_every_tool_name(value: str) -> None:
    assert rule_ids(found(setting(("outcome_owner",), value))) == ["tool-as-owner"]


@pytest.mark.parametrize("path", OWNER_PATHS)
def test_tool_as_owner_fires_on_every_owner_field(path: tuple[str | int, ...]) -> None:
    [finding] = found(setting(path, "the model"))
    assert finding.rule == "tool-as-owner"
    assert finding.message.startswith(".".join(str(p) for p in path).replace(".0.", "[0]."))


def test_tool_as_owner_fires_on_the_sampling_owner() -> None:
    review = {"mode": "sampled", "reviewer": "support-agent", "attests": ["correct", "appropriately_toned"],
              "sample_rate": 0.1, "sampling_owner": "qa-bot"}
    assert rule_ids(found(setting(("review",), review))) == ["tool-as-owner"]


@pytest.mark.parametrize("value", ["ai-enablement", "robotics-lead", "modelling-lead", "systems-engineer",
                                   "agent-experience-lead", "toolsmith"])
def test_tool_as_owner_compares_whole_values_not_parts(value: str) -> None:
    assert found(setting(("outcome_owner",), value)) == []


@pytest.mark.parametrize("value", [
    ["support-ops-lead"], ["support-ops-lead", "risk-manager"], "process", "The Process", "everyone",
    "everybody", "all", "All Teams", "risk-committee", "Board", "ethics council", "ops and legal",
    "ops & legal", "ops/legal", "ops,legal",
])
def test_diffuse_owner_fires_on_lists_crowds_and_bodies(value: Any) -> None:
    assert rule_ids(found(setting(("outcome_owner",), value))) == ["diffuse-owner"]


@pytest.mark.parametrize("value", ["boardwalk-lead", "allocation-lead", "processing-lead"])
def test_diffuse_owner_needs_the_whole_word(value: str) -> None:
    assert found(setting(("outcome_owner",), value)) == []


@pytest.mark.parametrize("value", [["the model", "support-ops-lead"], "gpt-4 committee", "claude and ops"])
def test_tool_as_owner_takes_precedence_over_diffuse_owner(value: Any) -> None:
    assert rule_ids(found(setting(("outcome_owner",), value))) == ["tool-as-owner"]


def test_an_owner_field_gets_one_finding_even_with_a_roster(roster: Roster) -> None:
    """A tool or a list is not also reported as an unknown role."""
    assert rule_ids(found(setting(("outcome_owner",), "the model"), roster=roster)) == ["tool-as-owner"]
    assert rule_ids(found(setting(("outcome_owner",), ["nobody-known"]), roster=roster)) == ["diffuse-owner"]


def test_an_owner_that_is_not_a_role_slug_is_invalid_file_and_exit_2(roster: Roster) -> None:
    findings = found(setting(("review", "reviewer"), "Sam Lindqvist"), roster=roster)
    assert rule_ids(findings) == ["invalid-file"]
    assert LintResult(findings, 1).exit_code == 2


# -- undefined-quality-bar ---------------------------------------------------------------------

def _quality_bar_findings(*changes: Change) -> list[LintFinding]:
    return [f for f in found(*changes) if f.rule == "undefined-quality-bar"]


def test_undefined_quality_bar_fires_when_missing_or_empty() -> None:
    assert len(_quality_bar_findings(removing(("quality_bar",)))) == 1
    assert len(_quality_bar_findings(setting(("quality_bar",), {}))) == 1


def test_undefined_quality_bar_fires_once_per_dimension_without_meaning() -> None:
    findings = found(setting(("quality_bar", "correct"), ""), setting(("quality_bar", "compliant"), None))
    assert rule_ids(findings) == ["undefined-quality-bar", "undefined-quality-bar"]


# -- reviewer-scope-undefined ------------------------------------------------------------------

def test_reviewer_scope_undefined_fires_without_a_reviewer() -> None:
    assert rule_ids(found(removing(("review", "reviewer")))) == ["reviewer-scope-undefined"]


@pytest.mark.parametrize("change", [removing(("review", "attests")), setting(("review", "attests"), [])])
def test_reviewer_scope_undefined_fires_without_attests(change: Change) -> None:
    errors = [f.rule for f in found(change) if f.severity == "error"]
    assert errors == ["reviewer-scope-undefined"]


def test_reviewer_scope_undefined_fires_per_attested_dimension_outside_the_bar() -> None:
    findings = found(setting(("review", "attests"), ["correct", "timely", "complete"]))
    findings = [f for f in findings if f.severity == "error"]
    assert [(f.rule, f.line, f.column) for f in findings] == [("reviewer-scope-undefined", 25, 5),
                                                               ("reviewer-scope-undefined", 26, 5)]


def test_reviewer_scope_is_defined_by_whole_action() -> None:
    assert found(setting(("review", "attests"), ["whole_action"])) == []


def test_reviewer_scope_is_not_asked_of_mode_none() -> None:
    review = {"mode": "none", "threshold_owner": "risk-manager"}
    assert "reviewer-scope-undefined" not in rule_ids(found(setting(("review",), review)))


# -- unchecked-quality-dimension ---------------------------------------------------------------

def test_unchecked_quality_dimension_warns_on_a_dimension_nobody_checks() -> None:
    [finding] = found(removing(("accepted_risks",)))
    assert (finding.rule, finding.severity) == ("unchecked-quality-dimension", "warning")
    assert "margin_safe" in finding.message


def test_a_policy_or_whole_action_checks_a_dimension() -> None:
    covered = setting(("policies", 0, "covers"), ["compliant", "margin_safe"])
    assert found(removing(("accepted_risks",)), covered) == []
    assert found(removing(("accepted_risks",)), setting(("review", "attests"), ["whole_action"])) == []


def test_with_mode_none_attests_check_nothing() -> None:
    review = {"mode": "none", "attests": ["correct", "appropriately_toned"],
              "threshold_owner": "risk-manager"}
    findings = found(setting(("review",), review), setting(("evidence", "required"), ["input"]))
    unchecked = sorted(f.message.split("'")[1] for f in findings if f.rule == "unchecked-quality-dimension")
    assert unchecked == ["appropriately_toned", "correct"]


# -- sampling-without-owner --------------------------------------------------------------------

def _sampled(**review: Any) -> Change:
    body = {"mode": "sampled", "reviewer": "support-agent", "attests": ["correct", "appropriately_toned"],
            **review}
    return setting(("review",), {k: v for k, v in body.items() if v is not None})


@pytest.mark.parametrize(("review", "count"), [
    ({"sample_rate": 0.1, "sampling_owner": "risk-manager"}, 0),
    ({"sample_rate": 1, "sampling_owner": "risk-manager"}, 0),
    ({"sampling_owner": "risk-manager"}, 1),
    ({"sample_rate": 0, "sampling_owner": "risk-manager"}, 1),
    ({"sample_rate": 1.5, "sampling_owner": "risk-manager"}, 1),
    ({"sample_rate": 0.1}, 1),
    ({}, 2),
])
def test_sampling_without_owner_needs_a_rate_in_0_1_and_an_owner(review: dict[str, Any], count: int) -> None:
    assert rule_ids(found(_sampled(**review))) == ["sampling-without-owner"] * count


# -- threshold-without-owner -------------------------------------------------------------------

def test_threshold_without_owner_fires_for_risk_based_without_skip_when_or_owner() -> None:
    assert rule_ids(found(removing(("review", "skip_when")))) == ["threshold-without-owner"]
    assert rule_ids(found(removing(("review", "threshold_owner")))) == ["threshold-without-owner"]


def test_threshold_without_owner_fires_for_mode_none_without_owner() -> None:
    review = {"mode": "none"}
    assert "threshold-without-owner" in rule_ids(found(setting(("review",), review)))
    review_owned = {"mode": "none", "threshold_owner": "risk-manager"}
    assert "threshold-without-owner" not in rule_ids(found(setting(("review",), review_owned)))


def test_mode_always_needs_no_threshold_owner() -> None:
    review = {"mode": "always", "reviewer": "support-agent", "attests": ["correct", "appropriately_toned"]}
    assert found(setting(("review",), review)) == []


# -- exception-route-incomplete ----------------------------------------------------------------

@pytest.mark.parametrize("field", ["name", "when", "owner", "decide_within", "evidence", "escalate_to"])
def test_exception_route_incomplete_fires_for_each_missing_field(field: str) -> None:
    [finding] = found(removing(("exceptions", 0, field)))
    assert finding.rule == "exception-route-incomplete" and field in finding.message


def test_an_empty_exception_route_gives_six_findings_at_the_route() -> None:
    findings = found(setting(("exceptions",), [{}]))
    assert rule_ids(findings) == ["exception-route-incomplete"] * 6
    assert {(f.line, f.column) for f in findings} == {(29, 3)}


def test_an_empty_evidence_list_is_an_incomplete_route() -> None:
    assert rule_ids(found(setting(("exceptions", 0, "evidence"), []))) == ["exception-route-incomplete"]


# -- evidence-incomplete -----------------------------------------------------------------------

def test_evidence_incomplete_fires_once_per_missing_field() -> None:
    findings = found(setting(("evidence", "required"), ["input", "output", "confidence"]))
    assert rule_ids(findings) == ["evidence-incomplete"] * 5


def test_no_evidence_block_gives_seven_findings() -> None:
    assert rule_ids(found(removing(("evidence",)))) == ["evidence-incomplete"] * 7


def test_approval_may_be_absent_only_with_mode_none() -> None:
    without_approval = setting(("evidence", "required"),
                               ["input", "sources", "output", "edits", "policy", "final_action"])
    assert rule_ids(found(without_approval)) == ["evidence-incomplete"]
    review = {"mode": "none", "threshold_owner": "risk-manager"}
    assert "evidence-incomplete" not in rule_ids(found(without_approval, setting(("review",), review)))


# -- learning-without-owner --------------------------------------------------------------------

def test_a_missing_learning_block_gives_seven_findings() -> None:
    assert rule_ids(found(removing(("learning",)))) == ["learning-without-owner"] * 7


def test_learning_without_owner_fires_per_artefact() -> None:
    findings = found(removing(("learning", "policy")), setting(("learning", "playbook"), None))
    assert rule_ids(findings) == ["learning-without-owner"] * 2


# -- unknown-role and vacant-role --------------------------------------------------------------

def test_unknown_role_fires_only_with_a_roster(roster: Roster) -> None:
    change = setting(("exceptions", 0, "escalate_to"), "refunds-desk")
    assert rule_ids(found(change, roster=roster)) == ["unknown-role"]
    assert found(change) == []


def test_unknown_role_fires_once_per_field(roster: Roster) -> None:
    findings = found(setting(("learning", "prompt"), "ml-team"), setting(("learning", "playbook"), "ml-team"),
                     roster=roster)
    assert rule_ids(findings) == ["unknown-role"] * 2


def test_vacant_role_warns_when_nobody_holds_the_role_today(roster: Roster) -> None:
    change = setting(("review", "reviewer"), "claims-fraud-analyst")
    [finding] = found(change, roster=roster, today=dt.date(2026, 8, 31))
    assert (finding.rule, finding.severity) == ("vacant-role", "warning")
    assert found(change, roster=roster, today=dt.date(2026, 9, 1)) == []
    assert found(change) == []


def test_vacant_role_follows_a_hand_over(roster: Roster) -> None:
    """support-agent changes hands on 2026-06-01 with no gap: never vacant."""
    for day in (dt.date(2026, 5, 31), dt.date(2026, 6, 1)):
        assert found(roster=roster, today=day) == []


# -- invalid-rule ------------------------------------------------------------------------------

@pytest.mark.parametrize("expression", ["risk < 0.2 &&", "amout < 50", "amount + 1", "customer.risk < 0.2"])
def test_invalid_rule_fires_on_a_bad_skip_when(expression: str) -> None:
    [finding] = found(setting(("review", "skip_when"), expression))
    assert finding.rule == "invalid-rule" and expression in finding.message


def test_invalid_rule_fires_on_a_bad_exception_when() -> None:
    [finding] = found(setting(("exceptions", 0, "when"), "amount >= 500 || segment == 'vip'"))
    assert (finding.rule, finding.line) == ("invalid-rule", 30)


def test_rules_may_read_confidence_and_every_declared_attribute() -> None:
    rule_text = "confidence > 0.9 && risk < 0.2 && tier != 'enterprise'"
    assert found(setting(("review", "skip_when"), rule_text)) == []


# -- duplicate-workflow ------------------------------------------------------------------------

def test_duplicate_workflow_fires_on_each_contract_naming_the_other() -> None:
    findings = lint_documents([document(path="a.yaml"), document(path="b.yaml")], None, TODAY)
    assert [(f.rule, f.path) for f in findings] == [("duplicate-workflow", "a.yaml"),
                                                    ("duplicate-workflow", "b.yaml")]
    assert "b.yaml" in findings[0].message and "a.yaml" in findings[1].message


def test_distinct_workflows_are_no_duplicate() -> None:
    other = document(setting(("workflow",), "refund-replies-eu"), path="b.yaml")
    assert lint_documents([document(path="a.yaml"), other], None, TODAY) == []


# -- positions ---------------------------------------------------------------------------------

def test_positions_point_at_the_offending_value() -> None:
    [finding] = found(setting(("outcome_owner",), "the model"))
    assert (finding.line, finding.column) == (6, 16)
    [finding] = found(setting(("exceptions", 0, "owner"), "the model"))
    assert (finding.line, finding.column) == (31, 10)


def test_positions_point_at_the_parent_key_when_the_value_is_missing() -> None:
    findings = found(removing(("learning", "prompt")))
    assert [(f.line, f.column) for f in findings] == [(50, 1)]
    [finding] = found(removing(("review", "threshold_owner")))
    assert (finding.line, finding.column) == (20, 1)


def test_a_missing_top_level_key_points_at_the_start_of_the_file() -> None:
    [finding] = found(removing(("outcome_owner",)))
    assert (finding.line, finding.column) == (1, 1)


# -- entry points ------------------------------------------------------------------------------

def test_lint_contract_reports_what_contract_apply_refuses() -> None:
    findings = lint_contract(document(setting(("outcome_owner",), "the model")), None, TODAY)
    assert [(f.rule, f.severity) for f in findings] == [("tool-as-owner", "error")]


def test_lint_paths_counts_files_and_errors(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump({**BASE, "outcome_owner": "the model"}))
    (tmp_path / "notes.yaml").write_text("kind: notes\n")
    result = lint_paths([str(tmp_path)], None, TODAY)
    assert (result.files, result.errors, result.warnings, result.exit_code) == (1, 1, 0, 1)


def test_a_file_named_twice_is_linted_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(BASE))
    result = lint_paths([str(tmp_path), str(tmp_path / "a.yaml")], None, TODAY)
    assert (result.files, result.findings) == (1, [])


def test_a_roster_in_the_linted_folder_is_not_used_for_role_checks(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump({**BASE, "outcome_owner": "nobody-known"}))
    (tmp_path / "roster.yaml").write_text((ROOT / "examples" / "roster.yaml").read_text())
    result = lint_paths([str(tmp_path)], None, TODAY)
    assert (result.files, result.findings) == (2, [])
    with_roster = lint_paths([str(tmp_path)], str(tmp_path / "roster.yaml"), TODAY)
    assert (with_roster.files, rule_ids(with_roster.findings)) == (2, ["unknown-role"])


def test_a_roster_option_naming_a_contract_is_invalid_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(BASE))
    result = lint_paths([str(tmp_path)], str(tmp_path / "a.yaml"), TODAY)
    assert rule_ids(result.findings) == ["invalid-file"] and result.exit_code == 2


def test_the_examples_lint_clean_with_their_roster() -> None:
    result = lint_paths([str(ROOT / "examples")], str(ROOT / "examples" / "roster.yaml"), TODAY)
    assert (result.findings, result.files) == ([], 4)
