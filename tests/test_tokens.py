"""API tokens: `accord token create|list|revoke`, hashed at rest, in the log, and authenticated."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
import sqlalchemy as sa

import accord
from accord.errors import Unauthorized, UsageError
from accord.ledger import Ledger
from tests.helpers import run_cli

Capsys = pytest.CaptureFixture[str]


def test_token_create_prints_the_secret_once_and_stores_only_its_sha256(
        db_url: str, capsys: Capsys) -> None:
    code, out, err = run_cli(capsys, "--db", db_url, "token", "create", "--person", "ann@example.com",
                             "--auditor", "--json")
    assert code == 0, err
    made = json.loads(out)
    assert made["token"].startswith(f"accord_{made['id']}_") and len(made["token"].split("_", 2)[2]) >= 43
    assert made["kind"] == "person" and made["grants"] == ["auditor"] and made["expires"]
    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT secret_hash FROM accord_tokens")).scalar_one()
        log = b"".join(bytes(r[0]) for r in conn.execute(sa.text("SELECT canonical FROM accord_log")))
    engine.dispose()
    secret = made["token"].split("_", 2)[2]
    assert bytes(stored) == hashlib.sha256(secret.encode()).digest()
    assert secret.encode() not in log and bytes(stored).hex().encode() not in log
    code, out, _ = run_cli(capsys, "--db", db_url, "token", "list", "--json")
    listed = json.loads(out)["tokens"]
    assert [t["id"] for t in listed] == [made["id"]] and "token" not in listed[0]
    assert set(listed[0]) == {"id", "subject", "kind", "grants", "created", "expires", "revoked"}


def test_creating_and_revoking_are_in_the_log_and_a_revoked_token_no_longer_authenticates(
        ledger: Ledger) -> None:
    made = ledger.create_token(system="drafter", workflows=["refund-replies"])
    assert ledger.authenticate(made.token).subject == "system:drafter"
    ledger.revoke_token(made.id)
    kinds = [(e.type, e.data["id"], e.data["subject"]) for e in ledger.events()]
    assert kinds == [("token.created", made.id, "system:drafter"),
                     ("token.revoked", made.id, "system:drafter")]
    with pytest.raises(Unauthorized, match="revoked"):
        ledger.authenticate(made.token)
    with pytest.raises(UsageError, match="already revoked"):
        ledger.revoke_token(made.id)
    assert ledger.verify().ok


def test_expired_unknown_and_malformed_tokens_are_refused(ledger: Ledger) -> None:
    made = ledger.create_token(person="ann@example.com", expires_in=dt.timedelta(hours=1))
    later = ledger.clock.now() + dt.timedelta(hours=2)
    with pytest.raises(Unauthorized, match="expired"):
        ledger.authenticate(made.token, now=later)
    forged = made.token[:-4] + ("AAAA" if not made.token.endswith("AAAA") else "BBBB")
    for bad in (forged, "accord_000000000000_" + "x" * 43, "Bearer nothing", ""):
        with pytest.raises(Unauthorized):
            ledger.authenticate(bad)


@pytest.mark.parametrize(("args", "message"), [
    ((), "give --person ID or --system NAME"),
    (("--person", "ann@example.com", "--system", "x"), "give --person ID or --system NAME"),
    (("--system", "drafter"), "--workflow W"),
    (("--system", "drafter", "--workflow", "w", "--admin"), "are for people"),
    (("--person", "system:bot"), "is a system"),
    (("--person", "ann@example.com", "--workflow", "w"), "for system tokens"),
    (("--person", "ann@example.com", "--expires", "90"), "has no unit"),
])
def test_token_create_refuses_what_makes_no_token(sqlite_url: str, capsys: Capsys, args: tuple[str, ...],
                                                  message: str) -> None:
    code, _, err = run_cli(capsys, "--db", sqlite_url, "token", "create", *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_token_revoke_of_an_unknown_id_exits_2(sqlite_url: str, capsys: Capsys) -> None:
    with accord.open(sqlite_url):
        pass
    code, _, err = run_cli(capsys, "--db", sqlite_url, "token", "revoke", "abcdef012345")
    assert code == 2 and "no token 'abcdef012345'" in err
