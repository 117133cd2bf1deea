"""What a new roster may not do: rewrite who held a role before today, or give an owner role
two holders at once while an applied contract names it as an owner."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from accord.contract.model import Contract, Roster, owner_roles

Span = tuple[dt.date, dt.date]
_ONE_DAY = dt.timedelta(days=1)


def _spans(roster: Roster, role: str, person: str, before: dt.date) -> list[Span]:
    """The days ``person`` held ``role`` before ``before``, as merged inclusive spans."""
    spec = roster.roles.get(role)
    found = sorted((h.from_, min(h.until or before - _ONE_DAY, before - _ONE_DAY))
                   for h in (spec.held_by if spec else []) if h.person == person)
    merged: list[Span] = []
    for start, end in found:
        if end < start:
            continue
        if merged and start <= merged[-1][1] + _ONE_DAY:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _uncovered(span: Span, cover: list[Span]) -> list[Span]:
    start, end = span
    gaps = []
    for a, b in cover:
        if b < start or a > end:
            continue
        if a > start:
            gaps.append((start, a - _ONE_DAY))
        start = max(start, b + _ONE_DAY)
    if start <= end:
        gaps.append((start, end))
    return gaps


def past_changes(old: Roster, new: Roster, today: dt.date) -> list[str]:
    """Every holding of ``old`` that ``new`` removes or shortens on a day before ``today``."""
    changes = []
    for role, spec in old.roles.items():
        for person in dict.fromkeys(h.person for h in spec.held_by):
            kept = _spans(new, role, person, today)
            for span in _spans(old, role, person, today):
                for a, b in _uncovered(span, kept):
                    days = f"{a}" if a == b else f"{a}..{b}"
                    changes.append(f"roles.{role}: {person} held it {span[0]}..{span[1]}; the new roster "
                                   f"drops {days}")
    return changes


def diffuse_owners(new: Roster, contracts: Iterable[Contract]) -> list[str]:
    """Each owner role (of an applied contract) that ``new`` gives two holders on the same days."""
    problems = []
    for contract in contracts:
        for role, fields in owner_roles(contract).items():
            for a, b in new.overlaps(role)[:1]:
                problems.append(f"roles.{role}: {a.person} (from {a.from_}) and {b.person} (from {b.from_}) "
                                f"hold it on the same days, but {contract.workflow} names {role} as its "
                                f"{' and '.join(fields)}; an owner role has one holder at a time: end one "
                                "holding before the next begins")
    return problems
