"""accord's rules language: CEL on cel-expr-python, integer promotion, problems, limits, evaluation."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cel_expr_python.cel as cel
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import accord.rules._cel as rules_module
from accord.errors import AccordError
from accord.rules import (
    MAX_LIST_ELEMENTS,
    MAX_NESTING,
    MAX_RULE_LENGTH,
    EvaluationError,
    Rule,
    RuleError,
    compile_rule,
    compile_rules,
    problems,
)

ATTRIBUTES = {"amount": "number", "risk": "number", "count": "integer", "level": "integer",
              "tier": "string", "region": "string", "vip": "boolean"}
SPEC = {"amount": "number", "tier": "string", "risk": "number"}
CEL_TYPES = {"number": cel.Type.DOUBLE, "integer": cel.Type.INT, "string": cel.Type.STRING,
             "boolean": cel.Type.BOOL}


def outcome(decide: Callable[[], bool]) -> bool | str:
    """A rule's value, or "error" when evaluation errs."""
    try:
        return decide()
    except EvaluationError:
        return "error"


def evaluate(expression: str, inputs: dict[str, Any], attributes: dict[str, str] = ATTRIBUTES) -> bool | str:
    return outcome(lambda: compile_rule(expression, attributes).evaluate(inputs))


def raw_cel(expression: str, inputs: dict[str, Any], attributes: dict[str, str] = ATTRIBUTES) -> bool | str:
    """cel-expr-python on its own (no promotion, no accord binding): the value or "error"."""
    variables = {name: CEL_TYPES[kind] for name, kind in attributes.items()}
    env = cel.NewEnv(variables={**variables, "confidence": cel.Type.DOUBLE})
    data = {name: float(value) if attributes.get(name, "number") == "number" else value
            for name, value in inputs.items() if value is not None}
    result = env.compile(expression).eval(data=data)
    return "error" if result.type() == cel.Type.ERROR else bool(result.value())


# -- SPEC examples and promotion -----------------------------------------------------------------


def test_spec_skip_when_example_skips_a_small_low_risk_refund() -> None:
    rule = compile_rule("risk < 0.2 && amount < 50", SPEC)
    assert rule.evaluate({"amount": 40.0, "tier": "standard", "risk": 0.1}) is True
    assert rule.evaluate({"amount": 40.0, "tier": "standard", "risk": 0.3}) is False
    assert rule.evaluate({"amount": 50.0, "tier": "standard", "risk": 0.1}) is False


def test_spec_exception_example_matches_large_or_enterprise_refunds() -> None:
    rule = compile_rule("amount >= 500 || tier == 'enterprise'", SPEC)
    assert rule.evaluate({"amount": 500.0, "tier": "standard", "risk": 0.1}) is True
    assert rule.evaluate({"amount": 10.0, "tier": "enterprise", "risk": 0.1}) is True
    assert rule.evaluate({"amount": 499.99, "tier": "standard", "risk": 0.1}) is False


def test_integer_literal_equals_a_number_attribute_with_that_value() -> None:
    """`amount == 40` holds for 40.0: the literal is promoted to a double."""
    assert compile_rule("amount == 40", SPEC).evaluate({"amount": 40.0}) is True


def test_cel_alone_refuses_an_integer_literal_against_a_double() -> None:
    """Why promotion exists: CEL's checker has no (double, int) overloads."""
    with pytest.raises(RuntimeError, match="no matching overload for '_==_' applied to '\\(double, int\\)'"):
        cel.NewEnv(variables={"amount": cel.Type.DOUBLE}).compile("amount == 40")


def test_integer_input_for_a_number_attribute_binds_as_a_double() -> None:
    assert evaluate("amount == 40 && amount < 50 && string(amount) == '40'", {"amount": 40}) is True


@pytest.mark.parametrize("expression", [
    "amount == -3", "amount in [1, -3]", "-3 in [amount, risk]", "(vip ? 1 : amount) < 2",
    "3 + amount == 0", "(vip ? amount : 0) < 0", "-5 < amount", "- 5 < amount", "-(5) < amount",
    "amount > -0x10", "amount + 1 < 5", "amount / 2 == -1.5", "[amount, 1.0].exists(x, x < 0)",
])
def test_promotion_reaches_operands_negations_lists_and_branches(expression: str) -> None:
    assert problems(expression, ATTRIBUTES) == []
    assert evaluate(expression, {"amount": -3.0, "risk": 0.5, "vip": True}) is True


