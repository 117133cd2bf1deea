"""The OpenAPI 3.1 description of every operation `accord serve` answers, served at /openapi.json.

Built from one table (:data:`OPERATIONS`): each operation's parameters, body and answer
schema; every operation documents the error shape for each status it can give.
"""

from __future__ import annotations

from typing import Any

import accord
from accord.runtime.events import CLIENT_TYPES

S = dict[str, Any]


def ref(name: str) -> S:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: S, required: tuple[str, ...] = (), extra: bool = True) -> S:
    out: S = {"type": "object", "properties": properties, "additionalProperties": extra}
    if required:
        out["required"] = list(required)
    return out


STR: S = {"type": "string"}
INT: S = {"type": "integer"}
NULL_STR: S = {"type": ["string", "null"]}
NULL_INT: S = {"type": ["integer", "null"]}
STRS: S = {"type": "array", "items": STR}
ANY_OBJ: S = {"type": "object"}

SCHEMAS: dict[str, S] = {
    "Error": obj({"status": INT, "error": {"enum": [
                      "bad_request", "unauthorized", "forbidden", "not_found", "method_not_allowed",
                      "too_large",
                      "unsupported_media_type", "refused", "internal", "unavailable"]},
                  "message": STR,
                  "errors": {"type": "array", "items": obj({"index": NULL_INT, "path": STR, "message": STR},
                                                           ("index", "path", "message"))}},
                 ("status", "error", "message", "errors")),
    "Event": obj({"id": STR, "case": STR, "type": {"enum": list(CLIENT_TYPES)},
                  "at": {"type": "string", "format": "date-time"}, "actor": STR, "data": ANY_OBJ,
                  "note": STR}, ("case", "type", "at", "data"), extra=False),
    "StoredEvent": obj({"seq": INT, "case": NULL_STR, "workflow": NULL_STR, "type": STR, "at": STR,
                        "actor": STR, "data": ANY_OBJ, "contract_version": NULL_INT, "recorded_at": STR,
                        "leaf_hash": STR,
                        "note": STR, "id": STR}, ("seq", "type", "at", "actor", "data", "leaf_hash")),
    "Recorded": obj({"recorded": INT, "first_seq": NULL_INT, "last_seq": NULL_INT, "duplicates": INT,
                     "routes": {"type": "object", "additionalProperties": ANY_OBJ}},
                    ("recorded", "first_seq", "last_seq", "routes")),
    "Case": obj({"case": STR, "workflow": NULL_STR, "contract_version": NULL_INT,
                 "events": {"type": "array", "items": ref("StoredEvent")},
                 "evidence": obj({"present": {"type": "object", "additionalProperties": {
                     "type": "array", "items": INT}}, "missing": STRS}, ("present", "missing")),
                 "route": {"type": ["object", "null"]}}, ("case", "workflow", "events", "evidence", "route")),
    "Seq": obj({"seq": INT}, ("seq",)),
    "ReviewAnswer": obj({"seq": INT, "approval_holds": {"type": "boolean"}, "unattested": STRS},
                        ("seq", "approval_holds", "unattested")),
    "Queue": obj({"items": {"type": "array", "items": obj({
        "case": STR, "workflow": STR, "role": NULL_STR, "since": STR, "due": NULL_STR,
        "overdue": {"type": "boolean"}}, ("case", "workflow", "role", "since", "due", "overdue"))}},
        ("items",)),
    "Findings": obj({"findings": {"type": "array", "items": obj({
        "rule": STR, "workflow": NULL_STR, "case": NULL_STR, "seq": NULL_INT, "message": STR},
        ("rule", "workflow", "case", "seq", "message"))}}, ("findings",)),
    "Drill": obj({"workflows": {"type": "array", "items": obj({
        "workflow": STR, "cases": INT, "ready": INT, "readiness": {"type": ["number", "null"]},
        "failing": {"type": "object", "additionalProperties": INT},
        "examples": {"type": "object", "additionalProperties": STRS}},
        ("workflow", "cases", "ready", "readiness", "failing", "examples"))}}, ("workflows",)),
    "IncidentOpened": obj({"incident": STR, "case": STR, "causes": STRS, "learning_actions": {
        "type": "array", "items": ANY_OBJ}}, ("incident", "case", "causes", "learning_actions")),
    "Incidents": obj({"incidents": {"type": "array", "items": ANY_OBJ}}, ("incidents",)),
    "IncidentReview": obj({"incident": STR, "case": STR, "questions": ANY_OBJ,
                           "ten_minute_test": {"enum": ["pass", "fail"]}},
                          ("incident", "case", "questions", "ten_minute_test")),
    "LearningAction": obj({"id": STR, "incident": STR, "case": NULL_STR, "workflow": NULL_STR, "cause": STR,
                           "artefact": STR, "role": NULL_STR, "person": NULL_STR, "due": STR, "status": STR,
                           "change": NULL_STR, "overdue": {"type": "boolean"}}, ("id", "status")),
    "LearningActions": obj({"learning_actions": {"type": "array", "items": ref("LearningAction")}},
                           ("learning_actions",)),
    "Applied": obj({"version": INT, "hash": STR, "seq": INT, "workflow": STR, "new": {"type": "boolean"}},
                   ("version", "hash", "seq")),
    "Contract": obj({"workflow": STR, "version": INT, "hash": STR, "applied_at": STR, "seq": INT,
                     "contract": ANY_OBJ}, ("workflow", "version", "hash", "contract")),
    "Contracts": obj({"contracts": {"type": "array", "items": ref("Contract")}}, ("contracts",)),
    "Roster": obj({"version": INT, "hash": STR, "applied_at": STR, "seq": INT, "roster": ANY_OBJ},
                  ("version", "hash", "roster")),
    "Inclusion": obj({"seq": INT, "index": INT, "size": INT, "leaf_hash": STR, "root": STR, "hashes": STRS},
                     ("size", "root", "hashes")),
    "Consistency": obj({"size": INT, "root": STR, "hashes": STRS}, ("size", "root", "hashes")),
    "Verify": obj({"ok": {"type": "boolean"}, "size": INT, "root": STR, "first_bad": NULL_INT,
                   "problem": NULL_STR}, ("ok", "size", "root", "first_bad", "problem")),
    "Health": obj({"ok": {"type": "boolean"}}, ("ok",)),
    "ReviewBody": obj({"attests": {"type": "array", "items": STR, "minItems": 1},
                       "decision": {"enum": ["approved", "rejected", "changes_requested"]}, "note": STR,
                       "at": {"type": "string", "format": "date-time"}, "id": STR},
                      ("attests", "decision"), extra=False),
    "DecisionBody": obj({"decision": {"enum": ["approved", "rejected", "modified"]}, "note": STR,
                         "exception": STR, "at": {"type": "string", "format": "date-time"}, "id": STR},
                        ("decision",), extra=False),
    "OverrideBody": obj({"what": {"type": "string", "minLength": 1},
                         "reason": {"type": "string", "minLength": 1},
                         "note": STR, "at": {"type": "string", "format": "date-time"}, "id": STR},
                        ("what", "reason"), extra=False),
    "IncidentBody": obj({"case": STR, "failed": {"type": "array", "items": STR, "minItems": 1},
                         "faulty": {"type": "array", "items": INT},
                         "should_have_escalated": {"type": "boolean"}, "summary": STR},
                        ("case", "failed", "summary"), extra=False),
    "CloseBody": obj({"change": {"type": "string", "minLength": 1}}, ("change",), extra=False),
}

