"""What the seven questions are answered from and with: the case's facts, one answer each, the
registry that keeps their order, and the assignments of who changes what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.contract.model import Contract
from accord.review.causes import Charge
from accord.runtime.evidence import EvidenceReport
from accord.runtime.roles import Roles
from accord.store.stored import StoredEvent

LOG_TYPES = ("incident.opened", "learning.opened", "learning.closed")
"""Records of a case that are about the review, not its evidence."""


@dataclass(frozen=True)
class Answer:
    """One question's answer: whether it is answered, in words, and what it rests on.

    ``text`` is the review JSON's ``answer``: complete, with the seqs and rule text it
    rests on. The brief says the same in ``words`` (plain, times as people read them) and
    keeps the seqs and rule text to a ``details`` line.
    """

    answered: bool
    text: str
    extra: Mapping[str, Any] = field(default_factory=dict)
    words: str = ""
    details: str = ""

    def get(self, key: str, default: Any = None) -> Any:
        return self.extra.get(key, default)

    def as_json(self) -> dict[str, Any]:
        return {"answered": self.answered, "answer": self.text, **self.extra}


@dataclass(frozen=True)
class Assignment:
    """Who changes which artefact after an incident: one per distinct (cause, role)."""

    cause: str
    artefact: str
    role: str | None
    person: str | None
    learning_action: str | None = None
    due: str | None = None

    def as_owner(self) -> dict[str, Any]:
        """The `who_changes.owners` entry of the review JSON."""
        return {"cause": self.cause, "role": self.role, "person": self.person,
                "learning_action": self.learning_action}


@dataclass(frozen=True)
class Facts:
    """What the seven questions are answered from: one case, judged at its last action."""

    contract: Contract
    evidence: Sequence[StoredEvent]
    judged: Sequence[StoredEvent]
    action: StoredEvent | None
    route: StoredEvent | None
    report: EvidenceReport
    origin: Sequence[Charge]
    passage: Sequence[Charge]
    causes: Sequence[str]
    assigned: Sequence[Assignment]
    faulty_given: bool
    should_have_escalated: bool
    raised: Sequence[str]
    roles: Roles
    now: dt.datetime


@dataclass(frozen=True)
class Question:
    key: str
    title: str
    ask: Callable[[Facts], Answer]


QUESTIONS: list[Question] = []


def question(key: str, title: str) -> Callable[[Callable[[Facts], Answer]], Callable[[Facts], Answer]]:
    """Register a question under ``key`` with its ``title``; registration order is asking order."""
    def register(ask: Callable[[Facts], Answer]) -> Callable[[Facts], Answer]:
        if any(q.key == key for q in QUESTIONS):
            raise ValueError(f"question {key!r} registered twice")
        QUESTIONS.append(Question(key, title, ask))
        return ask
    return register


def keys() -> tuple[str, ...]:
    """The question keys in order (the review JSON's ``questions`` keys)."""
    return tuple(q.key for q in QUESTIONS)


def title(key: str) -> str:
    return next(q.title for q in QUESTIONS if q.key == key)


@dataclass(frozen=True)
class Answers:
    """The seven answers for one case, its causes and who changes what."""

    questions: dict[str, Answer]
    causes: list[str]
    assignments: list[Assignment]

    @property
    def failing(self) -> list[str]:
        """The keys of the questions that could not be answered, in question order."""
        return [key for key, a in self.questions.items() if not a.answered]

    @property
    def passed(self) -> bool:
        """The ten-minute test: every one of the seven questions is answered."""
        return not self.failing

    def as_json(self) -> dict[str, Any]:
        return {key: a.as_json() for key, a in self.questions.items()}
