"""What the command line prints of user data reaches a terminal as text: no ESC sequence,
bidi override or other control character, and no line break that forges a line of output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from accord.cli._common import echo_line, one_line
from tests.cli_scenarios import NOW, REVIEWED, Capsys, CliLedger, refund_case
from tests.helpers import event

HOSTILE = "refund <script>x</script>\n# forged line\x1b[2J\x1b]0;pwned\x07 \u202eevil\r\nend"
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Every control character a terminal acts on (newline and tab allowed)."""


@pytest.fixture
def hostile_ledger(capsys: Capsys, tmp_path: Path) -> CliLedger:
    """A refund case whose input, source, output, action text and complaint carry HOSTILE, with
    an incident whose summary carries it too."""
    ledger = CliLedger(capsys, tmp_path)
    events = refund_case("R-1", attests=REVIEWED)
    events[1]["data"]["content"] = HOSTILE
    events[2]["data"].update(uri="kb://x\x1b[31m", excerpt=HOSTILE)
    events[3]["data"]["content"] = HOSTILE
    events[-1]["data"]["content"] = HOSTILE
    events.append(event("R-1", "outcome.reported", "2026-07-01T09:30:00Z",
                        {"kind": "complaint", "description": HOSTILE}))
    ledger.record(events)
    ledger.ok("incident", "open", "R-1", "--failed", "correct", "--summary", HOSTILE,
              "--faulty", str(ledger.seq("R-1", "output.generated")),
              "--by", "dana.okafor@example.com", "--now", NOW)
    return ledger


def test_case_show_prints_one_clean_line_per_record(hostile_ledger: CliLedger) -> None:
    out = hostile_ledger.ok("case", "show", "R-1")
    assert not CONTROLS.search(out)
    lines = out.splitlines()
    records = [line for line in lines if re.match(r"\s+\d+\s+\d{4}-", line)]
    assert len(lines) == len(records) + 3, "the header, one line per record, two evidence lines"
    assert any("source used: kb://x␛[31m" in line for line in records), "an escape is shown, not obeyed"


def test_incident_commands_print_no_control_character_nor_forged_line(hostile_ledger: CliLedger) -> None:
    brief = hostile_ledger.ok("incident", "review", "INC-1")
    assert not CONTROLS.search(brief)
    assert not [line for line in brief.splitlines() if line.startswith("# forged")]
    listed = hostile_ledger.ok("incident", "list")
    assert not CONTROLS.search(listed) and len(listed.splitlines()) == 1
    closed = hostile_ledger.ok("learning", "close", "LA-1", "--change", HOSTILE, "--now", NOW)
    assert not CONTROLS.search(closed) and len(closed.splitlines()) == 1
    actions = hostile_ledger.ok("learning", "list", "--now", NOW)
    assert not CONTROLS.search(actions) and len(actions.splitlines()) == 2


def test_the_markdown_brief_through_the_cli_is_clean_too(hostile_ledger: CliLedger) -> None:
    markdown = hostile_ledger.ok("incident", "review", "INC-1", "--format", "markdown")
    assert not CONTROLS.search(markdown)
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    headings = re.findall(r"<h[1-6]>(.*?)</h[1-6]>", html)
    assert len(headings) == 4 and not [h for h in headings[1:] if "forged" in h], "no forged heading"
    assert "<script>" not in html


def test_writing_a_brief_says_what_was_written_with_the_badge(hostile_ledger: CliLedger) -> None:
    out = hostile_ledger.ok("incident", "review", "INC-1", "--format", "html", "--out",
                            str(hostile_ledger.tmp / "brief.html"))
    assert "INC-1, ten-minute test: 7 of 7 answered" in out


def test_echo_line_and_one_line_make_user_values_printable(capsys: Capsys) -> None:
    echo_line("a\nb\x1b[2J\u202ec")
    assert capsys.readouterr().out == "a b␛[2J\ufffdc\n"
    assert one_line("  a \n\n b\x07  ", 60) == "a b␇" and one_line("x" * 10, 5) == "xxxx…"
