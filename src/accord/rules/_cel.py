"""accord's rules language: CEL, checked and evaluated by cel-expr-python (Google's C++ CEL).

Contracts carry CEL expressions (``review.skip_when``, ``exceptions[].when``)
over the contract's declared, typed case attributes plus ``confidence``. Any
expression that CEL type-checks to a boolean over those names is a rule —
macros, ``has()``, ``string()`` and the rest of CEL's standard library included.
accord adds four things around CEL:

- types: ``number`` attributes and ``confidence`` are CEL doubles, ``integer``
  ones ints, ``string`` strings and ``boolean`` bools; inputs are bound strictly
  by declared type (an integer sent for a number binds as a double);
- integer literals that face a double are promoted (``amount == 40`` holds for
  40.0), see :mod:`accord.rules._promote`;
- limits, checked before CEL's checker runs: :data:`MAX_RULE_LENGTH` characters,
  :data:`MAX_LIST_ELEMENTS` elements in a list literal, and CEL's own nesting
  limit :data:`MAX_NESTING`; a constant regular expression that RE2 refuses is a
  problem at lint time rather than an error on every case;
- problems written for a person, one line each, see :mod:`accord.rules._diagnose`.

Evaluation errors are CEL's (an absent ``confidence``, division by zero,
overflow, a bad regular expression at run time, an input of the wrong type):
:class:`EvaluationError`. ``&&`` and ``||`` absorb an error when the other side
decides, as CEL defines.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import cel_expr_python.cel as cel

from accord.errors import AccordError
from accord.rules._ast import Node, TooDeep, names_read, read, walk
from accord.rules._diagnose import MAX_NESTING, cel_errors, describe, offset_of, where, yields
from accord.rules._promote import Promotion

__all__ = ["MAX_LIST_ELEMENTS", "MAX_NESTING", "MAX_RULE_LENGTH", "EvaluationError", "Rule", "RuleError",
           "RuleSet", "compile_rule", "compile_rules", "problems"]

MAX_RULE_LENGTH: Final = 4096
"""Characters in one rule; a longer one is refused before CEL parses it."""
MAX_LIST_ELEMENTS: Final = 1000
"""Elements in one list literal of a rule; a longer list is refused before CEL checks it."""
CONFIDENCE: Final = "confidence"
"""The name under which a rule reads the output's confidence (a double, absent when none was sent)."""

_CEL_TYPES: Final = {"number": cel.Type.DOUBLE, "integer": cel.Type.INT, "string": cel.Type.STRING,
                     "boolean": cel.Type.BOOL}
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_STATUS: Final = re.compile(r"^[A-Z_]+: ")


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
Bind = Callable[[str, Any], Any]
Binder = tuple[str, type, Bind]
"""A name a rule reads, the Python type CEL takes as it is, and the binder for any other value."""

_ARENA_EVALUATIONS: Final = 1024
"""Evaluations that share one protobuf arena (each leaves ~100 bytes there until it is dropped)."""


class _Arena:
    """The arena evaluations allocate in: reusing one is a third cheaper than one per evaluation,
    and replacing it every :data:`_ARENA_EVALUATIONS` keeps memory bounded."""

    __slots__ = ("arena", "left")

    def __init__(self) -> None:
        self.arena = cel.Arena()
        self.left = _ARENA_EVALUATIONS

    def take(self) -> Any:
        self.left -= 1
        if self.left < 0:
            self.arena, self.left = cel.Arena(), _ARENA_EVALUATIONS
        return self.arena


_ARENA: Final = _Arena()


@dataclass(frozen=True)
class Rule:
    """A compiled rule: ``evaluate`` decides it for one case's inputs."""

    text: str
    names: frozenset[str]
    """The declared attributes (and possibly ``confidence``) the rule reads."""
    _binders: tuple[Binder, ...] = field(repr=False, compare=False)
    _program: cel.Expression = field(repr=False, compare=False)
    _checked: str = field(repr=False, compare=False)
    """The text CEL checked: the rule with its integer literals promoted."""

    def evaluate(self, inputs: Inputs) -> bool:
        """The rule's value for ``inputs`` (attribute name → value; an absent or None value is unbound).

        Raises :class:`EvaluationError` with CEL's message when evaluation errs: an
        unbound name the rule needs, overflow, division by zero, an invalid regular
        expression, or an input that is not of its declared type.
        """
        result = _run(self._program, _bind(self._binders, inputs))
        if type(result) is bool:
            return result
        raise EvaluationError(_STATUS.sub("", str(result)))  # a rule checked as bool yields bool or error

    def outcome(self, inputs: Inputs) -> bool | EvaluationError:
        """:meth:`evaluate`'s value, or the error it would raise."""
        try:
            return self.evaluate(inputs)
        except EvaluationError as err:
            return err