def test_integer_attribute_with_integer_literals_stays_integer() -> None:
    """No double in sight: `count / 2` is CEL's integer division."""
    assert evaluate("count == 3 && count / 2 == 1", {"count": 3}) is True


@pytest.mark.parametrize("expression", ["1 + 2 < amount", "7 / 2 < amount", "(vip ? count : 2) < amount"])
def test_promotion_does_not_reach_through_arithmetic_or_integer_attributes(expression: str) -> None:
    """`7 / 2` is 3 in CEL: turning it into 3.5 would change what the author wrote."""
    [problem] = problems(expression, ATTRIBUTES)
    assert "do not mix" in problem and "double() or int()" in problem


@pytest.mark.parametrize(("expression", "where"), [
    ("count > amount", "`>` at column 7 does not apply to (integer, number)"),
    ("amount == count", "`==` at column 8 does not apply to (number, integer)"),
    ("amount * count > 1.0", "`*` at column 8 does not apply to (number, integer)"),
])
def test_a_number_against_an_integer_attribute_is_a_problem_with_a_hint(expression: str, where: str) -> None:
    [problem] = problems(expression, ATTRIBUTES)
    assert problem.startswith(where) and "convert one side with double() or int()" in problem


def test_problems_after_promotion_point_at_the_rule_as_written() -> None:
    """Promoting `50` to `50.0` lengthens the text; the column is still the author's."""
    assert problems("amount < 50 && amount > 0x1 && tier < 5", ATTRIBUTES) == [
        "`<` at column 37 does not apply to (string, integer)"]


def test_an_integer_literal_beyond_64_bits_does_not_parse() -> None:
    [problem] = problems("amount < 9223372036854775808", ATTRIBUTES)
    assert problem == "does not parse at column 10: invalid int literal"


# -- problems: parse, boolean, names, types -------------------------------------------------------


def test_a_rule_that_does_not_parse_reports_the_column_and_a_hint() -> None:
    [problem] = problems("amount >= 500 || tier = 'x'", SPEC)
    assert problem == "does not parse at column 23: unexpected '='; compare with =="


def test_a_rule_cut_short_says_it_ends_early() -> None:
    assert problems("amount <", SPEC) == ["does not parse at column 9: the rule ends where CEL expects more"]


def test_a_parse_error_on_a_later_line_names_the_line() -> None:
    assert problems("amount < 5 &&\n  < 3", SPEC) == ["does not parse at line 2, column 3: unexpected '<'"]


@pytest.mark.parametrize(("expression", "kind"), [
    ("amount + 1", "a number"), ("tier", "a string"), ("count * 2", "an integer"),
    ("[1, 2]", "a list"), ("null", "null"), ("{'a': vip}", "a map"), ("dyn(vip)", "dyn")])
def test_a_rule_that_does_not_yield_a_boolean_says_what_it_yields(expression: str, kind: str) -> None:
    [problem] = problems(expression, ATTRIBUTES)
    assert problem.startswith("does not yield a boolean: it yields") and kind in problem


def test_an_undeclared_name_is_named_once_with_what_may_be_read() -> None:
    assert problems("amout < 50 && amout > 1", SPEC) == [
        "reads `amout` at column 1, which is not a declared attribute; a rule may read "
        "amount, risk, tier, confidence"]


def test_every_undeclared_name_is_reported() -> None:
    found = problems("score > 1.0 || band == 'a'", SPEC)
    assert len(found) == 2 and "`score`" in found[0] and "`band`" in found[1]


def test_a_field_of_an_undeclared_name_is_undeclared() -> None:
    [problem] = problems("customer.risk < 0.2", SPEC)
    assert problem.startswith("reads `customer.risk`")


