"""The incident brief as text, Markdown or one-page HTML.

Each renderer prints the same :class:`~accord.review.brief.Brief` and escapes every value
for its medium: the text brief lets no control character or stray line break through
(``accord._text``); Markdown escapes what Markdown and HTML would act on and fences
multi-line text; HTML relies on Jinja's autoescape, with control characters made visible.
"""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Callable

import jinja2
import markupsafe

from accord._text import safe_block, safe_line
from accord.review.brief import brief
from accord.review.incidents import IncidentReview

WIDTH = 88
"""Where the text brief wraps its prose."""


# -- text ------------------------------------------------------------------------------------------


_HUMAN_TIME = re.compile(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC")


def _wrap(text: str, indent: str = "", first: str | None = None) -> list[str]:
    """One-line ``text`` made safe and wrapped at WIDTH, never inside a time or a word like
    refund-v7."""
    # textwrap breaks only at ASCII whitespace: a time's spaces become no-break spaces until wrapped
    kept = _HUMAN_TIME.sub(lambda m: m.group().replace(" ", "\u00a0"), safe_line(text))
    start = indent if first is None else first
    lines = textwrap.wrap(kept, WIDTH, initial_indent=start, subsequent_indent=indent,
                          break_on_hyphens=False, break_long_words=False) or [start]
    return [line.replace("\u00a0", " ") for line in lines]


def _text_block(text: str, indent: str) -> list[str]:
    """Multi-line ``text`` in full, safe, each line wrapped and indented."""
    lines: list[str] = []
    for line in safe_block(text).split("\n"):
        lines += _wrap(line, indent) if line.strip() else [indent.rstrip()]
    return lines


def render_text(review: IncidentReview) -> str:
    """The review as a plain-text brief for a terminal or a file: what went wrong, what went out,
    the seven answers, who changes what by when."""
    b = brief(review)
    lines = [*_wrap(b.warning), ""] if b.warning else []
    lines += _wrap(f"{b.incident} · case {b.case} · {b.workflow}, contract version {b.contract_version}")
    lines += _wrap(b.summary, "  ", "What went wrong: ")
    lines += _wrap("; ".join(f"{dim} — {meaning}" if meaning else dim for dim, meaning in b.failed),
                   "  ", "Failed: ")
    lines += _wrap(f"Opened {b.opened_at} by {b.opened_by}.")
    lines.append(b.badge)

    out = b.went_out
    lines += ["", "WHAT WENT OUT", *_wrap(out.words + (":" if out.text is not None else "."))]
    if out.text is not None:
        lines += ["", *_text_block(out.text, "    "), ""]
    if out.behind:
        lines.append("Behind it:")
    for item in out.behind:
        quote = f": “{item.quote}”" if item.quote else ""
        lines += _wrap(f"{item.label} ({item.when}) {item.words}{quote}", "    ", "  - ")
        if item.text is not None:
            lines += _text_block(item.text, "      | ")

    lines += ["", "THE SEVEN QUESTIONS"]
    for a in b.answers:
        lines += _wrap(f"{a.number}. {a.title} — {'answered' if a.answered else 'NOT ANSWERED'}")
        lines += _wrap(a.words, "   ")
        if a.details:
            lines += _wrap(a.details, "   ", "   details: ")

    lines += ["", "WHO CHANGES WHAT, BY WHEN"]
    for c in b.changes:
        lines += _wrap(f"{c.learning_action or '(none)'}  {_who(c.person, c.role)} changes the "
                       f"{c.artefact} by {c.due or 'no date'} — {c.status} ({c.cause})", "        ", "  ")
    if not b.changes:
        lines.append("  Nobody: no cause was found, so no owner can be named.")
    return "\n".join(lines) + "\n"


def _who(person: str | None, role: str | None) -> str:
    return f"{person or 'nobody (vacant)'} ({role or 'no role named'})"



# -- Markdown --------------------------------------------------------------------------------------

# What Markdown (CommonMark and GitHub's extensions) acts on anywhere in a line: escapes, code,
# emphasis, links and images, raw HTML and autolinks, entities, table pipes, strikethrough, math.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>&|~$#])")
# What it acts on at the start of a line: list items, numbered items, setext underlines.
_MD_LINE_START = re.compile(r"^([-+=]|\d+(?=[.)]))")


def md(text: str) -> str:
    """One-line user ``text`` made inert in Markdown: one line, no control characters, every
    character Markdown or HTML would act on escaped, so it reads as written."""
    flat = " ".join(safe_line(text).split())
    escaped = _MD_INLINE.sub(r"\\\1", flat)
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1),
                              escaped)


