"""One error base for accord; every message is written for a person.

Adapters (CLI, HTTP) catch :class:`AccordError` once and print ``str(err)``;
nothing a user can cause should surface as a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class AccordError(Exception):
    """Base of every error accord raises on purpose. ``exit_code`` is the CLI status."""

    exit_code = 2
    index: int | None = None
    """The event of a batch it is about (from 0), when it is about one (the HTTP API says so)."""

    def lines(self) -> list[str]:
        """The error as lines a person reads, one problem a line."""
        return [str(self)]


@dataclass(frozen=True)
class Problem:
    """One located problem: ``path:line:col: severity rule message``."""

    path: str
    line: int
    column: int
    rule: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity} {self.rule} {self.message}"


class InvalidFile(AccordError):
    """A contract or roster file that cannot be read into the model."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class ContractRefused(AccordError):
    """`contract apply` of a contract with lint errors."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


@dataclass(frozen=True)
class EventProblem:
    """One refused event: where it came from (``file:line`` or batch index) and why."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.where}:{field} {self.message}"


class EventRefused(AccordError):
    """A batch with at least one refused event; nothing of it was stored. ``unlisted`` counts
    problems beyond those listed (a long batch lists the first hundred)."""

    LISTED = 100
    """How many problems :meth:`lines` lists before it counts the rest."""

    def __init__(self, problems: Sequence[EventProblem], unlisted: int = 0) -> None:
        self.problems = list(problems)
        self.unlisted = unlisted
        super().__init__("\n".join(str(p) for p in self.problems[:self.LISTED]))

    def lines(self) -> list[str]:
        """Every problem, one a line, up to LISTED; then how many more there are."""
        listed = [str(p) for p in self.problems[:self.LISTED]]
        rest = len(self.problems) - len(listed) + self.unlisted
        if rest:
            total = len(self.problems) + self.unlisted
            listed.append(f"… and {rest:,} more problem{'s' if rest != 1 else ''}: {total:,} in all")
        return [*listed, "nothing of this batch was stored"]


class ActionRefused(EventRefused):
    """An enforced workflow refused an `action.taken`; ``missing`` says what it lacks."""

    def __init__(self, problems: Sequence[EventProblem], missing: Sequence[str]) -> None:
        super().__init__(problems)
        self.missing = list(missing)


class RosterRefused(AccordError):
    """`roster apply` of a roster that would rewrite the past or give an owner role two holders."""

    def __init__(self, problems: Sequence[str], hint: str) -> None:
        self.problems = list(problems)
        self.hint = hint
        super().__init__("\n".join(self.problems))

    def lines(self) -> list[str]:
        return [*self.problems, self.hint]


class NotFound(AccordError):
    """A case, contract, incident or learning action that does not exist."""


class Unauthorized(AccordError):
    """A request whose API token is missing, malformed, unknown, revoked or expired."""


class Forbidden(AccordError):
    """An act the caller's token and roles do not allow; nothing was changed."""


class UsageError(AccordError):
    """A command used wrongly: a bad flag value, a missing option."""


class IntegrityError(AccordError):
    """The log does not verify (tampering or a bad checkpoint)."""

    exit_code = 1


class CheckpointError(AccordError):
    """A checkpoint or key file that cannot be read or parsed."""


class StorageError(AccordError):
    """The database cannot be reached or is not an accord ledger."""
