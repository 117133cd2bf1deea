"""Acceptance checks of the evidence ledger (issue 3) and routing (issue 4), through the CLI.

Each test drives `accord` as a user would (scenario files fed to `accord record`,
`--now` wherever a command looks at the clock) on SQLite and PostgreSQL, written
against SPEC §5, §6, §8 and §9 by a reviewer who had not read the code.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from tests.helpers import event, refund_contract
from tests.helpers import run_cli as run

OUT_AT = "2026-03-02T09:01:00Z"
DUE = "2026-03-02T13:01:00Z"  # OUT_AT + decide_within 4h
AGENT = "sam@example.com"


def write_contract(tmp_path: Path, name: str = "refunds.yaml", **changes: Any) -> str:
    body = refund_contract(**changes).model_dump(mode="json", by_alias=True, exclude_none=True)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return str(path)


def write_events(tmp_path: Path, name: str, events: list[dict[str, Any]]) -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return str(path)


def opened(case: str, amount: float = 60, tier: str = "standard", risk: float = 0.5,
           workflow: str = "refund-replies") -> dict[str, Any]:
    return event(case, "case.opened", "2026-03-02T09:00:00Z",
                 {"workflow": workflow, "attributes": {"amount": amount, "tier": tier, "risk": risk}})


def output(case: str, confidence: float | None = 0.9, at: str = OUT_AT) -> dict[str, Any]:
    data: dict[str, Any] = {"content": "We refund 60 EUR.", "model": "m", "prompt_version": "v7"}
    if confidence is not None:
        data["confidence"] = confidence
    return event(case, "output.generated", at, data, actor="system:drafter")


def full_case(case: str, **attrs: Any) -> list[dict[str, Any]]:
    """Every required evidence field except the approval and the action."""
    return [opened(case, **attrs),
            event(case, "input.received", "2026-03-02T09:00:01Z", {"content": "refund?"}),
            event(case, "source.used", "2026-03-02T09:00:02Z", {"uri": "kb://orders/1"}),
            output(case),
            event(case, "policy.applied", "2026-03-02T09:01:30Z",
                  {"policy": "refund-policy", "version": "4", "result": "pass"})]


def review(case: str, attests: list[str], decision: str = "approved",
           at: str = "2026-03-02T09:02:00Z") -> dict[str, Any]:
    return event(case, "review.recorded", at,
                 {"reviewer": AGENT, "attests": attests, "decision": decision}, actor=AGENT)


def action(case: str, at: str = "2026-03-02T09:05:00Z") -> dict[str, Any]:
    return event(case, "action.taken", at, {"action": "email.sent", "by": "system:mailer"})


def cli(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> tuple[int, str, str]:
    return run(capsys, "--db", db, *args)


def jcli(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> Any:
    code, out, err = cli(capsys, db, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def log_size(capsys: pytest.CaptureFixture[str], db: str) -> int:
    return int(jcli(capsys, db, "verify")["size"])


def route(capsys: pytest.CaptureFixture[str], db: str, case: str) -> dict[str, Any]:
    return dict(jcli(capsys, db, "case", "show", case)["route"])


# -- issue 4: routing ---------------------------------------------------------------------


def test_routing_decided_follows_spec_6(db_url: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
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


def test_one_dimension_does_not_satisfy_a_route_that_needs_two(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path))
    events = [*full_case("T-1"), review("T-1", ["appropriately_toned"]), action("T-1"),
              *full_case("T-2"), review("T-2", ["appropriately_toned"]),
              review("T-2", ["correct"], at="2026-03-02T09:03:00Z"), action("T-2"),
              *full_case("T-3"), review("T-3", ["correct", "appropriately_toned"]),
              review("T-3", ["correct"], "changes_requested", at="2026-03-02T09:03:00Z"),
              action("T-3")]
    assert cli(capsys, db_url, "record", write_events(tmp_path, "e.jsonl", events))[0] == 0
    found = jcli(capsys, db_url, "findings", "--now", "2026-03-02T10:00:00Z")["findings"]
    unapproved = {f["case"]: f for f in found if f["rule"] == "unapproved-action"}
    assert set(unapproved) == {"T-1", "T-3"}
    assert "correct" in unapproved["T-1"]["message"]
    assert set(unapproved["T-1"]) == {"rule", "workflow", "case", "seq", "message"}
    assert jcli(capsys, db_url, "case", "show", "T-1")["evidence"]["missing"] == ["approval"]
    assert jcli(capsys, db_url, "case", "show", "T-2")["evidence"]["missing"] == []


def test_enforced_workflow_refuses_and_stores_nothing(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path, enforce=True))
    before = log_size(capsys, db_url)
    events = [*full_case("E-1"), review("E-1", ["appropriately_toned"]), action("E-1")]
    code, _, err = cli(capsys, db_url, "record", write_events(tmp_path, "e.jsonl", events))
    assert code == 2 and "e.jsonl:7" in err and "correct" in err and "Traceback" not in err
    assert log_size(capsys, db_url) == before
    assert cli(capsys, db_url, "case", "show", "E-1")[0] == 2
    # with the approval in place the same action is taken
    events[5] = review("E-1", ["correct", "appropriately_toned"])
    assert cli(capsys, db_url, "record", write_events(tmp_path, "ok.jsonl", events))[0] == 0


def test_unenforced_workflow_records_and_reports_unapproved_action(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path))
    events = [*full_case("U-1"), action("U-1")]
    assert cli(capsys, db_url, "record", write_events(tmp_path, "e.jsonl", events))[0] == 0
    found = jcli(capsys, db_url, "findings", "--now", "2026-03-02T10:00:00Z")["findings"]
    rules = [f["rule"] for f in found if f["case"] == "U-1"]
    assert "unapproved-action" in rules and "evidence-gap" in rules  # no roster: owner-vacancy too


def test_overdue_exception_escalates_exactly_once(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path))
    events = [opened("X-1", 600), output("X-1")]
    assert cli(capsys, db_url, "record", write_events(tmp_path, "e.jsonl", events))[0] == 0
    early = jcli(capsys, db_url, "queue", "exceptions", "--now", "2026-03-02T12:00:00Z")["items"]
    assert early == [{"case": "X-1", "workflow": "refund-replies", "role": "refunds-escalations",
                      "since": OUT_AT, "due": DUE, "overdue": False}]
    assert jcli(capsys, db_url, "tick", "--now", "2026-03-02T12:00:00Z")["escalated"] == []
    first = jcli(capsys, db_url, "tick", "--now", "2026-03-02T14:00:00Z")["escalated"]
    assert [(e["case"], e["escalate_to"], e["at"]) for e in first] == \
        [("X-1", "support-director", DUE)]
    assert jcli(capsys, db_url, "tick", "--now", "2026-03-02T15:00:00Z")["escalated"] == []
    late = jcli(capsys, db_url, "queue", "exceptions", "--now", "2026-03-02T16:00:00Z")["items"]
    assert [(i["role"], i["overdue"]) for i in late] == [("support-director", True)]
    jcli(capsys, db_url, "queue", "reviews", "--now", "2026-03-02T16:00:00Z")
    found = jcli(capsys, db_url, "findings", "--now", "2026-03-02T16:00:00Z")["findings"]
    assert [f["rule"] for f in found if f["case"] == "X-1"].count("exception-overdue") == 1
    view = jcli(capsys, db_url, "case", "show", "X-1")
    assert [e["type"] for e in view["events"]].count("exception.escalated") == 1
    # a later output keeps the first due time and raises nothing new
    more = [output("X-1", at="2026-03-02T17:00:00Z")]
    assert cli(capsys, db_url, "record", write_events(tmp_path, "m.jsonl", more))[0] == 0
    assert route(capsys, db_url, "X-1")["due"] == DUE
    view = jcli(capsys, db_url, "case", "show", "X-1")
    assert [e["type"] for e in view["events"]].count("exception.raised") == 1


def test_no_escalation_at_exactly_the_due_time(db_url: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path))
    events = [opened("X-2", 600), output("X-2")]
    cli(capsys, db_url, "record", write_events(tmp_path, "e.jsonl", events))
    assert jcli(capsys, db_url, "tick", "--now", DUE)["escalated"] == []


# -- issue 3: the evidence ledger ---------------------------------------------------------


def test_a_batch_with_one_refused_event_stores_nothing(
        db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path))
    before = log_size(capsys, db_url)
    bad = event("B-1", "review.recorded", "2026-03-02T09:02:00Z",
                {"reviewer": "system:bot", "attests": ["correct"], "decision": "approved"})
    events = [*full_case("B-1"), bad, action("B-1")]
    code, _, err = cli(capsys, db_url, "record", write_events(tmp_path, "b.jsonl", events))
    assert code == 2 and "b.jsonl:6: data.reviewer:" in err and "Traceback" not in err
    assert log_size(capsys, db_url) == before


def plain_sql(db_url: str, *statements: str) -> None:
    url = db_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


@pytest.mark.parametrize("statement", ["UPDATE accord_log SET type = 'x' WHERE seq = 1",
                                       "DELETE FROM accord_log WHERE seq = 1"])
def test_plain_sql_cannot_update_or_delete(db_url: str, tmp_path: Path, statement: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        plain_sql(db_url, statement)
    assert jcli(capsys, db_url, "verify")["ok"] is True


def test_sqlite_replace_cannot_rewrite_a_record(sqlite_url: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, sqlite_url, "contract", "apply", write_contract(tmp_path))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        plain_sql(sqlite_url, "REPLACE INTO accord_log SELECT seq, case_id, 'x', canonical, "
                              "leaf_hash, chain_hash FROM accord_log WHERE seq = 1")


def test_a_record_inserted_below_seq_1_is_found(db_url: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path))
    cli(capsys, db_url, "record", write_events(tmp_path, "e.jsonl", [opened("F-1"), output("F-1")]))
    # a copy of the contract record (no case: a copy of a case's record at seq 0 would also
    # collide with the case's opening in the case index, and be refused for that)
    forge = ("INSERT INTO accord_log SELECT 0, case_id, type, canonical, leaf_hash, "
             "chain_hash FROM accord_log WHERE seq = 1")
    with pytest.raises(sa.exc.DBAPIError):
        plain_sql(db_url, forge)  # the schema refuses a seq below 1
    lift = (["PRAGMA ignore_check_constraints = ON", "DROP TRIGGER accord_log_append_at_head"]
            if db_url.startswith("sqlite")
            else ["ALTER TABLE accord_log DROP CONSTRAINT accord_log_seq_from_1"])
    plain_sql(db_url, *lift, forge)  # the database's owner can still lift the check
    code, out, _ = cli(capsys, db_url, "verify", "--json")
    assert code == 1 and json.loads(out)["first_bad"] == 0


def test_verify_reports_a_text_rewrite_without_a_traceback(
        sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, sqlite_url, "contract", "apply", write_contract(tmp_path))
    cli(capsys, sqlite_url, "record", write_events(tmp_path, "e.jsonl", [opened("F-1")]))
    plain_sql(sqlite_url, "DROP TRIGGER accord_log_no_update")
    plain_sql(sqlite_url, "UPDATE accord_log SET canonical = replace(canonical, 'F-1', 'F-2') "
                          "WHERE seq = 2")
    code, out, _ = cli(capsys, sqlite_url, "verify", "--json")
    assert code == 1 and json.loads(out)["first_bad"] == 2


@pytest.mark.parametrize("at", ["2026-W10-1T09:00:00Z", "2026-03-02T09:00+01:00"])
def test_at_must_be_rfc3339(sqlite_url: str, tmp_path: Path, at: str,
                            capsys: pytest.CaptureFixture[str]) -> None:
    cli(capsys, sqlite_url, "contract", "apply", write_contract(tmp_path))
    e = opened("W-1")
    e["at"] = at
    code, _, err = cli(capsys, sqlite_url, "record", write_events(tmp_path, "w.jsonl", [e]))
    assert code == 2 and "w.jsonl:1: at:" in err


def test_a_db_that_is_not_a_database_is_one_line(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.db").write_text("hello\n")
    code, _, err = run(capsys, "--db", f"sqlite:///{tmp_path}/notes.db", "verify")
    assert code == 2 and len(err.strip().splitlines()) == 1
