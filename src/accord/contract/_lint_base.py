"""The lint framework: findings, where a rule fired, what a rule sees, and the registry.

Each rule is one small function registered by its stable id with :func:`rule`;
its one-line docstring is what ``accord lint --format sarif`` and the docs show.
A rule looks at one contract (a :class:`Subject`, which also knows the rest of
the linted set, the roster and the day) and yields :class:`Hit` s — where it
fired and why; the registry turns them into :class:`LintFinding` s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final, Literal

from accord.contract._yaml import Mark
from accord.contract.loading import Document
from accord.contract.model import Contract, Roster
from accord.errors import Problem

Severity = Literal["error", "warning"]
INVALID_FILE_SUMMARY: Final = (
    "the file cannot be read into the model (bad YAML, an unknown key, a wrong type, "
    "an unknown dimension, an owner that is not a role slug)"
)


@dataclass(frozen=True)
class LintFinding:
    """One lint finding, located in a file; ``workflow`` is None for rosters and unreadable files."""

    rule: str
    severity: str
    path: str
    line: int
    column: int
    workflow: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity} {self.rule} {self.message}"

    def as_json(self) -> dict[str, Any]:
        """The finding as `lint --format json` prints it."""
        return asdict(self)

    def as_problem(self) -> Problem:
        """The finding as an :class:`~accord.errors.Problem`, for errors that carry it."""
        return Problem(self.path, self.line, self.column, self.rule, self.message, self.severity)


@dataclass(frozen=True)
class Hit:
    """Where a rule fired and why; the registry adds rule id, severity, file and workflow."""

    at: Mark
    message: str


@dataclass(frozen=True)
class Subject:
    """One contract under lint, with what its rules may consult."""

    doc: Document
    contract: Contract
    roster: Roster | None
    today: dt.date
    linted: Sequence[Document] = field(default=(), repr=False)
    """Every contract in the linted set, this one included."""

    def at(self, *path: str | int) -> Mark:
        """Where the value at ``path`` stands; its key when the value is empty (``key:``
        with nothing after it); its parent key when the key is missing too."""
        positions = self.doc.positions
        node: Any = self.doc.raw
        for part in path:
            present = part in node if isinstance(node, dict) else (
                isinstance(node, list) and isinstance(part, int) and part < len(node))
            if not present:
                return positions.value(path)
            node = node[part]
        return positions.key(path) if node is None else positions.value(path)

    def key_at(self, *path: str | int) -> Mark:
        """Where the key of ``path`` stands."""
        return self.doc.positions.key(path)


Check = Callable[[Subject], Iterable[Hit]]


@dataclass(frozen=True)
class LintRule:
    """A registered lint rule: its id, severity and one-line summary (the docstring)."""

    id: str
    severity: Severity
    summary: str
    check: Check


_RULES: dict[str, LintRule] = {}


def rule(rule_id: str, *, severity: Severity = "error") -> Callable[[Check], Check]:
    """Register ``check`` under ``rule_id``; its docstring's first line is the rule's summary."""

    def register(check: Check) -> Check:
        if rule_id in _RULES:
            raise ValueError(f"lint rule {rule_id!r} is registered twice")
        doc = (check.__doc__ or "").strip().splitlines()
        if not doc:
            raise ValueError(f"lint rule {rule_id!r} needs a one-line docstring")
        _RULES[rule_id] = LintRule(rule_id, severity, doc[0], check)
        return check

    return register


def rules() -> list[LintRule]:
    """Every registered lint rule, in registration order (the order docs/contracts.md lists them)."""
    return list(_RULES.values())
