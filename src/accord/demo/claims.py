"""Claims triage: the AI triages a first notice of loss; QA samples one notice in ten.

A notice arrives from intake and the model proposes severity, queue and fraud
flag. The policy record it triaged against is often not attached, and one of
the two checks is sometimes not recorded: thin evidence, on purpose. Minutes
later a sampled notice is reviewed by an analyst, an exception (injury, large
loss, suspected fraud) is decided, and the router acts.
"""

from __future__ import annotations

import datetime as dt

from accord.demo._sim import MINUTE, Batch, Simulation, Workflow
from accord.demo._words import CUSTOMERS, eur
from accord.runtime.routing import Route


def arrive(sim: Simulation, t0: dt.datetime) -> None:
    """A first notice of loss triaged by the model, with its evidence sometimes thin."""
    rng = sim.rng
    case = sim.open_case(WORKFLOW)
    line = rng.choice(["motor", "home", "travel"])
    amount = round(rng.lognormvariate(8.0, 1.1), 2)
    injury = line == "motor" and rng.random() < 0.12
    fraud = round(rng.betavariate(1.2, 8) if rng.random() > 0.04 else rng.uniform(0.7, 0.95), 2)
    severity = "high" if injury or amount > 25_000 else rng.choice(["low", "medium"])
    b = Batch(case)
    b.add("case.opened", t0, "system:fnol-intake", workflow=WORKFLOW.name,
          attributes={"claim_amount": amount, "line_of_business": line,
                      "injury_reported": injury, "fraud_score": fraud})
    b.add("input.received", t0 + dt.timedelta(seconds=10), "system:fnol-intake",
          content=f"{rng.choice(CUSTOMERS)} reports {rng.choice(LOSSES[line])}; estimated loss "
                  f"{eur(amount)}" + ("; the driver was injured." if injury else "."))
    if rng.random() < 0.7:  # the policy record is often not attached: thin evidence
        b.add("source.used", t0 + dt.timedelta(seconds=20), "system:claims-triage",
              uri=f"policies://POL-{rng.randrange(10000, 99999)}", version="2026-10")
    draft = (f"Severity {severity}; queue {line}-{severity}; "
             f"fraud flag {'yes' if fraud >= 0.7 else 'no'}.")
    b.add("output.generated", t0 + dt.timedelta(seconds=40), "system:claims-triage",
          content=draft,
          model="triage-2026-09", prompt_version="fnol-v3",
          confidence=round(rng.uniform(0.55, 0.97), 2))
    if rng.random() < 0.8:
        b.add("policy.applied", t0 + dt.timedelta(seconds=45), "system:claims-checks",
              policy="fnol-required-fields", version="CH-12", result="pass")
    if rng.random() < 0.85:
        b.add("policy.applied", t0 + dt.timedelta(seconds=45), "system:claims-checks",
              policy="routing-sla", version="1", result="pass")
    route = sim.routed(WORKFLOW, sim.record(b))
    t1 = t0 + dt.timedelta(minutes=rng.randrange(3, 14))
    sim.at(t1, lambda: handle(sim, case, route, draft, t1))


def handle(sim: Simulation, case: str, route: Route, draft: str, t: dt.datetime) -> None:
    """A sampled notice is reviewed, an exception decided, and the notice routed to its queue."""
    rng = sim.rng
    b = Batch(case)
    text = draft
    if route.review_required:
        analyst = sim.person(route.reviewer_role or "", t)
        if rng.random() < 0.25:
            b.add("review.recorded", t, analyst, reviewer=analyst, attests=["correct"],
                  decision="changes_requested", note="Severity understated per CH-12.")
            text = draft.replace("low", "medium")
            b.add("human.edited", t + MINUTE, analyst, content=text)
            t += 2 * MINUTE
        b.add("review.recorded", t, analyst, reviewer=analyst, attests=route.attests,
              decision="approved")
    if route.exception is not None:
        t += dt.timedelta(minutes=rng.randrange(10, 80))
        decider = sim.person(route.exception_owner or "", t)
        b.add("exception.decided", t, decider, decider=decider, decision="approved",
              exception=route.exception, note="Reviewed the notice and the policy.")
    b.add("action.taken", t + MINUTE, "system:claims-router", action="claim.routed",
          by="system:claims-router", content=text)
    sim.close(b, WORKFLOW)


LOSSES = {"motor": ("a rear-end collision at a junction", "a scraped door in a car park",
                    "a windscreen crack from a stone"),
          "home": ("a burst pipe in the kitchen", "storm damage to the roof", "a break-in"),
          "travel": ("a lost suitcase", "a cancelled flight", "a hospital visit abroad")}

WORKFLOW = Workflow("claims-triage", case_prefix="FN", first_case=3001, per_workday=(7, 10),
                    arrive=arrive)
