"""Scenarios driven through the command line, as a user would run them.

Two vocabularies, both written against SPEC §5–§9 rather than the code:

* JSONL client events for `accord record` on a ``--db`` URL (``opened``, ``output``,
  ``full_case`` …; ``cli`` and ``jcli`` run a command on that database). Times are explicit
  and ``--now`` is passed wherever a command looks at the clock.
* :class:`CliLedger`, a small SQLite ledger built from the files under examples/ with
  `roster apply`, `contract apply` and `record`, with ``refund_case`` for the events of one
  refund case and ``incident`` to open and review an incident.

These are plain functions; fixtures live in conftest.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from tests.helpers import PEOPLE, event, refund_contract, roster, run_cli

Capsys = pytest.CaptureFixture[str]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
REFUNDS = str(EXAMPLES / "contracts" / "refund-replies.yaml")
CLAIMS = str(EXAMPLES / "contracts" / "claims-triage.yaml")
ROSTER = str(EXAMPLES / "roster.yaml")

# -- JSONL events for `accord record` ----------------------------------------------------------

OUT_AT = "2026-03-02T09:01:00Z"
DUE = "2026-03-02T13:01:00Z"  # OUT_AT + decide_within 4h
AGENT = "sam@example.com"


def write_contract(tmp_path: Path, name: str = "refunds.yaml", **changes: Any) -> str:
    """The refund contract (with ``changes``) as a YAML file for `accord contract apply`."""
    body = refund_contract(**changes).model_dump(mode="json", by_alias=True, exclude_none=True)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return str(path)


def write_roster(tmp_path: Path, name: str = "roster.yaml", **holders: str) -> str:
    """A roster file for `accord roster apply`: each role held all of 2026 by the named person
    (by default every role of the refund workflow, AGENT holding support-agent)."""
    body = roster(**(holders or {**PEOPLE, "support-agent": AGENT})).model_dump(
        mode="json", by_alias=True, exclude_none=True)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return str(path)


def write_events(tmp_path: Path, name: str, events: list[dict[str, Any]]) -> str:
    """``events`` as a JSONL file for `accord record`."""
    path = tmp_path / name
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return str(path)


def opened(case: str, amount: float = 60, tier: str = "standard", risk: float = 0.5,
           workflow: str = "refund-replies") -> dict[str, Any]:
    """A `case.opened`; by default a refund that needs a review."""
    return event(case, "case.opened", "2026-03-02T09:00:00Z",
                 {"workflow": workflow, "attributes": {"amount": amount, "tier": tier, "risk": risk}})


def output(case: str, confidence: float | None = 0.9, at: str = OUT_AT) -> dict[str, Any]:
    """An `output.generated` (without `confidence` when it is None)."""
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
    """A `review.recorded` by AGENT attesting ``attests``."""
    return event(case, "review.recorded", at,
                 {"reviewer": AGENT, "attests": attests, "decision": decision}, actor=AGENT)


def action(case: str, at: str = "2026-03-02T09:05:00Z") -> dict[str, Any]:
    """An `action.taken`: the reply is sent."""
    return event(case, "action.taken", at, {"action": "email.sent", "by": "system:mailer"})


def cli(capsys: Capsys, db: str, *args: str) -> tuple[int, str, str]:
    """`accord --db DB ARGS`: (exit status, stdout, stderr)."""
    return run_cli(capsys, "--db", db, *args)


def jcli(capsys: Capsys, db: str, *args: str) -> Any:
    """`accord --db DB ARGS --json`, which must succeed, parsed."""
    code, out, err = cli(capsys, db, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def log_size(capsys: Capsys, db: str) -> int:
    """How many records `accord verify` counts."""
    return int(jcli(capsys, db, "verify")["size"])


def route(capsys: Capsys, db: str, case: str) -> dict[str, Any]:
    """The route `accord case show` reports for ``case``."""
    return dict(jcli(capsys, db, "case", "show", case)["route"])


def plain_sql(db_url: str, *statements: str) -> None:
    """Run ``statements`` in one transaction on the ledger's database, past accord."""
    url = db_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


# -- a ledger of the examples, built through the command line ------------------------------------

NOW = "2026-07-10T00:00:00Z"
"""When CliLedger's incidents are opened, after every refund_case day used."""

REVIEWED = ["correct", "appropriately_toned"]
SKIPPED: dict[str, Any] = {"amount": 40, "risk": 0.1}
"""refund_case arguments for a case whose review the skip rule waives."""


class CliLedger:
    """A small SQLite ledger of the examples, built and read through the command line."""

    def __init__(self, capsys: Capsys, tmp_path: Path, roster: str | None = ROSTER,
                 contracts: tuple[str, ...] = (REFUNDS,)) -> None:
        self.capsys, self.tmp, self.db, self.batches = capsys, tmp_path, f"sqlite:///{tmp_path}/l.db", 0
        if roster:
            self.ok("roster", "apply", roster)
        for path in contracts:
            self.ok("contract", "apply", path)

    def cli(self, *args: str) -> tuple[int, str, str]:
        return run_cli(self.capsys, "--db", self.db, *args)

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


def refund_case(case: str, *, amount: float = 100, risk: float = 0.5, tier: str = "standard",
                day: str = "2026-07-01", attests: list[str] | None = None, policy: str | None = "pass",
                playbook: str | None = None, decide: str | None = None,
                reviewer: str = "ines.moreau@example.com") -> list[dict[str, Any]]:
    """The events of one refund-replies case on ``day``, from opening to the reply sent."""
    def t(hhmm: str) -> str:
        return f"{day}T{hhmm}:00Z"
    output: dict[str, Any] = {"content": "Refund of 100 EUR", "model": "m-1", "prompt_version": "refund-v7",
                              "confidence": 0.9}
    if playbook:
        output["playbook_version"] = playbook
    attributes = {"amount": amount, "tier": tier, "risk": risk}
    opening = {"workflow": "refund-replies", "attributes": attributes}
    events = [event(case, "case.opened", t("09:00"), opening),
              event(case, "input.received", t("09:01"), {"content": "I want a refund"}),
              event(case, "source.used", t("09:02"), {"uri": "kb://refund-policy", "version": "2026-06"}),
              event(case, "output.generated", t("09:03"), output, "system:refund-drafter")]
    if policy:
        events.append(event(case, "policy.applied", t("09:04"),
                            {"policy": "refund-policy", "version": "1", "result": policy}))
    if attests:
        events.append(event(case, "review.recorded", t("09:05"),
                            {"reviewer": reviewer, "attests": attests, "decision": "approved"}, reviewer))
    if decide:
        events.append(event(case, "exception.decided", t("09:06"),
                            {"decider": "lee.chen@example.com", "decision": decide}, "lee.chen@example.com"))
    events.append(event(case, "action.taken", t("09:10"), {"action": "email.sent", "by": "system:mailer"},
                        "system:mailer"))
    return events


def causes_and_owners(review: dict[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    """An incident review's causes, and its (cause, role) owners."""
    questions = review["questions"]
    return (questions["cause"]["causes"],
            [(o["cause"], o["role"]) for o in questions["who_changes"]["owners"]])