def test_an_unknown_function_is_named_as_a_call() -> None:
    assert problems("max(amount, 1.0) > 2.0", SPEC) == ["calls max() at column 4, which CEL does not define"]


def test_confidence_is_readable_without_being_declared() -> None:
    assert problems("confidence > 0.8 && amount < 50", SPEC) == []


@pytest.mark.parametrize(("expression", "words"), [
    ("tier < 5", "`<` at column 6 does not apply to (string, integer)"),
    ("!amount", "`!` at column 1 does not apply to (number)"),
    ("-tier == 'a'", "unary `-` at column 1 does not apply to (string)"),
    ("amount && vip", "`&&` at column 8 does not apply to (number, boolean)"),
    ("amount % 2.0 == 0.0", "`%` at column 8 does not apply to (number, number)"),
    ("tier in [1, 2]", "`in` at column 6 does not apply to (string, list(integer))"),
    ("amount.startsWith('a')", "startsWith() at column 18 does not apply to (number, string)"),
    ("size(amount) > 1", "size() at column 5 does not apply to (number)"),
    ("1 < 2 < 3", "`<` at column 7 does not apply to (boolean, integer)"),
])
def test_a_type_error_names_the_operator_and_the_operand_types(expression: str, words: str) -> None:
    assert problems(expression, ATTRIBUTES) == [words]


@pytest.mark.parametrize("expression", [
    "has({'gold': 1}.gold) && tier == 'gold'",
    "string(amount) == '40' || string(count) == '3'",
    "[amount, risk].exists(x, x > 0.5)",
    "[1, 2, 3].all(n, n > count)",
    "[1, 2, 3].filter(n, n > count).size() >= 2",
    "[amount, risk].map(x, x * 2.0)[0] > 1.0",
    "[tier, region].exists_one(s, s.startsWith('eu'))",
    "int(amount) > count && double(count) <= amount",
    "tier.matches('^ent.*-[a-z]{2}$') && tier.contains('-') && tier.endsWith(region)",
    "size(tier) == 13 && tier.size() == 13 && size([region, 'x']) == 2",
    "{'enterprise-eu': 0.1, 'gold': 0.2}[tier] < risk",
    "dyn(count) == 13",
])
def test_any_cel_that_checks_to_a_boolean_is_a_rule(expression: str) -> None:
    assert problems(expression, ATTRIBUTES) == []
    inputs = {"amount": 40.0, "risk": 0.6, "count": 1, "tier": "enterprise-eu", "region": "eu"}
    assert isinstance(evaluate(expression, inputs), bool)


def test_has_of_an_attribute_is_a_problem_that_says_why() -> None:
    [problem] = problems("has(tier)", SPEC)
    assert problem.startswith("has() argument must be a field selection at column 5")
    assert "present on every case" in problem


def test_a_constant_regular_expression_that_re2_refuses_is_a_problem() -> None:
    assert problems("tier.matches('[')", ATTRIBUTES) == [
        "matches() at column 13: invalid regular expression: missing ]: ["]


def test_compile_rule_refuses_with_every_problem() -> None:
    with pytest.raises(RuleError) as raised:
        compile_rule("score > 1 && has(tier)", SPEC)
    assert isinstance(raised.value, AccordError)
    assert raised.value.problems == problems("score > 1 && has(tier)", SPEC)
    assert "has()" in str(raised.value)


@given(st.text(max_size=60))
def test_problems_never_raises_on_any_text(text: str) -> None:
    assert isinstance(problems(text, ATTRIBUTES), list)


def test_text_that_is_not_unicode_is_a_problem_not_a_crash() -> None:
    assert problems("tier == '\udc80'", ATTRIBUTES) == [
        "is not valid text: it holds an unpaired surrogate code point"]


