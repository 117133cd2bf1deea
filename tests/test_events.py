"""parse_event: its one-pass path for well-formed events agrees with the full checks."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.runtime import events
from accord.runtime.events import _PEOPLE_FIELDS, _parse_event_checked, parse_event

VALID_DATA: dict[str, dict[str, Any]] = {
    "case.opened": {"workflow": "refund-replies", "attributes": {"amount": 40.5, "tier": "plus"}},
    "input.received": {"content": "Where is my refund?"},
    "source.used": {"uri": "orders://1", "version": "2026-10", "excerpt": None},
    "output.generated": {"content": "We refund 40 EUR.", "model": "m-1", "prompt_version": "v7",
                         "confidence": 0.91},
    "human.edited": {"content": "We refund 45 EUR."},
    "review.recorded": {"reviewer": "ann@example.com", "attests": ["correct"], "decision": "approved"},
    "policy.applied": {"policy": "refund-limit", "version": "3", "result": "pass"},
    "exception.decided": {"decider": "dana@example.com", "decision": "approved", "exception": None},
    "override.recorded": {"by": "dana@example.com", "what": "refund-limit", "reason": "goodwill"},
    "action.taken": {"action": "email.sent", "by": "system:mailer", "content": "We refund 45 EUR."},
    "outcome.reported": {"kind": "complaint", "description": "wrong amount"},
}
TIMES = ["2026-03-02T09:00:00Z", "2026-03-02T09:00:00.250Z", "2026-03-02T10:00:00+01:00",
         "2026-03-02t09:00:00z", "2026-02-30T09:00:00Z", "2026-03-02T25:00:00Z", "2026-03-02 09:00:00Z",
         "2026-03-02T09:00:00", "2026-W10-1", "", "9999-12-31T23:59:59Z"]
ODD = st.sampled_from([None, "", 0, 1.0, True, [], {}, "system:bot", "system:bot", 2**60, float("nan"),
                       "x", "ann@example.com"])
GOOD_TIME = "2026-03-02T09:00:00Z"


@st.composite
def raw_events(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from([*VALID_DATA, *_PEOPLE_FIELDS, "routing.decided", "no.such"]))
    data: Any = dict(VALID_DATA.get(kind, {}))
    spoil = draw(st.booleans())  # half are spoiled; the rest are mostly well formed
    spoilable = [*data, "extra", _PEOPLE_FIELDS.get(kind, "reviewer"), "confidence"]
    for key in draw(st.lists(st.sampled_from(spoilable), max_size=2 if spoil else 0)):
        data[key] = draw(ODD)  # spoil a field, or add one
    raw: dict[str, Any] = {"case": "R-1", "type": kind, "at": draw(st.sampled_from([GOOD_TIME] * 4 + TIMES)),
                           "actor": "system:app", "data": data}
    if draw(st.booleans()):
        raw["note"] = draw(st.sampled_from(["why", None, 5]))
    for key in draw(st.lists(st.sampled_from(["case", "type", "at", "actor", "data", "seq", "colour"]),
                             max_size=2 if spoil else 0)):
        if draw(st.booleans()):
            raw.pop(key, None)
        else:
            raw[key] = draw(st.sampled_from(["", None, 5, [], "R-2"]))
    if spoil and draw(st.booleans()):  # a number the ledger refuses, deep inside
        nested = draw(st.sampled_from([2**60, -(2**54), float("nan"), float("inf"), 2.0**60, 7]))
        raw["data"] = {**data, "attributes": {"amount": nested}} if kind == "case.opened" else {
            **data, "content": {"n": [nested]}}
    return raw if draw(st.integers(0, 20)) else draw(st.sampled_from([[raw], "event", None]))


@settings(max_examples=1500, deadline=None)
@given(raw_events())
def test_the_fast_path_gives_the_same_answer_as_the_full_checks(raw: Any) -> None:
    assert parse_event(raw, "line 3") == _parse_event_checked(raw, "line 3")


def test_well_formed_events_of_every_type_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def unexpected(raw: Any, where: str) -> Any:
        raise AssertionError(f"the full checks ran for a well-formed event: {raw}")

    monkeypatch.setattr(events, "_parse_event_checked", unexpected)
    for kind, data in VALID_DATA.items():
        raw = {"case": "R-1", "type": kind, "at": "2026-03-02T09:00:00Z", "actor": "system:app",
               "data": data}
        parsed = parse_event(raw, "x")
        assert not isinstance(parsed, list), parsed
        assert parsed.at_text == "2026-03-02T09:00:00Z" and None not in parsed.data.values()


def test_every_single_envelope_fault_gets_the_same_answer_on_both_paths() -> None:
    """Exhaustive over one spoiled envelope field, where random drawing is thin."""
    compared = 0
    for kind, data in VALID_DATA.items():
        good = {"case": "R-1", "type": kind, "at": GOOD_TIME, "actor": "system:app", "data": data,
                "note": "n"}
        for key in [*good, "seq", "colour"]:
            variants: list[dict[str, Any]] = [{k: v for k, v in good.items() if k != key}]
            variants += [{**good, key: value} for value in ["", None, 5, [], "system:bot", *TIMES]]
            for raw in variants:
                assert parse_event(raw, "x") == _parse_event_checked(raw, "x"), raw
                compared += 1
    assert compared > 1000


def test_format_time_writes_utc_with_z_and_drops_a_zero_fraction() -> None:
    import datetime as dt

    from accord._time import format_time

    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert format_time(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)) == "2026-01-02T03:04:05Z"
    assert format_time(dt.datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=dt.UTC)) == "2026-01-02T03:04:05.000007Z"
    assert format_time(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=plus_two)) == "2026-01-02T01:04:05Z"
