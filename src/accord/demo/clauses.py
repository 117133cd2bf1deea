"""Clause drafting: the AI drafts a contract clause from the library; counsel reviews every one.

An order form arrives from the CRM, the drafter picks the library clause and
names the customer, and two checks run. The contract routes every clause to
counsel (``enforce: true``: no clause is sent before its review). A wrong
entity name is fixed by an edit; a non-standard cap or the customer's paper
also needs the deputy general counsel's decision before the clause goes out.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from accord.demo._sim import MINUTE, Batch, Cue, Simulation, Workflow
from accord.demo._words import eur
from accord.runtime.routing import Route


class EarlySend(Protocol):
    def __call__(self, case: str, counsel: str, draft: str, at: dt.datetime) -> dt.datetime:
        """Counsel tries to send ``draft`` before reviewing it; returns when counsel turns to the review."""


SEND_BEFORE_REVIEW: Cue[EarlySend] = Cue("clause-drafting: the next review")


def arrive(sim: Simulation, t0: dt.datetime) -> None:
    """A clause drafted from the library for an order form, checked, routed to counsel."""
    rng = sim.rng
    case = sim.open_case(WORKFLOW)
    customer = rng.choice(COMPANIES)
    clause = rng.choice(CLAUSE_KINDS)
    cap = rng.choices([1.0, 1.5, 2.0], [85, 10, 5])[0]
    paper = rng.random() < 0.08
    law = rng.choice(["england-wales", "germany", "new-york", "netherlands"])
    deal = round(rng.uniform(20_000, 600_000), -2)
    entity_ok = rng.random() > 0.08
    b = Batch(case)
    b.add("case.opened", t0, "system:crm", workflow=WORKFLOW.name,
          attributes={"deal_value": deal, "liability_cap_multiple": cap, "governing_law": law,
                      "on_customer_paper": paper})
    b.add("input.received", t0 + MINUTE, "system:crm",
          content=f"Order form for {customer}: {clause} clause, {law} law, liability cap "
                  f"{cap:g}x annual fees, deal value {eur(deal)}"
                  + (", on the customer's paper." if paper else "."))
    b.add("source.used", t0 + 2 * MINUTE, "system:clause-drafter",
          uri=f"clause-library://{clause}", version="2026.09")
    b.add("source.used", t0 + 2 * MINUTE, "system:clause-drafter",
          uri=f"crm://accounts/{customer.lower().replace(' ', '-')}", version="2026-10")
    named = customer if entity_ok else customer.split()[0] + " Holdings"
    draft = _clause_text(clause, named, cap, law)
    b.add("output.generated", t0 + 3 * MINUTE, "system:clause-drafter", content=draft,
          model="m-2026-10", prompt_version="clause-v4", playbook_version="library-2026.09",
          confidence=round(rng.uniform(0.6, 0.95), 2))
    b.add("policy.applied", t0 + 4 * MINUTE, "system:clause-checks",
          policy="clause-library-coverage", version="2026.09", result="pass")
    b.add("policy.applied", t0 + 4 * MINUTE, "system:clause-checks",
          policy="entity-name-match", version="3", result="pass" if entity_ok else "fail")
    route = sim.routed(WORKFLOW, sim.record(b))
    t1 = t0 + dt.timedelta(minutes=rng.randrange(45, 300))
    fix = None if entity_ok else (named, customer)
    sim.at(t1, lambda: review(sim, case, route, draft, fix, t1))


def review(sim: Simulation, case: str, route: Route, draft: str, fix: tuple[str, str] | None,
           t: dt.datetime) -> None:
    """Counsel fixes the entity name if it was wrong, reviews, and sends unless an exception waits."""
    rng = sim.rng
    counsel = sim.person(route.reviewer_role or "", t)
    early_send = sim.take_cue(SEND_BEFORE_REVIEW)
    if early_send is not None:
        t = early_send(case, counsel, draft, t)
    b = Batch(case)
    text = draft
    if fix is not None:
        text = text.replace(*fix)
        b.add("human.edited", t, counsel, content=text)
        b.add("policy.applied", t + MINUTE, "system:clause-checks",
              policy="entity-name-match", version="3", result="pass")
        t += 2 * MINUTE
    kind = rng.random()
    if kind < 0.2:
        b.add("review.recorded", t, counsel, reviewer=counsel, attests=["x-enforceable"],
              decision="changes_requested", note="Carve-out wording would not survive in court.")
        text = text.replace("reasonable", "reasonable and documented")
        b.add("human.edited", t + 5 * MINUTE, counsel, content=text)
        t += 6 * MINUTE
    attests = ["whole_action"] if kind > 0.7 else route.attests
    b.add("review.recorded", t, counsel, reviewer=counsel, attests=attests, decision="approved")
    if route.exception is None:
        b.add("action.taken", t + 2 * MINUTE, counsel, action="clause.sent", by=counsel,
              content=text)
        sim.close(b, WORKFLOW)
        return
    sim.record(b)
    t2 = t + dt.timedelta(hours=rng.randrange(2, 30))
    sim.at(t2, lambda: escalation_decided(sim, case, route, counsel, text, t2))


def escalation_decided(sim: Simulation, case: str, route: Route, counsel: str, text: str,
                       t: dt.datetime) -> None:
    """The deputy general counsel accepts the exception; counsel sends the clause."""
    decider = sim.person(route.exception_owner or "", t)
    b = Batch(case)
    b.add("exception.decided", t, decider, decider=decider, decision="approved",
          exception=route.exception, note="Cap accepted for this deal size; logged in the deal desk.")
    b.add("action.taken", t + 20 * MINUTE, counsel, action="clause.sent", by=counsel, content=text)
    sim.close(b, WORKFLOW)


def _clause_text(clause: str, customer: str, cap: float, law: str) -> str:
    return (f"{clause.title()}. Each party's total liability to {customer} and to the Supplier "
            f"under this Agreement is limited to {cap:g} times the fees paid in the twelve months "
            "before the claim, except for reasonable costs of recovering unpaid fees. This "
            f"Agreement is governed by the laws of {law.replace('-', ' and ').title()}.")


COMPANIES = ("Northwind Traders Ltd", "Contoso Pharma GmbH", "Fabrikam Logistics BV",
             "Tailspin Air Inc", "Litware Analytics Ltd", "Adatum Health SE")
CLAUSE_KINDS = ("limitation of liability", "indemnity", "data protection", "termination",
                "service levels")

WORKFLOW = Workflow("clause-drafting", case_prefix="CL", first_case=2001, per_workday=(3, 5),
                    arrive=arrive)
