"""`accord case list` and `Ledger.cases`: newest first by the opening's `at`, each filter, the
JSON items, and a read bounded by the page it lists (openings through the kind index)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from accord.ledger import Ledger
from accord.runtime import cases as listing
from accord.testing import FixedClock
from tests.cli_scenarios import (
    REVIEWED,
    SKIPPED,
    CliLedger,
    action,
    cli,
    full_case,
    jcli,
    opened,
    refund_case,
    write_contract,
    write_events,
)
from tests.helpers import CLOCK_AT
from tests.helpers import opened as raw_opened

Capsys = pytest.CaptureFixture[str]
ITEM_KEYS = ["case", "workflow", "contract_version", "opened_at", "route", "closed", "closed_at",
             "last_at", "records"]


def at(event: dict[str, Any], when: str) -> dict[str, Any]:
    return {**event, "at": when}


def listed(capsys: Capsys, db: str, *args: str) -> list[str]:
    return [c["case"] for c in jcli(capsys, db, "case", "list", *args)["cases"]]


@pytest.fixture
def month(capsys: Capsys, tmp_path: Path) -> CliLedger:
    """Five refund cases over five days (R-1 oldest), recorded out of order, one left open:
    R-2 is a backfill, recorded last with the earliest day but one."""
    ledger = CliLedger(capsys, tmp_path)
    ledger.record(refund_case("R-1", day="2026-07-01", attests=REVIEWED))
    ledger.record(refund_case("R-3", day="2026-07-03", **SKIPPED))
    ledger.record(refund_case("R-4", day="2026-07-04", attests=REVIEWED, policy=None))
    ledger.record(refund_case("R-5", day="2026-07-05", attests=REVIEWED)[:4])  # no action: open
    ledger.record(refund_case("R-2", day="2026-07-02", attests=REVIEWED))
    return ledger


def test_cases_are_listed_newest_first_by_when_they_opened(month: CliLedger) -> None:
    """By the opening's `at`, not by recording order: the backfilled R-2 sits in its place."""
    assert listed(month.capsys, month.db) == ["R-5", "R-4", "R-3", "R-2", "R-1"]


def test_each_item_says_where_the_case_stands(month: CliLedger) -> None:
    items = {c["case"]: c for c in jcli(month.capsys, month.db, "case", "list")["cases"]}
    assert list(items["R-3"]) == ITEM_KEYS
    assert items["R-3"] == {"case": "R-3", "workflow": "refund-replies", "contract_version": 1,
                            "opened_at": "2026-07-03T09:00:00Z", "route": "skipped", "closed": True,
                            "closed_at": "2026-07-03T09:10:00Z", "last_at": "2026-07-03T09:10:00Z",
                            "records": 7}
    assert (items["R-5"]["closed"], items["R-5"]["closed_at"], items["R-5"]["route"]) == \
        (False, None, "required")


@pytest.mark.parametrize(("args", "cases"), [
    (["--open"], ["R-5"]),
    (["--closed"], ["R-4", "R-3", "R-2", "R-1"]),
    (["--route", "skipped"], ["R-3"]),
    (["--route", "required", "--closed"], ["R-4", "R-2", "R-1"]),
    (["--since", "2026-07-02T09:00:00Z", "--until", "2026-07-04T09:00:00Z"], ["R-3", "R-2"]),
    (["--limit", "2"], ["R-5", "R-4"]),
    (["--closed", "--limit", "1"], ["R-4"]),
    (["--workflow", "claims-triage"], []),
    (["--finding", "evidence-gap", "--now", "2026-07-10T00:00:00Z"], ["R-4"]),
])
def test_filters(month: CliLedger, args: list[str], cases: list[str]) -> None:
    assert listed(month.capsys, month.db, *args) == cases