def test_the_rules_in_the_contract_docs_are_rules() -> None:
    """docs/contracts.md's examples, and its advice for mixed types, hold."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "contracts.md").read_text()
    section = text[text.index("### Rules in CEL"):text.index("## Roster file")]
    examples = re.findall(r'^(?:skip_when|when): "(.*)"$', section, re.MULTILINE)
    assert len(examples) == 3
    for example in examples:
        assert problems(example, SPEC) == [], example
    assert "double(count) > amount" in section and problems("double(count) > amount", ATTRIBUTES) == []
    assert "7.0 / 2" in section and problems("7.0 / 2 < amount", ATTRIBUTES) == []


# -- limits --------------------------------------------------------------------------------------


class _CheckerWatch:
    """An Env that records whether CEL's checker was asked to compile (not only parse)."""

    def __init__(self, env: Any) -> None:
        self.env, self.checked = env, 0

    def compile(self, text: str, disable_check: bool = False) -> Any:
        self.checked += not disable_check
        return self.env.compile(text, disable_check=disable_check)


@pytest.fixture
def watch(monkeypatch: pytest.MonkeyPatch) -> _CheckerWatch:
    environment = rules_module._environment
    spy = _CheckerWatch(environment(tuple(sorted(ATTRIBUTES.items()))))
    monkeypatch.setattr(rules_module, "_environment", lambda attributes: spy)
    return spy


def test_a_five_megabyte_rule_is_refused_in_milliseconds_without_cel(watch: _CheckerWatch) -> None:
    start = time.perf_counter()
    [problem] = problems("amount < 1.0 || " * 300_000 + "vip", ATTRIBUTES)
    assert time.perf_counter() - start < 0.05
    assert problem.startswith(f"is 4,800,003 characters long; a rule may be at most {MAX_RULE_LENGTH:,}")
    assert watch.checked == 0


def test_a_hundred_thousand_item_list_is_refused_in_milliseconds(watch: _CheckerWatch) -> None:
    start = time.perf_counter()
    [problem] = problems("count in [" + ", ".join(str(i) for i in range(100_000)) + "]", ATTRIBUTES)
    assert time.perf_counter() - start < 0.05 and "characters long" in problem
    assert watch.checked == 0


def test_a_list_over_the_element_limit_is_refused_before_the_checker(watch: _CheckerWatch) -> None:
    elements = MAX_LIST_ELEMENTS + 1
    assert problems("count in [" + ",".join(["7"] * elements) + "]", ATTRIBUTES) == [
        f"has a list of {elements:,} elements at column 10; a list in a rule may hold at most 1,000"]
    assert watch.checked == 0


def test_a_list_at_the_element_limit_is_a_rule() -> None:
    rule = compile_rule("amount in [" + ",".join(["7"] * MAX_LIST_ELEMENTS) + "]", ATTRIBUTES)
    assert rule.evaluate({"amount": 7.0}) is True


def test_nesting_beyond_cels_limit_is_one_problem() -> None:
    assert problems("(" * 40 + "vip" + ")" * 40, ATTRIBUTES) == [
        f"nests deeper than CEL allows ({MAX_NESTING} levels): simplify it"]
    assert problems("count" + " + 1" * 40 + " > 0", ATTRIBUTES) == [
        f"nests deeper than CEL allows ({MAX_NESTING} levels): simplify it"]


def test_max_nesting_is_cels_own_limit() -> None:
    with pytest.raises(RuntimeError, match=f"limit: {MAX_NESTING}\\b"):
        cel.NewEnv().compile("(" * (MAX_NESTING + 8) + "true" + ")" * (MAX_NESTING + 8))
    assert problems("(" * (MAX_NESTING - 2) + "vip" + ")" * (MAX_NESTING - 2), ATTRIBUTES) == []


def test_a_long_rule_needing_many_promotions_is_linted_quickly() -> None:
    """Promotion is bounded: one round per nesting level, each round promoting every literal it can."""
    text = " || ".join(f"amount + {i} > {i + 1}" for i in range(180))
    assert len(text) <= MAX_RULE_LENGTH
    start = time.perf_counter()
    assert problems(text, ATTRIBUTES) == []
    assert time.perf_counter() - start < 2.0


def test_unary_operators_repeated_thousands_of_times_compile() -> None:
    """CEL folds `!!` and `--`: only the text limit applies."""
    assert evaluate("!" * 4000 + "vip", {"vip": True}) is True


# -- evaluation ----------------------------------------------------------------------------------


