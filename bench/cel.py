"""Rule evaluation benchmark: evaluations/s of cel-python against accord's compiled rules.

Both evaluate the same rules (the SPEC §2 examples and a longer one) on the same
random cases; the compiled figure is what routing pays per rule.

    python bench/cel.py [--cases 20000]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import time
from collections.abc import Callable
from typing import Any

from accord.rules import EvaluationError, compile_rule, evaluate_reference

ATTRIBUTES = {"amount": "number", "tier": "string", "risk": "number", "count": "integer"}
RULES = [
    "risk < 0.2 && amount < 50",
    "amount >= 500 || tier == 'enterprise'",
    "(tier in ['gold', 'enterprise'] || amount / 2 > 300) && count % 7 != 3 && confidence > 0.5",
]


def cases(n: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    return [{"amount": rng.uniform(1, 1000), "tier": rng.choice(["standard", "gold", "enterprise"]),
             "risk": rng.random(), "count": rng.randrange(100),
             **({"confidence": rng.random()} if rng.random() < 0.8 else {})} for _ in range(n)]


def per_second(evaluate: Callable[[dict[str, Any]], bool], inputs: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    for case in inputs:
        with contextlib.suppress(EvaluationError):  # an absent confidence errs, as in routing
            evaluate(case)
    return len(inputs) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    n = parser.parse_args().cases
    inputs = cases(n)
    print(f"{'rule':<96} {'cel-python/s':>13} {'compiled/s':>12} {'µs/eval':>8} {'speed-up':>9}")
    for rule in RULES:
        compiled = compile_rule(rule, ATTRIBUTES)
        reference = per_second(lambda case, rule=rule: evaluate_reference(rule, ATTRIBUTES, case),
                               inputs[: max(1, n // 50)])
        fast = per_second(compiled.evaluate, inputs)
        print(f"{rule:<96} {reference:>13,.0f} {fast:>12,.0f} {1e6 / fast:>8.2f} {fast / reference:>8.0f}x")


if __name__ == "__main__":
    main()
