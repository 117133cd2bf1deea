"""Cases as a person reads them: one case's records, evidence and route (`case show`), and
the list of cases newest first (`case list`)."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from accord._time import parse_time
from accord.errors import IntegrityError, UsageError
from accord.integrity.verify import Tampering
from accord.runtime.core import Core
from accord.runtime.evidence import EvidenceReport, judge, last_of
from accord.runtime.recording import FUTURE_SLACK
from accord.store.ports import Row
from accord.store.stored import StoredEvent

ROUTES = ("required", "sampled_in", "sampled_out", "skipped", "not_required")
"""The review routes a case can be listed by (the ``review`` of its latest routing.decided)."""
PAGE = 500
"""Case openings read in one query while listing cases."""
_LATEST_AT = FUTURE_SLACK + dt.timedelta(minutes=15)
"""How far past its recorded_at an opening's ``at`` can lie: the recorder's slack, measured from a
clock read while the batch is built (a very large batch takes a while), and clock jitter."""


@dataclass(frozen=True)
class CaseView:
    """`accord case show`: the case's records in seq order, its evidence, its latest route."""

    case: str
    workflow: str | None
    contract_version: int | None
    events: tuple[StoredEvent, ...]
    evidence: EvidenceReport
    route: StoredEvent | None
    tampered: tuple[Tampering, ...] = ()
    """Records of the case that do not re-hash to what the log holds (none when intact)."""

    def as_json(self) -> dict[str, Any]:
        """`accord case show --json` (with ``tampered`` only when a record does not hold)."""
        out = {"case": self.case, "workflow": self.workflow, "contract_version": self.contract_version,
               "events": [e.export() for e in self.events], "evidence": self.evidence.as_json(),
               "route": self.route.data if self.route else None}
        if self.tampered:
            out["tampered"] = [t.as_json() for t in self.tampered]
        return out


def case_view(core: Core, case: str) -> CaseView:
    """The case's view, every record re-hashed on the way; raises NotFound for an unknown case."""
    events, tampered = core.checked_case(case)
    if not events or events[0].type != "case.opened":
        raise IntegrityError(f"case {case!r}: its opening record does not hold: "
                             + "; ".join(t.problem for t in tampered))
    report = judge(core.case_contract(events), events, core.book.roles())
    opened = events[0]
    return CaseView(case, opened.workflow, opened.contract_version, tuple(events), report,
                    last_of(events, "routing.decided"), tuple(tampered))


@dataclass(frozen=True)
class CaseSummary:
    """One line of `accord case list`: a case, where it stands and when it last moved."""

    case: str
    workflow: str
    contract_version: int | None
    opened_at: str
    """The ``at`` of its case.opened."""
    route: str | None
    """The ``review`` of its latest routing.decided (``required``, ``skipped`` …); None before an output."""
    closed: bool
    """Whether an action.taken is recorded."""
    closed_at: str | None
    """The ``at`` of its last action.taken."""
    last_at: str
    """The latest ``at`` among its records."""
    records: int
    """How many records the log holds for it (accord's own included)."""

    def as_json(self) -> dict[str, Any]:
        """One item of `accord case list --json`."""
        return {"case": self.case, "workflow": self.workflow, "contract_version": self.contract_version,
                "opened_at": self.opened_at, "route": self.route, "closed": self.closed,
                "closed_at": self.closed_at, "last_at": self.last_at, "records": self.records}


def list_cases(core: Core, *, workflow: str | None = None, route: str | None = None,
               closed: bool | None = None, since: dt.datetime | None = None,
               until: dt.datetime | None = None, finding: str | None = None,
               now: dt.datetime | None = None, limit: int | None = 50) -> list[CaseSummary]:
    """Cases newest first by their opening's ``at`` (then seq), filtered, at most ``limit``;
    ``finding`` keeps cases with a run-time finding of that rule at ``now`` (which ticks first,
    as the findings do). Raises UsageError for an unknown route or finding rule."""
    from accord.runtime.findings import DETECTORS, find  # findings build on what this module reads

    if route is not None and route not in ROUTES:
        raise UsageError(f"route {route!r} is not one of {', '.join(ROUTES)}")
    only: set[str] | None = None
    if finding is not None:
        if finding not in DETECTORS:
            raise UsageError(f"finding {finding!r} is not a finding rule: use one of {', '.join(DETECTORS)}")
        only = {f.case for f in find(core, now or core.clock.now(), workflow)
                if f.rule == finding and f.case is not None}
    return _list_cases(core, workflow=workflow, route=route, closed=closed, since=since, until=until,
                       only=only, limit=limit)