@dataclass(frozen=True)
class RuleSet:
    """Rules over the same attributes evaluated together: one CEL evaluation per case.

    CEL evaluates the list ``[rule, rule, …]``; only when that errs (some rule errs,
    or an input is of the wrong type) is each rule evaluated on its own, so that
    each error belongs to its rule. Rules have no side effects: the values are the
    ones each rule gives alone.
    """

    rules: tuple[Rule, ...]
    _binders: tuple[Binder, ...] = field(repr=False, compare=False)
    _program: cel.Expression | None = field(repr=False, compare=False)

    def outcomes(self, inputs: Inputs) -> list[bool | EvaluationError]:
        """Each rule's value for ``inputs``, in order, or the :class:`EvaluationError` it raises."""
        if self._program is not None:
            try:
                values = _run(self._program, _bind(self._binders, inputs), plain=True)
            except EvaluationError:
                values = None
            if type(values) is list:
                return values
        return [rule.outcome(inputs) for rule in self.rules]


def _bind(binders: tuple[Binder, ...], inputs: Inputs) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, ready, bind in binders:
        value = inputs.get(name)
        if value is not None:
            data[name] = value if type(value) is ready else bind(name, value)
    return data


def _run(program: cel.Expression, data: dict[str, Any], plain: bool = False) -> Any:
    """CEL's value for ``data``: a Python value, or CEL's error message as a string."""
    try:
        result = program.eval(data=data, arena=_ARENA.take())
    except (TypeError, ValueError, RuntimeError) as err:  # text C++ cannot take: a lone surrogate
        unfit = [name for name, value in data.items() if isinstance(value, str) and not _is_text(value)]
        raise EvaluationError(f"{', '.join(unfit) or 'an input'} is not valid text: {err}") from err
    return result.plain_value() if plain else result.value()


def problems(expression: str, attributes: Mapping[str, str]) -> list[str]:
    """What is wrong with a rule, for lint rule ``invalid-rule``; empty when it compiles.

    Each problem is one line: the rule is empty or over a limit, does not parse
    (with line and column), reads a name that is neither a declared attribute nor
    ``confidence``, has a type error, or does not yield a boolean. Never raises.
    """
    return list(_analyse(expression, tuple(sorted(attributes.items()))).problems)


def compile_rule(expression: str, attributes: Mapping[str, str]) -> Rule:
    """The rule compiled for evaluation; cached by expression and attribute types.

    Raises :class:`RuleError` with the :func:`problems` of a rule that does not compile.
    """
    return _compile_cached(expression, tuple(sorted(attributes.items())))


def compile_rules(expressions: Sequence[str], attributes: Mapping[str, str]) -> RuleSet:
    """The rules compiled to be evaluated together (see :class:`RuleSet`).

    Raises :class:`RuleError` for the first rule that does not compile.
    """
    declared = tuple(sorted(attributes.items()))
    rules = tuple(_compile_cached(expression, declared) for expression in expressions)
    binders = {binder[0]: binder for rule in rules for binder in rule._binders}
    program = None
    if len(rules) > 1:
        # a newline ends each rule's own `//` comment before the bracket
        together = "[" + ", ".join(f"({rule._checked}\n)" for rule in rules) + "]"
        try:
            program = _environment(declared).compile(together)
        except RuntimeError:  # deeper than CEL nests: each rule is evaluated alone
            program = None
    return RuleSet(rules, tuple(binders[name] for name in sorted(binders)), program)


@functools.lru_cache(maxsize=1024)
def _compile_cached(expression: str, attributes: tuple[tuple[str, str], ...]) -> Rule:
    analysis = _analyse(expression, attributes)
    if analysis.problems or analysis.program is None:
        raise RuleError(expression, list(analysis.problems))
    declared = dict(attributes)
    kinds = [(name, declared.get(name, "number") if name != CONFIDENCE else "number")
             for name in sorted(analysis.names)]
    binders = tuple((name, _READY[kind], _BIND[kind]) for name, kind in kinds)
    return Rule(text=expression, names=analysis.names, _binders=binders, _program=analysis.program,
                _checked=analysis.checked)


