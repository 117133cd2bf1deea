"""accord's rules language: the CEL subset contracts use, compiled to Python closures.

Contracts carry CEL expressions (``review.skip_when``, ``exceptions[].when``,
SPEC §2 and §6) over declared, typed case attributes plus ``confidence``.
cel-python parses them and is the reference semantics, but its interpreter is
far too slow for routing, so :func:`compile_rule` type-checks a rule once and
compiles it into plain Python closures that behave exactly as cel-python does —
the same result, and an error exactly when cel-python errs (the property test in
``tests/test_cel.py`` holds the two side by side).

The subset
    literals: integers (decimal and ``0x`` hex), doubles, strings (all quote
    forms, raw and escaped), ``true``/``false``, ``null``; declared attribute
    names and ``confidence``; ``!``, unary ``-``, ``&&``, ``||``, ``? :``,
    ``< <= > >= == !=``, ``x in [..]`` with a list literal, ``+ - * / %``,
    parentheses, list literals (after ``in`` and inside ``size()``),
    ``size(x)``/``x.size()`` of a string or list, the string methods
    ``startsWith``, ``endsWith``, ``contains`` and ``matches`` (RE2), and the
    conversions ``int(x)`` (truncating towards zero) and ``double(x)`` of a number.

Not in it (each reported as "not supported by accord's rule compiler"):
    ``has()`` (attributes are always present; an absent ``confidence`` makes
    the rule fail towards review), macros, other functions and methods, field
    selection, indexing, maps, messages, bytes and unsigned literals, string
    concatenation.

Typing
    ``number`` attributes and ``confidence`` are CEL doubles, ``integer`` ones
    CEL ints. An integer literal facing a number is read as a number (SPEC §6),
    so ``amount == 40`` holds for 40.0. Otherwise both sides of an operator
    have one type, with the one mixed case cel-python evaluates: a number
    ordered against an integer (``amount < count``, not ``count > amount``).
    Anything that cel-python could never evaluate is a problem at lint time.

Errors at evaluation (:class:`EvaluationError`) are CEL's: an absent name (such
as ``confidence``), integer overflow, integer division or modulo by zero, an
invalid run-time regular expression, or an input of the wrong type. ``&&`` and
``||`` absorb an error when the other side decides (``false && error`` is
false, ``error || true`` is true), as CEL's commutative logic does.
"""

from __future__ import annotations

import functools
import math
import operator
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import lark
import re2  # type: ignore[import-untyped]
from celpy import Environment, Runner
from celpy.celparser import CELParseError, CELParser
from celpy.celtypes import BoolType, DoubleType, IntType, StringType
from celpy.evaluation import CELEvalError

from accord.errors import AccordError
from accord.rules._check import (
    BOOLEAN,
    INT64_MAX,
    INT64_MIN,
    INTEGER,
    NUMBER,
    REGEX_OPTIONS,
    STRING,
    Arithmetic,
    Call,
    Checker,
    Comparison,
    Conditional,
    ListLiteral,
    Literal,
    Logical,
    Membership,
    Name,
    Negate,
    Node,
    Not,
    ParseTree,
    rewrite_promoted,
)

__all__ = ["EvaluationError", "Rule", "RuleError", "compile_rule", "evaluate_reference", "problems"]


class RuleError(AccordError):
    """A rule that accord cannot compile; ``problems`` says why, one problem a line."""

    def __init__(self, expression: str, problems: list[str]) -> None:
        self.expression = expression
        self.problems = list(problems)
        super().__init__(f"rule {expression!r}: {'; '.join(self.problems)}")

    def lines(self) -> list[str]:
        return [f"rule {self.expression!r}: {problem}" for problem in self.problems]


class EvaluationError(AccordError):
    """A rule that CEL cannot evaluate for these inputs (absent name, overflow, division by zero …)."""


Inputs = Mapping[str, Any]
Evaluate = Callable[[Inputs], Any]
Bind = Callable[[str, Any], Any]


@dataclass(frozen=True)
class Rule:
    """A compiled rule: ``evaluate`` decides it for one case's inputs."""

    text: str
    names: frozenset[str]
    """The identifiers the rule reads (declared attributes and possibly ``confidence``)."""
    _binders: tuple[tuple[str, Bind], ...] = field(repr=False, compare=False)
    _run: Evaluate = field(repr=False, compare=False)

    def evaluate(self, inputs: Inputs) -> bool:
        """The rule's value for ``inputs`` (attribute name → value; an absent or None value is absent).

        Raises :class:`EvaluationError` when CEL evaluation errs: an absent name the
        rule needs, integer overflow, division by zero, an input of the wrong type.
        """
        env: dict[str, Any] = {}
        for name, bind in self._binders:
            value = inputs.get(name)
            if value is not None:
                env[name] = bind(name, value)
        return bool(self._run(env))