ERROR_TEXT = {400: "Not JSON, or the wrong shape", 401: "No valid token", 403: "Not allowed to the caller",
              404: "No such object, or not one the caller may read", 413: "Too large",
              415: "Wrong Content-Type", 422: "Refused: validation, ledger rules, enforcement",
              500: "An unexpected fault (with a request id); nothing stored",
              503: "The database is unreachable; nothing stored"}


def _json(schema: S) -> S:
    return {"application/json": {"schema": schema}}


def _query(name: str, schema: S, required: bool = False, text: str = "") -> S:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": text}


def _path(name: str) -> S:
    return {"name": name, "in": "path", "required": True, "schema": STR}


NOW = _query("now", {"type": "string", "format": "date-time"}, text="Treat this time as now (RFC 3339).")
ROLE = _query("role", STR, text="Only items for this role.")
WORKFLOW = _query("workflow", STR, text="Only this workflow.")
YAML_OR_JSON = {"application/yaml": {"schema": STR}, "application/json": {"schema": ANY_OBJ}}

# method, path, summary, parameters, request body content, success status, success content
OPERATIONS: list[tuple[str, str, str, list[S], S | None, int, S]] = [
    ("post", "/v1/events", "Record a batch of events (all or nothing), as the caller; at most 10,000 "
     "events (more: 413)", [],
     {"application/json": {"schema": {"type": "array", "items": ref("Event")}},
      "application/x-ndjson": {"schema": STR}}, 200, _json(ref("Recorded"))),
    ("get", "/v1/cases/{case}", "A case: its records, evidence and route", [_path("case")], None, 200,
     _json(ref("Case"))),
    ("post", "/v1/cases/{case}/reviews", "Record the caller's review of a case", [_path("case")],
     _json(ref("ReviewBody")), 201, _json(ref("ReviewAnswer"))),
    ("post", "/v1/cases/{case}/decisions", "Record the caller's decision on a raised exception",
     [_path("case")], _json(ref("DecisionBody")), 201, _json(ref("Seq"))),
    ("post", "/v1/cases/{case}/overrides", "Record the outcome owner's override", [_path("case")],
     _json(ref("OverrideBody")), 201, _json(ref("Seq"))),
    ("get", "/v1/queues/reviews", "Cases waiting for a review", [ROLE, NOW], None, 200, _json(ref("Queue"))),
    ("get", "/v1/queues/exceptions", "Exceptions waiting for a decision", [ROLE, NOW], None, 200,
     _json(ref("Queue"))),
    ("get", "/v1/findings", "Run-time findings", [WORKFLOW, NOW], None, 200, _json(ref("Findings"))),
    ("get", "/v1/drill", "Readiness for the ten-minute test", [WORKFLOW, NOW], None, 200,
     _json(ref("Drill"))),
    ("post", "/v1/incidents", "Open an incident (the outcome owner or an admin)", [],
     _json(ref("IncidentBody")), 201, _json(ref("IncidentOpened"))),
    ("get", "/v1/incidents", "Incidents the caller may read", [], None, 200, _json(ref("Incidents"))),
    ("get", "/v1/incidents/{incident}", "The ten-minute review of an incident (or its brief)",
     [_path("incident"), _query("format", {"enum": ["json", "html", "markdown"]})], None, 200,
     {**_json(ref("IncidentReview")), "text/html": {"schema": STR}, "text/markdown": {"schema": STR}}),
    ("get", "/v1/learning-actions", "Learning actions the caller may read", [NOW], None, 200,
     _json(ref("LearningActions"))),
    ("post", "/v1/learning-actions/{action}/close", "Close a learning action with the change made",
     [_path("action")], _json(ref("CloseBody")), 200, _json(ref("LearningAction"))),
    ("put", "/v1/contracts/{workflow}", "Apply a contract (admin); lint errors refuse it",
     [_path("workflow")], YAML_OR_JSON, 201, _json(ref("Applied"))),
    ("get", "/v1/contracts", "Every applied contract version", [], None, 200, _json(ref("Contracts"))),
    ("get", "/v1/contracts/{workflow}", "An applied contract (latest, or ?version=N)",
     [_path("workflow"), _query("version", {"type": "integer", "minimum": 1})], None, 200,
     _json(ref("Contract"))),
    ("put", "/v1/roster", "Apply a roster (admin)", [], YAML_OR_JSON, 201, _json(ref("Applied"))),
    ("get", "/v1/roster", "The roster in force", [], None, 200, _json(ref("Roster"))),
    ("get", "/v1/checkpoint", "A signed checkpoint of the log (C2SP signed note)", [], None, 200,
     {"text/plain": {"schema": STR}}),
    ("get", "/v1/proofs/inclusion", "An inclusion proof of record seq in the tree of size records",
     [_query("seq", {"type": "integer", "minimum": 1}, True),
      _query("size", {"type": "integer", "minimum": 1})],
     None, 200, _json(ref("Inclusion"))),
    ("get", "/v1/proofs/consistency", "A consistency proof from tree size from to size to",
     [_query("from", {"type": "integer", "minimum": 0}, True),
      _query("to", {"type": "integer", "minimum": 1})],
     None, 200, _json(ref("Consistency"))),
    ("get", "/v1/verify", "Re-hash every record and check chain and tree (auditor, admin)", [], None, 200,
     _json(ref("Verify"))),
    ("get", "/v1/export", "The log (or ?case=C) as JSON lines in seq order (auditor, admin)",
     [_query("case", STR)], None, 200, {"application/x-ndjson": {"schema": STR}}),
    ("get", "/healthz", "Whether the database answers (no token)", [], None, 200, _json(ref("Health"))),
    ("get", "/metrics", "Prometheus text (admin, auditor, system tokens)", [], None, 200,
     {"text/plain": {"schema": STR}}),
]


