"""The incident brief: an :class:`IncidentReview` as text, Markdown or one-page HTML."""

from __future__ import annotations

import functools

import jinja2

from accord.review.describe import describe
from accord.review.incidents import IncidentReview
from accord.review.questions import LOG_TYPES, title


def render_text(review: IncidentReview) -> str:
    """The review as a plain-text brief: the summary, the seven answers, the timeline."""
    opened = review.opened
    lines = [f"{review.incident} on case {review.case} ({review.workflow}, contract version "
             f"{review.contract_version}) — ten-minute test: {review.ten_minute_test.upper()}",
             f"Opened {opened.at} by {opened.actor}: {opened.data['summary']} "
             f"(failed: {', '.join(opened.data['failed'])})"]
    for n, (key, answer) in enumerate(review.answers.questions.items(), 1):
        lines += ["", f"{n}. {title(key)}  [{'answered' if answer.answered else 'NOT ANSWERED'}]",
                  f"   {answer.text}"]
    lines += ["", "Timeline:"] + [f"  {e.seq:>6}  {e.at}  {describe(e)}" for e in review.events]
    return "\n".join(lines) + "\n"


def render_markdown(review: IncidentReview) -> str:
    """The review as Markdown, for a ticket or a wiki page."""
    opened = review.opened
    lines = [f"# {review.incident}: case {review.case} ({review.workflow})", "",
             f"Contract version {review.contract_version}. Ten-minute test: "
             f"**{review.ten_minute_test}**.", "",
             f"> {opened.data['summary']} — opened {opened.at} by {opened.actor}; "
             f"failed: {', '.join(opened.data['failed'])}"]
    for n, (key, answer) in enumerate(review.answers.questions.items(), 1):
        lines += ["", f"## {n}. {title(key)} {'✅' if answer.answered else '❌ not answered'}", "",
                  answer.text]
    lines += ["", "## Timeline", "", "| seq | at | what |", "|---|---|---|"]
    lines += [f"| {e.seq} | {e.at} | {_cell(describe(e))} |" for e in review.events]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text for one Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("accord.review", "templates"),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True)


def render_html(review: IncidentReview) -> str:
    """A self-contained one-page HTML incident brief a manager can forward."""
    opened = review.opened
    evidence = [e for e in review.events if e.type not in LOG_TYPES or e.seq == opened.seq]
    approvals = [e for e in evidence if e.type in ("review.recorded", "exception.decided")]
    learning = {e.data["id"]: e for e in review.events if e.type == "learning.opened"}
    as_json = review.as_json()
    return _templates().get_template("incident.html.j2").render(
        review=as_json, questions=[(k, title(k), as_json["questions"][k]) for k in as_json["questions"]],
        opened=opened, timeline=[(e, describe(e)) for e in evidence],
        approvals=[(e, describe(e)) for e in approvals], learning=learning)


RENDERERS = {"text": render_text, "markdown": render_markdown, "html": render_html}
"""Each brief format by its `--format` name."""
