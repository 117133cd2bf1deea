"""`accord demo` through the real entry point, and the simulation core it is built on."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import accord.cli._demo  # registers `accord demo` (until accord/cli/__init__.py imports it)
import accord.ledger
from accord import demo as demos
from accord._time import format_time
from accord.cli import main
from accord.contract.loading import load_file
from accord.contract.model import Contract
from accord.demo._sim import Agenda, Cue, Simulation
from accord.errors import UsageError
from accord.testing import MemoryStore
from accord.vocab import WHOLE_ACTION

ROOT = Path(__file__).resolve().parent.parent
END = format_time(demos.DEMO_START + dt.timedelta(weeks=demos.WEEKS))
"""When the simulated month ends: the demo's `now`."""


def run(*args: str) -> tuple[int, str, str]:
    """Run `accord ARGS` in-process; returns exit status, stdout and stderr."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # `export` writes to stdout.buffer
    err = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out.flush()
    assert isinstance(out.buffer, io.BytesIO)
    return int(exit_info.value.code or 0), out.buffer.getvalue().decode(), err.getvalue()


@dataclass
class DemoRun:
    """One folder, demoed twice with the default seed: first as text, then with --json."""

    folder: Path
    text: str
    first_review: dict[str, Any]
    first_drill: dict[str, Any]
    result: dict[str, Any]

    @property
    def db(self) -> str:
        return f"--db=sqlite:///{self.folder / demos.DB_NAME}"

    def accord(self, *args: str) -> tuple[int, str, str]:
        return run(self.db, *args)

    def json(self, *args: str) -> Any:
        code, out, err = self.accord(*args, "--json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture(scope="module")
def demoed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    folder = tmp_path_factory.mktemp("demo") / "out"
    code, text, err = run("demo", "--dir", str(folder))
    assert code == 0, err
    db = f"--db=sqlite:///{folder / demos.DB_NAME}"
    review = json.loads(run(db, "incident", "review", "INC-1", "--format", "json")[1])
    drill = json.loads(run(db, "drill", "--now", END, "--json")[1])
    code, out, err = run("demo", "--dir", str(folder), "--json")
    assert code == 0, err
    yield DemoRun(folder, text, review, drill, json.loads(out))


def packaged_contract(workflow: str) -> Contract:
    with demos.demo_file(f"{workflow}.yaml") as path:
        model = load_file(path).model
    assert isinstance(model, Contract)
    return model


# -- the packaged examples -------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*demos.CONTRACT_FILES, demos.ROSTER_FILE])
def test_packaged_examples_are_byte_identical_to_examples(name: str) -> None:
    """The demo runs the examples users read: accord/_data/demo must never drift from examples/."""
    example = ROOT / "examples" / ("contracts/" + name if name != demos.ROSTER_FILE else name)
    with demos.demo_file(name) as packaged:
        assert packaged.read_bytes() == example.read_bytes(), (
            f"src/accord/_data/demo/{name} differs from {example.relative_to(ROOT)}: copy it over")


# -- what the demo builds -------------------------------------------------------------------------


def test_demo_prints_each_part_with_what_it_means(demoed: DemoRun) -> None:
    for heading in ("1. The agreements", "2. The work", "3. The incident", "4. Learning actions",
                    "5. Findings", "6. Drill", "Explore it"):
        assert heading in demoed.text
    assert f"Ledger: {demoed.folder / demos.DB_NAME}" in demoed.text
    assert "Who changes the system now?" in demoed.text, "the ten-minute review is printed"
    assert "Ten-minute test: 7 of 7 answered" in demoed.text, "the brief's badge, not a bare PASS"
    assert "PASS" not in demoed.text


def test_demo_prints_the_brief_leading_with_what_went_wrong(demoed: DemoRun) -> None:
    """Part 3 is the incident brief: the wrong amount that went out, then the answers, then
    who changes what by when; part 4 says how to close the learning actions, not them again."""
    part3 = demoed.text[demoed.text.index("3. The incident"):demoed.text.index("4. Learning actions")]
    order = [part3.index(s) for s in ("What went wrong: Reply promised a €480 refund",
                                      "refund of €480.00", "THE SEVEN QUESTIONS",
                                      "WHO CHANGES WHAT, BY WHEN")]
    assert order == sorted(order)
    part4 = demoed.text[demoed.text.index("4. Learning actions"):demoed.text.index("5. Findings")]
    assert "learning close LA-1 --change" in part4 and demoed.db.removeprefix("--db=") in part4


def test_demo_covers_several_workflows_and_hundreds_of_cases(demoed: DemoRun) -> None:
    workflows = {w["workflow"]: w for w in demoed.result["workflows"]}
    assert set(workflows) == set(demos.WORKFLOWS)
    assert sum(w["cases"] for w in workflows.values()) >= 300
    assert {"required", "skipped"} <= set(workflows["refund-replies"]["routes"])
    assert {"sampled_in", "sampled_out"} <= set(workflows["claims-triage"]["routes"])
    assert workflows["clause-drafting"]["refused_actions"], "enforce: true refuses the early send"


def test_same_seed_builds_the_same_incident_review_and_drill(demoed: DemoRun) -> None:
    """Run twice with seed 7: the review and the drill are identical."""
    assert demoed.result["review"] == demoed.first_review
    assert demoed.result["drill"] == demoed.first_drill


def test_the_rerun_replaced_the_previous_demo_ledger(demoed: DemoRun) -> None:
    incidents = demoed.json("incident", "list")
    assert [i["incident"] for i in incidents["incidents"]] == ["INC-1"]


def test_the_incident_is_a_skipped_review_of_a_wrong_amount(demoed: DemoRun) -> None:
    incident = demoed.result["incident"]
    shown = demoed.json("case", "show", incident["case"])
    route = shown["route"]
    assert route["review"] == "skipped" and "correct" in route["attests"]
    output = next(e for e in shown["events"] if e["type"] == "output.generated")
    assert "€480.00" in output["data"]["content"]
    assert shown["events"][0]["data"]["attributes"]["amount"] == 48
    assert any(e["type"] == "outcome.reported" and e["data"]["kind"] == "complaint"
               for e in shown["events"])
    opened = next(e for e in shown["events"] if e["type"] == "incident.opened")
    assert opened["data"]["faulty"] == [output["seq"]] and opened["data"]["failed"] == ["correct"]


def test_incident_causes_are_the_prompt_then_the_skip_rule(demoed: DemoRun) -> None:
    """SPEC §7: origin bad_prompt from the faulty output; `correct` was routed but skipped, so
    bad_routing_rule is owned by the threshold owner."""
    contract = packaged_contract("refund-replies")
    assert contract.learning is not None
    review = demoed.result["review"]
    assert review["questions"]["cause"]["causes"] == ["bad_prompt", "bad_routing_rule"]
    owners = {(o["cause"], o["role"]) for o in review["questions"]["who_changes"]["owners"]}
    assert owners == {("bad_prompt", contract.learning.prompt),
                      ("bad_routing_rule", contract.review.threshold_owner)}
    assert review["ten_minute_test"] == "pass"


def test_learning_actions_are_opened_for_each_owner(demoed: DemoRun) -> None:
    actions = demoed.json("learning", "list")["learning_actions"]
    assert [(a["id"], a["cause"], a["status"]) for a in actions] == [
        ("LA-1", "bad_prompt", "open"), ("LA-2", "bad_routing_rule", "open")]
    assert all(a["person"] for a in actions), "every owner resolves to a person"


def test_the_html_brief_exists_and_parses(demoed: DemoRun) -> None:
    brief = demoed.folder / "incident-INC-1.html"
    assert demoed.result["brief"] == str(brief)
    checker = _BalancedHtml()
    checker.feed(brief.read_text(encoding="utf-8"))
    checker.close()
    assert checker.unclosed == [] and checker.stray == []
    assert "INC-1" in checker.title and demoed.result["incident"]["case"] in checker.title
    assert "Who changes the system now?" in checker.text


def test_findings_include_exception_overdue_and_reviewer_not_in_role(demoed: DemoRun) -> None:
    counts = demoed.result["findings"]
    assert counts["exception-overdue"] >= 1 and counts["reviewer-not-in-role"] >= 1
    found = demoed.json("findings", "--now", END)["findings"]
    late = demoed.result["handover"]["late_review"]
    assert any(f["rule"] == "reviewer-not-in-role" and f["case"] == late for f in found), (
        "the reviewer who acted after leaving her role is found")
    waiting = demoed.result["waiting"]["exceptions"]
    assert any(f["rule"] == "exception-overdue" and f["case"] == w["case"]
               for f in found for w in waiting), "the undecided exception escalated and is overdue"


def test_the_roster_hand_over_is_kept_as_history(demoed: DemoRun) -> None:
    handover = demoed.result["handover"]
    roster = demoed.json("roster", "show", "--now", handover["on"] + "T12:00:00Z")
    holders = {r["role"]: r["holder"] for r in roster["roles"]}
    assert holders[handover["role"]] == handover["took_over"]
    assert demoed.result["rosters"] == 2


def test_scoped_reviews_use_narrow_and_whole_action_scopes(demoed: DemoRun) -> None:
    exported = demoed.accord("export", "--format", "jsonl")[1].splitlines()
    scopes = {tuple(e["data"]["attests"]) for e in map(json.loads, exported)
              if e["type"] == "review.recorded" and e["workflow"] == "refund-replies"}
    assert ("appropriately_toned",) in scopes and (WHOLE_ACTION,) in scopes


def test_claims_triage_with_thin_evidence_is_the_least_ready(demoed: DemoRun) -> None:
    readiness = {w["workflow"]: w["readiness"] for w in demoed.result["drill"]["workflows"]}
    assert readiness["claims-triage"] < min(readiness["refund-replies"], readiness["clause-drafting"])


def test_verify_on_the_demo_ledger_exits_zero(demoed: DemoRun) -> None:
    code, out, err = demoed.accord("verify")
    assert code == 0, out + err


def explore_lines(text: str) -> list[str]:
    """The commands the demo's last part prints."""
    part = text.split("Explore it", 1)[1].splitlines()[1:]
    return [line.strip() for line in part if line.startswith("   ") and "docs/" not in line]


