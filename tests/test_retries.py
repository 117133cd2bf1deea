"""Re-running a job adds nothing: client event ids are unique in a ledger, a repeat is skipped
and counted; the SDK gives ids where a re-run makes the same ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.errors import EventRefused
from accord.ledger import Ledger
from tests.helpers import at, count, event, opened, output, run_case, run_cli


def test_an_event_whose_id_is_stored_is_skipped_and_counted(refunds: Ledger) -> None:
    batch = [{**opened("R-1"), "id": "job-7/R-1/open"}, {**output("R-1"), "id": "job-7/R-1/out"}]
    first = refunds.record_many(batch)
    assert (first.recorded, first.duplicates) == (2, 0)
    size = count(refunds)
    again = refunds.record_many(batch)
    assert (again.recorded, again.duplicates, again.first_seq) == (0, 2, None)
    assert count(refunds) == size, "the re-run added nothing"
    assert next(refunds.events("R-1")).id == "job-7/R-1/open"


def test_a_repeat_within_one_batch_is_skipped_too(refunds: Ledger) -> None:
    done = refunds.record_many([{**opened("R-2"), "id": "a"}, {**opened("R-2"), "id": "a"}])
    assert (done.recorded, done.duplicates) == (1, 1)


def test_a_batch_with_a_new_event_beside_repeats_records_only_the_new_one(refunds: Ledger) -> None:
    refunds.record_many([{**opened("R-3"), "id": "o"}])
    done = refunds.record_many([{**opened("R-3"), "id": "o"}, {**output("R-3"), "id": "p"}])
    assert (done.recorded, done.duplicates) == (1, 1)
    assert [e.type for e in refunds.events("R-3")] == ["case.opened", "output.generated", "routing.decided"]


@pytest.mark.parametrize("bad", ["", "x" * 129, "tab\there", 7])
def test_an_event_id_is_one_to_128_printable_characters(refunds: Ledger, bad: object) -> None:
    with pytest.raises(EventRefused, match="id: must be 1 to 128 printable characters"):
        refunds.record_many([{**opened("R-4"), "id": bad}])


def test_the_id_is_part_of_the_hashed_record_and_the_export(refunds: Ledger) -> None:
    refunds.record_many([{**opened("R-5"), "id": "import-2026-03/17"}])
    record = next(refunds.events("R-5"))
    assert record.export()["id"] == "import-2026-03/17"
    assert refunds.verify().ok


def test_record_json_reports_duplicates(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        refunds: Ledger) -> None:
    url = str(refunds.store.url)
    refunds.close()
    lines = tmp_path / "e.jsonl"
    lines.write_text(json.dumps({**opened("R-6"), "id": "one"}) + "\n")
    code, out, _ = run_cli(capsys, "--db", url, "record", str(lines), "--json")
    assert code == 0 and json.loads(out)["duplicates"] == 0
    code, out, _ = run_cli(capsys, "--db", url, "record", str(lines), "--json")
    assert code == 0 and json.loads(out) == {"recorded": 0, "first_seq": None, "last_seq": None,
                                             "duplicates": 1}


def test_the_sdk_makes_rerunning_a_job_add_nothing(refunds: Ledger) -> None:
    """Cases opened with ledger.case and events given their ``at`` get ids a re-run makes again."""
    run_case(refunds, "R-7", attests=["correct", "appropriately_toned"])
    size = count(refunds)
    run_case(refunds, "R-7", attests=["correct", "appropriately_toned"])
    assert count(refunds) == size
    ids = [e.id for e in refunds.events("R-7") if e.actor != "system:accord"]
    assert ids[0] == "R-7/case.opened" and all(i and i.startswith("sdk:") for i in ids[1:])


def test_the_sdk_refuses_to_resume_a_case_with_other_attributes(refunds: Ledger) -> None:
    refunds.case("refund-replies", "R-8", {"amount": 40, "tier": "standard", "risk": 0.1}, at=at(0))
    assert refunds.case("refund-replies", "R-8").id == "R-8", "resuming without attributes is fine"
    with pytest.raises(EventRefused, match=r"already open .* a case keeps the attributes it opened with"):
        refunds.case("refund-replies", "R-8", {"amount": 400, "tier": "standard", "risk": 0.1})
    with pytest.raises(EventRefused, match="belongs to workflow 'refund-replies'"):
        refunds.case("claims-triage", "R-8")


def test_events_without_an_id_are_recorded_each_time(refunds: Ledger) -> None:
    refunds.record_many([opened("R-9")])
    refunds.record_many([event("R-9", "input.received", "2026-03-02T09:00:30Z", {"content": "hi"})])
    refunds.record_many([event("R-9", "input.received", "2026-03-02T09:00:30Z", {"content": "hi"})])
    assert [e.type for e in refunds.events("R-9")].count("input.received") == 2
