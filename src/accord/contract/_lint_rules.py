"""The lint rules, one small registered function each, in the order the reference lists them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from typing import Final

from accord.contract._lint_base import Hit, Subject, rule
from accord.contract.loading import INVALID
from accord.contract.model import Contract, Roster
from accord.rules import problems as rule_problems
from accord.vocab import LEARNING_ARTEFACTS, WHOLE_ACTION, is_role

# -- owner fields ---------------------------------------------------------------------------

OwnerValue = str | list[str]

_TOOL_NAMES: Final = frozenset({
    "ai", "the ai", "model", "the model", "llm", "bot", "chatbot", "tool", "system",
    "automation", "assistant", "copilot", "agent", "the agent",
})
_TOOL_PREFIXES: Final = ("system:", "gpt-", "claude", "gemini", "llama")
_DIFFUSE_NAMES: Final = frozenset({
    "process", "the process", "everyone", "everybody", "all", "all teams",
})
_DIFFUSE_WORD: Final = re.compile(r"\b(committee|board|council)\b")
_DIFFUSE_JOINERS: Final = (" and ", " & ", "/", ",")


def _blank(value: object) -> bool:
    """A field that says nothing: absent, an empty list, or blank text."""
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def names_a_tool(value: str) -> bool:
    """True when an owner value blames a tool rather than naming a role."""
    v = value.strip().lower()
    return v in _TOOL_NAMES or v.startswith(_TOOL_PREFIXES) or v.endswith("-bot")


def is_diffuse(value: str) -> bool:
    """True when an owner value names a crowd, a process or a body rather than one role."""
    v = value.strip().lower()
    return (v in _DIFFUSE_NAMES or _DIFFUSE_WORD.search(v) is not None
            or any(joiner in v for joiner in _DIFFUSE_JOINERS))


def owner_fields(contract: Contract) -> Iterator[tuple[tuple[str | int, ...], OwnerValue | None]]:
    """Every owner field of ``contract``: (its path in the file, its value or None)."""
    review = contract.review
    yield ("outcome_owner",), contract.outcome_owner
    yield ("review", "reviewer"), review.reviewer
    yield ("review", "threshold_owner"), review.threshold_owner
    yield ("review", "sampling_owner"), review.sampling_owner
    for i, route in enumerate(contract.exceptions):
        yield ("exceptions", i, "owner"), route.owner
        yield ("exceptions", i, "escalate_to"), route.escalate_to
    if contract.learning is not None:
        for artefact in LEARNING_ARTEFACTS:
            yield ("learning", artefact), getattr(contract.learning, artefact)


def _label(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def owner_verdict(value: OwnerValue, roster: Roster | None, today: dt.date,
                  single: bool = False) -> tuple[str, str] | None:
    """The one rule an owner value breaks, with its message, or None when it is fine.

    Precedence: ``tool-as-owner``, ``diffuse-owner``, then ``invalid-file``
    for a value that is not a role slug, then — with a roster — ``unknown-role``,
    ``diffuse-owner`` again for an owner role (``single``) whose holdings overlap
    in the roster, and ``vacant-role``.
    """
    if isinstance(value, list):
        tool = next((v for v in value if isinstance(v, str) and names_a_tool(v)), None)
        if tool is not None:
            return ("tool-as-owner", f"{tool!r} is a tool, not a role; a tool cannot be held "
                    "to account: name the one role of the person who answers for it")
        listed = ", ".join(str(v) for v in value)
        return ("diffuse-owner", f"a list of owners ([{listed}]) makes nobody accountable: "
                "name exactly one role")
    if names_a_tool(value):
        return ("tool-as-owner", f"{value!r} is a tool, not a role; a tool cannot be held to "
                "account: name the role of the person who answers for it (e.g. support-ops-lead)")
    if is_diffuse(value):
        return ("diffuse-owner", f"{value!r} makes nobody accountable: name exactly one role")
    if not is_role(value):
        return (INVALID, f"{value!r} is not a role slug: write one role in lower case with "
                "digits and hyphens, e.g. support-ops-lead")
    if roster is None:
        return None
    if value not in roster.roles:
        return ("unknown-role", f"role {value!r} is not defined in the roster: add it to the "
                "roster or correct the spelling")
    if single and (overlap := roster.overlaps(value)):
        a, b = overlap[0]
        return ("diffuse-owner", f"role {value!r} owns something here, so one person must hold it at a "
                f"time, but the roster has {a.person} (from {a.from_}) and {b.person} (from {b.from_}) "
                "holding it on the same days: end one holding before the next begins")
    if roster.holder(value, today) is None:
        return ("vacant-role", f"role {value!r} has no holder on {today.isoformat()}: "
                "add the person who holds it to the roster")
    return None


_SINGLE_OWNER_FIELDS: Final = {("outcome_owner",), ("review", "threshold_owner"),
                                ("review", "sampling_owner")}


def owner_hits(s: Subject, rule_id: str) -> Iterator[Hit]:
    """Where an owner field breaks ``rule_id`` (each field breaks at most one rule)."""
    for path, value in owner_fields(s.contract):
        if value is None or _blank(value):
            continue
        single = path in _SINGLE_OWNER_FIELDS or path[0] == "learning"
        verdict = owner_verdict(value, s.roster, s.today, single)
        if verdict is not None and verdict[0] == rule_id:
            yield Hit(s.at(*path), f"{_label(path)}: {verdict[1]}")


# -- the rules, in the reference's order ---------------------------------------------------------------


@rule("missing-outcome-owner")
def missing_outcome_owner(s: Subject) -> Iterator[Hit]:
    """The contract names no `outcome_owner`: nobody owns the outcome."""
    if _blank(s.contract.outcome_owner):
        yield Hit(s.at("outcome_owner"), "outcome_owner is missing: name the one role "
                  "accountable for the outcome, e.g. outcome_owner: support-ops-lead")


@rule("tool-as-owner")
def tool_as_owner(s: Subject) -> Iterator[Hit]:
    """An owner field names a tool (the model, a bot, system:…) instead of a role."""
    yield from owner_hits(s, "tool-as-owner")


@rule("diffuse-owner")
def diffuse_owner(s: Subject) -> Iterator[Hit]:
    """An owner field is a list, a crowd, a process or a committee instead of one role."""
    yield from owner_hits(s, "diffuse-owner")


@rule("undefined-quality-bar")
def undefined_quality_bar(s: Subject) -> Iterator[Hit]:
    """`quality_bar` is missing or empty, or a dimension has no meaning."""
    bar = s.contract.quality_bar
    if not bar:
        state = "missing" if bar is None else "empty"
        yield Hit(s.at("quality_bar"), f"quality_bar is {state}: say what good means, one line "
                  "per dimension, e.g. correct: Refund amount matches the order record.")
        return
    for dimension, meaning in bar.items():
        if _blank(meaning):
            yield Hit(s.at("quality_bar", dimension), f"quality_bar.{dimension} has no meaning: "
                      f"say in one sentence what {dimension} means for this workflow")


@rule("reviewer-scope-undefined")
def reviewer_scope_undefined(s: Subject) -> Iterator[Hit]:
    """A review without a `reviewer`, or whose `attests` is missing, empty or outside the quality bar."""
    review = s.contract.review
    if review.mode == "none":
        return
    if _blank(review.reviewer):
        yield Hit(s.at("review", "reviewer"), f"review.reviewer is missing for mode {review.mode}: "
                  "name the role that reviews")
    if not review.attests:
        yield Hit(s.at("review", "attests"), "review.attests is missing or empty: list the quality "
                  "dimensions an approval vouches for, or [whole_action]")
        return
    bar = s.contract.dimensions
    for i, attested in enumerate(review.attests):
        if attested != WHOLE_ACTION and attested not in bar:
            yield Hit(s.at("review", "attests", i), f"review.attests names {attested!r}, which the "
                      "quality_bar does not define: add it to quality_bar or remove it here")


@rule("unchecked-quality-dimension", severity="warning")
def unchecked_quality_dimension(s: Subject) -> Iterator[Hit]:
    """A quality dimension no review attests, no policy covers and no accepted risk names."""
    contract = s.contract
    attested = set(contract.review.attests or []) if contract.review.mode != "none" else set()
    if WHOLE_ACTION in attested:
        return
    covered = {d for policy in contract.policies for d in policy.covers}
    accepted = {risk.dimension for risk in contract.accepted_risks}
    for dimension in contract.dimensions:
        if dimension not in attested | covered | accepted:
            yield Hit(s.key_at("quality_bar", dimension), f"nobody checks {dimension!r}: attest it "
                      "in review.attests, cover it with a policy, or name it in accepted_risks")


@rule("sampling-without-owner")
def sampling_without_owner(s: Subject) -> Iterator[Hit]:
    """Mode `sampled` without a `sample_rate` in (0, 1] or without a `sampling_owner`."""
    review = s.contract.review
    if review.mode != "sampled":
        return
    if review.sample_rate is None:
        yield Hit(s.at("review", "sample_rate"), "mode sampled needs review.sample_rate, the share "
                  "of cases reviewed, in (0, 1], e.g. 0.1")
    elif not 0 < review.sample_rate <= 1:
        yield Hit(s.at("review", "sample_rate"), f"review.sample_rate {review.sample_rate} is "
                  "outside (0, 1]: give the share of cases reviewed, e.g. 0.1")
    if _blank(review.sampling_owner):
        yield Hit(s.at("review", "sampling_owner"), "mode sampled needs review.sampling_owner: "
                  "the role that answers for the cases nobody reviews")


@rule("threshold-without-owner")
def threshold_without_owner(s: Subject) -> Iterator[Hit]:
    """Mode `risk_based` without `skip_when` or `threshold_owner`; mode `none` without `threshold_owner`."""
    review = s.contract.review
    if review.mode == "risk_based" and _blank(review.skip_when):
        yield Hit(s.at("review", "skip_when"), "mode risk_based needs review.skip_when: the CEL "
                  "rule that lets a case skip review, e.g. \"risk < 0.2 && amount < 50\"")
    if review.mode in ("risk_based", "none") and _blank(review.threshold_owner):
        yield Hit(s.at("review", "threshold_owner"), f"mode {review.mode} needs "
                  "review.threshold_owner: the role that answers for the cases nobody reviews")


_ROUTE_FIELDS: Final = {
    "name": "give the route a name, e.g. large-refund",
    "when": "write the CEL condition that raises it, e.g. \"amount >= 500\"",
    "owner": "name the role that decides",
    "decide_within": "set how long the owner has to decide, e.g. 4h",
    "evidence": "list the evidence the decider needs, e.g. [input, output, sources]",
    "escalate_to": "name the role it escalates to when the time runs out",
}


@rule("exception-route-incomplete")
def exception_route_incomplete(s: Subject) -> Iterator[Hit]:
    """An exception route without `name`, `when`, `owner`, `decide_within`, `evidence` or `escalate_to`."""
    for i, route in enumerate(s.contract.exceptions):
        shown = route.name if not _blank(route.name) else f"#{i + 1}"
        for name, advice in _ROUTE_FIELDS.items():
            if _blank(getattr(route, name)):
                yield Hit(s.at("exceptions", i, name), f"exception {shown} has no {name}: {advice}")


_EVIDENCE_NEEDED: Final = {
    "input": "what the AI was asked",
    "sources": "what it read",
    "output": "what it produced",
    "edits": "what a person changed",
    "approval": "who approved what",
    "policy": "which automated checks ran",
    "final_action": "what was done in the end",
}


@rule("evidence-incomplete")
def evidence_incomplete(s: Subject) -> Iterator[Hit]:
    """`evidence.required` lacks one of input, sources, output, edits, approval, policy, final_action."""
    required = set(s.contract.required_evidence)
    for name, shows in _EVIDENCE_NEEDED.items():
        if name == "approval" and s.contract.review.mode == "none":
            continue
        if name not in required:
            yield Hit(s.at("evidence", "required"), f"evidence.required lacks {name} ({shows}); "
                      "an incident review cannot answer without it: add it")


@rule("learning-without-owner")
def learning_without_owner(s: Subject) -> Iterator[Hit]:
    """A learning artefact (prompt, playbook, data source …) that nobody owns changing."""
    learning = s.contract.learning
    for artefact in LEARNING_ARTEFACTS:
        owner = getattr(learning, artefact) if learning is not None else None
        if _blank(owner):
            yield Hit(s.at("learning", artefact), f"learning.{artefact} has no owner: name the role "
                      f"that changes the {artefact.replace('_', ' ')} after a failure")


@rule("unknown-role")
def unknown_role(s: Subject) -> Iterator[Hit]:
    """With `--roster`: a role the roster does not define."""
    yield from owner_hits(s, "unknown-role")


@rule("vacant-role", severity="warning")
def vacant_role(s: Subject) -> Iterator[Hit]:
    """With `--roster`: a role that nobody holds today."""
    yield from owner_hits(s, "vacant-role")


@rule("invalid-rule")
def invalid_rule(s: Subject) -> Iterator[Hit]:
    """A `skip_when` or `when` that does not compile, is not boolean, or reads an undeclared name."""
    contract = s.contract
    expressions: list[tuple[tuple[str | int, ...], str | None]] = [
        (("review", "skip_when"), contract.review.skip_when)]
    expressions += [(("exceptions", i, "when"), route.when)
                    for i, route in enumerate(contract.exceptions)]
    for path, expression in expressions:
        if expression is None or _blank(expression):
            continue
        problems = rule_problems(expression, contract.attributes)
        if problems:
            yield Hit(s.at(*path), f"{_label(path)} {expression!r}: {'; '.join(problems)}")


@rule("duplicate-workflow")
def duplicate_workflow(s: Subject) -> Iterator[Hit]:
    """Two contracts in the linted set name the same workflow."""
    others = [d.path for d in s.linted if d is not s.doc
              and isinstance(d.model, Contract) and d.model.workflow == s.contract.workflow]
    if others:
        yield Hit(s.at("workflow"), f"workflow {s.contract.workflow!r} is also defined in "
                  f"{', '.join(others)}: one contract per workflow; rename one or merge them")
