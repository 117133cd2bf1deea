"""Rule evaluation benchmark: evaluations/s of accord's Rule.evaluate beside raw cel-expr-python.

Each rule (the contract examples and a longer one with a macro) is evaluated on
the same random cases, about a fifth of them without `confidence`:

- accord: ``compile_rule(...).evaluate(case)``, what routing pays per rule
  (binding by declared type, then CEL, then the result or an EvaluationError);
- raw eval: cel-expr-python's ``expr.eval(data=case)`` on the rule written
  with doubles, the whole case already typed, and ``.value()`` read;
- raw activation: ``env.Activation(case)`` built, then ``expr.eval(activation)``.

    python bench/cel.py [--cases 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import cel_expr_python.cel as cel

from accord.rules import EvaluationError, compile_rule

ATTRIBUTES = {"amount": "number", "tier": "string", "risk": "number", "count": "integer"}
RULES = [
    # (as written in a contract, with its integer literals as doubles for raw CEL)
    ("risk < 0.2 && amount < 50", "risk < 0.2 && amount < 50.0"),
    ("amount >= 500 || tier == 'enterprise'", "amount >= 500.0 || tier == 'enterprise'"),
    ("(tier in ['gold', 'enterprise'] || amount / 2 > 300) && count % 7 != 3 && confidence > 0.5",
     "(tier in ['gold', 'enterprise'] || amount / 2.0 > 300.0) && count % 7 != 3 && confidence > 0.5"),
    ("[amount, risk * 1000].exists(x, x > 900) || tier.startsWith('ent')",
     "[amount, risk * 1000.0].exists(x, x > 900.0) || tier.startsWith('ent')"),
]


def cases(n: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    return [{"amount": rng.uniform(1, 1000), "tier": rng.choice(["standard", "gold", "enterprise"]),
             "risk": rng.random(), "count": rng.randrange(100),
             **({"confidence": rng.random()} if rng.random() < 0.8 else {})} for _ in range(n)]


def per_second(evaluate: Callable[[dict[str, Any]], object], inputs: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    for case in inputs:
        with contextlib.suppress(EvaluationError):  # an absent confidence errs, as in routing
            evaluate(case)
    return len(inputs) / (time.perf_counter() - start)


def best(measure: Callable[[], float], repeat: int) -> tuple[float, str]:
    """The best of ``repeat`` runs, and the spread of all of them."""
    runs = [measure() for _ in range(repeat)]
    return max(runs), f"{min(runs) / 1000:,.0f}k-{max(runs) / 1000:,.0f}k"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    inputs = cases(args.cases)
    env = cel.NewEnv(variables={"amount": cel.Type.DOUBLE, "tier": cel.Type.STRING,
                                "risk": cel.Type.DOUBLE, "count": cel.Type.INT,
                                "confidence": cel.Type.DOUBLE})
    print(f"{args.cases:,} cases, best of {args.repeat} (spread in brackets)")
    print(f"{'rule':<72} {'accord/s':>22} {'raw eval/s':>22} {'raw activation/s':>22} {'accord µs':>9}")
    ratios = []
    for written, doubles in RULES:
        rule = compile_rule(written, ATTRIBUTES)
        expr = env.compile(doubles)
        accord, accord_spread = best(lambda rule=rule: per_second(rule.evaluate, inputs), args.repeat)
        raw, raw_spread = best(lambda expr=expr: per_second(lambda c: expr.eval(data=c).value(), inputs),
                               args.repeat)
        active, active_spread = best(lambda expr=expr: per_second(
            lambda c: expr.eval(env.Activation(c)).value(), inputs), args.repeat)
        ratios.append(accord / raw)
        print(f"{written[:72]:<72} {accord:>11,.0f} ({accord_spread:>8}) {raw:>11,.0f} ({raw_spread:>8}) "
              f"{active:>11,.0f} ({active_spread:>8}) {1e6 / accord:>9.2f}")
    print(f"accord / raw eval: {statistics.mean(ratios):.2f} on average (accord binds only the names a "
          "rule reads, after checking their types, and shares one arena across evaluations; raw eval "
          "passes the whole case and allocates an arena per call)")


if __name__ == "__main__":
    main()