def md_fenced(text: str) -> list[str]:
    """Multi-line user ``text`` as a fenced code block it cannot close: the fence is longer
    than any run of backticks inside."""
    body = safe_block(text)
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", body)), default=0))
    return [fence + "text", *body.split("\n"), fence]


def render_markdown(review: IncidentReview) -> str:
    """The review as Markdown, for a ticket or a wiki page; user text is escaped or fenced."""
    b = brief(review)
    lines = [f"# {md(b.incident)}: {md(b.summary)}", ""]
    if b.warning:
        lines += [f"**{md(b.warning)}**", ""]
    lines += ["**Failed:** " + "; ".join(f"{md(dim)} — {md(meaning)}" if meaning else md(dim)
                                         for dim, meaning in b.failed) + "\\",
              f"Case {md(b.case)} · {md(b.workflow or '')}, contract version {b.contract_version} · "
              f"opened {b.opened_at} by {md(b.opened_by)}", "", f"**{md(b.badge)}**", ""]

    out = b.went_out
    lines += ["## What went out", "", md(out.words) + (":" if out.text is not None else "."), ""]
    if out.text is not None:
        lines += [*md_fenced(out.text), ""]
    if out.behind:
        lines += ["Behind it:", ""]
    for item in out.behind:
        quote = f": “{md(item.quote)}”" if item.quote else ""
        lines.append(f"- {md(item.label)} ({item.when}) {md(item.words)}{quote}")
        if item.text is not None:
            lines += ["", *md_fenced(item.text), ""]
    lines += ["", "## The seven questions", ""]
    for a in b.answers:
        status = "answered" if a.answered else "**not answered**"
        lines += [f"{a.number}. **{md(a.title)}** — {status}\\", f"   {md(a.words)}"
                  + (f"\\\n   *Details: {md(a.details)}*" if a.details else "")]
    lines += ["", "## Who changes what, by when", ""]
    if b.changes:
        lines += ["| learning action | who | changes the | by | status |", "|---|---|---|---|---|"]
        lines += [f"| {md(c.learning_action or '—')} | {md(_who(c.person, c.role))} | {md(c.artefact)} "
                  f"({md(c.cause)}) | {c.due or 'no date'} | {md(c.status)} |" for c in b.changes]
    else:
        lines.append("Nobody: no cause was found, so no owner can be named.")
    return "\n".join(lines) + "\n"


# -- HTML ------------------------------------------------------------------------------------------


def _printable(value: object) -> object:
    """Jinja's finalize: every printed string loses its control characters (made visible)
    before autoescape; Markup a filter already escaped stays Markup."""
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(safe_block(str(value)))
    return safe_block(value) if isinstance(value, str) else value


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("accord.review", "templates"),
                              autoescape=True, finalize=_printable, trim_blocks=True,
                              lstrip_blocks=True)


def render_html(review: IncidentReview) -> str:
    """A self-contained one-page HTML incident brief a manager can forward (inline CSS, no
    external loads, prints on one A4 or Letter page for a typical incident)."""
    return _templates().get_template("incident.html.j2").render(brief=brief(review))


RENDERERS: dict[str, Callable[[IncidentReview], str]] = {
    "text": render_text, "markdown": render_markdown, "html": render_html}
"""Each brief format by its `--format` name."""