def problems(expression: str, attributes: Mapping[str, str]) -> list[str]:
    """What is wrong with a rule, for lint rule ``invalid-rule``; empty when it compiles.

    Each problem is one line: it does not parse (with cel-python's column), it
    does not yield a boolean, it reads a name that is neither a declared attribute
    nor ``confidence``, or it uses a construct outside accord's subset. Never raises.
    """
    return _analyse(expression, attributes).problems


def compile_rule(expression: str, attributes: Mapping[str, str]) -> Rule:
    """The rule compiled for fast evaluation; cached by expression and attribute types.

    Raises :class:`RuleError` with the :func:`problems` of a rule that does not compile.
    """
    return _compile_cached(expression, tuple(sorted(attributes.items())))


def evaluate_reference(expression: str, attributes: Mapping[str, str], inputs: Inputs) -> bool:
    """The rule's value as cel-python itself computes it (slow: for tests and double-checks).

    Integer literals are promoted as in :func:`compile_rule`. Raises :class:`RuleError`
    when the rule does not compile and :class:`EvaluationError` when cel-python errs.
    """
    runner, names = _reference_program(expression, tuple(sorted(attributes.items())))
    activation: dict[str, Any] = {}
    for name, bind in _binders(names, attributes):
        value = inputs.get(name)
        if value is not None:
            activation[name] = _CEL_VALUE[_declared(name, attributes)](bind(name, value))
    try:
        result = runner.evaluate(activation)
    except IndexError as err:  # cel-python 0.5.0 crashes formatting `error && error`: still an error
        raise EvaluationError(f"cel-python: {err}") from err
    except OverflowError as err:  # its int() of an infinity escapes as Python's error: still an error
        raise EvaluationError(f"cel-python: {err}") from err
    except ValueError as err:  # its int64 check raises a bare ValueError("overflow"), even
        # comparing double(-2**63) with int(double(-2**63)), which holds no int64 overflow
        raise EvaluationError(f"cel-python: {err}") from err
    except CELEvalError as err:
        message = str(err.args[0] if err.args else err).split(" (in activation")[0]
        raise EvaluationError(f"cel-python: {message}") from err
    if not isinstance(result, BoolType):
        raise EvaluationError(f"cel-python: {expression!r} yielded {result!r}, not a boolean")
    return bool(result)


# -- analysis ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Analysis:
    tree: ParseTree | None
    root: Node | None
    problems: list[str]
    names: list[str]


def _analyse(expression: str, attributes: Mapping[str, str]) -> _Analysis:
    if not expression.strip():
        return _Analysis(None, None, ["is empty: write a CEL expression that yields a boolean"], [])
    try:
        tree = _parser().parse(expression)
    except CELParseError as err:
        return _Analysis(None, None, [_parse_problem(expression, err)], [])
    except lark.exceptions.LarkError as err:
        return _Analysis(None, None, [f"does not parse: {str(err).splitlines()[0]}"], [])
    checker = Checker(expression, attributes)
    root = checker.check(tree)
    return _Analysis(tree, root, checker.problems, checker.names)


@functools.cache
def _parser() -> CELParser:
    return CELParser()


@functools.cache
def _reference_environment() -> Environment:
    limit = sys.getrecursionlimit()
    environment = Environment()
    sys.setrecursionlimit(limit)  # Environment() raises the process-wide limit; keep ours
    return environment


def _parse_problem(expression: str, err: CELParseError) -> str:
    """cel-python's parse error on one line: where it stopped and what it found there."""
    context = str(err.args[0]).splitlines()[0].strip() if err.args else ""
    where = f"line {err.line}, column {err.column}" if "\n" in expression else f"column {err.column}"
    cause = err.__context__
    if isinstance(cause, lark.exceptions.UnexpectedToken):
        found = ("the end of the expression" if cause.token.type == "$END"
                 else f"{str(cause.token)!r}")
    elif isinstance(cause, lark.exceptions.UnexpectedCharacters):
        found = f"{cause.char!r}"
    else:
        found = "something unexpected"
    hint = "; compare with ==" if found == "'='" else ""
    return f"does not parse: cel-python stops at {where} of `{context}`, finding {found}{hint}"


