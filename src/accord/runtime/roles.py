"""Who held which role when, as the latest applied roster says (with none applied, nobody).

Approvals count only from the people holding the routed role at the time they
act; owner roles resolve to their one person. Every rule asks a :class:`Roles`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from accord.contract.model import Roster


@dataclass(frozen=True)
class Roles:
    """Role lookups over one roster; ``Roles(None)`` is the ledger before any roster: all vacant."""

    roster: Roster | None

    def holders(self, role: str | None, at: dt.datetime) -> list[str]:
        """Everyone holding ``role`` at ``at`` (a review team may be several)."""
        return self.roster.holders(role, at) if self.roster is not None and role else []

    def holder(self, role: str | None, at: dt.datetime) -> str | None:
        """The one person an owner role resolves to at ``at``; None for a vacancy."""
        return self.roster.holder(role, at) if self.roster is not None and role else None

    def holds(self, role: str | None, person: str, at: dt.datetime) -> bool:
        """Whether ``person`` held ``role`` at ``at``."""
        return self.roster is not None and role is not None and self.roster.holds(role, person, at)


NOBODY = Roles(None)
"""No roster applied: every role is vacant, so no approval counts."""
