"""The incident brief (text, Markdown, HTML): it leads with what went wrong, shows the output
that went out and what lay behind it, answers in plain words, ends with who changes what by
when — and every user value in it is escaped for its medium."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from typing import ClassVar

import pytest
from markdown_it import MarkdownIt

from accord._text import safe_block, safe_line
from accord._time import human_time
from accord.integrity.verify import Tampering
from accord.ledger import Ledger
from accord.review.brief import brief
from accord.review.incidents import IncidentReview
from accord.review.render import md, md_fenced, render_html, render_markdown, render_text
from tests.helpers import INCIDENT_AT, at, memory_ledger, seq

SENT = ("Dear customer,\n\nSorry for the delay. We have refunded 12.00 EUR for order 5521.\n\n"
        "Best regards,\nSupport")
DRAFT = SENT.replace("Sorry for the delay.", "Thank you for your message.")
EXCERPT = "blender; total 120.00 EUR; returned 2026-03-03"

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_LINK = "[click me](javascript:alert(1))"
HEADING = "\n# fake heading"
CLEAR = "\x1b[2J"
RLO = "\u202e"
HOSTILE = f"Refund {SCRIPT} {IMG} {JS_LINK} <javascript:alert(1)>{HEADING}{CLEAR}{RLO}evil | `x` *y*"
"""One value holding every attack on a medium: raw HTML, an HTML attribute break-out, a
javascript: link and autolink, a forged heading line, an ESC sequence, a bidi override, a table
pipe, code and emphasis."""
HOSTILE_BLOCK = (f"Dear customer,\n```\n</div>{SCRIPT}\n# fake heading{CLEAR}\n{IMG}\n{JS_LINK}\n"
                 f"{RLO}sdrawkcab\r\n~~~\n````\nBest regards")
"""Multi-line text that tries to close a fence or a block and inject markup and escapes."""
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Every control character a terminal or a page could act on (newline and tab allowed)."""


def _edited_case(ledger: Ledger, case: str = "R-7", *, policy: str | None = "pass",
                 faulty: bool = True, summary: str = "Refunded 12 EUR instead of 120 EUR",
                 sent: str = SENT, excerpt: str = EXCERPT, uri: str = "orders://5521",
                 by: str = "dana@example.com") -> IncidentReview:
    """A case whose AI draft ann edited before she sent it, approved for tone only; an incident
    on `correct` blames the output (or names no faulty record), as reviewed."""
    c = ledger.case("refund-replies", case, {"amount": 120, "tier": "gold", "risk": 0.5}, at=at(0))
    c.input("I returned the blender (order 5521); please refund the 120 EUR.", at=at(1))
    c.source(uri, version="2026-03", excerpt=excerpt, at=at(2))
    c.source("kb://refund-policy", version="RP-4", at=at(2))
    c.output(DRAFT, model="m-2026-10", prompt_version="refund-v7", confidence=0.62, at=at(3))
    if policy is not None:
        c.policy("refund-policy", version="RP-4", result=policy, at=at(4))
    c.edit(sent, by="ann@example.com", at=at(5))
    c.review(reviewer="ann@example.com", attests=["correct", "appropriately_toned"], at=at(6))
    c.action("email.sent", by="ann@example.com", content=sent, at=at(7))
    opened = ledger.open_incident(case, failed=["correct"],
                                  faulty=[seq(ledger, case, "output.generated")] if faulty else [],
                                  summary=summary, by=by, now=INCIDENT_AT)
    return ledger.review_incident(opened.incident)


@pytest.fixture
def refunds() -> Ledger:
    """The refund workflow in memory (helpers.memory_ledger)."""
    return memory_ledger()


@pytest.fixture
def edited(refunds: Ledger) -> IncidentReview:
    """The review of an incident on an edited, approved reply: all seven answered."""
    return _edited_case(refunds)


@pytest.fixture
def gaps(refunds: Ledger) -> IncidentReview:
    """The same case without its policy result and with no faulty record named: the evidence
    and cause questions are not answered."""
    return _edited_case(refunds, "R-6", policy=None, faulty=False)


@pytest.fixture
def hostile(refunds: Ledger) -> IncidentReview:
    """The edited case with hostile values in the summary, the text that went out, the source's
    uri and excerpt and the incident opener's id."""
    return _edited_case(refunds, summary=HOSTILE, sent=HOSTILE_BLOCK, excerpt=HOSTILE,
                        uri="javascript:alert(1)", by="dana<img src=x onerror=alert(1)>@example.com")


