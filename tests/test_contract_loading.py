"""Contract and roster files load into the model, or fail with one located problem."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from accord.contract.loading import discover, load_file, parse
from accord.contract.model import Contract, Roster
from accord.errors import InvalidFile

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = ROOT / "examples"


def problem_of(text: str) -> str:
    """The single problem of a file that does not load, as `line:col: error invalid-file …`."""
    with pytest.raises(InvalidFile) as err:
        parse(text, "c.yaml")
    [problem] = err.value.problems
    assert problem.rule == "invalid-file"
    return str(problem).removeprefix("c.yaml:")


def test_the_spec_example_loads_into_a_contract() -> None:
    doc = load_file(EXAMPLES / "contracts" / "refund-replies.yaml")
    assert isinstance(doc.model, Contract)
    contract = doc.model
    assert (contract.workflow, contract.outcome_owner, contract.review.mode) == (
        "refund-replies", "support-ops-lead", "risk_based")
    assert contract.attributes == {"amount": "number", "tier": "string", "risk": "number"}
    assert contract.exceptions[0].decide_within == "4h"
    assert contract.dimensions == ["correct", "compliant", "appropriately_toned", "margin_safe"]


@pytest.mark.parametrize("name", ["clause-drafting.yaml", "claims-triage.yaml"])
def test_every_example_contract_loads(name: str) -> None:
    assert isinstance(load_file(EXAMPLES / "contracts" / name).model, Contract)


def test_the_example_roster_resolves_a_hand_over() -> None:
    roster = load_file(EXAMPLES / "roster.yaml").model
    assert isinstance(roster, Roster)
    assert roster.holder("support-agent", dt.date(2026, 5, 31)) == "sam.lindqvist@example.com"
    assert roster.holder("support-agent", dt.date(2026, 6, 1)) == "ines.moreau@example.com"
    assert roster.holder("claims-fraud-analyst", dt.date(2026, 6, 1)) is None


def test_a_contract_positions_every_value() -> None:
    doc = load_file(EXAMPLES / "contracts" / "refund-replies.yaml")
    mark = doc.positions.value(("review", "reviewer"))
    assert (mark.line, mark.column) == (27, 13)


@pytest.mark.parametrize(("name", "where", "says"), [
    ("yaml-syntax.yaml", "24:12", "YAML syntax error"),
    ("wrong-type.yaml", "47:10", "enforce:"),
    ("unknown-key.yaml", "22:3", "review.reviewr: unknown key"),
    ("unknown-dimension.yaml", "13:3", "unknown quality dimension 'accuracy'"),
    ("duplicate-key.yaml", "6:1", "duplicate key 'title'"),
    ("two-documents.yaml", "48:1", "several YAML documents"),
    ("missing-purpose.yaml", "1:1", "purpose: required field is missing"),
    ("overlapping-roster.yaml", "10:9", "overlaps sam.lindqvist@example.com's own holding"),
])
def test_an_unreadable_file_gives_one_located_problem(name: str, where: str, says: str) -> None:
    with pytest.raises(InvalidFile) as err:
        load_file(DATA / "invalid" / name)
    [problem] = err.value.problems
    assert (problem.rule, f"{problem.line}:{problem.column}") == ("invalid-file", where)
    assert says in problem.message


def test_an_owner_that_is_not_a_slug_loads_so_lint_can_report_it() -> None:
    doc = load_file(DATA / "invalid" / "owner-not-a-slug.yaml")
    assert isinstance(doc.model, Contract) and doc.model.outcome_owner == "Dana Okafor"


def test_an_owner_list_loads_so_lint_can_call_it_diffuse() -> None:
    doc = load_file(DATA / "broken" / "diffuse-owner.yaml")
    assert isinstance(doc.model, Contract) and doc.model.review.reviewer == ["support-agent"]


@pytest.mark.parametrize(("text", "expected"), [
    ("", "1:1: error invalid-file expected a mapping"),
    ("- a\n- b\n", "1:1: error invalid-file expected a mapping"),
    ("accord: 1\nkind: playbook\n", "2:7: error invalid-file kind: must be `contract` or `roster`"),
    ("accord: 1\nkind: contract\npurpose: p\nreview: {mode: always}\n",
     "1:1: error invalid-file workflow: required field is missing"),
    ("accord: 1\nkind: contract\nworkflow: w\npurpose: p\nreview: {reviewer: a}\n",
     "5:1: error invalid-file review.mode: required field is missing"),
    ("accord: 1\nkind: contract\nworkflow: Refund Replies\npurpose: p\nreview: {mode: always}\n",
     "3:11: error invalid-file workflow:"),
])
def test_malformed_documents_are_located(text: str, expected: str) -> None:
    assert problem_of(text).startswith(expected)


def test_a_file_that_is_not_utf8_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("kind: contract\ntitle: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InvalidFile) as err:
        load_file(path)
    assert err.value.problems[0].message.startswith("cannot read file")


def test_discover_searches_folders_for_accord_yaml_and_skips_dot_folders(tmp_path: Path) -> None:
    (tmp_path / "team" / "deep").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / "team" / "deep" / "a.yml").write_text("accord: 1\nkind: contract\n")
    (tmp_path / "team" / "roster.yaml").write_text("kind: roster\n")
    (tmp_path / "team" / "ci.yaml").write_text("jobs: {}\n")
    (tmp_path / "team" / "notes.txt").write_text("kind: contract\n")
    (tmp_path / ".git" / "hidden.yaml").write_text("kind: contract\n")
    found = sorted(Path(p).relative_to(tmp_path).as_posix() for p in discover([str(tmp_path)]))
    assert found == ["team/deep/a.yml", "team/roster.yaml"]


def test_discover_passes_named_files_through_as_given() -> None:
    assert list(discover(["nope.yaml", "x/y.txt"])) == ["nope.yaml", "x/y.txt"]