def test_an_absent_confidence_is_an_evaluation_error_naming_it() -> None:
    rule = compile_rule("confidence > 0.8", SPEC)
    with pytest.raises(EvaluationError, match='No value with name "confidence"'):
        rule.evaluate({"amount": 1.0, "confidence": None})


def test_logic_absorbs_an_error_when_the_other_side_decides() -> None:
    """CEL's commutative logic: error || true is true, false && error is false."""
    inputs = {"amount": 600.0}
    assert evaluate("confidence > 0.9 || amount >= 500", inputs, SPEC) is True
    assert evaluate("amount >= 500 || confidence > 0.9", inputs, SPEC) is True
    assert evaluate("confidence > 0.9 && amount < 500", inputs, SPEC) is False
    assert evaluate("confidence > 0.9 && amount >= 500", inputs, SPEC) == "error"
    assert evaluate("confidence > 0.9 || amount < 500", inputs, SPEC) == "error"
    assert evaluate("confidence > 0.9 && confidence < 0.1", inputs, SPEC) == "error"


@pytest.mark.parametrize(("expression", "inputs", "message"), [
    ("count / level > 0", {"count": 1, "level": 0}, "divide by zero"),
    ("count % level > 0", {"count": 1, "level": 0}, "modulus by zero"),
    ("count * 2 > 0", {"count": 2**62}, "integer overflow"),
    ("-count > 0", {"count": -(2**63)}, "integer overflow"),
    ("int(amount) > 0", {"amount": 1e300}, "out of int64 range"),
    ("tier.matches(region)", {"tier": "a", "region": "("}, "invalid regular expression"),
    ("tier < 'b'", {"tier": 5}, "tier is 5, not a string"),
    ("tier < 'b'", {"tier": "\udc80"}, "tier is not valid text"),
    ("count > 1", {"count": 1.5}, "not a 64-bit integer"),
    ("count > 1", {"count": 2**63}, "not a 64-bit integer"),
    ("amount > 1.0", {"amount": True}, "not a number"),
    ("amount > 1.0", {"amount": 10**400}, "not a number"),
    ("vip", {"vip": "yes"}, "not a boolean"),
])
def test_evaluation_errors_raise_evaluation_error_with_cels_message(
        expression: str, inputs: dict[str, Any], message: str) -> None:
    with pytest.raises(EvaluationError, match=message):
        compile_rule(expression, ATTRIBUTES).evaluate(inputs)


def test_double_division_by_zero_is_infinite_as_in_ieee_754() -> None:
    assert evaluate("amount / 0 > 1e308 && -amount / 0.0 < -1e308", {"amount": 2.0}) is True


def test_integer_division_truncates_towards_zero_and_modulo_keeps_the_dividends_sign() -> None:
    for count, level in ((-7, 2), (7, -2), (-7, -2), (7, 2)):
        inputs = {"count": count, "level": level}
        assert evaluate(f"count / level == {int(count / level)}", inputs) is True
        assert evaluate(f"count % level == {count - level * int(count / level)}", inputs) is True


# -- the Rule object -----------------------------------------------------------------------------


def test_rule_carries_its_text_and_the_names_it_reads() -> None:
    rule = compile_rule("risk < 0.2 && amount < 50 || confidence > 0.99", SPEC)
    assert isinstance(rule, Rule)
    assert rule.text == "risk < 0.2 && amount < 50 || confidence > 0.99"
    assert rule.names == {"risk", "amount", "confidence"}


def test_a_macro_variable_named_like_an_attribute_is_not_a_read_of_it() -> None:
    rule = compile_rule("[1.0, 2.0].exists(amount, amount > 1.5) && tier == 'a'", SPEC)
    assert rule.names == {"tier"}
    assert rule.evaluate({"tier": "a", "amount": "not read"}) is True


def test_compiling_the_same_rule_twice_returns_the_cached_rule() -> None:
    assert compile_rule("amount < 50", SPEC) is compile_rule("amount < 50", dict(SPEC))


def test_inputs_the_rule_does_not_read_are_not_checked() -> None:
    assert compile_rule("amount < 50", SPEC).evaluate({"amount": 1, "tier": 7}) is True


