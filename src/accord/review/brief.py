"""The incident brief, in the order a person acts on it: what went wrong, the output that
went out and what lay behind it, the seven answers in plain words, and who changes what by when.

:func:`brief` builds it once from an :class:`IncidentReview`; ``render.py`` prints it as
text, Markdown or HTML, escaping every value for its medium. Values here are as stored:
nothing is escaped yet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from accord._time import human_time
from accord.review.describe import artefact
from accord.review.incidents import IncidentReview
from accord.review.questions import LOG_TYPES, title
from accord.runtime.evidence import CONTENT_TYPES, upto_last_action
from accord.store.stored import StoredEvent


@dataclass(frozen=True)
class Behind:
    """One record behind the output that went out: an input, a source, the AI output, an edit."""

    label: str
    """``Input``, ``Source``, ``AI output`` or ``Edit``."""
    words: str
    """One line: who or what, and how it relates to what went out."""
    when: str
    quote: str | None = None
    """A one-line quotation: the input or the source's excerpt."""
    text: str | None = None
    """Multi-line text shown in full: a draft that differs from what went out."""


@dataclass(frozen=True)
class WentOut:
    """The output that went out: how and when, its text in full, and the records behind it."""

    words: str
    text: str | None
    behind: tuple[Behind, ...]


@dataclass(frozen=True)
class BriefAnswer:
    """One of the seven answers as the brief says it."""

    number: int
    key: str
    title: str
    answered: bool
    words: str
    details: str
    """The seqs and rule text behind ``words`` (empty when there are none)."""


@dataclass(frozen=True)
class Change:
    """One learning action: who changes which artefact, by when, and whether it is done."""

    learning_action: str | None
    person: str | None
    role: str | None
    artefact: str
    """In words (``routing rule``)."""
    cause: str
    due: str | None
    status: str
    """``open``, or ``done: CHANGE (WHEN)``."""


@dataclass(frozen=True)
class Brief:
    """Everything the one-page brief says, in the order it says it."""

    incident: str
    case: str
    workflow: str | None
    contract_version: int | None
    summary: str
    failed: tuple[tuple[str, str], ...]
    """Each failed quality dimension with what it meant in the pinned contract."""
    opened_by: str
    opened_at: str
    went_out: WentOut
    answers: tuple[BriefAnswer, ...]
    changes: tuple[Change, ...]
    tampered: tuple[int, ...]
    """Seqs of the case's records that do not hold (none when intact)."""

    @property
    def warning(self) -> str | None:
        """What the brief says first when records of the case do not hold, else None."""
        if not self.tampered:
            return None
        one = len(self.tampered) == 1
        which = ("record seq " if one else "records seqs ") + ", ".join(map(str, self.tampered))
        return (f"TAMPERED: {which} of this case {'does' if one else 'do'} not hold; run accord verify "
                "before acting on this brief")

    @property
    def unanswered(self) -> list[str]:
        """The keys of the questions not answered, in question order."""
        return [a.key for a in self.answers if not a.answered]

    @property
    def badge(self) -> str:
        """``Ten-minute test: 7 of 7 answered``, or ``… 5 of 7 answered — not answered: evidence, cause``.

        Never a bare pass or fail: a passed test says the incident can be accounted for,
        not that it is fine.
        """
        gaps = self.unanswered
        said = f"Ten-minute test: {len(self.answers) - len(gaps)} of {len(self.answers)} answered"
        return said + (f" — not answered: {', '.join(gaps)}" if gaps else "")


def _one_line(value: object) -> str:
    """An input's content as one line: text as it is, structured content as compact JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _went_out(judged: list[StoredEvent]) -> WentOut:
    action = judged[-1] if judged and judged[-1].type == "action.taken" else None
    drafts = [e for e in judged if e.type in CONTENT_TYPES]
    last_draft = str(drafts[-1].data["content"]) if drafts else None
    if action is not None:
        sent = action.data.get("content")
        text = str(sent) if sent is not None else last_draft
        words = f"{action.data['action']} by {action.data['by']}, {human_time(action.when)}"
        if sent is None and text is not None:
            words += " (the action recorded no text: this is the last output or edit before it)"
        elif text is not None and drafts and all(d.data["content"] != text for d in drafts):
            words += " (this text matches no recorded AI output or edit)"
        elif text is None:
            words += " (no text was recorded)"
    else:
        text = last_draft
        words = ("No action was recorded, so nothing is known to have gone out"
                 + (": the latest draft" if text is not None else ", and no draft was recorded"))
    outputs = [e for e in judged if e.type == "output.generated"]
    since = outputs[-1].seq if outputs else 0
    behind: list[Behind] = []
    for e in judged:
        d, when = e.data, human_time(e.when)
        if e.type == "input.received":
            behind.append(Behind("Input", f"from {e.actor}", when, quote=_one_line(d["content"])))
        elif e.type == "source.used":
            where = d["uri"] + (f", version {d['version']}" if d.get("version") else "")
            behind.append(Behind("Source", where + ("" if d.get("excerpt") else " (no excerpt recorded)"),
                                 when, quote=d.get("excerpt")))
        elif e.type == "output.generated" and e.seq == since:
            made = f"by model {d['model']}, prompt {d.get('prompt_version') or 'not recorded'}" + (
                f", playbook {d['playbook_version']}" if d.get("playbook_version") else "") + (
                f", confidence {d['confidence']}" if d.get("confidence") is not None else "")
            same = d["content"] == text
            behind.append(Behind("AI output", made + ("; went out as written" if same else
                                                      "; its draft differs from what went out:"),
                                 when, text=None if same else d["content"]))
        elif e.type == "human.edited" and e.seq > since:
            same = d["content"] == text
            behind.append(Behind("Edit", f"by {e.actor}" + ("; this is the text that went out" if same
                                                            else "; the edited text:"),
                                 when, text=None if same else d["content"]))
    return WentOut(words, text, tuple(behind))


def _changes(review: IncidentReview) -> tuple[Change, ...]:
    closed = {e.data["id"]: e for e in review.events if e.type == "learning.closed"}
    changes = []
    for a in review.answers.assignments:
        done = closed.get(a.learning_action) if a.learning_action else None
        status = f"done: {done.data['change']} ({human_time(done.when)})" if done else "open"
        changes.append(Change(a.learning_action, a.person, a.role, artefact(a.artefact), a.cause,
                              human_time(a.due) if a.due else None, status))
    return tuple(changes)


def brief(review: IncidentReview) -> Brief:
    """The brief of ``review``: its parts in order, with every value as stored (unescaped)."""
    opened = review.opened
    evidence = [e for e in review.events if e.seq < opened.seq and e.type not in LOG_TYPES]
    failed = tuple((dim, review.quality_bar.get(dim, "").rstrip(".")) for dim in opened.data["failed"])
    answers = tuple(BriefAnswer(n, key, title(key), a.answered, a.words or a.text, a.details)
                    for n, (key, a) in enumerate(review.answers.questions.items(), 1))
    return Brief(review.incident, review.case, review.workflow, review.contract_version,
                 str(opened.data["summary"]), failed, opened.actor, human_time(opened.when),
                 _went_out(upto_last_action(evidence)), answers, _changes(review),
                 tuple(t.seq for t in review.tampered))