@functools.lru_cache(maxsize=256)
def _reference_program(expression: str, attributes: tuple[tuple[str, str], ...]) -> tuple[Runner, list[str]]:
    analysis = _analyse(expression, dict(attributes))
    if analysis.problems or analysis.tree is None or analysis.root is None:
        raise RuleError(expression, analysis.problems)
    rewrite_promoted(analysis.root)
    return _reference_environment().program(analysis.tree), analysis.names


@functools.lru_cache(maxsize=1024)
def _compile_cached(expression: str, attributes: tuple[tuple[str, str], ...]) -> Rule:
    declared = dict(attributes)
    analysis = _analyse(expression, declared)
    if analysis.problems or analysis.root is None:
        raise RuleError(expression, analysis.problems)
    return Rule(text=expression, names=frozenset(analysis.names),
                _binders=_binders(analysis.names, declared), _run=_compile(analysis.root))


# -- binding inputs ------------------------------------------------------------------------------


def _declared(name: str, attributes: Mapping[str, str]) -> str:
    return attributes.get(name, NUMBER)  # only confidence is read undeclared, and it is a number


def _binders(names: list[str], attributes: Mapping[str, str]) -> tuple[tuple[str, Bind], ...]:
    return tuple((name, _BIND[_declared(name, attributes)]) for name in names)


def _as_number(name: str, value: Any) -> float:
    if type(value) is float:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            pass
    raise EvaluationError(f"{name} is {value!r}, not a number")


def _as_integer(name: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and INT64_MIN <= value <= INT64_MAX:
        return int(value)
    raise EvaluationError(f"{name} is {value!r}, not a 64-bit integer")


def _as_string(name: str, value: Any) -> str:
    if isinstance(value, str):
        return str(value)
    raise EvaluationError(f"{name} is {value!r}, not a string")


def _as_boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise EvaluationError(f"{name} is {value!r}, not a boolean")


_BIND: Final[dict[str, Bind]] = {
    NUMBER: _as_number, INTEGER: _as_integer, STRING: _as_string, BOOLEAN: _as_boolean}
_CEL_VALUE: Final[dict[str, Callable[[Any], Any]]] = {
    NUMBER: DoubleType, INTEGER: IntType, STRING: StringType, BOOLEAN: BoolType}


# -- compiling checked rules into closures -------------------------------------------------------

N = TypeVar("N", bound=Node)
_COMPILERS: dict[type[Node], Callable[[Any], Evaluate]] = {}


def _compiles(kind: type[N]) -> Callable[[Callable[[N], Evaluate]], Callable[[N], Evaluate]]:
    def register(compiler: Callable[[N], Evaluate]) -> Callable[[N], Evaluate]:
        _COMPILERS[kind] = compiler
        return compiler
    return register


def _compile(node: Node) -> Evaluate:
    return _COMPILERS[type(node)](node)


def _absent(name: str) -> EvaluationError:
    return EvaluationError(f"no such key: {name} (absent for this case)")


@_compiles(Literal)
def _literal(node: Literal) -> Evaluate:
    value = node.value
    return lambda env: value


@_compiles(Name)
def _name(node: Name) -> Evaluate:
    name = node.name

    def read(env: Inputs) -> Any:
        try:
            return env[name]
        except KeyError:
            raise _absent(name) from None
    return read


@_compiles(Not)
def _not(node: Not) -> Evaluate:
    operand = _compile(node.operand)
    return lambda env: not operand(env)


@_compiles(Logical)
def _logical(node: Logical) -> Evaluate:
    left, right = _compile(node.left), _compile(node.right)
    if node.operator == "&&":
        def both(env: Inputs) -> bool:
            try:
                first = left(env)
            except EvaluationError as err:
                try:
                    second = right(env)
                except EvaluationError:
                    raise err from None
                if second:
                    raise
                return False  # error && false is false in CEL
            return bool(right(env)) if first else False
        return both

    def either(env: Inputs) -> bool:
        try:
            first = left(env)
        except EvaluationError as err:
            try:
                second = right(env)
            except EvaluationError:
                raise err from None
            if second:
                return True  # error || true is true in CEL
            raise
        return True if first else bool(right(env))
    return either


@_compiles(Conditional)
def _conditional(node: Conditional) -> Evaluate:
    condition = _compile(node.condition)
    then, otherwise = _compile(node.then), _compile(node.otherwise)
    if node.type == NUMBER and _flavour(node.then) != _flavour(node.otherwise):
        then, otherwise = _dynamic(node.then, then), _dynamic(node.otherwise, otherwise)
    return lambda env: then(env) if condition(env) else otherwise(env)


@_compiles(Comparison)
def _comparison(node: Comparison) -> Evaluate:
    compare = _COMPARE[node.operator]
    right_node = node.right
    if isinstance(node.left, Name) and isinstance(right_node, Literal):
        name, constant = node.left.name, right_node.value

        def name_against_literal(env: Inputs) -> bool:
            try:
                value = env[name]
            except KeyError:
                raise _absent(name) from None
            return compare(value, constant)
        return name_against_literal
    left, right = _compile(node.left), _compile(right_node)
    return lambda env: compare(left(env), right(env))


_COMPARE: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne}


