"""`accord lint` on contracts written by hand against SPEC §4 and §9, beyond the files under
tests/data/broken/: each breaks one rule and gets exactly that rule; a file that cannot be
read into the model is one located line and exit 2; a folder's JSON and SARIF reports.

Each contract is the clean SPEC §2 one (tests/data/refund-replies.yaml) with a few lines
replaced; ``--now`` is fixed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.cli_scenarios import ROSTER, Capsys
from tests.helpers import run_cli as run

DATA = Path(__file__).resolve().parent / "data"
BASE = (DATA / "refund-replies.yaml").read_text(encoding="utf-8")
NOW = "2026-07-10T00:00:00Z"


SKIP = '  skip_when: "risk < 0.2 && amount < 50"\n'


THRESHOLD = "  threshold_owner: risk-manager\n"


SAMPLED = [("mode: risk_based", "mode: sampled"), (SKIP, "  sample_rate: 0.1\n"),
           (THRESHOLD, "  sampling_owner: qa-lead\n")]


def contract(tmp_path: Path, name: str, changes: list[tuple[str, str]]) -> Path:
    """The clean SPEC §2 refund contract with each (old, new) replaced once."""
    text = BASE
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def lint_json(capsys: Capsys, *args: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(capsys, "lint", "--format", "json", "--now", NOW, *args)
    return code, json.loads(out)


# -- one SPEC §4 rule broken each --------------------------------------------------------------------


OWN_CONTRACTS: list[tuple[str, list[tuple[str, str]], set[str], int]] = [
    ("outcome-owner-gpt", [("outcome_owner: support-ops-lead", "outcome_owner: gpt-4o")],
     {"tool-as-owner"}, 1),
    ("outcome-owner-the-ai-any-case", [("outcome_owner: support-ops-lead", 'outcome_owner: "The AI"')],
     {"tool-as-owner"}, 1),
    ("outcome-owner-system-actor", [("outcome_owner: support-ops-lead", 'outcome_owner: "system:drafter"')],
     {"tool-as-owner"}, 1),
    ("reviewer-ends-with-bot", [("reviewer: support-agent", "reviewer: refund-bot")], {"tool-as-owner"}, 1),
    ("threshold-owner-copilot", [("threshold_owner: risk-manager", "threshold_owner: copilot")],
     {"tool-as-owner"}, 1),
    ("escalation-the-agent", [("escalate_to: support-director", "escalate_to: the agent")],
     {"tool-as-owner"}, 1),
    ("learning-owner-llama", [("prompt: ai-enablement", "prompt: llama-team")], {"tool-as-owner"}, 1),
    ("tool-wins-over-diffuse", [("outcome_owner: support-ops-lead", "outcome_owner: llama-board")],
     {"tool-as-owner"}, 1),
    ("outcome-owner-committee", [("outcome_owner: support-ops-lead", "outcome_owner: risk-committee")],
     {"diffuse-owner"}, 1),
    ("outcome-owner-and", [("outcome_owner: support-ops-lead", "outcome_owner: support and legal")],
     {"diffuse-owner"}, 1),
    ("outcome-owner-slash", [("outcome_owner: support-ops-lead", "outcome_owner: support/legal")],
     {"diffuse-owner"}, 1),
    ("outcome-owner-all-teams", [("outcome_owner: support-ops-lead", "outcome_owner: All Teams")],
     {"diffuse-owner"}, 1),
    ("exception-owner-council", [("owner: refunds-escalations", "owner: refunds-council")],
     {"diffuse-owner"}, 1),
    ("learning-owner-list-of-one", [("policy: refunds-policy-owner", "policy: [refunds-policy-owner]")],
     {"diffuse-owner"}, 1),
    ("sampling-owner-list", [*SAMPLED[:2], (THRESHOLD, "  sampling_owner: [qa-lead, qa-deputy]\n")],
     {"diffuse-owner"}, 1),
    ("word-boundary-not-diffuse", [("outcome_owner: support-ops-lead", "outcome_owner: onboarding-lead")],
     set(), 0),
    ("reviewer-missing", [("  reviewer: support-agent\n", "")], {"reviewer-scope-undefined"}, 1),
    ("reviewer-attests-x-dimension-not-in-bar",
     [("attests: [correct, appropriately_toned]", "attests: [correct, appropriately_toned, x-legible]")],
     {"reviewer-scope-undefined"}, 1),
    ("reviewer-with-no-attests", [("  attests: [correct, appropriately_toned]\n", "")],
     {"reviewer-scope-undefined", "unchecked-quality-dimension"}, 1),
    ("blank-quality-meaning",
     [("compliant: Follows refund policy RP-4 and consumer law.", 'compliant: "  "')],
     {"undefined-quality-bar"}, 1),
    ("unchecked-x-dimension",
     [("  margin_safe: The refund never exceeds what the order cost.\n",
       "  margin_safe: The refund never exceeds what the order cost.\n  x-brand: Names our brand.\n")],
     {"unchecked-quality-dimension"}, 0),
    ("sample-rate-above-one", [*SAMPLED[:1], (SKIP, "  sample_rate: 1.5\n"), SAMPLED[2]],
     {"sampling-without-owner"}, 1),
    ("sampled-without-rate", [SAMPLED[0], (SKIP, ""), SAMPLED[2]], {"sampling-without-owner"}, 1),
    ("risk-based-skip-without-threshold-owner", [(THRESHOLD, "")], {"threshold-without-owner"}, 1),
    ("risk-based-without-skip-rule", [(SKIP, "")], {"threshold-without-owner"}, 1),
    ("exception-without-decider-or-sla",
     [("    owner: refunds-escalations\n", ""), ("    decide_within: 4h\n", "")],
     {"exception-route-incomplete"}, 1),
    ("exception-with-empty-evidence", [("evidence: [input, output, sources]", "evidence: []")],
     {"exception-route-incomplete"}, 1),
    ("evidence-missing-three-fields",
     [("edits, approval, policy, final_action, confidence,", "edits, confidence,")],
     {"evidence-incomplete"}, 1),
    ("no-review-may-omit-approval",
     [("mode: risk_based", "mode: none"), (SKIP, ""), ("approval, ", "")],
     {"unchecked-quality-dimension"}, 0),   # no review: only warnings, no evidence-incomplete
    ("learning-two-artefacts-unowned",
     [("  data_source: data-platform\n", ""), ("  training_material: support-enablement\n", "")],
     {"learning-without-owner"}, 1),
    ("rule-reads-undeclared-attribute",
     [('skip_when: "risk < 0.2 && amount < 50"', 'skip_when: "risk < 0.2 && customer_age > 2"')],
     {"invalid-rule"}, 1),
    ("exception-when-reads-undeclared-attribute",
     [("when: \"amount >= 500 || tier == 'enterprise'\"", "when: \"amount >= 500 || region == 'eu'\"")],
     {"invalid-rule"}, 1),
    ("rule-of-number-type", [('skip_when: "risk < 0.2 && amount < 50"', 'skip_when: "amount + 1"')],
     {"invalid-rule"}, 1),
    ("rule-compares-string-with-number",
     [('skip_when: "risk < 0.2 && amount < 50"', 'skip_when: "tier == 1"')], {"invalid-rule"}, 1),
    ("rule-that-does-not-parse",
     [('skip_when: "risk < 0.2 && amount < 50"', 'skip_when: "risk < && amount"')], {"invalid-rule"}, 1),
]


@pytest.mark.parametrize(("name", "changes", "rules", "code"), OWN_CONTRACTS,
                         ids=[c[0] for c in OWN_CONTRACTS])
def test_own_contract_yields_the_rule_spec_4_implies(capsys: Capsys, tmp_path: Path, name: str,
                                                    changes: list[tuple[str, str]], rules: set[str],
                                                    code: int) -> None:
    status, report = lint_json(capsys, str(contract(tmp_path, name, changes)))
    assert {f["rule"] for f in report["findings"]} == rules
    assert status == code


def test_a_missing_learning_block_gives_seven_findings(capsys: Capsys, tmp_path: Path) -> None:
    block = BASE[BASE.index("learning:\n"):BASE.index("accepted_risks:")]
    status, report = lint_json(capsys, str(contract(tmp_path, "no-learning", [(block, "")])))
    assert status == 1
    assert [f["rule"] for f in report["findings"]] == ["learning-without-owner"] * 7


def test_owner_precedence_with_a_roster_is_one_finding_per_field(capsys: Capsys, tmp_path: Path) -> None:
    path = contract(tmp_path, "precedence", [("outcome_owner: support-ops-lead", "outcome_owner: chatbot"),
                                             ("reviewer: support-agent", "reviewer: risk-committee"),
                                             ("playbook: support-enablement", "playbook: playbook-owner")])
    status, report = lint_json(capsys, str(path), "--roster", ROSTER)
    assert status == 1
    assert [(f["rule"], f["line"], f["column"]) for f in report["findings"]] == [
        ("tool-as-owner", 7, 16), ("diffuse-owner", 22, 13), ("unknown-role", 38, 13)]


# -- files that cannot be read into the model --------------------------------------------------------


UNREADABLE = [
    ("yaml-tab", [("  tier: string", "\ttier: string")], 10, 1),
    ("wrong-type-duration", [("retain_for: 400d", "retain_for: forever")], 35, 15),
    ("unknown-key-in-exception",
     [("    escalate_to: support-director", "    escalate_to: support-director\n    notify: ops")], 33, 5),
    ("unknown-dimension-in-accepted-risk", [("  - dimension: margin_safe", "  - dimension: profit")], 45, 16),
]


@pytest.mark.parametrize(("name", "changes", "line", "column"), UNREADABLE, ids=[u[0] for u in UNREADABLE])
def test_unreadable_file_is_one_located_line_and_exit_2(capsys: Capsys, tmp_path: Path, name: str,
                                                       changes: list[tuple[str, str]], line: int,
                                                       column: int) -> None:
    path = contract(tmp_path, name, changes)
    code, out, err = run(capsys, "lint", str(path))
    assert code == 2
    assert "Traceback" not in out + err
    assert out.splitlines() == [line_ for line_ in out.splitlines() if line_]
    assert len(out.splitlines()) == 1
    assert out.startswith(f"{path}:{line}:{column}: error invalid-file ")


@pytest.mark.parametrize("value", ["5", "true", "{a: b}"])
def test_owner_of_the_wrong_type_is_one_line(capsys: Capsys, tmp_path: Path, value: str) -> None:
    path = contract(tmp_path, "owner-type", [("outcome_owner: support-ops-lead", f"outcome_owner: {value}")])
    code, out, _ = run(capsys, "lint", str(path))
    assert code == 2
    assert len(out.splitlines()) == 1 and out.startswith(f"{path}:7:16: error invalid-file ")
    assert "list[str]" not in out


@pytest.mark.parametrize("value", ["true", '"0.5"'])
def test_sample_rate_of_the_wrong_type_is_invalid_file(capsys: Capsys, tmp_path: Path, value: str) -> None:
    path = contract(tmp_path, "rate-type", [SAMPLED[0], (SKIP, f"  sample_rate: {value}\n"), SAMPLED[2]])
    code, report = lint_json(capsys, str(path))
    assert code == 2
    assert [f["rule"] for f in report["findings"]] == ["invalid-file"]


# -- reports of a folder -----------------------------------------------------------------------------


def mixed_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "contracts"
    folder.mkdir()
    (folder / "nested").mkdir()
    (folder / ".hidden").mkdir()
    contract(folder, "a-tool", [("outcome_owner: support-ops-lead", "outcome_owner: gpt-4o")])
    contract(folder / "nested", "b-warn", [("workflow: refund-replies", "workflow: refunds-b"),
                                           ("  margin_safe: The refund never exceeds what the order cost.\n",
                                            "  margin_safe: The refund never exceeds what the order cost.\n"
                                            "  x-brand: Names our brand.\n")])
    contract(folder / ".hidden", "ignored", [("outcome_owner: support-ops-lead", "outcome_owner: bot")])
    (folder / "compose.yml").write_text("services:\n  web:\n    image: nginx\n", encoding="utf-8")
    return folder


def test_json_report_has_the_spec_9_keys(capsys: Capsys, tmp_path: Path) -> None:
    code, report = lint_json(capsys, str(mixed_folder(tmp_path)))
    assert code == 1
    assert set(report) == {"findings", "files", "errors", "warnings"}
    assert (report["files"], report["errors"], report["warnings"]) == (2, 1, 1)
    for finding in report["findings"]:
        assert set(finding) == {"rule", "severity", "path", "line", "column", "workflow", "message"}
    assert [f["rule"] for f in report["findings"]] == ["tool-as-owner", "unchecked-quality-dimension"]


def test_sarif_is_valid_2_1_0_with_relative_uris(capsys: Capsys, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    folder = mixed_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "lint", "--format", "sarif", "contracts")
    assert code == 1
    sarif = json.loads(out)
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(sarif)
    run_ = sarif["runs"][0]
    assert sarif["version"] == "2.1.0" and run_["columnKind"] == "unicodeCodePoints"
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run_["results"]]
    assert uris == ["contracts/a-tool.yaml", "contracts/nested/b-warn.yaml"]
    assert folder.exists()
