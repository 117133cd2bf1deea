"""One case of a workflow, as the SDK records it: each method records one event and
returns once it is committed; :meth:`Case.output` returns the route accord decided.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Any

from accord._time import format_time
from accord.errors import EventProblem, EventRefused, NotFound
from accord.integrity.canonical import canonical_bytes
from accord.review import describe as words
from accord.runtime.recording import Recorded
from accord.runtime.routing import Route
from accord.store.stored import StoredEvent

if TYPE_CHECKING:
    from accord.ledger import Ledger
    from accord.runtime.core import Core

When = dt.datetime | str | None
"""An event's time: an aware datetime, an RFC 3339 string, or None for the ledger's clock now."""


class Case:
    """One case of a workflow; every method records an event and returns once committed.

    Re-running a job must not double its evidence, so the SDK gives events an
    ``id`` where it can make one that a re-run makes again: ``case.opened`` gets
    ``<case>/case.opened``, and every event given an explicit ``at`` gets
    ``sdk:`` and the SHA-256 of its case, type, time, actor, data and note. An
    event whose id is already stored is skipped, not stored twice. Events
    stamped with the clock's "now" get no id: a re-run happens at another time.
    """

    def __init__(self, ledger: Ledger, workflow: str, case_id: str, actor: str) -> None:
        self.ledger = ledger
        self.workflow = workflow
        self.id = case_id
        self.actor = actor
        self.route: Route | None = None
        """The route of the latest output this object recorded."""

    def __enter__(self) -> Case:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _record(self, kind: str, data: dict[str, Any], at: When, actor: str | None,
                note: str | None = None, event_id: str | None = None) -> Recorded:
        when = at if isinstance(at, str) else format_time(at or self.ledger.clock.now())
        event: dict[str, Any] = {"case": self.id, "type": kind, "at": when, "actor": actor or self.actor,
                                 "data": {k: v for k, v in data.items() if v is not None}}
        if note is not None:
            event["note"] = note
        if event_id is None and at is not None:
            event_id = _content_id(event)
        if event_id is not None:
            event["id"] = event_id
        return self.ledger.record_many([event], [f"{kind} of case {self.id}"])

    def input(self, content: str | dict[str, Any], *, at: When = None, actor: str | None = None) -> None:
        """Record what the AI system was asked (`input.received`)."""
        self._record("input.received", {"content": content}, at, actor)

    def source(self, uri: str, *, version: str | None = None, excerpt: str | None = None,
               at: When = None, actor: str | None = None) -> None:
        """Record a source the output drew on (`source.used`)."""
        self._record("source.used", {"uri": uri, "version": version, "excerpt": excerpt}, at, actor)

    def output(self, content: str, *, model: str, prompt_version: str | None = None,
               playbook_version: str | None = None, confidence: float | None = None,
               at: When = None, actor: str | None = None) -> Route:
        """Record an AI output (`output.generated`); returns the route accord decided for it."""
        recorded = self._record("output.generated", {
            "content": content, "model": model, "prompt_version": prompt_version,
            "playbook_version": playbook_version, "confidence": confidence}, at, actor)
        route = recorded.routes.get(self.id)
        if route is None:  # a re-run: the output was stored before, with its route
            decided = self.ledger.case_view(self.id).route
            assert decided is not None
            route = Route.from_data(decided.data, decided.seq)
        self.route = route
        return route

    def edit(self, content: str, *, by: str, at: When = None) -> None:
        """Record a person's edit of the text (`human.edited`; accord stores the diff)."""
        self._record("human.edited", {"content": content}, at, by)

    def review(self, *, reviewer: str, attests: list[str], decision: str = "approved",
               note: str | None = None, at: When = None) -> None:
        """Record a review: exactly which quality dimensions ``reviewer`` attests, and the decision
        (`approved`, `rejected` or `changes_requested`)."""
        self._record("review.recorded", {"reviewer": reviewer, "attests": attests,
                                         "decision": decision, "note": note}, at, reviewer)

    def policy(self, policy: str, *, version: str, result: str, at: When = None,
               actor: str | None = None) -> None:
        """Record an automated check's result (`pass`, `fail` or `not_applicable`)."""
        self._record("policy.applied", {"policy": policy, "version": version, "result": result},
                     at, actor)

    def decide(self, *, decider: str, decision: str, exception: str | None = None,
               note: str | None = None, at: When = None) -> None:
        """Decide a raised exception (the latest undecided one unless ``exception`` names it):
        `approved`, `rejected` or `modified`."""
        self._record("exception.decided", {"decider": decider, "decision": decision,
                                           "exception": exception, "note": note}, at, decider)

    def override(self, *, by: str, what: str, reason: str, at: When = None) -> None:
        """Record that ``by`` overrode ``what`` (e.g. a failed policy), and why."""
        self._record("override.recorded", {"by": by, "what": what, "reason": reason}, at, by)

    def action(self, action: str, *, by: str, content: str | None = None, at: When = None) -> None:
        """Record the final action; with ``enforce: true`` raises ActionRefused when it lacks
        approval or evidence (nothing is stored then)."""
        self._record("action.taken", {"action": action, "by": by, "content": content}, at, by)

    def outcome(self, kind: str, description: str, *, at: When = None,
                actor: str | None = None) -> None:
        """Record what happened afterwards: a `complaint`, `harm`, `correction` or `praise`."""
        self._record("outcome.reported", {"kind": kind, "description": description}, at, actor)


def opening_id(case: str) -> str:
    """The id the SDK gives a case's ``case.opened``: ``<case>/case.opened`` (hashed when long)."""
    plain = f"{case}/case.opened"
    return plain if len(plain) <= 128 else "sdk:" + hashlib.sha256(plain.encode()).hexdigest()[:40]


def _content_id(event: dict[str, Any]) -> str | None:
    """``sdk:`` and the SHA-256 of the event's content: the same call makes the same id."""
    try:
        return "sdk:" + hashlib.sha256(canonical_bytes(event)).hexdigest()[:40]
    except ValueError:
        return None  # a value that cannot be stored: the ledger refuses the event and says why


def open_or_resume(ledger: Ledger, core: Core, workflow: str, case_id: str,
                   attributes: dict[str, Any] | None, at: When, actor: str) -> Case:
    """The case ``case_id``: opened with ``attributes`` if new, else resumed, checking that it
    belongs to ``workflow`` and (when given) keeps the attributes it opened with."""
    try:
        opened: StoredEvent | None = core.case_events(case_id)[0]
    except NotFound:
        opened = None
    case = Case(ledger, workflow, case_id, actor)
    if opened is None:
        case._record("case.opened", {"workflow": workflow, "attributes": attributes or {}}, at, actor,
                     event_id=opening_id(case_id))
        return case
    if opened.workflow != workflow:
        raise EventRefused([EventProblem(f"case {case_id}", "case", f"case {case_id!r} belongs to "
                                         f"workflow {opened.workflow!r}, not {workflow!r}")])
    if attributes is not None and attributes != opened.data.get("attributes", {}):
        raise EventRefused([EventProblem(
            f"case {case_id}", "data.attributes", f"case {case_id!r} is already open (seq {opened.seq}) "
            f"with attributes ({words.attributes(opened.data.get('attributes', {}))}), not "
            f"({words.attributes(attributes)}); a case keeps "
            "the attributes it opened with")])
    return case

