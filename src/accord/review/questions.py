"""The ten-minute incident review: seven questions, each registered with its key and title.

:func:`answers` is the one implementation of them — a pure function of a case's
pinned contract and its records — used by incident review, incident open and
the drill. Each question is one small function over the case's :class:`Facts`;
the registry's order is the order they are asked in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from accord._time import format_time, human_time
from accord.contract.model import Contract
from accord.review.answering import (
    LOG_TYPES,
    QUESTIONS,
    Answer,
    Answers,
    Assignment,
    Facts,
    Question,
    keys,
    question,
    title,
)
from accord.review.causes import CAUSE_WORDS, Charge, origin, passage, route_plain
from accord.review.describe import artefact, describe, route_words, seqs, words
from accord.runtime.evidence import REVIEWED_ROUTES, judge, last_of, upto_last_action
from accord.runtime.roles import Roles
from accord.store.stored import StoredEvent

__all__ = ["LOG_TYPES", "QUESTIONS", "Answer", "Answers", "Assignment", "Facts", "Question", "answers",
           "keys", "question", "title"]


def answers(contract: Contract, events: Sequence[StoredEvent], *, failed: Sequence[str],
            faulty: Sequence[int], should_have_escalated: bool, roles: Roles, now: dt.datetime,
            assigned: Sequence[Assignment] | None = None) -> Answers:
    """Answer the seven questions for one case.

    ``events`` are the case's records in seq order (incident and learning records
    are ignored); ``failed`` the failed quality dimensions; ``faulty`` the seqs
    where the defect was introduced (unknown seqs are ignored: callers validate).
    Owners are resolved with ``roles`` at ``now`` unless ``assigned`` gives the
    stored ones. Raises nothing.
    """
    evidence = [e for e in events if e.type not in LOG_TYPES]
    judged = upto_last_action(evidence)
    action = judged[-1] if judged and judged[-1].type == "action.taken" else None
    route = last_of(judged, "routing.decided")
    by_seq = {e.seq: e for e in evidence}
    origins = [c for seq in sorted(set(faulty)) if seq in by_seq for c in origin(by_seq[seq], contract)]
    passages = [passage(dim, contract, judged, action, route, roles) for dim in dict.fromkeys(failed)]
    raised = [e.data["exception"] for e in judged if e.type == "exception.raised"]
    if should_have_escalated and not raised:
        why = "it should have escalated, but no exception route matched the case"
        passages.append(Charge("bad_exception_threshold", "exception_threshold",
                               contract.learning_owner("exception_threshold"), why, why, ""))
    charges = origins + passages
    causes = list(dict.fromkeys(c.cause for c in charges))
    if assigned is None:
        first_artefact: dict[tuple[str, str | None], str] = {}
        for c in charges:
            first_artefact.setdefault((c.cause, c.role), c.artefact)
        assigned = [Assignment(cause, name, role, roles.holder(role, now))
                    for (cause, role), name in first_artefact.items()]
    facts = Facts(contract, evidence, judged, action, route, judge(contract, evidence, roles), origins,
                  passages, causes, list(assigned), bool(faulty), should_have_escalated, raised, roles, now)
    return Answers({q.key: q.ask(facts) for q in QUESTIONS}, causes, list(assigned))


# -- the seven questions, in the order they are asked ---------------------------------------------


_PLAIN_WORD = re.compile(r"[a-z]+(?=[ :;,]|$)")


def _sentence(text: str) -> str:
    """``text`` with a full stop, and a capital first letter when it starts with a plain word
    (not a name such as margin_safe or a person's id)."""
    capital = text[:1].upper() + text[1:] if _PLAIN_WORD.match(text) else text
    return capital + ("" if text.endswith(".") else ".")


def _joined(*parts: str) -> str:
    """Details parts joined with ``; ``, each said once."""
    return "; ".join(dict.fromkeys(p for part in parts for p in part.split("; ") if p))


@question("owner", "Who owned the outcome?")
def owner(f: Facts) -> Answer:
    """Answered when the outcome owner role resolves to a person when the case opened."""
    opened = f.evidence[0]
    role = f.contract.outcome_owner if isinstance(f.contract.outcome_owner, str) else None
    if role is None:
        return Answer(False, "Nobody: the contract names no single outcome owner, so no person "
                      "answered for this case.", {"role": None, "person": None},
                      words="Nobody: the contract names no single outcome owner.")
    person = f.roles.holder(role, opened.when)
    if person is None:
        return Answer(False, f"Nobody: the outcome owner role {role} was vacant when the case opened "
                      f"at {opened.at} (the roster names no holder then).", {"role": role, "person": None},
                      words=f"Nobody: the outcome owner role {role} was vacant when the case opened "
                            f"({human_time(opened.when)}).")
    return Answer(True, f"{person} owned the outcome, as holder of the role {role} when the case "
                  f"opened at {opened.at}.", {"role": role, "person": person},
                  words=f"{person}, holder of the role {role} when the case opened "
                        f"({human_time(opened.when)}).")


@question("purpose", "What was the system supposed to do?")
def purpose(f: Facts) -> Answer:
    """Answered when the pinned contract has a purpose and a quality bar with every meaning."""
    contract, version = f.contract, f.evidence[0].contract_version
    bar = contract.quality_bar or {}
    blank = [dim for dim, meaning in bar.items() if not (meaning or "").strip()]
    text = contract.purpose.strip()
    pinned = f"contract {contract.workflow} version {version}"
    if not text or not bar or blank:
        lacks = ("no purpose" if not text else "no quality bar" if not bar
                 else f"no meaning for {words(blank)} in its quality bar")
        return Answer(False, f"Unknown: contract version {version} of {contract.workflow}, which the "
                      f"case pinned, has {lacks}.",
                      words=f"Unknown: the contract the case pinned has {lacks}.", details=pinned)
    good = "; ".join(f"{dim} — {(meaning or '').strip().rstrip('.')}" for dim, meaning in bar.items())
    return Answer(True, f"{text} Good meant (contract version {version}): {good}.",
                  words=f"{text} Its quality bar: {words(bar)}.", details=pinned)


@question("human_check", "What was the human supposed to check?")
def human_check(f: Facts) -> Answer:
    """Answered when a routing decision precedes the last action."""
    route, action = f.route, f.action
    if route is None:
        before = f" before the action at seq {action.seq}" if action else ""
        return Answer(False, f"Unknown: no routing.decided was recorded{before}, because no "
                      "output.generated was; nobody was told what to check.",
                      words="Unknown: no routing decision was recorded, because no AI output was; "
                            "nobody was told what to check.",
                      details=f"action.taken seq {action.seq}" if action else "")
    d = route.data
    text = f"At seq {route.seq} accord routed the output: {route_words(d)}."
    said, rule = route_plain(d)
    plain = _sentence(said if d["review"] in REVIEWED_ROUTES else f"nobody: {said}")
    details = [f"routing.decided seq {route.seq}"] + ([rule] if rule else [])
    if d.get("exception"):
        text += (f" Exception {d['exception']} was raised: {d.get('exception_owner')} had to decide "
                 f"by {d['due']}.")
        plain += (f" Exception {d['exception']} was raised: a {d.get('exception_owner')} had to decide "
                  f"by {human_time(d['due'])}.")
    if d.get("errors"):
        text += " Rule errors: " + "; ".join(d["errors"]) + "."
        plain += " A rule could not be evaluated."
        details.append("rule errors: " + "; ".join(d["errors"]))
    return Answer(True, text, words=plain, details="; ".join(details))


_MISSING: dict[str, str] = {
    "input": "no input.received was recorded", "sources": "no source.used was recorded",
    "output": "no output.generated was recorded",
    "prompt_version": "no output.generated carried a prompt_version, so nobody can say which prompt made it",
    "confidence": "no output.generated carried a confidence",
    "final_action": "no action.taken was recorded",
    "override": "neither an override.recorded nor an action.taken was recorded",
}
_MISSING_WORDS: dict[str, str] = {
    "input": "no input was recorded", "sources": "no source was recorded",
    "output": "no AI output was recorded",
    "prompt_version": "no AI output (which names its prompt version) was recorded",
    "confidence": "no AI output carried a confidence", "final_action": "no action was recorded",
    "override": "neither an override nor an action was recorded",
}


def _missing_why(name: str, f: Facts) -> tuple[str, str, str]:
    """Why an evidence field is missing: with seqs (the JSON's words), in plain words, and
    the seqs behind the plain words."""
    if name == "policy":
        applied = {e.data["policy"] for e in f.judged if e.type == "policy.applied"}
        unapplied = words(p.id for p in f.contract.policies if p.id not in applied)
        return (f"no policy.applied for {unapplied}", f"no result was recorded for policy {unapplied}", "")
    if name == "approval":
        approval = f.report.approval
        lacking = "; ".join(approval.lacking()) or "an approval that holds"
        gaps = ["no routing decision"] if approval.route is None else []
        if approval.missing_dimensions:
            gaps.append(f"nobody approved {words(approval.missing_dimensions)}")
        gaps += [f"nobody approved exception {name}" for name in approval.undecided_exceptions]
        return (f"lacking {lacking}", "no approval that holds: " + ("; ".join(gaps) or "none counted"),
                "; ".join(approval.uncounted))
    if name == "edits":
        if f.action is None:
            why = "no action.taken was recorded, so the text that went out is unknown"
            return why, "no action was recorded, so the text that went out is unknown", ""
        return (f"the action at seq {f.action.seq} sent text that matches no recorded output or "
                "human.edited (an unrecorded edit)",
                "the text that went out matches no recorded output or edit (an unrecorded edit)",
                f"action.taken seq {f.action.seq}")
    fallback = f"nothing recorded satisfies {name}"
    return _MISSING.get(name, fallback), _MISSING_WORDS.get(name, fallback), ""


@question("evidence", "What evidence was available?")
def evidence(f: Facts) -> Answer:
    """Answered when every required evidence field is present."""
    report = f.report
    shown = [f"{name} ({seqs(found)})" if found else f"{name} (none declared)"
             for name, found in report.present.items()]
    listed = "; ".join(shown) or "nothing"
    recorded = words(report.present) or "nothing"
    at = "seqs: " + "; ".join(f"{name} {', '.join(map(str, found))}" if found else f"{name} none declared"
                              for name, found in report.present.items())
    if not report.missing:
        return Answer(True, f"Every required evidence field was recorded: {listed}.",
                      {"present": report.present, "missing": []},
                      words=f"Every required evidence field was recorded: {recorded}.", details=at)
    why = {name: _missing_why(name, f) for name in report.missing}
    gaps = "; ".join(f"{name}: {text}" for name, (text, _, _) in why.items())
    plain = "; ".join(f"{name} — {said}" for name, (_, said, _) in why.items())
    behind = "; ".join(detail for _, _, detail in why.values() if detail)
    return Answer(False, f"Required evidence is missing — {gaps}. Present: {listed}.",
                  {"present": report.present, "missing": report.missing},
                  words=f"Missing: {plain}. Recorded: {recorded}.",
                  details="; ".join(part for part in (at if report.present else "", behind) if part))


@question("why_passed", "Why did the output pass?")
def why_passed(f: Facts) -> Answer:
    """Answered when an action exists and a route precedes it; explains every failed dimension."""
    action, route = f.action, f.route
    if action is None:
        return Answer(False, "Unknown: no action.taken was recorded, so nothing is known to have "
                      "gone out and there is no passage to explain.",
                      words="Unknown: no action was recorded, so nothing is known to have gone out.")
    if route is None:
        return Answer(False, f"Unknown: the action at seq {action.seq} has no routing.decided before "
                      "it (no output.generated was recorded), so no route decided who checks it.",
                      words="Unknown: no routing decision came before the action (no AI output was "
                            "recorded), so no route decided who checks it.",
                      details=f"action.taken seq {action.seq}")
    text = (f"The output went out by the action at seq {action.seq} ({describe(action)}). "
            "How each failed dimension got through: " + "; ".join(c.why for c in f.passage) + ".")
    plain = " ".join(_sentence(c.words) for c in f.passage)
    details = _joined(f"action.taken seq {action.seq}", *(c.details for c in f.passage))
    if f.should_have_escalated and f.raised:
        text += (f" It was said to need escalation, and exception {words(f.raised)} was raised, "
                 "so the exception threshold is not a cause.")
        plain += (f" It needed escalation, and exception {words(f.raised)} was raised, so the "
                  "exception threshold is not a cause.")
    return Answer(True, text, words=plain, details=details)


def _origin_words(f: Facts) -> str:
    """What introduced the defect, cause by cause, in plain words."""
    return " ".join(
        _sentence(f"{CAUSE_WORDS[c]} — " + "; ".join(dict.fromkeys(ch.words for ch in f.origin
                                                                 if ch.cause == c)))
        for c in dict.fromkeys(ch.cause for ch in f.origin))


def _passage_words(f: Facts) -> str:
    """Which causes let it through, by name (how, with seqs, is `why_passed`'s to say)."""
    named = words(dict.fromkeys(CAUSE_WORDS[ch.cause] for ch in f.passage))
    return f"It got through because of {named}." if named else ""


@question("cause", "Judgment, source, prompt, policy, routing rule or exception threshold?")
def cause(f: Facts) -> Answer:
    """Answered when a faulty event was named and the passage is known."""
    found = "; ".join(f"{c} — " + "; ".join(dict.fromkeys(ch.why for ch in [*f.origin, *f.passage]
                                                          if ch.cause == c)) for c in f.causes)
    extra = {"causes": list(f.causes)}
    details = _joined(", ".join(f.causes), *(ch.details for ch in f.origin))
    if not f.faulty_given or not f.origin:
        return Answer(False, "The origin is undetermined: no faulty event was named, so nobody can "
                      "say which artefact introduced the defect (name it with --faulty SEQ). "
                      f"The passage alone points at: {found}.", extra,
                      words="The origin is undetermined: no faulty event was named, so nobody can say "
                            f"what introduced the defect. {_passage_words(f)}", details=details)
    why = why_passed(f)
    if not why.answered:
        return Answer(False, "The passage is unknown: " + why.text + f" Origin: {found}.", extra,
                      words=f"{_origin_words(f)} How it got through is unknown.", details=details)
    return Answer(True, f"Causes, origin first: {found}.", extra,
                  words=f"{_origin_words(f)} {_passage_words(f)}", details=details)


@question("who_changes", "Who changes the system now?")
def who_changes(f: Facts) -> Answer:
    """Answered when every owner resolves to a person at incident open."""
    owners = {"owners": [a.as_owner() for a in f.assigned]}
    if not f.assigned:
        return Answer(False, "Nobody: no cause was found, so no owner can be named.", owners,
                      words="Nobody: no cause was found, so no owner can be named.")
    gaps, said = [], []
    for a in f.assigned:
        if a.role is None:
            gaps.append(f"the contract names no owner for the {artefact(a.artefact)} "
                        f"(learning.{a.artefact}), needed for {a.cause}")
            said.append(f"the contract names no owner for the {artefact(a.artefact)}")
        elif a.person is None:
            gaps.append(f"nobody held {a.role} (owner of the {artefact(a.artefact)}, for {a.cause}) "
                        f"at {format_time(f.now)}")
            said.append(f"nobody held {a.role}, the owner of the {artefact(a.artefact)}, when the "
                        "incident was opened")
    plan = "; ".join(
        f"{a.role or 'nobody'} ({a.person or 'vacant'}) changes the {artefact(a.artefact)} for {a.cause}"
        + (f" ({a.learning_action}, due {a.due})" if a.learning_action else "") for a in f.assigned)
    who = "; ".join(f"{a.person or 'nobody'} ({a.role or 'no role named'}) changes the "
                    f"{artefact(a.artefact)}" for a in f.assigned)
    details = "; ".join(f"{a.learning_action or 'no learning action'} for {a.cause}" for a in f.assigned)
    if gaps:
        return Answer(False, "Not everyone who must change the system can be named: " + "; ".join(gaps)
                      + f". Name the owners in the contract and the holders in the roster. Plan: {plan}.",
                      owners, words=_sentence("; ".join(said)) + " Name the owners in the contract and "
                      "the holders in the roster.", details=details)
    return Answer(True, f"{plan}.", owners, words=f"{who}.", details=details)
