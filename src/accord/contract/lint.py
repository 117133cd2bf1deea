"""Lint accountability contracts like code: ``accord lint`` and the check before
``contract apply``.

The rules live in :mod:`accord.contract._lint_rules`, one registered function
each; :func:`rules` lists them. Files that cannot be read into the model, and
owner values that are not role slugs, are findings with rule ``invalid-file``;
they make the exit status 2.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.contract import _lint_rules
from accord.contract._lint_base import (
    INVALID_FILE_SUMMARY,
    Check,
    Hit,
    LintFinding,
    LintRule,
    Severity,
    Subject,
    rule,
    rules,
)
from accord.contract._lint_rules import is_diffuse, names_a_tool, owner_fields, owner_verdict
from accord.contract.loading import INVALID, Document, discover, load_file
from accord.contract.model import Contract, Roster
from accord.errors import InvalidFile, Problem

# -- entry points ------------------------------------------------------------------------------


def _sort_key(finding: LintFinding) -> tuple[str, int, int, str]:
    return (finding.path, finding.line, finding.column, finding.rule)


def _invalid_owners(s: Subject) -> Iterator[Hit]:
    yield from _lint_rules.owner_hits(s, INVALID)


def lint_documents(docs: Sequence[Document], roster: Roster | None,
                   today: dt.date) -> list[LintFinding]:
    """Lint every contract among ``docs`` as one set (rosters are only parsed).

    ``roster`` enables ``unknown-role`` and ``vacant-role``; ``today`` is the day
    ``vacant-role`` looks at. Returns the findings sorted by path, line, column,
    rule; raises nothing for bad contracts (they are findings).
    """
    contracts = [(doc, doc.model) for doc in docs if isinstance(doc.model, Contract)]
    linted = tuple(doc for doc, _ in contracts)
    checks: list[tuple[str, Severity, Check]] = [(r.id, r.severity, r.check) for r in rules()]
    checks.append((INVALID, "error", _invalid_owners))
    findings: list[LintFinding] = []
    for doc, contract in contracts:
        s = Subject(doc, contract, roster, today, linted)
        for rule_id, severity, check in checks:
            findings += [LintFinding(rule_id, severity, doc.path, hit.at.line, hit.at.column,
                                 contract.workflow, hit.message) for hit in check(s)]
    return sorted(findings, key=_sort_key)


def lint_contract(doc: Document, roster: Roster | None, today: dt.date) -> list[LintFinding]:
    """Lint one loaded contract, as ``accord contract apply`` does before it stores it.

    Returns its findings (errors and warnings), sorted; the caller refuses the
    contract when any has severity ``error``. Raises nothing.
    """
    return lint_documents([doc], roster, today)


@dataclass(frozen=True)
class LintResult:
    """The findings over a set of files and how many files were linted."""

    findings: list[LintFinding]
    files: int

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    @property
    def unreadable(self) -> bool:
        """True when some input could not be read or parsed into the model."""
        return any(f.rule == INVALID for f in self.findings)

    @property
    def exit_code(self) -> int:
        """2 when an input is unreadable, 1 with error findings, else 0."""
        return 2 if self.unreadable else 1 if self.errors else 0

    def as_json(self) -> dict[str, Any]:
        """The `lint --format json` object: ``findings``, ``files``, ``errors``, ``warnings``."""
        return {"findings": [f.as_json() for f in self.findings], "files": self.files,
                "errors": self.errors, "warnings": self.warnings}


def _invalid(problems: Iterable[Problem]) -> list[LintFinding]:
    return [LintFinding(p.rule, p.severity, p.path, p.line, p.column, None, p.message) for p in problems]


def _roster(path: str) -> tuple[Roster | None, list[LintFinding], list[LintFinding]]:
    """The roster named by --roster: (model, problems reading it, a wrong-kind finding)."""
    try:
        doc = load_file(path)
    except InvalidFile as err:
        return None, _invalid(err.problems), []
    if not isinstance(doc.model, Roster):
        return None, [], [LintFinding(INVALID, "error", path, 1, 1, None,
                                  f"--roster expects a file of kind: roster, not kind: {doc.kind}")]
    return doc.model, [], []


def lint_paths(paths: Sequence[str], roster: str | None, today: dt.date) -> LintResult:
    """Lint files and folders (searched recursively, dot-folders skipped) as one set.

    ``roster`` is a roster file that enables the role checks; a roster found in a
    linted folder is parsed but not used for them. A path that does not exist or
    cannot be parsed yields ``invalid-file`` findings (exit status 2). Raises nothing.
    """
    seen: dict[Path, str] = {}
    for found in discover(list(paths)):
        seen.setdefault(Path(found).resolve(), found)
    findings: list[LintFinding] = []
    docs: list[Document] = []
    for shown in seen.values():
        try:
            docs.append(load_file(shown))
        except InvalidFile as err:
            findings += _invalid(err.problems)
    roster_model: Roster | None = None
    files = len(seen)
    if roster is not None:
        roster_model, unreadable, wrong_kind = _roster(roster)
        findings += wrong_kind
        if Path(roster).resolve() not in seen:  # else its problems are already reported
            files += 1
            findings += unreadable
    findings += lint_documents(docs, roster_model, today)
    return LintResult(sorted(findings, key=_sort_key), files)


__all__ = [
    "INVALID_FILE_SUMMARY", "Check", "Hit", "LintFinding", "LintResult", "LintRule", "Severity", "Subject",
    "is_diffuse", "lint_contract", "lint_documents", "lint_paths", "names_a_tool", "owner_fields",
    "owner_verdict", "rule", "rules",
]
