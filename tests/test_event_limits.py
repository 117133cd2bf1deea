"""What one event may be: its time within the case and not in the future, its size, its nesting,
its ids and people written cleanly."""

from __future__ import annotations

import pytest

from accord.errors import EventRefused
from accord.ledger import Ledger
from accord.runtime import events
from tests.helpers import count, event, opened, output


def test_an_event_dated_before_its_case_opened_is_refused(refunds: Ledger) -> None:
    refunds.record_many([opened("R-1", at="2026-03-02T09:00:00Z")])
    early = event("R-1", "input.received", "2026-03-02T08:59:59Z", {"content": "hi"})
    with pytest.raises(EventRefused, match="before case 'R-1' opened"):
        refunds.record_many([early])


def test_an_event_more_than_five_minutes_in_the_future_is_refused(refunds: Ledger) -> None:
    now = refunds.clock.now()
    soon = (now + __import__("datetime").timedelta(minutes=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = (now + __import__("datetime").timedelta(minutes=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    refunds.record_many([opened("R-2", at=soon)])
    with pytest.raises(EventRefused, match="more than 5 minutes after now"):
        refunds.record_many([opened("R-3", at=later)])
    with pytest.raises(EventRefused, match="more than 5 minutes"):
        refunds.record_many([opened("R-4", at="2099-01-01T00:00:00Z")])


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-23:59"])
def test_a_time_beyond_the_calendar_in_utc_is_a_clear_refusal(refunds: Ledger, at: str) -> None:
    with pytest.raises(EventRefused, match="outside the years 0001 to 9999"):
        refunds.record_many([opened("R-5", at=at)])


def test_an_event_over_the_size_limit_is_refused_with_its_size(
        refunds: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_MAX_EVENT_BYTES", "4096")
    events.max_event_bytes.cache_clear()
    try:
        refunds.record_many([opened("R-6")])
        big = output("R-6", content="x" * 5000)
        before = count(refunds)
        too_big = r"the event is 5,\d{3} bytes as canonical JSON; the limit is 4,096"
        with pytest.raises(EventRefused, match=too_big):
            refunds.record_many([big])
        assert count(refunds) == before
    finally:
        monkeypatch.delenv("ACCORD_MAX_EVENT_BYTES")
        events.max_event_bytes.cache_clear()


def test_the_default_limit_is_one_mebibyte() -> None:
    assert events.max_event_bytes() == 1 << 20


def test_data_nested_deeper_than_64_levels_is_refused_with_its_path(refunds: Ledger) -> None:
    deep: object = "bottom"
    for _ in range(70):
        deep = {"k": deep}
    with pytest.raises(EventRefused, match=r"data\.content(\.k){63}: nested deeper than 64 levels"):
        refunds.record_many([opened("R-7"), event("R-7", "input.received", "2026-03-02T09:00:01Z",
                                                  {"content": deep})])


@pytest.mark.parametrize(("field", "value", "message"), [
    ("reviewer", "SYSTEM:x", "must be a person"),
    ("reviewer", " system:x", "must be a person"),
    ("reviewer", " ann@example.com", "spaces around it"),
    ("reviewer", "ann\x1b[2J@example.com", "control or invisible character"),
])
def test_people_are_written_cleanly_and_a_system_never_reviews(
        refunds: Ledger, field: str, value: str, message: str) -> None:
    refunds.record_many([opened("R-8"), output("R-8")])
    review = event("R-8", "review.recorded", "2026-03-02T09:02:00Z",
                   {field: value, "attests": ["correct"], "decision": "approved"}, actor="ann@example.com")
    with pytest.raises(EventRefused, match=message):
        refunds.record_many([review])


@pytest.mark.parametrize(("case", "message"), [
    ("R\x00-9", "control or invisible"), ("x" * 257, "at most 256"), (" R-9", "spaces around it")])
def test_case_ids_are_bounded_and_printable_on_every_backend(refunds: Ledger, case: str,
                                                            message: str) -> None:
    with pytest.raises(EventRefused, match=message):
        refunds.record_many([opened(case)])


def test_a_lone_surrogate_is_a_refused_event_not_a_crash(refunds: Ledger) -> None:
    with pytest.raises(EventRefused, match="surrogate"):
        refunds.record_many([opened("R-10"), event("R-10", "input.received", "2026-03-02T09:00:01Z",
                                                   {"content": "bad \ud800 text"})])


def test_export_and_case_show_survive_a_record_deeper_than_json_writers_allow(
        tmp_path: __import__("pathlib").Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A record stored before accord refused deep nesting (300 levels here) still exports and shows."""
    import json

    import accord
    from accord.testing import FixedClock
    from tests.helpers import CLOCK_AT, refund_contract, run_cli

    url = f"sqlite:///{tmp_path}/old.db"
    deep: object = "bottom"
    for _ in range(300):
        deep = [deep]
    with accord.open(url, clock=FixedClock(CLOCK_AT)) as old:
        old.apply_contract(refund_contract())
        old.record_many([opened("D-1")])

        def build(w: object, batch: object) -> None:  # what an earlier accord stored as it came
            batch.stamp(case="D-1", workflow="refund-replies", type="input.received",  # type: ignore[attr-defined]
                        at="2026-03-02T09:00:01Z", actor="system:old", data={"content": {"k": deep}},
                        version=1)

        old._core.writer.write(build)  # type: ignore[arg-type]
    code, out, err = run_cli(capsys, "--db", url, "export")
    assert code == 0 and "Traceback" not in err
    assert json.loads(out.splitlines()[-1])["type"] == "input.received"
    code, out, err = run_cli(capsys, "--db", url, "case", "show", "D-1", "--json")
    assert code == 0 and json.loads(out)["events"][-1]["type"] == "input.received"
    assert run_cli(capsys, "--db", url, "verify")[0] == 0