@_compiles(Membership)
def _membership(node: Membership) -> Evaluate:
    item = _compile(node.item)
    elements = node.elements.elements
    if all(isinstance(e, Literal) for e in elements):
        # No literal is NaN, so set membership agrees with CEL's element-wise ==.
        constants = frozenset(e.value for e in elements if isinstance(e, Literal))
        return lambda env: item(env) in constants
    compiled = [_compile(e) for e in elements]

    def member(env: Inputs) -> bool:
        wanted = item(env)
        values = [element(env) for element in compiled]  # CEL evaluates every element
        return any(value == wanted for value in values)
    return member


@_compiles(Call)
def _call(node: Call) -> Evaluate:
    if isinstance(node.target, ListLiteral):  # only size() takes a list
        compiled = [_compile(e) for e in node.target.elements]

        def size_of_list(env: Inputs) -> int:
            return len([element(env) for element in compiled])  # CEL evaluates every element
        return size_of_list
    target = _compile(node.target)
    if node.function == "size":
        return lambda env: len(target(env))
    if node.function == "int":
        return _to_int(node, target)
    if node.function == "double":
        return lambda env: float(target(env))
    assert node.argument is not None
    argument = _compile(node.argument)
    if node.function == "startsWith":
        return lambda env: target(env).startswith(argument(env))
    if node.function == "endsWith":
        return lambda env: target(env).endswith(argument(env))
    if node.function == "contains":
        def contains(env: Inputs) -> bool:
            text = target(env)
            return argument(env) in text
        return contains
    return _matches(node, target, argument)


def _to_int(node: Call, target: Evaluate) -> Evaluate:
    text = node.text

    def to_int(env: Inputs) -> int:
        value = target(env)
        if type(value) is float:
            if not math.isfinite(value):
                raise EvaluationError(f"cannot convert {value} to an integer in `{text}`")
            value = int(value)  # truncates towards zero, as CEL's int(double) does
        return _checked(value, text)
    return to_int


def _matches(node: Call, target: Evaluate, argument: Evaluate) -> Evaluate:
    where = node.text
    if isinstance(node.argument, Literal):  # a valid pattern: checked when the rule compiled
        search = _regex(node.argument.value).search

        def matches_constant(env: Inputs) -> bool:
            text = target(env)
            try:
                return search(text) is not None
            except UnicodeError as err:  # re2 reads UTF-8; a lone surrogate cannot be matched
                raise EvaluationError(f"`{where}`: the text cannot be matched ({err})") from err
        return matches_constant

    def matches(env: Inputs) -> bool:
        text = target(env)
        pattern = argument(env)
        try:
            return _regex(pattern).search(text) is not None
        except re2.error as err:
            raise EvaluationError(f"`{where}`: {pattern!r} is not an RE2 regular expression") from err
        except UnicodeError as err:
            raise EvaluationError(f"`{where}`: the text or pattern cannot be matched ({err})") from err
    return matches


@functools.lru_cache(maxsize=256)
def _regex(pattern: str) -> Any:
    return re2.compile(pattern, REGEX_OPTIONS)


# -- arithmetic ----------------------------------------------------------------------------------


@_compiles(Negate)
def _negate(node: Negate) -> Evaluate:
    operand = _compile(node.operand)
    text = node.text
    if node.type == INTEGER:
        def negate_integer(env: Inputs) -> int:
            value: int = -operand(env)
            if value > INT64_MAX:
                raise EvaluationError(f"integer overflow in `{text}`")
            return value
        return negate_integer
    if _flavour(node) == "dynamic":
        def negate_dynamic(env: Inputs) -> float:
            value = operand(env)
            return _CelDouble(-value) if type(value) is _CelDouble else -value
        return negate_dynamic
    return lambda env: -operand(env)


