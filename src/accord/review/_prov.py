"""W3C PROV-JSON export of the log (`accord export --format prov-json`).

Each record becomes an activity (its type and time), each actor an agent
associated with it, and each case an entity the activities used; outputs,
edits and actions also generate an entity holding their content.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from accord.store.stored import StoredEvent

_GENERATES = {"output.generated", "human.edited", "action.taken", "routing.decided",
              "review.recorded", "exception.decided"}


def prov_document(events: Iterable[StoredEvent]) -> dict[str, Any]:
    """A PROV-JSON document (prefix, entity, activity, agent and relations)."""
    doc: dict[str, Any] = {
        "prefix": {"accord": "urn:accord:", "prov": "http://www.w3.org/ns/prov#"},
        "entity": {}, "activity": {}, "agent": {}, "used": {}, "wasGeneratedBy": {},
        "wasAssociatedWith": {},
    }
    for e in events:
        activity = f"accord:record/{e.seq}"
        doc["activity"][activity] = {
            "prov:startTime": e.at, "prov:endTime": e.at, "prov:type": f"accord:{e.type}",
            "accord:seq": e.seq, "accord:leaf_hash": e.leaf_hash.hex(),
            "accord:workflow": e.workflow, "accord:contract_version": e.contract_version,
        }
        agent = f"accord:actor/{e.actor}"
        doc["agent"].setdefault(agent, {
            "prov:type": "prov:SoftwareAgent" if e.actor.startswith("system:") else "prov:Person"})
        doc["wasAssociatedWith"][f"_:assoc{e.seq}"] = {"prov:activity": activity, "prov:agent": agent}
        if e.case is not None:
            case = f"accord:case/{e.case}"
            doc["entity"].setdefault(case, {"prov:type": "accord:case", "accord:workflow": e.workflow})
            doc["used"][f"_:use{e.seq}"] = {"prov:activity": activity, "prov:entity": case}
        if e.type in _GENERATES:
            entity = f"accord:evidence/{e.seq}"
            doc["entity"][entity] = {"prov:type": f"accord:{e.type}", "prov:value": e.data}
            doc["wasGeneratedBy"][f"_:gen{e.seq}"] = {"prov:entity": entity, "prov:activity": activity,
                                                      "prov:time": e.at}
    return doc
