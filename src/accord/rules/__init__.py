"""accord's rules language: CEL expressions over a contract's declared case attributes."""

from accord.rules._cel import (
    MAX_LIST_ELEMENTS,
    MAX_NESTING,
    MAX_RULE_LENGTH,
    EvaluationError,
    Rule,
    RuleError,
    RuleSet,
    compile_rule,
    compile_rules,
    problems,
)

__all__ = ["MAX_LIST_ELEMENTS", "MAX_NESTING", "MAX_RULE_LENGTH", "EvaluationError", "Rule", "RuleError",
           "RuleSet", "compile_rule", "compile_rules", "problems"]
