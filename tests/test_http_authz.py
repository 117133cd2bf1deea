"""The authorization matrix over a real `accord serve`: every kind of token × every operation ×
its own case, another workflow's case and a missing one, on both backends.

The expected statuses are the table of docs/http.md written out as data (:data:`EXPECTED`);
every request whose answer is not 2xx must leave the log and the tokens as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import yaml

import accord
from tests.serving import TOKENS, Served, open_roster, seed

KINDS = [*TOKENS, "none"]
PERSONS = ("reviewer", "not_reviewer", "exception_owner", "escalation", "outcome_owner", "auditor", "admin")
DEAD = ("expired", "revoked", "none")


def _event(case: str) -> list[dict[str, Any]]:
    return [{"case": case, "type": "input.received", "at": "2026-03-02T09:03:00Z",
             "data": {"content": "a follow-up question"}}]


# operation: how to call it on a case (None for operations on no case)
Call = Callable[[httpx.Client, str, dict[str, int]], httpx.Response]
OPERATIONS: dict[str, Call] = {
    "read_case": lambda c, case, seqs: c.get(f"/v1/cases/{case}"),
    "record_fact": lambda c, case, seqs: c.post("/v1/events", json=_event(case)),
    "review": lambda c, case, seqs: c.post(f"/v1/cases/{case}/reviews",
                                           json={"attests": ["appropriately_toned"], "decision": "approved"}),
    "decide": lambda c, case, seqs: c.post(f"/v1/cases/{case}/decisions", json={"decision": "approved"}),
    "override": lambda c, case, seqs: c.post(f"/v1/cases/{case}/overrides",
                                             json={"what": "refund sent", "reason": "customer waited"}),
    "open_incident": lambda c, case, seqs: c.post("/v1/incidents", json={
        "case": case, "failed": ["correct"], "summary": "the refund amount was wrong"}),
    "inclusion_proof": lambda c, case, seqs: c.get("/v1/proofs/inclusion",
                                                   params={"seq": seqs.get(case, 10**6)}),
}
LEDGER_OPERATIONS: dict[str, Callable[[httpx.Client, str], httpx.Response]] = {
    "review_queue": lambda c, roster: c.get("/v1/queues/reviews"),
    "findings": lambda c, roster: c.get("/v1/findings"),
    "verify": lambda c, roster: c.get("/v1/verify"),
    "export": lambda c, roster: c.get("/v1/export"),
    "consistency_proof": lambda c, roster: c.get("/v1/proofs/consistency", params={"from": 1}),
    "apply_roster": lambda c, roster: c.put("/v1/roster", content=roster,
                                            headers={"Content-Type": "application/yaml"}),
    "contracts": lambda c, roster: c.get("/v1/contracts"),
    "checkpoint": lambda c, roster: c.get("/v1/checkpoint"),
    "metrics": lambda c, roster: c.get("/metrics"),
}

# Per operation and token kind: the status on (its own refund case, the claims case, a missing case).
# Own = a refund case made for that token's row (routed for review, its exception raised and
# escalated); claims = C-1 of the other workflow (reviewer carl, owner cleo).
R, C, M = "refund", "claims", "missing"
EXPECTED: dict[str, dict[str, tuple[int, int, int]]] = {
    "read_case": {"system": (200, 404, 404), "other_system": (404, 200, 404), "reviewer": (200, 404, 404),
                  "not_reviewer": (404, 200, 404), "exception_owner": (200, 404, 404),
                  "escalation": (200, 404, 404), "outcome_owner": (200, 404, 404), "auditor": (200, 200, 404),
                  "admin": (200, 200, 404)},
    "record_fact": {"system": (200, 404, 404), "other_system": (404, 200, 404), "reviewer": (403, 404, 404),
                    "not_reviewer": (404, 403, 404), "exception_owner": (403, 404, 404),
                    "escalation": (403, 404, 404), "outcome_owner": (403, 404, 404),
                    "auditor": (403, 403, 404),
                    "admin": (403, 403, 404)},
    "review": {"system": (403, 404, 404), "other_system": (404, 403, 404), "reviewer": (201, 404, 404),
               "not_reviewer": (404, 201, 404), "exception_owner": (403, 404, 404),
               "escalation": (403, 404, 404),
               "outcome_owner": (403, 404, 404), "auditor": (403, 403, 404), "admin": (403, 403, 404)},
    "decide": {"system": (403, 404, 404), "other_system": (404, 403, 404), "reviewer": (403, 404, 404),
               "not_reviewer": (404, 403, 404), "exception_owner": (201, 404, 404),
               "escalation": (201, 404, 404),
               "outcome_owner": (403, 404, 404), "auditor": (403, 403, 404), "admin": (403, 403, 404)},
    "override": {"system": (403, 404, 404), "other_system": (404, 403, 404), "reviewer": (403, 404, 404),
                 "not_reviewer": (404, 403, 404), "exception_owner": (403, 404, 404),
                 "escalation": (403, 404, 404), "outcome_owner": (201, 404, 404), "auditor": (403, 403, 404),
                 "admin": (403, 403, 404)},
    "open_incident": {"system": (403, 404, 404), "other_system": (404, 403, 404), "reviewer": (403, 404, 404),
                      "not_reviewer": (404, 403, 404), "exception_owner": (403, 404, 404),
                      "escalation": (403, 404, 404), "outcome_owner": (201, 404, 404),
                      "auditor": (403, 403, 404), "admin": (201, 201, 404)},
    "inclusion_proof": {"system": (200, 404, 404), "other_system": (404, 200, 404),
                        "reviewer": (200, 404, 404),
                        "not_reviewer": (404, 200, 404), "exception_owner": (200, 404, 404),
                        "escalation": (200, 404, 404), "outcome_owner": (200, 404, 404),
                        "auditor": (200, 200, 422), "admin": (200, 200, 422)},
}
ALL_PERSONS = dict.fromkeys(PERSONS, 200)
NO_SYSTEMS = {"system": 403, "other_system": 403}
AUDIT = {**dict.fromkeys((*PERSONS[:5], "system", "other_system"), 403), "auditor": 200, "admin": 200}
EXPECTED_LEDGER: dict[str, dict[str, int]] = {
    "review_queue": {**ALL_PERSONS, **NO_SYSTEMS},
    "findings": {**AUDIT, "outcome_owner": 200},
    "verify": AUDIT, "export": AUDIT, "consistency_proof": AUDIT,
    "apply_roster": {**dict.fromkeys(KINDS[:-1], 403), "admin": 200},
    "contracts": dict.fromkeys(KINDS[:-1], 200),
    "checkpoint": dict.fromkeys(KINDS[:-1], 200),
    "metrics": {**dict.fromkeys(PERSONS, 403), "auditor": 200, "admin": 200, "system": 200,
                "other_system": 200},
}


def _state(ledger: accord.Ledger) -> tuple[int, list[Any]]:
    """The log's size and the tokens, as another process sees them."""
    with ledger.store.reading() as r:
        return r.head().size, [t.as_json() for t in ledger.tokens()]


