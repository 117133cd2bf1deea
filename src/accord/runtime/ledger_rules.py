"""The rules the ledger enforces on client events, one small function per event type.

A rule sees one parsed event in the light of its case (a :class:`Step`) and
returns the ``data`` to store, or None after noting why it refuses with
``step.refuse``; a refusal refuses the whole batch. Adding a rule touches one
place: a new ``@ledger_rule``. Types without a rule are stored as sent.
``case.opened`` is the one event without a case yet: :func:`open_case`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accord.contract.model import Contract
from accord.runtime.book import Book
from accord.runtime.events import Event
from accord.runtime.evidence import exception_decisions, failed_policies, judge, latest_text
from accord.runtime.writer import ENFORCE, Batch
from accord.store.stored import StoredEvent
from accord.vocab import WHOLE_ACTION

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "number": (int, float), "integer": (int,), "boolean": (bool,),
}
_JSON_KINDS: dict[type, str] = {str: "a string", bool: "true or false", int: "a number", float: "a number",
                                dict: "an object", list: "a list", type(None): "null"}


@dataclass
class CaseState:
    """A case's pinned contract and its records, as the write path sees them."""

    case: str
    workflow: str
    version: int
    contract: Contract
    events: list[StoredEvent]

    def copy(self) -> CaseState:
        """A copy whose event list a refused batch may extend without touching this one."""
        return CaseState(self.case, self.workflow, self.version, self.contract, list(self.events))

    def raised(self) -> dict[str, str]:
        """Each raised exception's route name and due time."""
        return {e.data["exception"]: e.data["due"] for e in self.events if e.type == "exception.raised"}


@dataclass
class Step:
    """One client event under the ledger's rules, with its case and the batch it joins."""

    event: Event
    where: str
    state: CaseState
    batch: Batch
    book: Book

    def refuse(self, field: str, message: str) -> None:
        self.batch.refuse(self.where, field, message)


LedgerRule = Callable[[Step], "dict[str, Any] | None"]
_RULES: dict[str, LedgerRule] = {}


def ledger_rule(event_type: str) -> Callable[[LedgerRule], LedgerRule]:
    """Register the rule for ``event_type``; one rule a type."""
    def register(rule: LedgerRule) -> LedgerRule:
        if event_type in _RULES:
            raise ValueError(f"ledger rule for {event_type!r} registered twice")
        _RULES[event_type] = rule
        return rule
    return register


def apply_rule(step: Step) -> dict[str, Any] | None:
    """The data to store for ``step.event`` under its type's rule (as sent when it has none)."""
    rule = _RULES.get(step.event.type)
    return step.event.data if rule is None else rule(step)


def open_case(event: Event, where: str, book: Book, batch: Batch) -> tuple[str, int] | None:
    """`case.opened`: its workflow has an applied contract and its attributes match the
    declared types. Returns the (workflow, version) the case pins, or None when refused."""
    def refuse(field: str, message: str) -> None:
        batch.refuse(where, field, message)

    workflow = event.data["workflow"]
    version = book.latest_version(workflow)
    if version is None:
        refuse("data.workflow", f"no contract is applied for workflow {workflow!r}; "
               "run `accord contract apply` first")
        return None
    contract = book.pinned(workflow, version)
    attributes = event.data.get("attributes", {})
    ok = True
    for name, kind in contract.attributes.items():
        if name not in attributes:
            refuse(f"data.attributes.{name}", f"required by {workflow} ({kind})")
            ok = False
        elif not isinstance(attributes[name], _PY_TYPES[kind]) or (
                kind != "boolean" and isinstance(attributes[name], bool)):
            got = attributes[name]
            what = repr(got) if type(got) is float else _JSON_KINDS.get(type(got), "another JSON value")
            article = "an" if kind == "integer" else "a"
            refuse(f"data.attributes.{name}", f"must be {article} {kind}, got {what}")
            ok = False
    for name in attributes:
        if name not in contract.attributes:
            declared = ", ".join(contract.attributes) or "none"
            refuse(f"data.attributes.{name}",
                   f"not declared by the {workflow} contract (declared: {declared})")
            ok = False
    return (workflow, version) if ok else None


@ledger_rule("review.recorded")
def review_recorded(step: Step) -> dict[str, Any] | None:
    """Attests only quality dimensions (or whole_action), and only after an output."""
    state, data = step.state, step.event.data
    allowed = set(state.contract.dimensions) | {WHOLE_ACTION}
    unknown = [a for a in data["attests"] if a not in allowed]
    if unknown:
        step.refuse("data.attests", f"{', '.join(unknown)} not in the quality bar of "
                    f"{state.workflow} (use {', '.join(sorted(allowed))})")
        return None
    if not any(e.type == "output.generated" for e in state.events):
        step.refuse("type", "a review before any output.generated: there is nothing to review")
        return None
    return data


@ledger_rule("exception.decided")
def exception_decided(step: Step) -> dict[str, Any] | None:
    """Decides a raised exception: the one named, else the latest undecided one."""
    case, data = step.state.case, step.event.data
    decisions = exception_decisions(step.state.events)
    name = data.get("exception")
    if not decisions:
        step.refuse("type", f"no exception was raised on case {case!r}: nothing to decide")
        return None
    if name is None:
        undecided = [n for n, d in decisions.items() if d is None]
        name = undecided[-1] if undecided else list(decisions)[-1]
    elif name not in decisions:
        step.refuse("data.exception", f"no exception {name!r} was raised on case {case!r} "
                    f"(raised: {', '.join(decisions)})")
        return None
    return {**data, "exception": name}


@ledger_rule("human.edited")
def human_edited(step: Step) -> dict[str, Any] | None:
    """Stores the diff against the previous text beside the new text."""
    data = step.event.data
    before = latest_text(step.state.events) or ""
    diff = "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        data["content"].splitlines(keepends=True), "before", "after"))
    return {**data, "diff": diff}


@ledger_rule("action.taken")
def action_taken(step: Step) -> dict[str, Any] | None:
    """Under `enforce: true`, refused unless its approval and evidence are there."""
    state, data = step.state, step.event.data
    if not state.contract.enforce:
        return data
    missing = enforcement_gaps(step)
    if missing:
        step.batch.missing.extend(missing)
        step.refuse(ENFORCE, f"{state.workflow} enforces its contract; action refused, missing: "
                    + "; ".join(missing))
        return None
    return data


def enforcement_gaps(step: Step) -> list[str]:
    """What an enforced action lacks, judged as if it were stored."""
    state, event, batch = step.state, step.event, step.batch
    probe = StoredEvent(batch.next_seq, state.case, state.workflow, event.type, event.at_text,
                        event.actor, event.data, state.version, batch.recorded_at)
    events = [*state.events, probe]
    report = judge(state.contract, events, step.book.roles(refresh=False))
    gaps = report.approval.lacking() if not report.approval.holds else []
    gaps += [f"evidence {name}" for name in report.missing]
    gaps += [f"an override of failed policy {e.data['policy']} (seq {e.seq})"
             for e in failed_policies(state.contract, events)]
    return gaps
