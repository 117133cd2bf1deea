"""`accord lint`, `accord init` and `accord schema` through the real command line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from accord.cli import cli
from accord.contract.lint import rules
from tests.helpers import run_cli as run

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = ROOT / "examples"
ROSTER = str(EXAMPLES / "roster.yaml")
NOW = "2026-06-01T00:00:00Z"
BROKEN = sorted(p for p in (DATA / "broken").iterdir())
INVALID = sorted((DATA / "invalid").glob("*.yaml"))


def lint_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(capsys, "lint", "--format", "json", "--now", NOW, *args)
    return code, json.loads(out)


# -- the examples and the broken set -----------------------------------------------------------

def test_examples_lint_clean_with_their_roster(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = lint_json(capsys, str(EXAMPLES), "--roster", ROSTER)
    assert (code, report) == (0, {"findings": [], "files": 4, "errors": 0, "warnings": 0})


def test_examples_lint_clean_without_a_roster(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = lint_json(capsys, str(EXAMPLES))
    assert (code, report["findings"]) == (0, [])


def test_there_is_a_broken_example_for_every_rule() -> None:
    assert sorted(p.name.removesuffix(".yaml") for p in BROKEN) == sorted(r.id for r in rules())


@pytest.mark.parametrize("broken", BROKEN, ids=lambda p: p.name)
def test_each_broken_file_yields_exactly_its_rule(capsys: pytest.CaptureFixture[str], broken: Path) -> None:
    rule_id = broken.name.removesuffix(".yaml")
    code, report = lint_json(capsys, str(broken), "--roster", ROSTER)
    assert {f["rule"] for f in report["findings"]} == {rule_id}
    severity = next(r.severity for r in rules() if r.id == rule_id)
    assert code == (1 if severity == "error" else 0)


@pytest.mark.parametrize("broken", [p for p in BROKEN if p.stem not in ("unknown-role", "vacant-role")],
                         ids=lambda p: p.name)
def test_each_broken_file_yields_its_rule_without_a_roster_too(capsys: pytest.CaptureFixture[str],
                                                               broken: Path) -> None:
    _, report = lint_json(capsys, str(broken))
    assert {f["rule"] for f in report["findings"]} == {broken.name.removesuffix(".yaml")}


# -- exit status and text output ---------------------------------------------------------------

def test_text_output_is_one_line_per_finding_and_exit_1_on_errors(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "broken" / "tool-as-owner.yaml"
    code, out, err = run(capsys, "lint", str(path))
    assert code == 1
    assert out == (f"{path}:8:16: error tool-as-owner outcome_owner: 'the model' is a tool, not a role; "
                   "a tool cannot be held to account: name the role of the person who answers for it "
                   "(e.g. support-ops-lead)\n")
    assert err == "accord lint: 1 file, 1 error, 0 warnings\n"


def test_warnings_alone_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "lint", str(DATA / "broken" / "unchecked-quality-dimension.yaml"))
    assert code == 0 and " warning unchecked-quality-dimension " in out


@pytest.mark.parametrize("invalid", INVALID, ids=lambda p: p.name)
def test_an_unreadable_file_is_one_located_line_and_exit_2(capsys: pytest.CaptureFixture[str],
                                                           invalid: Path) -> None:
    code, out, err = run(capsys, "lint", str(invalid))
    assert code == 2
    assert re.fullmatch(rf"{re.escape(str(invalid))}:\d+:\d+: error invalid-file .+\n", out), out
    assert "Traceback" not in out + err


@pytest.mark.parametrize(("name", "where"), [
    ("yaml-syntax.yaml", ":24:12:"), ("wrong-type.yaml", ":47:10:"), ("unknown-key.yaml", ":22:3:"),
    ("unknown-dimension.yaml", ":13:3:"),
])
def test_an_unreadable_file_points_at_the_problem(capsys: pytest.CaptureFixture[str], name: str,
                                                  where: str) -> None:
    _, out, _ = run(capsys, "lint", str(DATA / "invalid" / name))
    assert f"{name}{where} error invalid-file" in out


def test_a_path_that_does_not_exist_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    code, out, _ = run(capsys, "lint", str(missing))
    assert code == 2 and out.startswith(f"{missing}:1:1: error invalid-file cannot read file")


def test_an_unreadable_file_exits_2_even_beside_error_findings(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "lint", str(DATA / "broken" / "tool-as-owner.yaml"),
                     str(DATA / "invalid" / "unknown-key.yaml"))
    assert code == 2


def test_a_bad_now_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "lint", str(EXAMPLES), "--now", "yesterday")
    assert code == 2 and "--now" in err and "RFC 3339" in err


def test_now_decides_which_roles_are_vacant(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(DATA / "broken" / "vacant-role.yaml")
    _, before = lint_json(capsys, path, "--roster", ROSTER)
    code, out, _ = run(capsys, "lint", path, "--roster", ROSTER, "--now", "2026-09-01T00:00:00Z")
    assert before["warnings"] == 1 and (code, out) == (0, "")


# -- JSON and SARIF ----------------------------------------------------------------------------

def test_json_output_has_the_spec_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = lint_json(capsys, str(DATA / "broken" / "tool-as-owner.yaml"))
    assert code == 1 and list(report) == ["findings", "files", "errors", "warnings"]
    [finding] = report["findings"]
    assert finding == {"rule": "tool-as-owner", "severity": "error",
                       "path": str(DATA / "broken" / "tool-as-owner.yaml"), "line": 8, "column": 16,
                       "workflow": "refund-replies", "message": finding["message"]}


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    return schema


def test_sarif_output_is_valid_sarif_2_1_0(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch,
                                           sarif_schema: dict[str, Any]) -> None:
    monkeypatch.chdir(ROOT)
    code, out, _ = run(capsys, "lint", "--format", "sarif", "tests/data/broken", "tests/data/invalid",
                       "--roster", "examples/roster.yaml", "--now", NOW)
    log = json.loads(out)
    jsonschema.Draft202012Validator(sarif_schema).validate(log)
    assert code == 2 and log["version"] == "2.1.0"
    assert log["runs"][0]["results"], "the broken set must produce results"


def test_sarif_lists_every_rule_and_locates_results_relative_to_the_cwd(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    _, out, _ = run(capsys, "lint", "--format", "sarif", str(DATA / "broken" / "tool-as-owner.yaml"))
    [sarif_run] = json.loads(out)["runs"]
    assert sarif_run["columnKind"] == "unicodeCodePoints"
    listed = [r["id"] for r in sarif_run["tool"]["driver"]["rules"]]
    assert listed == [r.id for r in rules()] + ["invalid-file"]
    assert all(r["shortDescription"]["text"] for r in sarif_run["tool"]["driver"]["rules"])
    [result] = sarif_run["results"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "broken/tool-as-owner.yaml", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 8, "startColumn": 16}
    assert result["ruleId"] == listed[result["ruleIndex"]] == "tool-as-owner"


# -- init --------------------------------------------------------------------------------------

def test_init_writes_a_contract_and_roster_that_lint_clean(capsys: pytest.CaptureFixture[str],
                                                           tmp_path: Path) -> None:
    target = tmp_path / "accountability"
    code, out, _ = run(capsys, "init", str(target))
    assert code == 0 and "refund-replies.yaml" in out and "roster.yaml" in out and "events.jsonl" in out
    # no --now: the roster's holders start on the day init ran
    code, out, err = run(capsys, "lint", str(target), "--roster", str(target / "roster.yaml"))
    assert (code, out, err) == (0, "", "accord lint: 2 files, 0 errors, 0 warnings\n")


def test_init_output_is_commented(tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["init", str(tmp_path)]).exit_code == 0
    contract = (tmp_path / "refund-replies.yaml").read_text()
    assert contract.count("\n#") >= 10


def test_init_refuses_to_overwrite(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "roster.yaml").write_text("mine\n")
    code, _, err = run(capsys, "init", str(tmp_path))
    assert code == 2 and "already exists" in err and "roster.yaml" in err
    assert (tmp_path / "roster.yaml").read_text() == "mine\n"
    assert not (tmp_path / "refund-replies.yaml").exists()


# -- schema ------------------------------------------------------------------------------------

def test_schema_prints_a_json_schema_the_examples_satisfy(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        document = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
        assert not list(validator.iter_errors(document)), path
    assert code == 0


# -- help and docs -----------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["lint", "init", "schema"])
def test_every_command_explains_itself_with_an_example(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and "Example" in result.output


def test_the_docs_rule_table_lists_exactly_the_registered_rules() -> None:
    text = (ROOT / "docs" / "contracts.md").read_text()
    section = text.split("\n## Lint rules\n", 1)[1].split("\n## ", 1)[0]
    table = re.findall(r"^\| `([a-z-]+)` \| (error|warning) \|", section, flags=re.MULTILINE)
    assert table == [(r.id, r.severity) for r in rules()]


def test_the_docs_describe_every_key_of_a_contract() -> None:
    text = (ROOT / "docs" / "contracts.md").read_text()
    from accord.contract.model import Contract, ExceptionRoute, Review
    for model in (Contract, Review, ExceptionRoute):
        for key in model.model_fields:
            assert f"`{key}`" in text, f"docs/contracts.md does not describe {model.__name__}.{key}"
