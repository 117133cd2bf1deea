"""`Recorder.record_group`: independent requests in one transaction, each all or nothing."""

from __future__ import annotations

from typing import Any

import pytest

from accord.errors import EventRefused, NotFound
from accord.ledger import Ledger
from accord.runtime.recording import GroupRequest, Recorded
from tests.helpers import count, opened, output


def test_one_refused_request_leaves_the_others_whole(refunds: Ledger) -> None:
    before = count(refunds)
    out = refunds.record_group([GroupRequest([opened("A")]),
                                GroupRequest([opened("B"), output("B"), {"x": 1}]),
                                GroupRequest([output("A")]), GroupRequest([opened("B"), output("B")])])
    assert [type(o).__name__ for o in out] == ["Recorded", "EventRefused", "Recorded", "Recorded"]
    a, _, a_out, b = out
    assert isinstance(a, Recorded) and isinstance(a_out, Recorded) and isinstance(b, Recorded)
    assert (a.first_seq, a_out.first_seq, b.first_seq) == (before + 1, before + 2, before + 4)
    assert list(a_out.routes) == ["A"] and list(b.routes) == ["B"]
    assert count(refunds) == before + 6 and refunds.verify().ok


def test_a_refused_request_takes_back_its_case_states_and_ids(refunds: Ledger) -> None:
    first = {**opened("C"), "id": "open-C"}
    out = refunds.record_group([GroupRequest([first, {**output("C"), "actor": ""}]),
                                GroupRequest([first, output("C")])])
    assert isinstance(out[0], EventRefused) and isinstance(out[1], Recorded)
    assert out[1].recorded == 2 and out[1].duplicates == 0


def test_a_gate_refuses_its_request_only(refunds: Ledger) -> None:
    def gate(event: Any, where: str, state: Any) -> None:
        if event.case == "D":
            raise NotFound("no case 'D'")

    out = refunds.record_group([GroupRequest([opened("D")], None, gate),
                                GroupRequest([opened("E")], None, gate)])
    assert isinstance(out[0], NotFound) and isinstance(out[1], Recorded)
    assert [e.case for e in refunds.events() if e.type == "case.opened"] == ["E"]


def test_record_many_still_refuses_the_whole_batch(refunds: Ledger) -> None:
    with pytest.raises(EventRefused):
        refunds.record_many([opened("F"), {"x": 1}])
    assert not [e for e in refunds.events() if e.case == "F"]