@_compiles(Arithmetic)
def _arithmetic(node: Arithmetic) -> Evaluate:
    left, right = _compile(node.left), _compile(node.right)
    if node.type == INTEGER:
        compute = _INTEGER_OPERATORS[node.operator]
        text = node.text

        def integer(env: Inputs) -> int:
            return compute(left(env), right(env), text)
        return integer
    if node.operator == "/":
        return _divide_numbers(node, left, right)
    compute_number = _NUMBER_OPERATORS[node.operator]
    return lambda env: compute_number(left(env), right(env))


_NUMBER_OPERATORS: Final[dict[str, Callable[[float, float], float]]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul}


def _checked(value: int, text: str) -> int:
    if INT64_MIN <= value <= INT64_MAX:
        return value
    raise EvaluationError(f"integer overflow in `{text}`")


def _integer_divide(a: int, b: int, text: str) -> int:
    if b == 0:
        raise EvaluationError(f"division by zero in `{text}`")
    quotient = abs(a) // abs(b)  # CEL truncates towards zero
    return _checked(-quotient if (a < 0) != (b < 0) else quotient, text)


def _integer_modulo(a: int, b: int, text: str) -> int:
    if b == 0:
        raise EvaluationError(f"modulo by zero in `{text}`")
    remainder = abs(a) % abs(b)  # the sign of the dividend, as CEL's truncated division has it
    return -remainder if a < 0 else remainder


_INTEGER_OPERATORS: Final[dict[str, Callable[[int, int, str], int]]] = {
    "+": lambda a, b, text: _checked(a + b, text),
    "-": lambda a, b, text: _checked(a - b, text),
    "*": lambda a, b, text: _checked(a * b, text),
    "/": _integer_divide,
    "%": _integer_modulo,
}

# cel-python's double division: DoubleType / x and x / DoubleType give +inf for a zero
# divisor, but the plain floats that DoubleType + - * return raise ZeroDivisionError
# when divided by each other. Which kind a value is follows from the expression
# ("cel": a name, literal, negation or quotient; "plain": a sum, difference or
# product), except after ?: with one branch of each, where _CelDouble marks it.

_INFINITY: Final = float("inf")


class _CelDouble(float):
    """A double that cel-python holds as a DoubleType, where only the run time can tell."""


def _flavour(node: Node) -> str:
    if isinstance(node, Arithmetic):
        if node.operator != "/":
            return "plain"
        kinds = {_flavour(node.left), _flavour(node.right)}
        return "cel" if "cel" in kinds else "plain" if kinds == {"plain"} else "dynamic"
    if isinstance(node, Negate):
        return _flavour(node.operand)
    if isinstance(node, Conditional):
        kinds = {_flavour(node.then), _flavour(node.otherwise)}
        return kinds.pop() if len(kinds) == 1 else "dynamic"
    return "cel"


def _dynamic(node: Node, compiled: Evaluate) -> Evaluate:
    """``compiled`` marked for a ?: whose branches differ in kind."""
    if _flavour(node) == "cel":
        return lambda env: _CelDouble(compiled(env))
    return compiled


def _divide_numbers(node: Arithmetic, left: Evaluate, right: Evaluate) -> Evaluate:
    text = node.text
    kind = _flavour(node)
    if kind == "cel":
        def divide_cel(env: Inputs) -> float:
            dividend, divisor = left(env), right(env)
            return float(dividend / divisor) if divisor != 0.0 else _INFINITY
        return divide_cel
    if kind == "plain":
        def divide_plain(env: Inputs) -> float:
            dividend, divisor = left(env), right(env)
            if divisor == 0.0:
                raise EvaluationError(f"division by zero in `{text}`")
            return float(dividend / divisor)
        return divide_plain

    def divide_dynamic(env: Inputs) -> float:
        dividend, divisor = left(env), right(env)
        if type(dividend) is _CelDouble or type(divisor) is _CelDouble:
            return _CelDouble(dividend / divisor if divisor != 0.0 else _INFINITY)
        if divisor == 0.0:
            raise EvaluationError(f"division by zero in `{text}`")
        return float(dividend / divisor)
    return divide_dynamic