def test_the_explore_commands_run_as_printed_in_a_fresh_shell(demoed: DemoRun) -> None:
    """The shell the demo ran in, minus everything but PATH: each printed command exits 0.

    Run from `make test` no virtual environment is on PATH and the commands name
    accord's script by its path; in an activated shell they say `accord`, which that
    shell finds (the choice itself is tested below).
    """
    commands = explore_lines(demoed.text)
    assert len(commands) >= 6 and all("--db sqlite:///" in c for c in commands)
    path = os.environ["PATH"] if commands[0].startswith("accord ") else "/usr/bin:/bin"
    fresh = {"PATH": path, "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    for command in commands:
        done = subprocess.run(["/bin/sh", "-c", command], env=fresh, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, (command, done.stderr)


def test_the_explore_commands_name_accord_as_this_shell_can_run_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain `accord` only when PATH finds this very script; else the environment's own script."""
    script = Path(sys.executable).parent / "accord"
    monkeypatch.setattr(shutil, "which", lambda name: None)
    inside = script.is_relative_to(Path.cwd())
    assert accord.cli._demo.accord_command() == (str(script.relative_to(Path.cwd())) if inside
                                                 else str(script))
    monkeypatch.setattr(shutil, "which", lambda name: str(script))
    assert accord.cli._demo.accord_command() == "accord"
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/local/bin/accord")  # another accord
    assert accord.cli._demo.accord_command() != "accord"


# -- the simulation core -------------------------------------------------------------------------


def test_the_agenda_runs_steps_in_time_order_and_ties_in_the_order_planned() -> None:
    """Earliest first; at the same instant, planned order (also for steps planned while running);
    nothing due after the end runs."""
    agenda = Agenda()
    start, hour = demos.DEMO_START, dt.timedelta(hours=1)
    ran: list[str] = []

    def step(name: str) -> Callable[[], None]:
        return lambda: ran.append(name)

    def first() -> None:
        ran.append("first")
        agenda.plan(start + hour, step("tie planned while running"))

    agenda.plan(start + 2 * hour, step("later"))
    agenda.plan(start + hour, step("tie planned first"))
    agenda.plan(start + 5 * hour, step("after the end"))
    agenda.plan(start, first)
    agenda.plan(start + hour, step("tie planned second"))
    agenda.run_until(start + 4 * hour)
    assert ran == ["first", "tie planned first", "tie planned second", "tie planned while running",
                   "later"]


def test_a_cued_stand_in_plays_the_next_step_that_asks_and_only_that_one() -> None:
    cue: Cue[str] = Cue("the next review")
    with accord.ledger.open(store=MemoryStore()) as ledger:
        sim = Simulation(ledger, demos.DEMO_SEED, demos.DEMO_START, demos.DEMO_START, [])
        assert sim.take_cue(cue) is None
        sim.cue(cue, "stand-in")
        assert [sim.take_cue(cue), sim.take_cue(cue)] == ["stand-in", None]


# -- folders the demo must not touch ---------------------------------------------------------------


def test_demo_refuses_a_folder_holding_another_ledger(tmp_path: Path) -> None:
    database = tmp_path / demos.DB_NAME
    with accord.ledger.open(f"sqlite:///{database}") as ledger:
        ledger.apply_roster(ROOT / "examples" / "roster.yaml")
    before = database.read_bytes()
    code, _, err = run("demo", "--dir", str(tmp_path))
    assert code == 2 and "did not create" in err and str(database) in err
    assert database.read_bytes() == before


def test_build_demo_needs_an_empty_ledger(tmp_path: Path) -> None:
    with accord.ledger.open(f"sqlite:///{tmp_path / 'x.db'}") as ledger:
        ledger.apply_roster(ROOT / "examples" / "roster.yaml")
        with pytest.raises(UsageError, match="empty ledger"):
            demos.build_demo(ledger, seed=1)


class _BalancedHtml(HTMLParser):
    """Parses HTML and records elements left open or closed without opening."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                      "source", "track", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.stray: list[str] = []
        self.title = ""
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.stray.append(tag)

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1] == "title":
            self.title += data
        self.text += data

    @property
    def unclosed(self) -> list[str]:
        return list(self.open)
