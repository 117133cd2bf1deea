"""Acceptance review of issues 2 (contracts and `accord lint`) and 5 (incident review,
learning, drill), through the real command line and against SPEC §2, §4, §7 and §9.

Contracts are written here, one SPEC §4 rule broken each, in ways the files under
tests/data/broken/ do not. Incident scenarios build small SQLite ledgers with
`roster apply`, `contract apply` and `record`, open an incident and compare the
review with SPEC §7's cause rules and owner mapping. Times are explicit throughout.

"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.helpers import run_cli as run

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = ROOT / "examples"
REFUNDS = str(EXAMPLES / "contracts" / "refund-replies.yaml")
CLAIMS = str(EXAMPLES / "contracts" / "claims-triage.yaml")
ROSTER = str(EXAMPLES / "roster.yaml")
BASE = (DATA / "refund-replies.yaml").read_text(encoding="utf-8")
NOW = "2026-07-10T00:00:00Z"
Capsys = pytest.CaptureFixture[str]

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


# -- Issue 2: contracts of the reviewer's own, one SPEC §4 rule each -----------------------------

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


# -- Issue 2: files that cannot be read into the model -------------------------------------------

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


# -- Issue 2: output formats ---------------------------------------------------------------------

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


# -- Issue 5: incident scenarios with known answers ----------------------------------------------

class Ledger:
    """A small SQLite ledger built through the command line."""

    def __init__(self, capsys: Capsys, tmp_path: Path, roster: str | None = ROSTER,
                 contracts: tuple[str, ...] = (REFUNDS,)) -> None:
        self.capsys, self.tmp, self.db, self.batches = capsys, tmp_path, f"sqlite:///{tmp_path}/l.db", 0
        if roster:
            self.ok("roster", "apply", roster)
        for path in contracts:
            self.ok("contract", "apply", path)

    def cli(self, *args: str) -> tuple[int, str, str]:
        return run(self.capsys, "--db", self.db, *args)

    def ok(self, *args: str) -> str:
        code, out, err = self.cli(*args)
        assert code == 0, (args, out, err)
        return out

    def record(self, events: list[dict[str, Any]]) -> None:
        self.batches += 1
        path = self.tmp / f"events-{self.batches}.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
        self.ok("record", str(path))

    def seq(self, case: str, kind: str) -> int:
        shown = json.loads(self.ok("case", "show", case, "--json"))
        return int(next(e["seq"] for e in shown["events"] if e["type"] == kind))

    def incident(self, case: str, failed: str, faulty: list[int], *extra: str,
                 now: str = NOW) -> dict[str, Any]:
        args = ["incident", "open", case, "--failed", failed, "--summary", "Wrong refund sent",
                "--by", "dana.okafor@example.com", "--now", now, "--json", *extra]
        for seq in faulty:
            args += ["--faulty", str(seq)]
        opened = json.loads(self.ok(*args))
        return dict(json.loads(self.ok("incident", "review", opened["incident"], "--format", "json")))


def ev(case: str, kind: str, at: str, data: dict[str, Any], actor: str = "system:app") -> dict[str, Any]:
    return {"case": case, "type": kind, "at": at, "actor": actor, "data": data}


def refund_case(case: str, *, amount: float = 100, risk: float = 0.5, tier: str = "standard",
                day: str = "2026-07-01", attests: list[str] | None = None, policy: str | None = "pass",
                playbook: str | None = None, decide: str | None = None,
                reviewer: str = "ines.moreau@example.com") -> list[dict[str, Any]]:
    def t(hhmm: str) -> str:
        return f"{day}T{hhmm}:00Z"
    output: dict[str, Any] = {"content": "Refund of 100 EUR", "model": "m-1", "prompt_version": "refund-v7",
                              "confidence": 0.9}
    if playbook:
        output["playbook_version"] = playbook
    attributes = {"amount": amount, "tier": tier, "risk": risk}
    events = [ev(case, "case.opened", t("09:00"), {"workflow": "refund-replies", "attributes": attributes}),
              ev(case, "input.received", t("09:01"), {"content": "I want a refund"}),
              ev(case, "source.used", t("09:02"), {"uri": "kb://refund-policy", "version": "2026-06"}),
              ev(case, "output.generated", t("09:03"), output, "system:refund-drafter")]
    if policy:
        events.append(ev(case, "policy.applied", t("09:04"),
                         {"policy": "refund-policy", "version": "1", "result": policy}))
    if attests:
        events.append(ev(case, "review.recorded", t("09:05"),
                         {"reviewer": reviewer, "attests": attests, "decision": "approved"}, reviewer))
    if decide:
        events.append(ev(case, "exception.decided", t("09:06"),
                         {"decider": "lee.chen@example.com", "decision": decide}, "lee.chen@example.com"))
    events.append(ev(case, "action.taken", t("09:10"), {"action": "email.sent", "by": "system:mailer"},
                     "system:mailer"))
    return events


def causes_and_owners(review: dict[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    questions = review["questions"]
    return (questions["cause"]["causes"],
            [(o["cause"], o["role"]) for o in questions["who_changes"]["owners"]])


REVIEWED = ["correct", "appropriately_toned"]
SKIPPED: dict[str, Any] = {"amount": 40, "risk": 0.1}
SCENARIOS: list[tuple[str, dict[str, Any], str, str, list[str], list[str], list[tuple[str, str]]]] = [
    # name, case kwargs, --failed, faulty event type, extra flags, causes, (cause, role) owners
    ("judgment: approved review attested the failed dimension", {"attests": REVIEWED}, "correct",
     "review.recorded", [], ["bad_judgment"], [("bad_judgment", "support-enablement")]),
    ("source: stale source, then an approval let it through", {"attests": REVIEWED}, "correct",
     "source.used", [], ["bad_source", "bad_judgment"],
     [("bad_source", "data-platform"), ("bad_judgment", "support-enablement")]),
    ("prompt: output with a playbook on a skipped route", {**SKIPPED, "playbook": "pb-3"},
     "appropriately_toned", "output.generated", [], ["bad_prompt", "bad_routing_rule"],
     [("bad_prompt", "ai-enablement"), ("bad_prompt", "support-enablement"),
      ("bad_routing_rule", "risk-manager")]),
    ("policy: the covering policy said pass", {"attests": REVIEWED}, "compliant", "policy.applied", [],
     ["bad_policy"], [("bad_policy", "refunds-policy-owner")]),
    ("policy: the covering policy failed and the action went ahead", {"attests": REVIEWED, "policy": "fail"},
     "compliant", "policy.applied", [], ["bad_policy", "bad_judgment"],
     [("bad_policy", "refunds-policy-owner"), ("bad_judgment", "support-enablement")]),
    ("routing rule: faulty skip decision owned by the threshold owner", SKIPPED, "correct",
     "routing.decided", [], ["bad_routing_rule"], [("bad_routing_rule", "risk-manager")]),
    ("routing rule: accepted risk is owned by the outcome owner", {"attests": REVIEWED}, "margin_safe",
     "output.generated", [], ["bad_prompt", "bad_routing_rule"],
     [("bad_prompt", "ai-enablement"), ("bad_routing_rule", "support-ops-lead")]),
    ("routing rule: nobody routed to check it goes to learning.routing_rule",
     {"attests": REVIEWED, "policy": None}, "compliant", "output.generated", [],
     ["bad_prompt", "bad_routing_rule"],
     [("bad_prompt", "ai-enablement"), ("bad_routing_rule", "support-ops-lead")]),
    ("exception threshold: faulty exception.raised",
     {"amount": 600, "attests": REVIEWED, "decide": "approved"},
     "correct", "exception.raised", [], ["bad_exception_threshold", "bad_judgment"],
     [("bad_exception_threshold", "risk-manager"), ("bad_judgment", "support-enablement")]),
    ("exception threshold: should have escalated, nothing raised", SKIPPED, "correct", "output.generated",
     ["--should-have-escalated"], ["bad_prompt", "bad_routing_rule", "bad_exception_threshold"],
     [("bad_prompt", "ai-enablement"), ("bad_routing_rule", "risk-manager"),
      ("bad_exception_threshold", "risk-manager")]),
    ("judgment: required review missing, action went ahead", {}, "correct", "action.taken", [],
     ["bad_judgment"], [("bad_judgment", "support-enablement")]),
]


@pytest.mark.parametrize(("name", "kwargs", "failed", "faulty", "extra", "causes", "owners"), SCENARIOS,
                         ids=[s[0] for s in SCENARIOS])
def test_incident_causes_and_owners_follow_spec_7(capsys: Capsys, tmp_path: Path, name: str,
                                                  kwargs: dict[str, Any], failed: str, faulty: str,
                                                  extra: list[str], causes: list[str],
                                                  owners: list[tuple[str, str]]) -> None:
    ledger = Ledger(capsys, tmp_path)
    ledger.record(refund_case("R-1", **kwargs))
    review = ledger.incident("R-1", failed, [ledger.seq("R-1", faulty)], *extra)
    assert causes_and_owners(review) == (causes, owners)
    assert review["questions"]["cause"]["answered"] is True
    assert all(o["person"] for o in review["questions"]["who_changes"]["owners"])


def test_sampled_out_route_is_owned_by_the_sampling_owner(capsys: Capsys, tmp_path: Path) -> None:
    ledger = Ledger(capsys, tmp_path, contracts=(CLAIMS,))
    at = "2026-07-01T09:0{}:00Z"
    ledger.record([  # C-0 is sampled out at sample_rate 0.1 (sha256 of "claims-triage:C-0")
        ev("C-0", "case.opened", at.format(0), {"workflow": "claims-triage", "attributes": {
            "claim_amount": 1000, "line_of_business": "motor", "injury_reported": False,
            "fraud_score": 0.1}}),
        ev("C-0", "input.received", at.format(1), {"content": "FNOL"}),
        ev("C-0", "source.used", at.format(2), {"uri": "kb://ch-12"}),
        ev("C-0", "output.generated", at.format(3), {"content": "low", "model": "m", "prompt_version": "p1"}),
        ev("C-0", "action.taken", at.format(9), {"action": "queued", "by": "system:router"})])
    review = ledger.incident("C-0", "correct", [ledger.seq("C-0", "output.generated")])
    assert causes_and_owners(review) == (["bad_prompt", "bad_routing_rule"],
                                         [("bad_prompt", "claims-ai-engineer"),
                                          ("bad_routing_rule", "claims-qa-lead")])


def test_vacant_outcome_owner_fails_question_one_and_says_so(capsys: Capsys, tmp_path: Path) -> None:
    text = Path(ROSTER).read_text(encoding="utf-8").replace(
        "      - person: dana.okafor@example.com\n        from: 2025-01-01\n",
        "      - person: dana.okafor@example.com\n        from: 2025-01-01\n        until: 2026-03-31\n"
        "      - person: vic.stone@example.com\n        from: 2026-05-01\n")
    gap = tmp_path / "roster-gap.yaml"
    gap.write_text(text, encoding="utf-8")
    ledger = Ledger(capsys, tmp_path, roster=str(gap))
    ledger.record(refund_case("R-1", day="2026-04-15", attests=REVIEWED,
                              reviewer="sam.lindqvist@example.com"))
    review = ledger.incident("R-1", "correct", [ledger.seq("R-1", "review.recorded")])
    owner = review["questions"]["owner"]
    assert (owner["answered"], owner["role"], owner["person"]) == (False, "support-ops-lead", None)
    assert "vacant" in owner["answer"]
    assert review["ten_minute_test"] == "fail"
    findings = json.loads(ledger.ok("findings", "--json", "--now", NOW))["findings"]
    assert [(f["rule"], f["case"]) for f in findings] == [("owner-vacancy", "R-1")]


def test_missing_policy_evidence_fails_question_four_naming_policy(capsys: Capsys, tmp_path: Path) -> None:
    ledger = Ledger(capsys, tmp_path)
    ledger.record(refund_case("R-1", attests=REVIEWED, policy=None))
    review = ledger.incident("R-1", "correct", [ledger.seq("R-1", "review.recorded")])
    evidence = review["questions"]["evidence"]
    assert (evidence["answered"], evidence["missing"]) == (False, ["policy"])
    assert "policy" not in evidence["present"] and "refund-policy" in evidence["answer"]
    assert [k for k, q in review["questions"].items() if not q["answered"]] == ["evidence"]


def test_html_brief_is_self_contained_and_escapes_the_summary(capsys: Capsys, tmp_path: Path) -> None:
    ledger = Ledger(capsys, tmp_path)
    ledger.record(refund_case("R-1", attests=REVIEWED))
    faulty = str(ledger.seq("R-1", "output.generated"))
    ledger.ok("incident", "open", "R-1", "--failed", "correct", "--faulty", faulty,
              "--summary", "Refund <script>alert(1)</script>", "--by", "dana.okafor@example.com",
              "--now", NOW)
    page = ledger.ok("incident", "review", "INC-1", "--format", "html")
    assert page.lstrip().startswith("<!DOCTYPE html>") and "<style>" in page
    assert not re.search(r"(src|href)\s*=|<link|@import|url\(", page, re.IGNORECASE)
    assert "<script" not in page and "&lt;script&gt;" in page


def test_learning_close_and_recurrence(capsys: Capsys, tmp_path: Path) -> None:
    ledger = Ledger(capsys, tmp_path)
    ledger.record(refund_case("R-1", attests=REVIEWED))
    ledger.incident("R-1", "correct", [ledger.seq("R-1", "output.generated")])
    closed = json.loads(ledger.ok("learning", "close", "LA-1", "--change", "refund-v8",
                                  "--now", "2026-07-11T00:00:00Z", "--json"))
    assert (closed["status"], closed["change"], closed["cause"]) == ("closed", "refund-v8", "bad_prompt")
    code, _, err = ledger.cli("learning", "close", "LA-1", "--change", "again",
                              "--now", "2026-07-12T00:00:00Z")
    assert code == 2 and "already closed" in err
    ledger.record(refund_case("R-2", day="2026-07-05", attests=REVIEWED))   # ran before the fix
    ledger.record(refund_case("R-3", day="2026-07-12", attests=REVIEWED))   # ran after it
    ledger.incident("R-2", "correct", [ledger.seq("R-2", "output.generated")], now="2026-07-12T12:00:00Z")
    ledger.incident("R-3", "correct", [ledger.seq("R-3", "output.generated")], now="2026-07-12T12:00:00Z")
    findings = json.loads(ledger.ok("findings", "--json", "--now", "2026-07-13T00:00:00Z"))["findings"]
    assert [(f["rule"], f["case"]) for f in findings if f["rule"] == "recurrence"] == [("recurrence", "R-3")]


LEARNING_KEYS = {"id", "incident", "case", "workflow", "cause", "artefact", "role", "person", "due",
                 "status", "change"}


def test_learning_list_json_has_at_least_the_spec_9_keys(capsys: Capsys, tmp_path: Path) -> None:
    ledger = Ledger(capsys, tmp_path)
    ledger.record(refund_case("R-1", attests=REVIEWED))
    ledger.incident("R-1", "correct", [ledger.seq("R-1", "output.generated")])
    listed = json.loads(ledger.ok("learning", "list", "--json", "--now", NOW))["learning_actions"]
    assert [(a["id"], a["cause"], a["artefact"], a["role"], a["status"]) for a in listed] == [
        ("LA-1", "bad_prompt", "prompt", "ai-enablement", "open"),
        ("LA-2", "bad_judgment", "training_material", "support-enablement", "open")]
    assert all(set(item) >= LEARNING_KEYS for item in listed)


def test_learning_cannot_close_before_it_was_opened(capsys: Capsys, tmp_path: Path) -> None:
    ledger = Ledger(capsys, tmp_path)
    ledger.record(refund_case("R-1", attests=REVIEWED))
    ledger.incident("R-1", "correct", [ledger.seq("R-1", "output.generated")])   # opened at NOW
    code, _, err = ledger.cli("learning", "close", "LA-1", "--change", "x", "--now", "2026-07-01T00:00:00Z")
    assert code == 2 and "before LA-1 was opened" in err


def test_an_incident_cannot_be_opened_before_the_case_it_reviews(capsys: Capsys, tmp_path: Path) -> None:
    ledger = Ledger(capsys, tmp_path)
    ledger.record(refund_case("R-1", attests=REVIEWED))
    code, _, err = ledger.cli("incident", "open", "R-1", "--failed", "correct", "--summary", "Wrong",
                              "--by", "dana.okafor@example.com", "--now", "2026-06-01T00:00:00Z")
    assert code == 2 and "an incident is opened after what it reviews" in err


def test_drill_json_keys_and_readiness(capsys: Capsys, tmp_path: Path) -> None:
    ledger = Ledger(capsys, tmp_path, contracts=(REFUNDS, CLAIMS))
    ledger.record(refund_case("R-1", attests=REVIEWED))
    ledger.record(refund_case("R-2", attests=REVIEWED, policy=None))
    ledger.record(refund_case("R-3", **SKIPPED))
    drill = json.loads(ledger.ok("drill", "--json", "--now", NOW))
    assert set(drill) == {"workflows"}
    by_name = {w["workflow"]: w for w in drill["workflows"]}
    questions = {"owner", "purpose", "human_check", "evidence", "why_passed", "cause", "who_changes"}
    for item in drill["workflows"]:
        assert set(item) == {"workflow", "cases", "ready", "readiness", "failing", "examples"}
        assert set(item["failing"]) == questions and set(item["examples"]) == questions
    assert (by_name["claims-triage"]["cases"], by_name["claims-triage"]["readiness"]) == (0, None)
    refunds = by_name["refund-replies"]
    assert (refunds["cases"], refunds["ready"], refunds["readiness"]) == (3, 2, 0.6667)
    assert (refunds["failing"]["evidence"], refunds["examples"]["evidence"]) == (1, ["R-2"])