def test_text_lists_one_case_a_line_and_says_when_the_limit_cut(month: CliLedger) -> None:
    code, out, err = month.cli("case", "list", "--limit", "2")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["case", "workflow", "opened"]
    assert lines[1].split() == ["R-5", "refund-replies", "2026-07-05T09:00:00Z", "required", "open",
                                "2026-07-05T09:03:00Z"]
    assert "the newest 2 cases shown; --limit N shows more" in err
    code, out, _ = month.cli("case", "list", "--route", "sampled_in")
    assert code == 0 and out == "no cases match\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--route", "maybe"], "'maybe' is not one of"),
    (["--finding", "nope"], "'nope' is not one of"),
    (["--since", "yesterday"], "--since: 'yesterday' is not an RFC 3339 time"),
    (["--limit", "0"], "--limit"),
    (["--open", "--closed", "--route", "x"], "--route"),
])
def test_bad_values_are_usage_errors(month: CliLedger, args: list[str], message: str) -> None:
    code, out, err = month.cli("case", "list", *args)
    assert code == 2 and out == "" and message in err and "Traceback" not in err


def test_on_every_backend(db_url: str, tmp_path: Path, capsys: Capsys) -> None:
    cli(capsys, db_url, "contract", "apply", write_contract(tmp_path))
    events = [*full_case("B-1"), action("B-1"), at(opened("B-0"), "2026-03-02T08:00:00Z"),
              at(opened("B-2"), "2026-03-02T09:30:00Z")]
    assert cli(capsys, db_url, "record", write_events(tmp_path, "b.jsonl", events))[0] == 0
    assert listed(capsys, db_url) == ["B-2", "B-1", "B-0"]
    assert listed(capsys, db_url, "--closed") == ["B-1"]
    assert listed(capsys, db_url, "--open", "--limit", "1") == ["B-2"]


def test_an_empty_ledger_says_how_cases_arrive(tmp_path: Path, capsys: Capsys) -> None:
    ledger = CliLedger(capsys, tmp_path)
    assert ledger.ok("case", "list") == "no cases recorded yet: see `accord record --help`\n"


# -- a bounded read ------------------------------------------------------------------------------------


class Pages:
    """Counts the pages of openings `case list` reads."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, size: int) -> None:
        from accord.store import sql

        monkeypatch.setattr(listing, "PAGE", size)
        self.calls = 0
        original = sql._Txn.latest_kind_rows

        def counted(txn: Any, *args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return original(txn, *args, **kwargs)

        monkeypatch.setattr(sql._Txn, "latest_kind_rows", counted)


def hourly(ledger: Ledger, clock: FixedClock, cases: int) -> None:
    """Open ``cases`` cases an hour apart, each recorded when it opened."""
    for i in range(cases):
        clock.advance(dt.timedelta(hours=1))
        when = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        ledger.record_many([raw_opened(f"H-{i}", at=when)])


def test_a_short_list_reads_one_page_of_openings(
        refunds: Ledger, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The newest three of 40 cases: once a page's oldest opening was recorded too early to beat
    the third, no older page is read."""
    hourly(refunds, clock, 40)
    pages = Pages(monkeypatch, 5)
    assert [c.case for c in refunds.cases(limit=3)] == ["H-39", "H-38", "H-37"]
    assert pages.calls == 1
    pages.calls = 0
    assert [c.case for c in refunds.cases(since=CLOCK_AT + dt.timedelta(hours=31))] == \
        [f"H-{i}" for i in range(39, 29, -1)]
    assert pages.calls == 3, "the page after H-30's holds only openings before --since"
    pages.calls = 0
    assert len(refunds.cases(limit=None)) == 40
    assert pages.calls == 9, "every page, and the empty one after a full last page"


def test_a_backfilled_case_is_not_lost_by_stopping_early(
        refunds: Ledger, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """A case recorded long after it opened is placed by its `at`, and one recorded early with a
    late `at` cannot exist: the recorder refuses an `at` past its recording."""
    hourly(refunds, clock, 12)
    refunds.record_many([raw_opened("OLD", at="2026-01-01T00:00:00Z")])
    pages = Pages(monkeypatch, 4)
    newest = [c.case for c in refunds.cases(limit=2)]
    assert newest == ["H-11", "H-10"] and pages.calls == 1
    assert [c.case for c in refunds.cases(limit=20)][-1] == "OLD"


def test_json_is_documented_in_the_help(month: CliLedger) -> None:
    code, out, _ = month.cli("case", "list", "--help")
    assert code == 0 and all(f'"{key}"' in out for key in ITEM_KEYS)
    assert json.loads(month.ok("case", "list", "--json", "--limit", "1"))["cases"][0]["case"] == "R-5"