# -- analysis ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Analysis:
    problems: tuple[str, ...]
    program: cel.Expression | None = None
    names: frozenset[str] = frozenset()
    checked: str = ""


@functools.lru_cache(maxsize=1024)
def _analyse(expression: str, attributes: tuple[tuple[str, str], ...]) -> _Analysis:
    refused = _refused(expression, attributes)
    if refused:
        return _Analysis((refused,))
    env = _environment(attributes)
    readable = [*(name for name, _ in attributes if name != CONFIDENCE), CONFIDENCE]
    try:
        tree = read(env.compile(expression, disable_check=True).serialize())
    except RuntimeError as err:
        return _Analysis(tuple(describe(cel_errors(err), expression,
                                        lambda e: offset_of(expression, e.line, e.column),
                                        readable, parsing=True)))
    except TooDeep:
        return _Analysis((f"nests deeper than CEL allows ({MAX_NESTING} levels): simplify it",))
    found = _long_lists(tree, expression)
    if found:
        return _Analysis(tuple(found))
    promotion = Promotion(expression, tree)
    while True:
        try:
            program = env.compile(promotion.text)
            break
        except RuntimeError as err:
            errors = cel_errors(err)
            if not promotion.promote(errors):
                return _Analysis(tuple(describe(errors, expression, promotion.locate, readable,
                                                parsing=False)))
    returned = program.return_type()
    if returned != cel.Type.BOOL:
        found.append(f"does not yield a boolean: it yields {yields(returned.name())}")
    found += _bad_patterns(tree, expression)
    if found:
        return _Analysis(tuple(found))
    return _Analysis((), program, frozenset(names_read(tree) & set(readable)), promotion.text)


def _refused(expression: str, attributes: tuple[tuple[str, str], ...]) -> str | None:
    """The problem that stops a rule before CEL sees it, if any."""
    if not expression.strip():
        return "is empty: write a CEL expression that yields a boolean"
    if len(expression) > MAX_RULE_LENGTH:
        return (f"is {len(expression):,} characters long; a rule may be at most {MAX_RULE_LENGTH:,}: "
                "keep long lists and tables out of rules")
    if not _is_text(expression):
        return "is not valid text: it holds an unpaired surrogate code point"
    for name, kind in attributes:
        if kind not in _CEL_TYPES or not _is_text(name):
            return (f"attribute {name!r} of type {kind!r} cannot be read by rules: "
                    f"declare it as {', '.join(_CEL_TYPES)}")
    return None


def _is_text(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


@functools.lru_cache(maxsize=256)
def _environment(attributes: tuple[tuple[str, str], ...]) -> cel.Env:
    variables = {name: _CEL_TYPES[kind] for name, kind in attributes}
    variables[CONFIDENCE] = cel.Type.DOUBLE  # the output's confidence, whatever an attribute says
    return cel.NewEnv(variables=variables)


def _long_lists(tree: Node, expression: str) -> list[str]:
    return [f"has a list of {len(node.children):,} elements at {where(expression, node.offset)}; "
            f"a list in a rule may hold at most {MAX_LIST_ELEMENTS:,}"
            for node in walk(tree) if node.kind == "list" and len(node.children) > MAX_LIST_ELEMENTS]


def _bad_patterns(tree: Node, expression: str) -> list[str]:
    """Constant patterns of ``matches()`` that RE2 refuses: each would err on every case."""
    found = []
    for node in walk(tree):
        if node.kind == "call" and node.name == "matches" and len(node.children) == 2:
            pattern = node.children[1]
            if pattern.kind == "string" and isinstance(pattern.value, str):
                result = _regex_probe().eval(data={"pattern": pattern.value}).value()
                if type(result) is not bool:
                    found.append(f"matches() at {where(expression, node.offset)}: "
                                 f"{_STATUS.sub('', str(result))}")
    return found


@functools.cache
def _regex_probe() -> cel.Expression:
    return cel.NewEnv(variables={"pattern": cel.Type.STRING}).compile("''.matches(pattern)")


# -- binding inputs by declared type -------------------------------------------------------------


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
    if isinstance(value, int) and not isinstance(value, bool) and _INT64_MIN <= value <= _INT64_MAX:
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


class _Never:
    """No value has this type: integers always go through their binder, for the 64-bit range."""


_READY: Final[dict[str, type]] = {"number": float, "integer": _Never, "string": str, "boolean": bool}
_BIND: Final[dict[str, Bind]] = {
    "number": _as_number, "integer": _as_integer, "string": _as_string, "boolean": _as_boolean}
