"""A real `accord serve` process for the HTTP tests, and the ledger they serve.

Plain helpers (no fixtures): :class:`Served` starts the server on a free local port as a
subprocess, waits for /healthz (polling, bounded), and stops it with SIGTERM (or SIGKILL);
:func:`seed` builds the refund and claims workflows with a roster whose holdings do not end,
and one token per kind of caller.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

import accord
from accord.contract.model import Roster
from tests.helpers import refund_contract

ACCORD = str(Path(sys.executable).with_name("accord"))
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """`accord --db URL serve` on a free port of 127.0.0.1; its log goes to ``log``."""

    def __init__(self, url: str, log: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.url = url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log_file = log.open("ab")
        self.proc = subprocess.Popen([ACCORD, "--db", url, "serve", "--port", str(self.port), *args],
                                     stdout=self._log_file, stderr=self._log_file,
                                     env={**os.environ, **(env or {})})
        self.wait_healthy()

    def wait_healthy(self, timeout: float = STARTUP_SECONDS) -> None:
        """Poll /healthz until it answers 200; fail when the process exits or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"accord serve exited {self.proc.returncode}: "
                                     f"{self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"accord serve did not answer /healthz in {timeout}s: "
                             f"{self.log.read_text()[-2000:]}")

    def client(self, token: str | None = None, timeout: float = 30) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        self._log_file.close()
        return code

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.stop(signal.SIGKILL)
        elif not self._log_file.closed:
            self._log_file.close()


PEOPLE = {"support-ops-lead": "dana@example.com", "support-agent": "ann@example.com",
          "refunds-escalations": "eve@example.com", "support-director": "sam@example.com",
          "risk-manager": "rik@example.com", "ai-enablement": "pat@example.com",
          "support-enablement": "sue@example.com", "data-platform": "dan@example.com",
          "refunds-policy-owner": "polly@example.com",
          "claims-lead": "cleo@example.com", "claims-agent": "carl@example.com",
          "claims-escalations": "ced@example.com", "claims-director": "cid@example.com"}


def open_roster(people: dict[str, str] = PEOPLE) -> Roster:
    """Each role held from 2026-01-01 on, with no end (the server judges roles at the real now)."""
    return Roster.model_validate({"accord": 1, "kind": "roster", "roles": {
        role: {"held_by": [{"person": person, "from": dt.date(2026, 1, 1)}]}
        for role, person in people.items()}},
        strict=False)


def claims_contract() -> Any:
    return refund_contract(
        workflow="claims", outcome_owner="claims-lead",
        review={"mode": "always", "reviewer": "claims-agent", "attests": ["correct", "appropriately_toned"]},
        exceptions=[{"name": "large-claim", "when": "amount >= 500", "owner": "claims-escalations",
                     "decide_within": "4h", "evidence": ["input", "output"],
                     "escalate_to": "claims-director"}],
        learning={"prompt": "ai-enablement", "playbook": "support-enablement", "data_source": "data-platform",
                  "routing_rule": "claims-lead", "exception_threshold": "risk-manager",
                  "policy": "refunds-policy-owner", "training_material": "support-enablement"})


def case_events(case: str, workflow: str = "refund-replies", amount: float = 600) -> list[dict[str, Any]]:
    """A case opened, asked and answered: routed for review and, at 600, an exception raised."""
    actor = "system:drafter" if workflow == "refund-replies" else "system:claims-bot"
    return [
        {"case": case, "type": "case.opened", "at": "2026-03-02T09:00:00Z", "actor": actor,
         "data": {"workflow": workflow, "attributes": {"amount": amount, "tier": "standard", "risk": 0.5}}},
        {"case": case, "type": "input.received", "at": "2026-03-02T09:01:00Z", "actor": actor,
         "data": {"content": "Please refund order 77"}},
        {"case": case, "type": "output.generated", "at": "2026-03-02T09:02:00Z", "actor": actor,
         "data": {"content": "We refund the order.", "model": "m-1", "prompt_version": "v7",
                  "confidence": 0.9}},
    ]


TOKENS: dict[str, dict[str, Any]] = {
    "system": {"system": "drafter", "workflows": ["refund-replies"]},
    "other_system": {"system": "claims-bot", "workflows": ["claims"]},
    "reviewer": {"person": "ann@example.com"},
    "not_reviewer": {"person": "carl@example.com"},
    "exception_owner": {"person": "eve@example.com"},
    "escalation": {"person": "sam@example.com"},
    "outcome_owner": {"person": "dana@example.com"},
    "auditor": {"person": "aud@example.com", "auditor": True},
    "admin": {"person": "root@example.com", "admin": True},
    "expired": {"person": "ann@example.com", "expires_in": dt.timedelta(seconds=1)},
    "revoked": {"person": "ann@example.com"},
}


def seed(url: str, cases: list[str] = ()) -> dict[str, str]:  # type: ignore[assignment]
    """Both workflows, the open roster, case C-1 of claims and each of ``cases`` of refunds (each
    escalated), and a token per kind of TOKENS (expired and revoked ones included)."""
    with accord.open(url) as ledger:
        ledger.apply_roster(open_roster())
        ledger.apply_contract(refund_contract())
        ledger.apply_contract(claims_contract())
        events = case_events("C-1", "claims")
        for case in cases:
            events += case_events(case)
        ledger.record_many(events)
        ledger.tick()
        tokens = {kind: ledger.create_token(**kw).token for kind, kw in TOKENS.items()}
        ledger.revoke_token(tokens["revoked"].split("_")[1])
    time.sleep(1.1)  # the expired token's second passes
    return tokens


def log_size(url: str) -> int:
    with accord.open(url, create=False) as ledger, ledger.store.reading() as r:
        return r.head().size