class _Page(HTMLParser):
    """An HTML page's tags, attributes and text."""

    VOID: ClassVar[set[str]] = {"meta", "br", "link", "img", "hr", "input"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.open: list[str] = []
        self.text = ""
        self.headings: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:  # <br /> is reported as a start and an end
            return
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text += data
        if self.open and re.fullmatch(r"h[1-6]", self.open[-1]):
            self.headings.append(data)


def _markdown_as_html(markdown: str) -> _Page:
    """Markdown rendered as a CommonMark renderer with GitHub's tables and strikethrough would,
    raw HTML allowed (the strict case: a Markdown brief must not rely on a sanitiser)."""
    renderer = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return _Page(renderer.render(markdown))


def _in_order(text: str, *parts: str) -> list[int]:
    where = [text.index(part) for part in parts]
    assert where == sorted(where), [p for _, p in sorted(zip(where, parts, strict=True))]
    return where


# -- what the brief says, in order ---------------------------------------------------------------


def test_the_text_brief_leads_with_what_went_wrong_then_what_went_out_then_answers_then_owners(
        edited: IncidentReview) -> None:
    text = render_text(edited)
    _in_order(text, "What went wrong: Refunded 12 EUR instead of 120 EUR",
              "Failed: correct — Refund amount and eligibility match the order record",
              "Ten-minute test: 7 of 7 answered", "WHAT WENT OUT", "Sorry for the delay.",
              "Behind it:", "THE SEVEN QUESTIONS", "1. Who owned the outcome?",
              "7. Who changes the system now?", "WHO CHANGES WHAT, BY WHEN", "LA-1  pat@example.com")


def test_the_markdown_and_html_briefs_keep_the_same_order(edited: IncidentReview) -> None:
    parts = ("Refunded 12 EUR instead of 120 EUR", "Failed", "Ten-minute test: 7 of 7 answered",
             "What went out", "Sorry for the delay.", "Behind it", "The seven questions",
             "Who owned the outcome?", "Who changes what, by when", "18 Mar 2026, 09:00 UTC")
    _in_order(_markdown_as_html(render_markdown(edited)).text, *parts[:5], *parts[6:])
    page = _Page(render_html(edited))
    _in_order(page.text, *[p for p in parts if p != "Behind it"])
    assert page.headings[:2] == ["Refunded 12 EUR instead of 120 EUR", "What went out"]


@pytest.mark.parametrize("render", [render_text, render_markdown, render_html])
def test_every_brief_shows_the_text_that_went_out_in_full_with_the_edit_and_excerpts_behind_it(
        edited: IncidentReview, render: object) -> None:
    assert callable(render)
    out = str(render(edited))
    shown = " ".join(_Page(out).text.split()) if render is render_html else " ".join(out.split())
    for line in SENT.splitlines():
        assert " ".join(line.split()) in shown, f"the text that went out, line {line!r}"
    assert "Thank you for your message." in shown, "the AI's draft, which the edit changed"
    assert "by ann@example.com" in shown and "this is the text that went out" in shown, "the edit"
    assert "orders://5521, version 2026-03" in shown and EXCERPT in shown, "uri, version, excerpt"
    assert "kb://refund-policy, version RP-4 (no excerpt recorded)" in shown
    assert "by model m-2026-10, prompt refund-v7, confidence 0.62" in shown, "the AI output behind it"


def test_what_went_out_is_the_actions_text_else_the_last_draft_before_it(refunds: Ledger) -> None:
    c = refunds.case("refund-replies", "R-8", {"amount": 120, "tier": "gold", "risk": 0.5}, at=at(0))
    c.output("We refund 120 EUR.", model="m", prompt_version="refund-v7", at=at(1))
    c.edit("We refund 12 EUR.", by="ann@example.com", at=at(2))
    c.action("email.sent", by="system:mailer", at=at(3))
    review = refunds.review_incident(refunds.open_incident(
        "R-8", failed=["correct"], faulty=[], summary="Wrong refund", by="dana@example.com",
        now=INCIDENT_AT).incident)
    went = brief(review).went_out
    assert went.text == "We refund 12 EUR."
    assert "the action recorded no text: this is the last output or edit before it" in went.words


def test_an_action_whose_text_matches_no_draft_says_so(refunds: Ledger) -> None:
    c = refunds.case("refund-replies", "R-8", {"amount": 120, "tier": "gold", "risk": 0.5}, at=at(0))
    c.output("We refund 120 EUR.", model="m", prompt_version="refund-v7", at=at(1))
    c.action("email.sent", by="system:mailer", content="An unrecorded reply", at=at(3))
    review = refunds.review_incident(refunds.open_incident(
        "R-8", failed=["correct"], faulty=[], summary="Wrong refund", by="dana@example.com",
        now=INCIDENT_AT).incident)
    went = brief(review).went_out
    assert went.text == "An unrecorded reply" and "matches no recorded AI output or edit" in went.words


def test_the_badge_counts_the_answers_and_names_the_gaps(edited: IncidentReview,
                                                         gaps: IncidentReview) -> None:
    assert brief(edited).badge == "Ten-minute test: 7 of 7 answered"
    badge = "Ten-minute test: 5 of 7 answered — not answered: evidence, cause"
    assert brief(gaps).badge == badge
    for render in (render_text, render_markdown, render_html):
        out = render(gaps)
        shown = _Page(out).text if render is render_html else out.replace("\\", "")
        assert badge in shown
        assert not re.search(r"\b(pass|fail)\b", shown.replace("Why did the output pass?", ""),
                             re.IGNORECASE), "never a bare pass or fail"
    assert gaps.as_json()["ten_minute_test"] == "fail" and edited.as_json()["ten_minute_test"] == "pass", (
        "the JSON keeps its pass/fail")


def test_times_read_as_people_read_them(edited: IncidentReview) -> None:
    assert human_time("2026-10-21T11:41:15Z") == "21 Oct 2026, 11:41 UTC"
    assert human_time("2026-11-06T10:25:00+02:00") == "6 Nov 2026, 08:25 UTC"
    for render in (render_text, render_markdown, render_html):
        out = render(edited)
        assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:", out), f"no RFC 3339 time in {render.__name__}"
        assert "2 Mar 2026, 09:07 UTC" in out and "18 Mar 2026, 09:00 UTC" in out, "sent; due"


def test_answers_keep_seqs_and_rule_text_to_their_details_line(refunds: Ledger, gaps: IncidentReview) -> None:
    review = _edited_case(refunds, case="R-9")
    for b in (brief(review), brief(gaps)):
        for a in b.answers:
            assert a.words and not re.search(r"\bseqs? \d", a.words), (a.key, a.words)
            assert "&&" not in a.words and "<" not in a.words, (a.key, "no rule text in the sentence")
    details = {a.key: a.details for a in brief(review).answers}
    assert f"routing.decided seq {seq(refunds, 'R-9', 'routing.decided')}" in details["human_check"]
    assert "skip rule (did not hold): risk < 0.2 && amount < 50" in details["human_check"]
    assert re.fullmatch(r"LA-\d+ for bad_prompt; LA-\d+ for bad_judgment", details["who_changes"])
    text = render_text(review)
    assert "   details: routing.decided seq" in text


def test_the_review_json_keeps_its_answers_word_for_word(edited: IncidentReview) -> None:
    """The brief's plain words are beside the JSON answer, not instead of it."""
    questions = edited.as_json()["questions"]
    assert questions["why_passed"]["answer"] == (
        f"The output went out by the action at seq {edited.opened.seq - 1} (action email.sent by "
        f"ann@example.com). How each failed dimension got through: correct was approved at seq "
        f"{edited.opened.seq - 2} (ann@example.com approved correct and appropriately_toned).")
    assert set(questions["owner"]) == {"answered", "answer", "role", "person"}


def test_who_changes_what_lists_each_learning_action_with_its_owner_artefact_and_due_date(
        refunds: Ledger, edited: IncidentReview) -> None:
    refunds.close_learning("LA-2", "training-2026-03", by="sue@example.com", now=at(60 * 24 * 3))
    changes = brief(refunds.review_incident(edited.incident)).changes
    assert [(c.learning_action, c.person, c.role, c.artefact, c.due, c.status) for c in changes] == [
        ("LA-1", "pat@example.com", "ai-enablement", "prompt", "18 Mar 2026, 09:00 UTC", "open"),
        ("LA-2", "sue@example.com", "support-enablement", "training material", "18 Mar 2026, 09:00 UTC",
         "done: training-2026-03 (5 Mar 2026, 09:00 UTC)")]
    text = render_text(refunds.review_incident(edited.incident))
    assert "LA-2  sue@example.com (support-enablement) changes the training material by" in text


def test_a_brief_on_tampered_records_says_so_before_anything_else(edited: IncidentReview) -> None:
    warning = "TAMPERED: record seq 3 of this case does not hold; run accord verify before acting"
    tampered = dataclasses.replace(edited, tampered=(Tampering(3, "leaf hash differs"),))
    assert render_text(tampered).startswith(warning)
    assert render_markdown(tampered).split("\n")[2].startswith(f"**{warning}")
    page = _Page(render_html(tampered)).text
    assert page.index(warning) < page.index("Incident brief · INC-1")
    two = dataclasses.replace(edited, tampered=(Tampering(3, "x"), Tampering(5, "y")))
    assert brief(two).warning == ("TAMPERED: records seqs 3, 5 of this case do not hold; run accord "
                                  "verify before acting on this brief")


def test_the_html_brief_is_self_contained_and_prints_on_one_page(edited: IncidentReview) -> None:
    html = render_html(edited)
    page = _Page(html)
    assert page.open == [] and not [v for k, v in page.attrs if k in ("src", "href")]
    assert not re.search(r"<link|@import|url\(", html, re.IGNORECASE)
    assert "@media print" in html and "@page" in html, "print rules for one A4 or Letter page"


# -- every user value escaped for its medium -------------------------------------------------------


def test_markdown_passes_no_raw_html_links_or_forged_headings(hostile: IncidentReview) -> None:
    markdown = render_markdown(hostile)
    page = _markdown_as_html(markdown)
    assert not {"script", "img", "a"} & set(page.tags), "no raw HTML, no link from user text"
    assert not [k for k, _ in page.attrs if k.startswith("on") or k in ("href", "src")]
    assert page.headings == [f"INC-1: {' '.join(safe_line(HOSTILE).split())}", "What went out",
                             "The seven questions", "Who changes what, by when"], "no forged heading"
    assert SCRIPT in page.text and IMG in page.text and JS_LINK in page.text, "shown as written"
    assert not CONTROLS.search(markdown)
    assert "</div>" + SCRIPT in page.text and "sdrawkcab" in page.text, "the fenced text, whole"


def test_markdown_escapes_one_line_values_and_fences_multi_line_ones() -> None:
    assert md("a\n# b") == "a \\# b"
    assert md("- item") == "\\- item" and md("1. item") == "1\\. item" and md("===") == "\\==="
    assert md("<b>|x|</b> [l](javascript:x) `c` *e* _u_ ~s~ $m$ &amp;") == (
        "\\<b\\>\\|x\\|\\</b\\> \\[l\\](javascript:x) \\`c\\` \\*e\\* \\_u\\_ \\~s\\~ \\$m\\$ \\&amp;")
    fenced = md_fenced("a\n````\nb")
    assert fenced == ["`````text", "a", "````", "b", "`````"], "a fence longer than any inside"


def test_the_text_brief_forges_no_line_and_sends_no_control_character(hostile: IncidentReview) -> None:
    text = render_text(hostile)
    assert not CONTROLS.search(text)
    assert "\r" not in text
    lines = text.splitlines()
    assert not [line for line in lines if line.startswith("#")], "no forged heading line"
    headline = next(i for i, line in enumerate(lines) if line.startswith("What went wrong: "))
    assert lines[headline + 1].startswith("  ") and "fake heading" in " ".join(lines[headline:headline + 3])
    assert "    # fake heading␛[2J" in lines, "multi-line text kept, indented, its ESC made visible"
    assert "\ufffdevil" in text, "a bidi override is shown as a replacement sign, not obeyed"


def test_the_html_brief_escapes_every_value_and_shows_it_as_written(hostile: IncidentReview) -> None:
    html = render_html(hostile)
    page = _Page(html)
    assert set(page.tags) <= {"html", "head", "meta", "title", "style", "body", "header", "p", "h1",
                              "h2", "b", "span", "div", "ul", "li", "ol", "table", "tr", "th", "td",
                              "footer", "code"}, "no tag from user text"
    assert not [k for k, _ in page.attrs if k.startswith("on") or k in ("href", "src")]
    assert SCRIPT in page.text and IMG in page.text and "javascript:alert(1)" in page.text
    assert "dana<img src=x onerror=alert(1)>@example.com" in page.text
    assert not CONTROLS.search(html), "ESC and bidi controls made visible"
    assert "\n# fake heading" in page.text, "multi-line text keeps its lines (pre-wrap)"


@pytest.mark.parametrize(("value", "line", "block"), [
    ("a\nb\r\nc", "a b  c", "a\nb\nc"),
    ("\x1b[2Jclear", "␛[2Jclear", "␛[2Jclear"),
    ("tab\there", "tab here", "tab\there"),
    ("\u202eevil\u2066", "\ufffdevil\ufffd", "\ufffdevil\ufffd"),
    ("bell\x07 del\x7f c1\x9b", "bell␇ del␡ c1\ufffd", "bell␇ del␡ c1\ufffd"),
    ("line\u2028sep\x85nel", "line sep nel", "line\nsep\nnel"),
    ("naïve — 😀 \u200d ok", "naïve — 😀 \u200d ok", "naïve — 😀 \u200d ok"),
])
def test_safe_line_and_safe_block_make_control_characters_visible(value: str, line: str,
                                                                   block: str) -> None:
    assert (safe_line(value), safe_block(value)) == (line, block)