# -- rule sets -----------------------------------------------------------------------------------


def test_a_rule_set_gives_each_rule_its_own_value() -> None:
    rules = compile_rules(["risk < 0.2 && amount < 50", "amount >= 500 || tier == 'enterprise'"], SPEC)
    assert rules.outcomes({"amount": 40, "risk": 0.1, "tier": "standard"}) == [True, False]
    assert rules.outcomes({"amount": 900.0, "risk": 0.1, "tier": "standard"}) == [False, True]


def test_in_a_rule_set_an_error_belongs_to_the_rule_that_errs() -> None:
    rules = compile_rules(["confidence > 0.8", "amount >= 500", "tier.size() > 'x'.size()"], SPEC)
    first, second, third = rules.outcomes({"amount": 900.0, "tier": 5})
    assert isinstance(first, EvaluationError) and "confidence" in str(first)
    assert second is True
    assert isinstance(third, EvaluationError) and "tier is 5, not a string" in str(third)


def test_a_rule_set_keeps_each_rules_comment_to_itself() -> None:
    rules = compile_rules(["amount < 50 // small refunds", "tier == 'gold' || true // always"], SPEC)
    assert rules.outcomes({"amount": 40.0, "tier": "x"}) == [True, True]


def test_an_empty_rule_set_has_no_outcomes() -> None:
    assert compile_rules([], SPEC).outcomes({}) == []


# -- properties ----------------------------------------------------------------------------------

Spelled = tuple[str, str]
"""A piece of rule twice: integer literals as written by an author, and as doubles."""


def _join(*parts: Spelled | str) -> Spelled:
    return ("".join(p if isinstance(p, str) else p[0] for p in parts),
            "".join(p if isinstance(p, str) else p[1] for p in parts))


_NUMBER_LITERALS: st.SearchStrategy[Spelled] = st.one_of(
    st.integers(-1000, 1000).map(lambda i: (str(i), repr(float(i)))),
    st.integers(-(2**63), 2**63 - 1).map(lambda i: (str(i), repr(float(i)))),
    st.integers(0, 255).map(lambda i: (hex(i), repr(float(i)))),
    st.integers(0, 99).map(lambda i: (f"-({i})", f"-({float(i)!r})")),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: (repr(f), repr(f))),
)
_NUMBER_NAMES = st.sampled_from(["amount", "risk", "confidence"])


def _number_terms() -> st.SearchStrategy[Spelled]:
    """Double-typed terms in which every integer literal faces a double."""
    name = _NUMBER_NAMES.map(lambda n: (n, n))
    operator = st.sampled_from(["+", "-", "*", "/"])
    terms: st.SearchStrategy[Spelled] = st.deferred(lambda: st.one_of(
        name, name.map(lambda n: _join("double(count) + ", n)),
        st.tuples(terms, operator, _NUMBER_LITERALS).map(lambda t: _join("(", t[0], f" {t[1]} ", t[2], ")")),
        st.tuples(_NUMBER_LITERALS, operator, terms).map(lambda t: _join("(", t[0], f" {t[1]} ", t[2], ")")),
        st.tuples(terms, _NUMBER_LITERALS).map(lambda t: _join("(vip ? ", t[0], " : ", t[1], ")")),
        st.tuples(_NUMBER_LITERALS, terms).map(lambda t: _join("(vip ? ", t[0], " : ", t[1], ")")),
    ))
    return terms


