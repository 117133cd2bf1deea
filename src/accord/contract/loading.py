"""Read contract and roster files into the model, with every error located.

``load_file`` returns a :class:`Document` (the model plus where each key and
value stands) or raises :class:`InvalidFile` whose problems read
``path:line:col: error invalid-file …``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from accord.contract import _yaml
from accord.contract.model import Contract, Holder, Roster
from accord.errors import InvalidFile, Problem
from accord.vocab import is_role, person_problem

INVALID = "invalid-file"


@dataclass(frozen=True)
class Document:
    """A loaded file: its path as given, raw data, model, and positions."""

    path: str
    raw: dict[str, Any]
    model: Contract | Roster
    positions: _yaml.Positions

    @property
    def kind(self) -> str:
        return self.model.kind


def _problem(path: str, mark: _yaml.Mark, message: str) -> Problem:
    return Problem(path, mark.line, mark.column, INVALID, message)


def _describe(err: dict[str, Any]) -> str:
    loc = [p for p in err["loc"] if p != "[key]"]
    name = ".".join(str(p) for p in loc) or "document"
    kind = err["type"]
    if kind == "missing":
        return f"{name}: required field is missing"
    if kind == "extra_forbidden":
        return f"{name}: unknown key; check its spelling against `accord schema`"
    msg = str(err["msg"])
    msg = msg.removeprefix("Value error, ")
    return f"{name}: {msg}"


def _locate(err: dict[str, Any], positions: _yaml.Positions) -> _yaml.Mark:
    loc = list(err["loc"])
    if loc and loc[-1] == "[key]":
        return positions.key(loc[:-1])
    if err["type"] == "extra_forbidden":
        return positions.key(loc)
    if err["type"] == "missing":
        return positions.parent(loc)
    # pydantic adds the union member's name (e.g. "str") to the loc; drop unknown tails
    while loc and tuple(loc) not in positions.values:
        loc.pop()
    return positions.value(loc)


def parse(text: str, path: str) -> Document:
    """Parse one file's text; raises :class:`InvalidFile` with located problems."""
    try:
        raw, positions = _yaml.load(text)
    except _yaml.YamlProblem as err:
        raise InvalidFile([_problem(path, err.mark, err.message)]) from None
    if not isinstance(raw, dict):
        raise InvalidFile([_problem(path, _yaml.Mark(1, 1),
                                    "expected a mapping with `accord: 1` and `kind: contract|roster`")])
    kind = raw.get("kind")
    model_type: type[Contract] | type[Roster]
    if kind == "contract":
        model_type = Contract
    elif kind == "roster":
        model_type = Roster
    else:
        raise InvalidFile([_problem(path, positions.value(("kind",)),
                                    "kind: must be `contract` or `roster`")])
    try:
        model = model_type.model_validate(raw)
    except ValidationError as err:
        seen: set[tuple[int, int, str]] = set()
        problems = []
        for e in err.errors():
            mark = _locate(dict(e), positions)
            message = _describe(dict(e))
            if (mark.line, mark.column, message) in seen:
                continue
            seen.add((mark.line, mark.column, message))
            problems.append(_problem(path, mark, message))
        problems.sort(key=lambda p: (p.line, p.column, p.message))
        raise InvalidFile(problems) from None
    if isinstance(model, Roster):
        problems = _roster_problems(model, raw, positions, path)
        if problems:
            raise InvalidFile(problems)
    return Document(path, raw, model, positions)


def _roster_problems(roster: Roster, raw: dict[str, Any], positions: _yaml.Positions,
                     path: str) -> list[Problem]:
    """Role keys that are not slugs, people ids that are not clean, holdings that end before they
    start, and a person holding one role twice over the same days."""
    problems = []
    for role, spec in roster.roles.items():
        if not is_role(role):
            problems.append(_problem(path, positions.key(("roles", role)),
                                     f"roles: {role!r} is not a role slug: write it in lower case ASCII "
                                     "letters, digits and hyphens, e.g. support-agent"))
        for i, holder in enumerate(spec.held_by):
            where = ("roles", role, "held_by", i)
            if problem := person_problem(holder.person):
                problems.append(_problem(path, positions.value((*where, "person")),
                                         f"roles.{role}.held_by[{i}].person: {problem}"))
            if holder.until is not None and holder.until < holder.from_:
                problems.append(_problem(path, positions.value((*where, "until")),
                                         f"roles.{role}: `until` is before `from`"))
        by_person: dict[str, list[Holder]] = {}
        for holder in spec.held_by:
            by_person.setdefault(holder.person, []).append(holder)
        for person, held in by_person.items():
            spans = sorted(held, key=lambda h: h.from_)
            for a, b in itertools.pairwise(spans):
                if a.until is None or b.from_ <= a.until:
                    i = spec.held_by.index(b)
                    problems.append(_problem(
                        path, positions.key(("roles", role, "held_by", i)),
                        f"roles.{role}: {person} from {b.from_} overlaps {person}'s own holding from "
                        f"{a.from_}; merge the two into one"))
    return problems


def document_of(model: Contract | Roster) -> Document:
    """A model built in code as a Document (positions from its YAML form), so lint can run on it."""
    body = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    name = model.workflow if isinstance(model, Contract) else "roster"
    return parse(yaml.safe_dump(body, sort_keys=False), f"<{model.kind} {name}>")


def load_file(path: str | os.PathLike[str]) -> Document:
    """Read and parse a file; unreadable files are an :class:`InvalidFile` too."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise InvalidFile([Problem(shown, 1, 1, INVALID, f"cannot read file: {reason}")]) from None
    return parse(text, shown)


def kind_of(path: Path) -> str | None:
    """``contract``/``roster`` when the file says so at top level, else None (not ours)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return "unreadable"
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].rstrip()
        if stripped.startswith("kind:"):
            value = stripped.split(":", 1)[1].strip().strip("'\"")
            return value if value in ("contract", "roster") else None
    return None


def discover(paths: list[str]) -> Iterator[str]:
    """Files to lint: named files as given; folders searched for *.yaml/*.yml, dot-folders skipped."""
    for given in paths:
        p = Path(given)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.endswith((".yaml", ".yml")):
                        f = Path(root) / name
                        if kind_of(f) is not None:
                            yield str(f)
        else:
            yield given
