"""Words the simulated texts share."""

from __future__ import annotations


def eur(amount: float) -> str:
    return f"€{amount:,.2f}"


CUSTOMERS = ("Maria Santos", "Jonas Berg", "Aiko Tanaka", "Liam O'Brien", "Fatou Diallo",
             "Chen Wei", "Sofia Rossi", "Mateo García", "Anna Kowalska", "Noah Fischer",
             "Zara Ahmed", "Elif Yılmaz")