def _promoted_rules() -> st.SearchStrategy[Spelled]:
    term = _number_terms()
    comparison = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
    atom = st.one_of(
        st.tuples(term, comparison, _NUMBER_LITERALS).map(lambda t: _join(t[0], f" {t[1]} ", t[2])),
        st.tuples(_NUMBER_LITERALS, comparison, term).map(lambda t: _join(t[0], f" {t[1]} ", t[2])),
        st.tuples(term, comparison, term).map(lambda t: _join(t[0], f" {t[1]} ", t[2])),
        st.tuples(term, st.lists(_NUMBER_LITERALS, min_size=1, max_size=3)).map(
            lambda t: _join(t[0], " in [", *[part for i, lit in enumerate(t[1])
                                               for part in ((", ", lit) if i else (lit,))], "]")),
        st.tuples(_NUMBER_LITERALS, term).map(lambda t: _join(t[0], " in [", t[1], "]")),
        st.sampled_from(["vip", "count > 2", "tier == 'a'", "level % 3 == 0"]).map(lambda s: (s, s)),
    )
    return st.recursive(atom, lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["&&", "||"]), inner).map(
            lambda t: _join("(", t[0], f") {t[1]} (", t[2], ")")),
        inner.map(lambda x: _join("!(", x, ")")),
        st.tuples(inner, inner, inner).map(lambda t: _join("(", t[0], ") ? (", t[1], ") : (", t[2], ")"))),
        max_leaves=5)


_VALUES = {"number": st.one_of(st.floats(), st.integers(-1000, 1000).map(float), st.integers(-1000, 1000)),
           "integer": st.one_of(st.integers(-100, 100), st.integers(-(2**63), 2**63 - 1)),
           "string": st.sampled_from(["a", "b", "é", ""]), "boolean": st.booleans()}


@st.composite
def _inputs(draw: st.DrawFn) -> dict[str, Any]:
    """A case: each attribute of its type (rarely absent), confidence present or absent."""
    case = {name: draw(_VALUES[kind]) for name, kind in ATTRIBUTES.items() if draw(st.integers(0, 19))}
    if draw(st.booleans()):
        case["confidence"] = draw(st.floats(0, 1))
    return case


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(_promoted_rules(), _inputs())
def test_promoted_rules_evaluate_as_if_written_with_doubles(rule: Spelled, inputs: dict[str, Any]) -> None:
    """An author's integer literals facing doubles mean exactly the doubles CEL would need."""
    as_written, with_doubles = rule
    assert problems(as_written, ATTRIBUTES) == [], as_written
    assert evaluate(as_written, inputs) == raw_cel(with_doubles, inputs), (as_written, inputs)


def _loose_rules() -> st.SearchStrategy[str]:
    """Rules that ignore types: most are refused, the rest must evaluate to a bool or an error."""
    leaf = st.one_of(st.sampled_from([*ATTRIBUTES, "confidence", "true", "null", "1", "-2", "0.5", "'a'"]))
    return st.recursive(leaf, lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["&&", "||", "<", "==", "in", "+", "/", "%"]), inner).map(
            lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        inner.map(lambda x: f"!({x})"), inner.map(lambda x: f"-({x})"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]}) ? ({t[1]}) : ({t[2]})"),
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.tuples(inner, st.sampled_from(["size", "contains", "matches", "exists"]),
                  st.lists(inner, max_size=2)).map(lambda t: f"({t[0]}).{t[1]}({', '.join(t[2])})")),
        max_leaves=8)


def _said(outcome: bool | EvaluationError) -> bool | str:
    return outcome if isinstance(outcome, bool) else str(outcome)


@settings(PROPERTY, max_examples=200)
@given(st.lists(st.one_of(_loose_rules(), _promoted_rules().map(lambda r: r[0])), min_size=1, max_size=4),
       _inputs())
def test_a_rule_set_gives_what_each_rule_gives_alone(expressions: list[str], inputs: dict[str, Any]) -> None:
    """Evaluated together in one CEL list, rules keep their own values and their own errors."""
    usable = [e for e in expressions if not problems(e, ATTRIBUTES)]
    together = compile_rules(usable, ATTRIBUTES).outcomes(inputs)
    alone = [compile_rule(e, ATTRIBUTES).outcome(inputs) for e in usable]
    assert [_said(o) for o in together] == [_said(o) for o in alone], (usable, inputs)


@settings(PROPERTY, max_examples=200)
@given(_loose_rules(), _inputs())
def test_a_rule_without_problems_compiles_and_evaluates_to_a_bool_or_an_error(
        expression: str, inputs: dict[str, Any]) -> None:
    if problems(expression, ATTRIBUTES):
        with pytest.raises(RuleError):
            compile_rule(expression, ATTRIBUTES)
        return
    assert evaluate(expression, inputs) in (True, False, "error")
