"""accord's rules language: CEL expressions over a contract's declared case attributes."""

from accord.rules._cel import EvaluationError, Rule, RuleError, compile_rule, evaluate_reference, problems

__all__ = ["EvaluationError", "Rule", "RuleError", "compile_rule", "evaluate_reference", "problems"]