def _list_cases(core: Core, *, workflow: str | None, route: str | None, closed: bool | None,
                since: dt.datetime | None, until: dt.datetime | None, only: Collection[str] | None,
                limit: int | None) -> list[CaseSummary]:
    """Cases newest first by their opening's ``at`` (then seq), filtered, at most ``limit``.

    ``since`` is inclusive and ``until`` exclusive, both on the opening's ``at``;
    ``only`` keeps just these case ids. Openings are read by the kind index a page
    at a time, newest recorded first, and the read stops once no older opening can
    still make the list: an opening's ``at`` lies at most a few minutes past its
    recording (the recorder refuses later ones), and recording times rise with seq.
    A case's own records are read only for the openings that pass the other filters
    when ``route`` or ``closed`` needs them, and for the cases listed.
    """
    kept: list[tuple[dt.datetime, int, str]] = []  # a min-heap of the best `limit` so far
    per_case = route is not None or closed is not None
    before: int | None = None
    with core.store.reading() as r:
        while True:
            rows = r.latest_kind_rows(["case.opened"], PAGE, before)
            if not rows:
                break
            before = rows[-1].seq
            openings = [o for o in map(_decoded, rows) if o is not None and o.case is not None
                        and (workflow is None or o.workflow == workflow)
                        and (only is None or o.case in only)
                        and (since is None or o.when >= since) and (until is None or o.when < until)]
            if openings and per_case:
                states = _states(r.case_rows([o.case for o in openings if o.case is not None]))
                openings = [o for o in openings if _matches(states.get(o.case or ""), route, closed)]
            for o in openings:
                assert o.case is not None
                key = (o.when, o.seq, o.case)
                if limit is None or len(kept) < limit:
                    heapq.heappush(kept, key)
                elif key > kept[0]:
                    heapq.heapreplace(kept, key)
            if len(rows) < PAGE:
                break  # that was the oldest page
            oldest = _decoded(rows[-1])
            if oldest is None:
                continue  # a record that does not decode (verify names it) bounds nothing
            latest_possible = parse_time(oldest.recorded_at) + _LATEST_AT
            if since is not None and latest_possible < since:
                break  # every older opening lies before `since`
            if limit is not None and len(kept) >= limit and latest_possible < kept[0][0]:
                break  # every older opening lies before the last one listed
        chosen = [case for _, _, case in sorted(kept, reverse=True)]
        records = _grouped(r.case_rows(chosen)) if chosen else {}
    return [_summary(records[case]) for case in chosen if case in records]


def _decoded(row: Row) -> StoredEvent | None:
    try:
        return StoredEvent.from_row(row)
    except (ValueError, KeyError, TypeError):  # tampered bytes: verify and case show name them
        return None


def _grouped(rows: Sequence[Row]) -> dict[str, list[StoredEvent]]:
    """Rows of several cases (in seq order) as each case's records; undecodable ones left out."""
    out: dict[str, list[StoredEvent]] = {}
    for e in map(_decoded, rows):
        if e is not None and e.case is not None:
            out.setdefault(e.case, []).append(e)
    return out


def _states(rows: Sequence[Row]) -> dict[str, tuple[str | None, bool]]:
    """Each case's latest route and whether it is closed, from its rows."""
    return {case: _route_and_closed(events) for case, events in _grouped(rows).items()}


def _route_and_closed(events: Sequence[StoredEvent]) -> tuple[str | None, bool]:
    routed = last_of(list(events), "routing.decided")
    return (routed.data.get("review") if routed else None,
            any(e.type == "action.taken" for e in events))


def _matches(state: tuple[str | None, bool] | None, route: str | None, closed: bool | None) -> bool:
    if state is None:
        return False
    return (route is None or state[0] == route) and (closed is None or state[1] == closed)


def _summary(events: list[StoredEvent]) -> CaseSummary:
    opened = events[0]
    assert opened.case is not None and opened.workflow is not None
    route, closed = _route_and_closed(events)
    actions = [e for e in events if e.type == "action.taken"]
    return CaseSummary(opened.case, opened.workflow, opened.contract_version, opened.at, route, closed,
                       actions[-1].at if actions else None, max(events, key=lambda e: e.when).at,
                       len(events))
