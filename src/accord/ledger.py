"""accord's front door: ``accord.open(url)`` returns a :class:`Ledger` with every use case.

The CLI, the SDK and every other adapter call these methods and nothing
beneath them; each returns a typed, frozen result whose ``as_json()`` is the
JSON the CLI prints. Times default to the ledger's clock (``now``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from accord._progress import Progress
from accord.case import Case, When, open_or_resume
from accord.contract.applying import document, lint_for_apply
from accord.contract.model import Contract, Roster
from accord.integrity import proofs
from accord.integrity import verify as integrity
from accord.integrity.checkpoint import Signer, Verifier
from accord.review import drill as drilling
from accord.review import incidents, learning
from accord.review.drill import DrillReport
from accord.review.incidents import DEFAULT_DUE_IN, IncidentOpened, IncidentReview, IncidentSummary
from accord.review.learning import LearningAction
from accord.runtime import queues
from accord.runtime.book import AppliedContract, AppliedRoster
from accord.runtime.cases import CaseSummary, CaseView, case_view, list_cases
from accord.runtime.core import CheckedRecords, Core
from accord.runtime.events import SYSTEM_ACTOR
from accord.runtime.findings import Finding, find
from accord.runtime.queues import Escalation, QueueItem
from accord.runtime.recording import GroupRequest, Recorded
from accord.service import tokens
from accord.service.session import Session
from accord.service.tokens import Caller, TokenCreated, TokenInfo
from accord.store.ports import Clock, Store
from accord.store.stored import StoredEvent

DEFAULT_URL = "sqlite:///accord.db"


def open(url: str = DEFAULT_URL, *, clock: Clock | None = None, store: Store | None = None,
         create: bool = True, read_only: bool = False) -> Ledger:
    """Open the ledger at ``url``, migrating an older one; with ``create`` (the default) a
    database without a ledger gets one, without it that is a StorageError. ``read_only``
    opens it so that nothing can be written (no file created, no schema upgraded): every
    use case that would write raises StorageError.

    ``sqlite:///FILE`` is the embedded default; ``postgresql://…`` the scale
    backend; ``store`` (e.g. ``accord.testing.MemoryStore()``) replaces the URL.
    Raises StorageError when the database cannot be opened.
    """
    if store is None:
        from accord.store.sql import SqlStore

        store = SqlStore(url, create=create, read_only=read_only)
    return Ledger(Core(store, clock))


class Ledger:
    """An open ledger and every use case on it. Thread-safe; processes may share a database."""

    def __init__(self, core: Core) -> None:
        self._core = core

    @property
    def store(self) -> Store:
        """The store this ledger reads and appends to (for integrity tools and tests)."""
        return self._core.store

    @property
    def clock(self) -> Clock:
        """The clock that stamps ``recorded_at`` and stands in for an omitted ``now``."""
        return self._core.clock

    def close(self) -> None:
        """Close the ledger's database connections (also on leaving a ``with`` block)."""
        self._core.store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _now(self, now: dt.datetime | None) -> dt.datetime:
        return now if now is not None else self._core.clock.now()

    # -- set up: contracts and rosters ----------------------------------------------------------

    def apply_contract(self, source: Contract | str | os.PathLike[str], *,
                       actor: str = SYSTEM_ACTOR) -> AppliedContract:
        """Lint and apply a contract (model or file); re-applying the latest is a no-op (``new`` False).

        Raises InvalidFile for an unreadable file and ContractRefused on lint errors.
        """
        return self.apply_contracts([source], actor=actor)[0]

    def apply_contracts(self, sources: Sequence[Contract | str | os.PathLike[str]], *,
                        actor: str = SYSTEM_ACTOR) -> list[AppliedContract]:
        """Lint contracts as one set, as ``accord lint`` does, and apply them all in one write, or
        none: a single lint error anywhere refuses the whole set.

        A folder stands for every ``kind: contract`` file under it (``*.yaml``/``*.yml``,
        dot-folders skipped; rosters there are left for :meth:`apply_roster`). Returns each
        contract's version in force, in the order found; ``new`` when this call stored it.
        Raises InvalidFile when a file cannot be read (or a folder holds no contract) and
        ContractRefused on lint errors, listing every problem of the set either way.
        """
        roster = self._core.book.roster()
        contracts = lint_for_apply(sources, roster.roster if roster else None, self.clock.now().date())
        return self._core.apply_contracts(contracts, actor)

    def apply_roster(self, source: Roster | str | os.PathLike[str], *, actor: str = SYSTEM_ACTOR,
                     amend_past: str | None = None) -> AppliedRoster:
        """Apply a roster (model or file); the latest applied roster is authoritative.

        Raises RosterRefused for a roster that removes or shortens a past holding
        (unless ``amend_past`` says why; the reason is kept) or that gives an owner
        role of an applied contract two holders at once.
        """
        roster = source if isinstance(source, Roster) else document(source, "roster").model
        assert isinstance(roster, Roster)
        return self._core.apply_roster(roster, actor, amend_past)

    def contracts(self) -> list[AppliedContract]:
        """Every applied contract version, by workflow then version."""
        return self._core.book.contracts()

    def contract(self, workflow: str, version: int | None = None) -> AppliedContract:
        """An applied contract (latest version by default); raises NotFound."""
        return self._core.book.contract(workflow, version)

    def roster(self) -> AppliedRoster | None:
        """The latest applied roster, or None when none was applied (every role vacant)."""
        return self._core.book.roster()

    # -- record -------------------------------------------------------------------------------

    def record_many(self, events: Sequence[Any], wheres: Sequence[str] | None = None, *,
                    progress: Progress | None = None) -> Recorded:
        """Record event dicts as one atomic batch; returns once committed.

        ``wheres`` names each event's origin in error messages (``file:line``). An entry
        that is an :class:`~accord.errors.EventProblem` stands for a line the caller could
        not parse (not JSON, say): the batch is refused, and that problem is listed in order
        with every other event's. ``progress`` hears (events built, events in all) as the
        batch is built. Raises EventRefused (ActionRefused for enforcement) and stores
        nothing then.
        """
        return self._core.recorder.record_many(events, wheres, progress)

    def record_stream(self, items: Iterable[tuple[Any, str]], *,
                      progress: Progress | None = None) -> Recorded:
        """Record a stream of ``(event, where)`` pairs as one atomic batch in bounded memory (a
        file of millions of lines, say); an item may be an ``EventProblem`` for input that was not
        an event. The first hundred problems are listed, the rest counted; nothing is stored
        unless all of it is. ``progress`` hears (events read, 0) as it goes."""
        return self._core.recorder.record_stream(items, progress)

    def record_group(self, requests: Sequence[GroupRequest]) -> list[Recorded | Exception]:
        """Record independent batches in one commit, each all or nothing: each gets its Recorded,
        or the exception that refused it (the others unaffected); see Recorder.record_group."""
        return self._core.recorder.record_group(requests)

    def acting_as(self, caller: Caller) -> Session:
        """This ledger's use cases as ``caller`` may use them (the HTTP API's authorization)."""
        return Session(self, self._core, caller)

    def case(self, workflow: str, case_id: str, attributes: dict[str, Any] | None = None, *,
             at: When = None, actor: str = "system:app") -> Case:
        """The case ``case_id``: opened now with ``attributes`` if new, else resumed.

        Resuming checks the case's workflow and, when given, its attributes: a case
        keeps the attributes it opened with (EventRefused otherwise).
        """
        return open_or_resume(self, self._core, workflow, case_id, attributes, at, actor)

    # -- read and review --------------------------------------------------------------------------

    def case_view(self, case: str) -> CaseView:
        """One case's records, evidence present and missing, and route; raises NotFound."""
        return case_view(self._core, case)

    def cases(self, *, workflow: str | None = None, route: str | None = None,
              closed: bool | None = None, since: dt.datetime | None = None,
              until: dt.datetime | None = None, finding: str | None = None, limit: int | None = 50,
              now: dt.datetime | None = None) -> list[CaseSummary]:
        """Cases newest first by when they opened (the ``at`` of their case.opened), at most
        ``limit`` (None: all).

        Filters: ``workflow``; ``route``, the review route of the latest routing.decided
        (``required``, ``sampled_in``, ``sampled_out``, ``skipped``, ``not_required``);
        ``closed`` True for cases with an action.taken, False for the rest; opened at or
        after ``since`` and before ``until``; ``finding``, cases with a run-time finding of
        that rule at ``now`` (which ticks first, as :meth:`findings` does). Raises
        UsageError for an unknown route or finding rule.
        """
        return list_cases(self._core, workflow=workflow, route=route, closed=closed, since=since,
                          until=until, finding=finding, limit=limit, now=self._now(now))

    def events(self, case: str | None = None) -> Iterator[StoredEvent]:
        """The log (or one case's records) in seq order, streamed."""
        if case is not None:
            return iter(self._core.case_events(case))
        return self._core.events()

    def export(self, case: str | None = None) -> CheckedRecords:
        """The log (or one case) in seq order, streamed, each record re-hashed against the chain:
        iterate it for the records; its ``tampered`` lists those that do not hold."""
        return self._core.checked_log(case)

    def tick(self, now: dt.datetime | None = None) -> list[Escalation]:
        """Escalate every exception undecided at its due time (once); returns what was escalated."""
        return queues.tick(self._core, self._now(now))

    def review_queue(self, now: dt.datetime | None = None, role: str | None = None) -> list[QueueItem]:
        """Cases waiting for a review whose approval does not hold yet (ticks first)."""
        return queues.review_queue(self._core, self._now(now), role)

    def exception_queue(self, now: dt.datetime | None = None, role: str | None = None) -> list[QueueItem]:
        """Raised exceptions waiting for a decision, overdue first (ticks first)."""
        return queues.exception_queue(self._core, self._now(now), role)

    def findings(self, now: dt.datetime | None = None, workflow: str | None = None) -> list[Finding]:
        """The four failure modes and the other run-time findings (ticks first)."""
        return find(self._core, self._now(now), workflow)

    def open_incident(self, case: str, *, failed: Sequence[str], summary: str, by: str,
                      faulty: Sequence[int] = (), should_have_escalated: bool = False,
                      now: dt.datetime | None = None,
                      due_in: dt.timedelta = DEFAULT_DUE_IN) -> IncidentOpened:
        """Open an incident on ``case`` and one learning action per (cause, owner)."""
        return incidents.open_incident(self._core, case, failed=list(failed), faulty=list(faulty),
                                       should_have_escalated=should_have_escalated, summary=summary,
                                       by=by, now=self._now(now), due_in=due_in)

    def review_incident(self, incident: str) -> IncidentReview:
        """The ten-minute review of an incident, from the evidence as it stood; read-only."""
        return incidents.review_incident(self._core, incident)

    def incidents(self) -> list[IncidentSummary]:
        """Every incident, oldest first."""
        return incidents.list_incidents(self._core)

    def learning_actions(self, now: dt.datetime | None = None) -> list[LearningAction]:
        """Every learning action, oldest first, with whether it is overdue at ``now``."""
        return learning.learning_actions(self._core, self._now(now))

    def close_learning(self, action: str, change: str, *, by: str | None = None,
                       now: dt.datetime | None = None) -> LearningAction:
        """Close a learning action with a reference to the change that was made."""
        return learning.close_learning(self._core, action, change, by, self._now(now))

    def drill(self, *, workflow: str | None = None, sample: int | None = None, seed: int = 0,
              now: dt.datetime | None = None, progress: Progress | None = None) -> DrillReport:
        """Could every closed case pass the ten-minute test? Readiness per workflow.

        ``progress`` hears (cases drilled, cases to drill) as it goes.
        """
        return drilling.drill(self._core, workflow=workflow, sample=sample, seed=seed, now=self._now(now),
                              progress=progress)

    # -- integrity --------------------------------------------------------------------------------

    def verify(self, checkpoint: str | None = None, verifier: Verifier | None = None, *,
               source: str = "checkpoint", progress: Progress | None = None) -> integrity.VerifyReport:
        """Re-hash every record and check chain and tree; with a checkpoint's text, prove the log
        extends it (and check its signature with ``verifier``). ``progress`` hears (records
        checked, records in the log) as it goes."""
        return integrity.verify(self._core.store, checkpoint, verifier, checkpoint_source=source,
                                progress=progress)

    def checkpoint(self, signer: Signer, *, previous: str | None = None, previous_source: str = "previous",
                   verifier: Verifier | None = None) -> str:
        """A signed checkpoint (signed-note text) of the log as it stands, signed only after the log
        verifies — all of it, or (given an earlier checkpoint's text) its consistency with that
        checkpoint and the records since. Raises IntegrityError, signing nothing, otherwise."""
        return integrity.checkpoint(self._core.store, signer, previous, previous_source, verifier)

    def proof(self, seq: int, size: int | None = None) -> proofs.InclusionProof:
        """An inclusion proof of record ``seq`` in the tree of ``size`` records (default: all), read
        from the stored interior hashes in O(log n). Raises UsageError for a seq or size outside
        the log."""
        return proofs.proof(self._core.store, seq, size)

    def consistency_proof(self, old: int, new: int | None = None) -> proofs.ConsistencyProof:
        """The consistency proof that the tree of the first ``old`` records is the start of the
        tree of ``new`` records (default: all), with both roots, read from the stored interior
        hashes in O(log n). Raises UsageError unless 0 <= old <= new <= the log's size."""
        return proofs.consistency_proof(self._core.store, old, new)

    # -- API tokens (`accord serve`) -------------------------------------------------------------

    def create_token(self, *, person: str | None = None, system: str | None = None, admin: bool = False,
                     auditor: bool = False, workflows: Sequence[str] = (),
                     expires_in: dt.timedelta | None = dt.timedelta(days=90),
                     now: dt.datetime | None = None) -> TokenCreated:
        """Make an API token for a person or a system; its secret is in the result only (see
        :func:`accord.service.tokens.create_token`)."""
        return tokens.create_token(self._core, person=person, system=system, admin=admin, auditor=auditor,
                                   workflows=tuple(workflows), expires_in=expires_in, now=self._now(now))

    def tokens(self) -> list[TokenInfo]:
        """Every API token, oldest first, never a secret."""
        return tokens.list_tokens(self._core)

    def revoke_token(self, token_id: str, now: dt.datetime | None = None) -> TokenInfo:
        """Revoke an API token from now on; raises NotFound or UsageError (already revoked)."""
        return tokens.revoke_token(self._core, token_id, self._now(now))

    def authenticate(self, bearer: str, now: dt.datetime | None = None) -> Caller:
        """The caller an API token stands for; raises Unauthorized saying why not."""
        return tokens.authenticate(self._core, bearer, self._now(now))
