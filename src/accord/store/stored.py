"""Stored events as the core reads them: the envelope decoded from canonical bytes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import orjson

from accord._time import parse_time
from accord.store.ports import Row


@dataclass(slots=True)
class StoredEvent:
    """One log record's envelope: what `export` prints, less ``leaf_hash``."""

    seq: int
    case: str | None
    workflow: str | None
    type: str
    at: str
    actor: str
    data: dict[str, Any]
    contract_version: int | None
    recorded_at: str
    note: str | None = None
    id: str | None = None
    """The client's own id of the event, when it gave one."""
    leaf_hash: bytes = b""
    _at: dt.datetime | None = field(default=None, repr=False)
    _canonical: bytes = field(default=b"", repr=False)

    @property
    def when(self) -> dt.datetime:
        """``at`` as an aware datetime (parsed once)."""
        if self._at is None:
            self._at = parse_time(self.at)
        return self._at

    def envelope(self) -> dict[str, Any]:
        """The stored envelope whose RFC 8785 bytes are hashed (no ``leaf_hash``)."""
        env: dict[str, Any] = {
            "seq": self.seq, "case": self.case, "workflow": self.workflow, "type": self.type,
            "at": self.at, "actor": self.actor, "data": self.data,
            "contract_version": self.contract_version, "recorded_at": self.recorded_at,
        }
        if self.note is not None:
            env["note"] = self.note
        if self.id is not None:
            env["id"] = self.id
        return env

    def export(self) -> dict[str, Any]:
        """The envelope with its leaf hash (hex), as `export` and `case show` print it."""
        env = self.envelope()
        env["leaf_hash"] = self.leaf_hash.hex()
        return env

    def export_line(self) -> bytes:
        """:meth:`export` as one line of JSON. A record nested deeper than a JSON writer allows
        (stored before accord refused such input) is written from its stored bytes as they are."""
        try:
            return orjson.dumps(self.export())
        except orjson.JSONEncodeError:
            if not self._canonical.endswith(b"}"):
                raise
            return self._canonical[:-1] + b',"leaf_hash":"' + self.leaf_hash.hex().encode() + b'"}'

    @classmethod
    def from_row(cls, row: Row) -> StoredEvent:
        env = orjson.loads(row.canonical)
        return cls(
            seq=env["seq"], case=env.get("case"), workflow=env.get("workflow"),
            type=env["type"], at=env["at"], actor=env["actor"], data=env.get("data") or {},
            contract_version=env.get("contract_version"), recorded_at=env["recorded_at"],
            note=env.get("note"), id=env.get("id"), leaf_hash=row.leaf_hash, _canonical=row.canonical,
        )
