"""Refund replies: the AI drafts a reply to a refund request; accord routes it by risk.

A request arrives at the helpdesk, the drafter reads the order and policy RP-4
and writes the reply, and accord decides the route: low-risk small refunds skip
review, large or enterprise ones go to the escalations desk first. Within the
next hour or two people take it from there: the desk decides, a support agent
reviews (scopes vary as they do in real queues), and the reply is sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from accord.demo._sim import MINUTE, Batch, Cue, Simulation, Workflow
from accord.demo._words import CUSTOMERS, eur
from accord.runtime.routing import Route

Reviewer = Callable[[str], str]
"""Who reviews the given case instead of the support agent on the roster."""
REVIEWER: Cue[Reviewer] = Cue("refund-replies: the next review")


@dataclass(frozen=True)
class Request:
    """A refund request as recorded up to its routed draft."""

    case: str
    opened: dt.datetime
    order: str
    amount: float
    promised: float
    """The amount the drafted reply promises (the order's amount unless the drafter erred)."""
    late_window: bool
    """Delivered more than 30 days ago, so policy RP-4 fails unless someone overrides it."""
    draft: str
    route: Route


def arrive(sim: Simulation, t0: dt.datetime) -> None:
    """An ordinary request: drafted and routed, then handled by people."""
    handle_later(sim, draft(sim, t0))


def draft(sim: Simulation, t0: dt.datetime, *, amount: float | None = None, tier: str | None = None,
          risk: float | None = None, promised: float | None = None) -> Request:
    """Record a request from arrival to its routed draft; what is not given is drawn at random."""
    rng = sim.rng
    case = sim.open_case(WORKFLOW)
    late_window = rng.random() < 0.07
    if amount is None:
        amount = round(rng.lognormvariate(4.1, 0.9), 2) if rng.random() > 0.05 else \
            round(rng.uniform(500, 1400), 2)
    if tier is None:
        tier = rng.choices(["standard", "plus", "enterprise"], [75, 22, 3])[0]
    if risk is None:
        risk = round(min(0.99, rng.betavariate(1.3, 5) + (0.4 if late_window else 0)), 2)
    customer, product = rng.choice(CUSTOMERS), rng.choice(PRODUCTS)
    order = f"ORD-{rng.randrange(100000, 999999)}"
    stated = amount if promised is None else promised
    b = Batch(case)
    b.add("case.opened", t0, "system:helpdesk",
          workflow=WORKFLOW.name, attributes={"amount": amount, "tier": tier, "risk": risk})
    b.add("input.received", t0 + dt.timedelta(seconds=20), "system:helpdesk",
          content=f"From {customer}: my {product} (order {order}) {rng.choice(REASONS)}. "
                  f"I would like my {eur(amount)} back, please.")
    b.add("source.used", t0 + dt.timedelta(seconds=40), "system:refund-drafter",
          uri=f"orders://{order}", version=f"snapshot {(t0 - dt.timedelta(hours=3)).date()}",
          excerpt=f"{product}; order total {eur(amount)}; "
                  f"delivered {(t0 - dt.timedelta(days=35 if late_window else 6)).date()}")
    b.add("source.used", t0 + dt.timedelta(seconds=41), "system:refund-drafter",
          uri="kb://refund-policy", version="RP-4 (2026-09)")
    text = _reply(customer, product, order, stated)
    b.add("output.generated", t0 + dt.timedelta(seconds=75), "system:refund-drafter",
          content=text,
          model="m-2026-10", prompt_version="refund-v7",
          confidence=round(rng.uniform(0.7, 0.98), 2))
    b.add("policy.applied", t0 + dt.timedelta(seconds=80), "system:policy-engine",
          policy="refund-policy", version="RP-4", result="fail" if late_window else "pass")
    route = sim.routed(WORKFLOW, sim.record(b))
    return Request(case, t0, order, amount, stated, late_window, text, route)


def handle_later(sim: Simulation, request: Request) -> None:
    """Plan people handling the request some minutes after it arrived."""
    t1 = request.opened + dt.timedelta(minutes=sim.rng.randrange(6, 95))
    sim.at(t1, lambda: handle(sim, request, t1))


def handle(sim: Simulation, request: Request, t: dt.datetime) -> None:
    """People take it from here: the escalations desk, the reviewer, then the send."""
    rng, route = sim.rng, request.route
    b = Batch(request.case)
    text = request.draft
    if route.exception is not None:
        decider = sim.person(route.exception_owner or "", t)
        if rng.random() < 0.2:
            text = text.replace("Kind regards", "As a thank-you for your patience we have "
                                "added free delivery on your next order.\n\nKind regards")
            b.add("human.edited", t, decider, content=text)
            decision = "modified"
        else:
            decision = "approved"
        b.add("exception.decided", t + MINUTE, decider, decider=decider, decision=decision,
              exception=route.exception, note="Order and customer history checked.")
        t += dt.timedelta(minutes=rng.randrange(5, 40))
    by = "system:mailer"
    if route.review_required:
        reviewer = sim.person(route.reviewer_role or "", t)
        stand_in = sim.take_cue(REVIEWER)
        if stand_in is not None:
            reviewer = stand_in(request.case)
        text = _review(sim, b, route, reviewer, text, t)
        if request.late_window:
            b.add("override.recorded", t + 3 * MINUTE, reviewer, by=reviewer,
                  what="refund-policy RP-4 (30-day window)",
                  reason="Courier delay confirmed by tracking; goodwill refund.")
        by = reviewer
    content = text
    if by != "system:mailer" and rng.random() < 0.03:
        content = text + "\n\nP.S. I have also flagged your account for priority handling."
    b.add("action.taken", t + 4 * MINUTE, by, action="email.sent", by=by, content=content)
    sim.close(b, WORKFLOW)


def send_unreviewed(sim: Simulation, request: Request, at: dt.datetime) -> None:
    """The mailer sends the draft as it stands, as a route without review allows."""
    b = Batch(request.case)
    b.add("action.taken", at, "system:mailer", action="email.sent", by="system:mailer",
          content=request.draft)
    sim.close(b, WORKFLOW)


def _review(sim: Simulation, b: Batch, route: Route, reviewer: str, text: str, t: dt.datetime) -> str:
    """A support agent's review; scopes vary as they do in real queues. Returns the text to send."""
    kind = sim.rng.random()
    attests = route.attests
    if kind < 0.55:
        b.add("review.recorded", t, reviewer, reviewer=reviewer, attests=attests,
              decision="approved", note="Amount checked against the order.")
    elif kind < 0.72:
        b.add("review.recorded", t, reviewer, reviewer=reviewer, attests=["whole_action"],
              decision="approved", note="Checked the whole reply before sending.")
    elif kind < 0.84:
        b.add("review.recorded", t, reviewer, reviewer=reviewer, attests=["appropriately_toned"],
              decision="changes_requested", note="Too curt; soften the opening.")
        text = text.replace("Hello", "Hello, and thank you for getting in touch", 1)
        b.add("human.edited", t + MINUTE, reviewer, content=text)
        b.add("review.recorded", t + 2 * MINUTE, reviewer, reviewer=reviewer, attests=attests,
              decision="approved")
    elif kind < 0.93:
        # two narrow approvals that together cover the routed scope
        b.add("review.recorded", t, reviewer, reviewer=reviewer, attests=["appropriately_toned"],
              decision="approved", note="Tone fine.")
        b.add("review.recorded", t + 2 * MINUTE, reviewer, reviewer=reviewer, attests=["correct"],
              decision="approved", note="Amount matches the order record.")
    else:
        # only the tone was checked, and the reply went out anyway
        b.add("review.recorded", t, reviewer, reviewer=reviewer, attests=["appropriately_toned"],
              decision="approved", note="Tone fine; order system was down, amount not checked.")
    return text


def _reply(customer: str, product: str, order: str, amount: float) -> str:
    first = customer.split()[0]
    return (f"Hello {first},\n\nI'm sorry your {product} did not work out. We have issued a refund "
            f"of {eur(amount)} for order {order} to your original payment method; it will arrive "
            "within 5 working days.\n\nKind regards,\nCustomer Support")


PRODUCTS = ("kettle", "desk lamp", "rain jacket", "blender", "headphones", "backpack",
            "coffee grinder", "yoga mat", "air fryer", "office chair")
REASONS = ("arrived broken", "never arrived", "arrived late for the event I bought it for",
           "is not what the listing showed", "stopped working after a week", "was the wrong size")

WORKFLOW = Workflow("refund-replies", case_prefix="R", first_case=1001, per_workday=(10, 14),
                    arrive=arrive)