def document() -> S:
    """The OpenAPI 3.1 document."""
    paths: S = {}
    for method, path, summary, parameters, body, status, content in OPERATIONS:
        public = path == "/healthz"
        errors = [503, 500] if public else [400, 401, 403, 404, 413, 415, 422, 503, 500]
        if body is None:
            errors = [e for e in errors if e not in (413, 415)]
        responses: S = {str(status): {"description": "Done", "content": content}}
        for code in errors:
            answer: S = {"description": ERROR_TEXT[code], "content": _json(ref("Error"))}
            if code == 401:
                answer["headers"] = {"WWW-Authenticate": {"schema": STR, "required": True}}
            responses[str(code)] = answer
        if path.startswith(("/v1/contracts/", "/v1/roster")) and method == "put":
            responses["200"] = {"description": "Unchanged: identical to the version in force",
                                "content": content}
        name = path.strip("/").replace("/", "_").replace("{", "").replace("}", "").replace("-", "_")
        op: S = {"operationId": f"{method}_{name}", "summary": summary, "parameters": parameters,
                 "responses": responses}
        op["security"] = [] if public else [{"bearer": []}]
        if body is not None:
            op["requestBody"] = {"required": True, "content": body}
        paths.setdefault(path, {})[method] = op
    return {"openapi": "3.1.0",
            "info": {"title": "accord", "version": accord.__version__,
                     "description": "Accountability contracts and a tamper-evident evidence ledger. "
                                    "Every non-2xx answer has the Error shape."},
            "paths": paths,
            "components": {"schemas": SCHEMAS,
                           "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                          "description": "accord_<id>_<secret> from "
                                                                         "`accord token create`"}}},
            "security": [{"bearer": []}]}