def test_every_kind_of_token_gets_what_the_table_says_and_denials_change_nothing(
        db_url: str, tmp_path: Path) -> None:
    own = {kind: f"R-{kind}" for kind in KINDS}
    tokens = seed(db_url, list(own.values()))
    with accord.open(db_url, create=False) as ledger:
        seqs = {e.case or "": e.seq for e in ledger.events() if e.type == "case.opened"}
        roster_yaml = yaml.safe_dump(open_roster().model_dump(mode="json", by_alias=True, exclude_none=True))
    key = tmp_path / "ck.key"
    from accord.integrity.keys import write_keypair

    write_keypair(key, "accord-test")
    mismatches: list[str] = []
    with Served(db_url, tmp_path / "serve.log", "--key", str(key)) as server, \
            accord.open(db_url, create=False) as watcher:
        for kind in KINDS:
            client = server.client(tokens.get(kind) if kind != "none" else None)
            for name, call in OPERATIONS.items():
                table = EXPECTED[name]
                for target, case in ((R, own[kind]), (C, "C-1"), (M, "NOPE")):
                    want = 401 if kind in DEAD else table[kind][(R, C, M).index(target)]
                    before = _state(watcher)
                    got = call(client, case, seqs)
                    if got.status_code != want:
                        mismatches.append(f"{kind} {name} {target}: {got.status_code} (want {want}) "
                                          f"{got.text[:200]}")
                    if got.status_code >= 300 and _state(watcher) != before:
                        mismatches.append(f"{kind} {name} {target}: denied, yet the ledger changed")
                    if got.status_code >= 300:
                        assert set(got.json()) == {"status", "error", "message", "errors"}
            for name, ledger_call in LEDGER_OPERATIONS.items():
                want = 401 if kind in DEAD else EXPECTED_LEDGER[name][kind]
                before = _state(watcher)
                got = ledger_call(client, roster_yaml)
                if got.status_code != want:
                    mismatches.append(f"{kind} {name}: {got.status_code} (want {want}) {got.text[:200]}")
                if got.status_code >= 300 and _state(watcher) != before:
                    mismatches.append(f"{kind} {name}: denied, yet the ledger changed")
                if got.status_code == 401:
                    assert got.headers["www-authenticate"].startswith("Bearer")
            client.close()
        server.stop()
    assert not mismatches, "\n".join(mismatches)
    denials = [orjson.loads(line) for line in (tmp_path / "serve.log").read_text().splitlines()
               if line.startswith('{"time"') and '"denied"' in line]
    assert denials and all({"time", "token", "method", "path", "reason"} <= d.keys() for d in denials)
