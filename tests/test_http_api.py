"""`accord serve` over a real process on both backends: the operations' answers, the one error
shape for every input that is not right (no 500), group commit, and a SIGTERM that lets the
requests in flight finish."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import accord
from accord.integrity.keys import write_keypair
from tests.serving import Served, case_events, log_size, seed


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Served, dict[str, str]]]:
    """A server on each backend over the seeded ledger (cases R-1 … R-3), signing checkpoints."""
    folder = tmp_path_factory.mktemp("served")
    url = (f"sqlite:///{folder}/ledger.db" if request.param == "sqlite"
           else request.getfixturevalue("pg_module_url"))
    tokens = seed(url, ["R-1", "R-2", "R-3"])
    write_keypair(folder / "ck.key", "accord-test")
    with Served(url, folder / "serve.log", "--key", str(folder / "ck.key"), "--max-body", "200000") as server:
        yield server, tokens


def _events(n: int, prefix: str) -> list[dict[str, Any]]:
    return [e for i in range(n) for e in case_events(f"{prefix}-{i}", amount=40)[:1]]


# -- the operations -------------------------------------------------------------------------------


def test_a_batch_is_recorded_as_the_token_with_routes(served: tuple[Served, dict[str, str]]) -> None:
    server, tokens = served
    with server.client(tokens["system"]) as c:
        got = c.post("/v1/events", json=case_events("B-1", amount=40))
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["recorded"] == 3 and body["routes"]["B-1"]["review"] == "required"
        case = c.get("/v1/cases/B-1").json()
    assert {e["actor"] for e in case["events"] if e["type"] != "routing.decided"} == {"system:drafter"}


def test_ndjson_is_taken_line_by_line(served: tuple[Served, dict[str, str]]) -> None:
    server, tokens = served
    lines = "\n".join(json.dumps(e) for e in case_events("ND-1", amount=40)) + "\n"
    with server.client(tokens["system"]) as c:
        got = c.post("/v1/events", content=lines, headers={"Content-Type": "application/x-ndjson"})
    assert got.status_code == 200 and got.json()["recorded"] == 3


def test_a_reviewer_attesting_only_tone_leaves_correct_unattested_and_the_case_queued(
        served: tuple[Served, dict[str, str]]) -> None:
    server, tokens = served
    with server.client(tokens["reviewer"]) as ann:
        got = ann.post("/v1/cases/R-1/reviews",
                       json={"attests": ["appropriately_toned"], "decision": "approved"})
        assert got.status_code == 201, got.text
        assert got.json()["approval_holds"] is False and got.json()["unattested"] == ["correct"]
        queue = ann.get("/v1/queues/reviews").json()["items"]
        case = ann.get("/v1/cases/R-1").json()
    assert "R-1" in [i["case"] for i in queue]
    assert "approval" not in case["evidence"]["present"]
    review = [e for e in case["events"] if e["type"] == "review.recorded"][-1]
    assert review["actor"] == review["data"]["reviewer"] == "ann@example.com"


def test_a_body_naming_someone_else_is_forbidden_and_stores_nothing(
        served: tuple[Served, dict[str, str]]) -> None:
    server, tokens = served
    before = log_size(server.url)
    with server.client(tokens["system"]) as c:
        got = c.post("/v1/events", json=[{**case_events("F-1")[0], "actor": "system:someone-else"}])
    with server.client(tokens["reviewer"]) as ann:
        review = ann.post("/v1/events", json=[{"case": "R-2", "type": "review.recorded",
                                               "at": "2026-03-02T10:00:00Z", "data": {
                                                   "reviewer": "eve@example.com", "attests": ["correct"],
                                                   "decision": "approved"}}])
    assert (got.status_code, review.status_code) == (403, 403)
    assert got.json()["errors"][0]["index"] == 0
    assert log_size(server.url) == before


def test_decision_override_incident_and_learning_close(served: tuple[Served, dict[str, str]]) -> None:
    server, tokens = served
    with server.client(tokens["exception_owner"]) as eve:
        decided = eve.post("/v1/cases/R-3/decisions", json={"decision": "approved", "note": "fine"})
    with server.client(tokens["outcome_owner"]) as dana:
        overridden = dana.post("/v1/cases/R-3/overrides", json={"what": "sent", "reason": "customer waited"})
        opened = dana.post("/v1/incidents", json={"case": "R-3", "failed": ["correct"],
                                                  "summary": "the amount was wrong"})
        assert opened.status_code == 201, opened.text
        incident = opened.json()["incident"]
        review = dana.get(f"/v1/incidents/{incident}")
        brief = dana.get(f"/v1/incidents/{incident}", params={"format": "html"})
        listed = dana.get("/v1/incidents").json()["incidents"]
    assert decided.status_code == 201 and overridden.status_code == 201
    assert review.json()["incident"] == incident and brief.headers["content-type"].startswith("text/html")
    assert incident in [i["incident"] for i in listed]
    action = opened.json()["learning_actions"][0]
    with server.client(tokens["admin"]) as admin:
        closed = admin.post(f"/v1/learning-actions/{action['id']}/close", json={"change": "refund-v8"})
        again = admin.post(f"/v1/learning-actions/{action['id']}/close", json={"change": "refund-v9"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert again.status_code == 422


def test_contracts_and_rosters_are_applied_by_an_admin_and_read_by_anyone(
        served: tuple[Served, dict[str, str]], tmp_path: Path) -> None:
    server, tokens = served
    with server.client(tokens["admin"]) as admin:
        current = admin.get("/v1/contracts/refund-replies").json()
        body = {**current["contract"], "title": "Refund replies, second edition"}
        applied = admin.put("/v1/contracts/refund-replies", json=body)
        broken = admin.put("/v1/contracts/refund-replies", content=b"accord: 1\nkind: contract\nworkflow: [",
                           headers={"Content-Type": "application/yaml"})
        linted = admin.put("/v1/contracts/refund-replies", json={**body, "outcome_owner": "the AI"})
    assert applied.status_code == 201 and applied.json()["version"] == current["version"] + 1
    assert broken.status_code == 422 and broken.json()["errors"][0]["path"]
    assert linted.status_code == 422 and any("tool-as-owner" in e["message"] for e in linted.json()["errors"])
    with server.client(tokens["system"]) as c:
        assert c.get("/v1/roster").json()["roster"]["kind"] == "roster"
        assert c.get("/v1/contracts").status_code == 200


def test_proofs_verify_checkpoint_and_export(served: tuple[Served, dict[str, str]]) -> None:
    server, tokens = served
    with server.client(tokens["auditor"]) as aud:
        report = aud.get("/v1/verify").json()
        size = report["size"]
        inclusion = aud.get("/v1/proofs/inclusion", params={"seq": 2, "size": size}).json()
        consistency = aud.get("/v1/proofs/consistency", params={"from": 3, "to": size}).json()
        checkpoint = aud.get("/v1/checkpoint")
        lines = [json.loads(line) for line in aud.get("/v1/export", params={"case": "R-1"}).text.splitlines()]
    assert report["ok"] and inclusion["size"] == size and inclusion["hashes"]
    assert consistency["size"] == size and consistency["root"] == report["root"]
    assert checkpoint.status_code == 200 and checkpoint.text.splitlines()[1] == str(size)
    assert "\u2014 accord-test " in checkpoint.text
    assert [e["seq"] for e in lines] == sorted(e["seq"] for e in lines) and lines[0]["case"] == "R-1"


def test_health_metrics_and_openapi(served: tuple[Served, dict[str, str]]) -> None:
    server, tokens = served
    assert httpx.get(f"{server.base}/healthz").json() == {"ok": True}
    with server.client(tokens["admin"]) as admin:
        metrics = admin.get("/metrics").text
    for name in ("accord_events_recorded_total", "accord_http_requests_total", "accord_http_denials_total",
                 "accord_commit_seconds_bucket", "accord_queue_items", "accord_exceptions_overdue",
                 "accord_commit_waiting"):
        assert name in metrics
    spec = httpx.get(f"{server.base}/openapi.json").json()
    assert spec["openapi"] == "3.1.0" and len(spec["paths"]) >= 23
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


# -- what is not right gets its 4xx, never a 500 ------------------------------------------------------

BAD_BODIES = [
    ("malformed JSON", b'[{"case": ', "application/json", 400),
    ("invalid UTF-8", b'[{"case": "\xff\xfe"}]', "application/json", 400),
    ("deep nesting", b"[" * 5000 + b"]" * 5000, "application/json", 400),
    ("repeated key", b'[{"case": "A", "case": "B"}]', "application/json", 400),
    ("not an array", b'{"case": "A"}', "application/json", 400),
    ("wrong content type", b"[]", "text/plain", 415),
    ("no content type", b"[]", "", 415),
    ("too large", b"[" + b" " * 300_000 + b"]", "application/json", 413),
    ("too many events", json.dumps([{}] * 10_001).encode(), "application/json", 413),
    ("malformed NDJSON line", b'{"case": "A"}\n{oops\n', "application/x-ndjson", 400),
    ("an event the ledger refuses", json.dumps([{"case": "X-1", "type": "case.opened",
                                                  "at": "2026-03-02T09:00:00Z",
                                                  "data": {"workflow": "refund-replies",
                                                           "attributes": {"amount": True}}}]).encode(),
     "application/json", 422),
]


@pytest.mark.parametrize(("what", "body", "kind", "status"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_input_gets_its_status_in_the_error_shape_and_stores_nothing(
        served: tuple[Served, dict[str, str]], what: str, body: bytes, kind: str, status: int) -> None:
    server, tokens = served
    before = log_size(server.url)
    headers = {"Content-Type": kind} if kind else {}
    with server.client(tokens["system"]) as c:
        got = c.post("/v1/events", content=body, headers=headers)
    assert got.status_code == status, got.text
    answer = got.json()
    assert set(answer) == {"status", "error", "message", "errors"} and answer["status"] == status
    assert log_size(server.url) == before


def test_refusals_name_each_event_by_index(served: tuple[Served, dict[str, str]]) -> None:
    server, tokens = served
    events = case_events("IX-1", amount=40)
    events[2] = {**events[2], "data": {**events[2]["data"], "confidence": 7}}
    with server.client(tokens["system"]) as c:
        got = c.post("/v1/events", json=events)
    assert got.status_code == 422
    assert [(e["index"], e["path"]) for e in got.json()["errors"]] == [(2, "data.confidence")]


def test_unknown_routes_and_methods_answer_in_the_error_shape(served: tuple[Served, dict[str, str]]) -> None:
    server, _ = served
    assert httpx.get(f"{server.base}/v2/nothing").json()["error"] == "not_found"
    assert httpx.delete(f"{server.base}/v1/events").json()["error"] == "method_not_allowed"


# -- group commit -----------------------------------------------------------------------------------------


def test_concurrent_single_event_requests_share_commits_and_a_refusal_touches_no_other(
        served: tuple[Served, dict[str, str]]) -> None:
    server, tokens = served
    with server.client(tokens["admin"]) as admin:
        before = _commits(admin.get("/metrics").text)
    bodies = [case_events(f"G-{i}", amount=40)[:1] for i in range(120)]
    for i in range(0, 120, 10):  # every tenth is refused: an attribute of the wrong type
        bodies[i][0]["data"]["attributes"]["amount"] = "forty"
    with server.client(tokens["system"]) as c, concurrent.futures.ThreadPoolExecutor(24) as pool:
        answers = list(pool.map(lambda b: c.post("/v1/events", json=b), bodies))
    assert [a.status_code for a in answers] == [422 if i % 10 == 0 else 200 for i in range(120)]
    with server.client(tokens["admin"]) as admin:
        commits, requests = _commits(admin.get("/metrics").text)
        stored = {e["case"] for e in map(json.loads, admin.get("/v1/export").text.splitlines())
                  if e["type"] == "case.opened"}
    assert {f"G-{i}" for i in range(120) if i % 10} <= stored
    assert not {f"G-{i}" for i in range(0, 120, 10)} & stored
    assert requests - before[1] == 120 and commits - before[0] < 120  # some commits held several requests


def _commits(metrics: str) -> tuple[int, int]:
    values = {line.split("{")[0]: int(float(line.rsplit(" ", 1)[1])) for line in metrics.splitlines()
              if line.startswith(("accord_commit_seconds_count", "accord_commit_requests_total"))}
    return values["accord_commit_seconds_count"], values["accord_commit_requests_total"]


def test_sigterm_finishes_the_requests_in_flight(sqlite_url: str, tmp_path: Path) -> None:
    tokens = seed(sqlite_url)
    server = Served(sqlite_url, tmp_path / "serve.log")
    with server, server.client(tokens["system"], timeout=60) as c:
        answers: list[httpx.Response] = []
        started = threading.Event()

        def post(i: int) -> None:
            started.set()
            with contextlib.suppress(httpx.HTTPError):  # sent after the server stopped listening
                answers.append(c.post("/v1/events", json=_events(500, f"T{i}")))

        workers = [threading.Thread(target=post, args=(i,)) for i in range(4)]
        for w in workers:
            w.start()
        started.wait(10)
        server.proc.send_signal(signal.SIGTERM)
        for w in workers:
            w.join(60)
        assert server.stop() in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once drained
    assert answers and all(a.status_code == 200 for a in answers), [a.text[:200] for a in answers]
    with accord.open(sqlite_url, create=False) as ledger:
        stored = {e.case for e in ledger.events() if e.type == "case.opened"}
        assert ledger.verify().ok
    assert len(stored) >= 1 + 500 * len(answers)
