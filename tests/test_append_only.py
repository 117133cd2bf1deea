"""The log is append-only in the database itself (every backend)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from accord.ledger import Ledger
from tests.helpers import count, refund_contract


def test_log_is_append_only_in_the_database_itself(ledger: Ledger) -> None:
    ledger.apply_contract(refund_contract())
    engine = ledger.store.engine  # type: ignore[attr-defined]
    for statement in ("UPDATE accord_log SET type = 'x'", "DELETE FROM accord_log"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    if engine.dialect.name == "postgresql":
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text("TRUNCATE accord_log"))
    assert count(ledger) == 1
