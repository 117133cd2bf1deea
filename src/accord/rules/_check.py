"""Static checking of contract rules: cel-python's parse tree → a typed expression tree.

The checker walks the lark tree cel-python's parser returns, infers a type for
every node over the subset accord compiles (see :mod:`accord.rules._cel`), promotes
integer literals that meet a ``number`` (SPEC §6) and collects problems a person
can act on. The typed tree it returns is what :mod:`accord.rules._cel` compiles into
closures; the promoted literals are also written back into the lark tree so that
cel-python, the reference, evaluates the same promoted rule.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import lark
import re2  # type: ignore[import-untyped]
from celpy.celtypes import DoubleType, IntType
from celpy.evaluation import celstr

BOOLEAN: Final = "boolean"
INTEGER: Final = "integer"
NUMBER: Final = "number"
STRING: Final = "string"
NULL: Final = "null"
LIST: Final = "list"
ERROR: Final = "error"
"""The type of a node that already has a problem; it silences follow-on problems."""

ParseTree = lark.Tree[Any]
"""A node of cel-python's parse tree; its children are trees or tokens."""

ATTRIBUTE_TYPES: Final = (STRING, NUMBER, INTEGER, BOOLEAN)
CONFIDENCE: Final = "confidence"
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
STRING_METHODS: Final = ("startsWith", "endsWith", "contains", "matches")
CONVERSIONS: Final = {"int": INTEGER, "double": NUMBER}
"""Conversion functions accord's rules take, of a number, and the type each yields."""

_ARTICLE: Final = {BOOLEAN: "a boolean", INTEGER: "an integer", NUMBER: "a number",
                   STRING: "a string", NULL: "null", LIST: "a list"}
_PLURAL: Final = {BOOLEAN: "booleans", INTEGER: "integers", NUMBER: "numbers",
                  STRING: "strings", NULL: "nulls", LIST: "lists"}
_OPERATORS: Final = {
    "relation_lt": "<", "relation_le": "<=", "relation_gt": ">", "relation_ge": ">=",
    "relation_eq": "==", "relation_ne": "!=", "relation_in": "in",
    "addition_add": "+", "addition_sub": "-",
    "multiplication_mul": "*", "multiplication_div": "/", "multiplication_mod": "%",
}
_ORDERING: Final = ("<", "<=", ">", ">=")
_MACROS: Final = ("all", "exists", "exists_one", "map", "filter", "reduce", "min")
_UNSUPPORTED: Final = {
    "member_dot": "field selection",
    "member_index": "indexing",
    "member_object": "message construction",
    "map_lit": "map literals",
    "dot_ident": "leading-dot names",
    "dot_ident_arg": "leading-dot function calls",
}
_PASSTHROUGH: Final = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication",
     "unary", "member", "primary", "paren_expr"})
"""Nodes that, with one child, only wrap it: walked in a loop so deep nesting costs no recursion."""

REGEX_OPTIONS: Final = re2.Options()
REGEX_OPTIONS.log_errors = False  # an invalid pattern is reported to the user, not to stderr


def article(type_name: str) -> str:
    """``a number``, ``an integer`` …: a type as it reads in a sentence."""
    return _ARTICLE.get(type_name, type_name)


# -- the typed expression tree -------------------------------------------------------------------


@dataclass(frozen=True, eq=False, kw_only=True)
class Node:
    """A checked expression: its accord type and its source text (for messages)."""

    type: str
    text: str


@dataclass(frozen=True, eq=False, kw_only=True)
class Literal(Node):
    value: Any
    source: ParseTree | None = None
    """The lark ``literal`` node; a promoted literal is rewritten there for cel-python."""
    promoted: bool = False


@dataclass(frozen=True, eq=False, kw_only=True)
class Name(Node):
    name: str


@dataclass(frozen=True, eq=False, kw_only=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True, eq=False, kw_only=True)
class Negate(Node):
    operand: Node


@dataclass(frozen=True, eq=False, kw_only=True)
class Logical(Node):
    operator: str
    """``&&`` or ``||``."""
    left: Node
    right: Node


@dataclass(frozen=True, eq=False, kw_only=True)
class Conditional(Node):
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, eq=False, kw_only=True)
class Arithmetic(Node):
    operator: str
    left: Node
    right: Node


@dataclass(frozen=True, eq=False, kw_only=True)
class Comparison(Node):
    operator: str
    left: Node
    right: Node


@dataclass(frozen=True, eq=False, kw_only=True)
class ListLiteral(Node):
    elements: tuple[Node, ...]
    element_type: str | None
    """None for the empty list, which holds nothing of any type."""


@dataclass(frozen=True, eq=False, kw_only=True)
class Membership(Node):
    item: Node
    elements: ListLiteral


@dataclass(frozen=True, eq=False, kw_only=True)
class Call(Node):
    function: str
    """``size``, one of :data:`STRING_METHODS` or of :data:`CONVERSIONS`."""
    target: Node
    argument: Node | None = None


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children."""
    yield node
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, Node):
            yield from walk(value)
        elif isinstance(value, tuple):
            for element in value:
                yield from walk(element)


# -- the checker ---------------------------------------------------------------------------------


class Checker:
    """Types one parsed rule over declared attributes; ``problems`` collects what is wrong."""

    def __init__(self, expression: str, attributes: Mapping[str, str]) -> None:
        self.expression = expression
        self.attributes = dict(attributes)
        self.problems: list[str] = []
        self.names: list[str] = []
        self._unknown: set[str] = set()

    def check(self, tree: ParseTree) -> Node:
        """The typed tree of a parsed rule; problems (if any) are in ``self.problems``."""
        try:
            root = self.visit(tree)
        except RecursionError:
            self.problem("is nested too deeply to check: simplify it")
            return Node(type=ERROR, text=self.expression)
        for node in walk(root):
            if isinstance(node, Literal) and node.type == INTEGER and not node.promoted \
                    and not INT64_MIN <= node.value <= INT64_MAX:
                self.problem(f"integer literal `{node.text}` is outside the 64-bit range")
        if root.type not in (BOOLEAN, ERROR):
            self.problem(f"does not yield a boolean: `{root.text}` is {article(root.type)}; "
                         "compare it, e.g. with <, == or in")
        return root

    def problem(self, message: str) -> None:
        if message not in self.problems:
            self.problems.append(message)

    def visit(self, tree: ParseTree) -> Node:
        while tree.data in _PASSTHROUGH and len(tree.children) == 1:
            tree = tree.children[0]
        handler: Callable[[ParseTree], Node] | None = getattr(self, f"_{tree.data}", None)
        if handler is None:
            return self.unsupported(tree, _UNSUPPORTED.get(tree.data, str(tree.data)))
        return handler(tree)

    # -- helpers -----------------------------------------------------------------------------

    def text(self, tree: ParseTree) -> str:
        meta = tree.meta
        if getattr(meta, "empty", True):
            return ""
        return " ".join(self.expression[meta.start_pos:meta.end_pos].split())

    def where(self, tree: ParseTree) -> str:
        meta = tree.meta
        if getattr(meta, "empty", True):
            return ""
        if "\n" in self.expression:
            return f" at line {meta.line}, column {meta.column}"
        return f" at column {meta.column}"

    def unsupported(self, tree: ParseTree, what: str, hint: str = "") -> Node:
        self.problem(f"not supported by accord's rule compiler: {what} "
                     f"`{self.text(tree)}`{self.where(tree)}{hint}")
        return Node(type=ERROR, text=self.text(tree))

    def mismatch(self, tree: ParseTree, message: str) -> Node:
        self.problem(f"`{self.text(tree)}`{self.where(tree)} {message}")
        return Node(type=ERROR, text=self.text(tree))

    def value(self, tree: ParseTree, node: Node) -> Node:
        """``node`` where a single value is needed: a list literal there is a problem."""
        if node.type == LIST:
            return self.unsupported(tree, "a list literal outside `x in [...]` and `size([...])`")
        return node

    def operand(self, tree: ParseTree) -> Node:
        return self.value(tree, self.visit(tree))

    # -- logic -------------------------------------------------------------------------------

    def _expr(self, tree: ParseTree) -> Node:
        condition = self.operand(tree.children[0])
        then = self.operand(tree.children[1])
        otherwise = self.operand(tree.children[2])
        if condition.type not in (BOOLEAN, ERROR):
            return self.mismatch(tree, f"chooses on {article(condition.type)}; "
                                 "the condition of ?: must be a boolean")
        then, otherwise = promote_pair(then, otherwise)
        if ERROR in (then.type, otherwise.type):
            return Node(type=ERROR, text=self.text(tree))
        if then.type != otherwise.type:
            return self.mismatch(tree, f"has branches of different types ({article(then.type)} "
                                 f"and {article(otherwise.type)}); give both the same type")
        return Conditional(type=then.type, text=self.text(tree), condition=condition,
                           then=then, otherwise=otherwise)

    def _logical(self, tree: ParseTree, operator: str) -> Node:
        left = self.operand(tree.children[0])
        right = self.operand(tree.children[1])
        for side in (left, right):
            if side.type not in (BOOLEAN, ERROR):
                return self.mismatch(tree, f"needs booleans on both sides of {operator}, "
                                     f"but `{side.text}` is {article(side.type)}")
        if ERROR in (left.type, right.type):
            return Node(type=ERROR, text=self.text(tree))
        return Logical(type=BOOLEAN, text=self.text(tree), operator=operator, left=left, right=right)

    def _conditionalor(self, tree: ParseTree) -> Node:
        return self._logical(tree, "||")

    def _conditionaland(self, tree: ParseTree) -> Node:
        return self._logical(tree, "&&")

    def _unary(self, tree: ParseTree) -> Node:
        sign, operand_tree = tree.children
        operand = self.operand(operand_tree)
        if sign.data == "unary_not":
            if operand.type not in (BOOLEAN, ERROR):
                return self.mismatch(tree, f"applies ! to {article(operand.type)}; ! needs a boolean")
            return Not(type=operand.type, text=self.text(tree), operand=operand)
        if operand.type not in (INTEGER, NUMBER, ERROR):
            return self.mismatch(tree, f"negates {article(operand.type)}; - needs a number or an integer")
        return Negate(type=operand.type, text=self.text(tree), operand=operand)

    # -- operators ---------------------------------------------------------------------------

    def _relation(self, tree: ParseTree) -> Node:
        operator_tree, right_tree = tree.children
        operator = _OPERATORS[operator_tree.data]
        left = self.operand(operator_tree.children[0])
        if operator == "in":
            return self.membership(tree, left, self.visit(right_tree))
        right = self.operand(right_tree)
        left, right = promote_pair(left, right)
        if ERROR in (left.type, right.type):
            return Node(type=ERROR, text=self.text(tree))
        text = self.text(tree)
        if left.type == right.type and (left.type != NULL or operator in ("==", "!=")):
            return Comparison(type=BOOLEAN, text=text, operator=operator, left=left, right=right)
        if operator in _ORDERING and (left.type, right.type) == (NUMBER, INTEGER):
            # cel-python orders a double against an int (Python's exact float/int comparison).
            return Comparison(type=BOOLEAN, text=text, operator=operator, left=left, right=right)
        if operator in _ORDERING and (left.type, right.type) == (INTEGER, NUMBER):
            return self.mismatch(tree, "compares an integer with a number, which cel-python cannot "
                                 "evaluate; put the number on the left (swap the sides and flip "
                                 "the operator) or use a number literal")
        if {left.type, right.type} == {NUMBER, INTEGER}:
            return self.mismatch(tree, f"compares {article(left.type)} with {article(right.type)} "
                                 f"by {operator}, which CEL does not define; use a number literal")
        return self.mismatch(tree, f"compares {article(left.type)} with {article(right.type)} "
                             f"by {operator}, which CEL does not define; compare values of one type")

    def membership(self, tree: ParseTree, item: Node, container: Node) -> Node:
        if not isinstance(container, ListLiteral):
            if container.type == ERROR:
                return container
            return self.unsupported(tree, "`in` with anything but a list literal")
        if item.type == ERROR or container.element_type == ERROR:
            return Node(type=ERROR, text=self.text(tree))
        wanted = container.element_type
        if item.type == INTEGER and wanted == NUMBER and promotable(item):
            item = promote(item)
        elif item.type == NUMBER and wanted == INTEGER and all(map(promotable, container.elements)):
            container = promote_list(container)
        if wanted is not None and item.type != container.element_type:
            return self.mismatch(tree, f"looks for {article(item.type)} in a list of "
                                 f"{_PLURAL.get(container.element_type or '', '')}; "
                                 "CEL compares values of one type")
        return Membership(type=BOOLEAN, text=self.text(tree), item=item, elements=container)

    def _arithmetic(self, tree: ParseTree) -> Node:
        operator_tree, right_tree = tree.children
        operator = _OPERATORS[operator_tree.data]
        left = self.operand(operator_tree.children[0])
        right = self.operand(right_tree)
        left, right = promote_pair(left, right)
        if ERROR in (left.type, right.type):
            return Node(type=ERROR, text=self.text(tree))
        if left.type == right.type == STRING and operator == "+":
            return self.unsupported(tree, "string concatenation")
        if left.type == right.type == NUMBER and operator == "%":
            return self.mismatch(tree, "takes % of numbers; CEL defines % for integers only")
        if left.type == right.type and left.type in (INTEGER, NUMBER):
            return Arithmetic(type=left.type, text=self.text(tree), operator=operator,
                              left=left, right=right)
        if {left.type, right.type} == {NUMBER, INTEGER}:
            return self.mismatch(tree, f"applies {operator} to {article(left.type)} and "
                                 f"{article(right.type)}; CEL has no mixed arithmetic, "
                                 "use a number literal")
        return self.mismatch(tree, f"applies {operator} to {article(left.type)} and "
                             f"{article(right.type)}, which CEL does not define")

    _addition = _arithmetic
    _multiplication = _arithmetic

    # -- primaries ---------------------------------------------------------------------------

    def _literal(self, tree: ParseTree) -> Node:
        token = tree.children[0]
        assert isinstance(token, lark.Token)
        text = self.text(tree)
        kind = token.type
        if kind == "INT_LIT":
            return Literal(type=INTEGER, text=text, value=_integer(token.value), source=tree)
        if kind == "FLOAT_LIT":
            return Literal(type=NUMBER, text=text, value=float(DoubleType(token.value)), source=tree)
        if kind in ("STRING_LIT", "MLSTRING_LIT"):
            return Literal(type=STRING, text=text, value=str(celstr(token)), source=tree)
        if kind == "BOOL_LIT":
            return Literal(type=BOOLEAN, text=text, value=token.value == "true", source=tree)
        if kind == "NULL_LIT":
            return Literal(type=NULL, text=text, value=None, source=tree)
        if kind == "UINT_LIT":
            return self.unsupported(tree, "unsigned integer literals")
        return self.unsupported(tree, "bytes literals")

    def _ident(self, tree: ParseTree) -> Node:
        name = str(tree.children[0])
        declared = self.attributes.get(name)
        if declared is None and name == CONFIDENCE:
            declared = NUMBER
        if declared is None:
            if name not in self._unknown:
                self._unknown.add(name)
                self.problem(f"reads `{name}`{self.where(tree)}, which is not a declared attribute "
                             "or confidence: declare it under attributes or correct the name")
            return Node(type=ERROR, text=name)
        if declared not in ATTRIBUTE_TYPES:
            self.problem(f"reads `{name}`, whose declared type {declared!r} is not one of "
                         f"{', '.join(ATTRIBUTE_TYPES)}")
            return Node(type=ERROR, text=name)
        if name not in self.names:
            self.names.append(name)
        return Name(type=declared, text=name, name=name)

    def _list_lit(self, tree: ParseTree) -> Node:
        text = self.text(tree)
        if not tree.children:
            return ListLiteral(type=LIST, text=text, elements=(), element_type=None)
        elements = [self.operand(child) for child in tree.children[0].children]
        types = {e.type for e in elements}
        if ERROR in types:
            return ListLiteral(type=LIST, text=text, elements=(), element_type=ERROR)
        if types == {NUMBER, INTEGER} and all(promotable(e) for e in elements if e.type == INTEGER):
            elements = [promote(e) if e.type == INTEGER else e for e in elements]
            types = {NUMBER}
        if len(types) > 1:
            self.mismatch(tree, "mixes " + " and ".join(sorted(_PLURAL[t] for t in types))
                          + "; a list holds values of one type")
            return ListLiteral(type=LIST, text=text, elements=(), element_type=ERROR)
        return ListLiteral(type=LIST, text=text, elements=tuple(elements), element_type=types.pop())

    def _ident_arg(self, tree: ParseTree) -> Node:
        name = str(tree.children[0])
        arguments = tree.children[1].children if len(tree.children) > 1 else []
        if name == "has":
            return self.unsupported(tree, "has()", "; declared attributes are always present, "
                                    "and a rule that reads an absent confidence already fails "
                                    "towards review")
        if name in CONVERSIONS:
            return self.conversion(tree, name, arguments)
        if name != "size":
            hint = f"; write it as a method, `text.{name}(...)`" if name in STRING_METHODS else ""
            return self.unsupported(tree, f"the function {name}()", hint)
        if len(arguments) != 1:
            return self.mismatch(tree, "calls size() with other than one argument")
        return self.size(tree, self.visit(arguments[0]))

    def _member_dot_arg(self, tree: ParseTree) -> Node:
        target_tree, method = tree.children[0], str(tree.children[1])
        arguments = tree.children[2].children if len(tree.children) > 2 else []
        if method in _MACROS:
            return self.unsupported(tree, f"the macro .{method}()")
        if method == "size":
            if arguments:
                return self.mismatch(tree, "calls .size() with arguments; it takes none")
            return self.size(tree, self.visit(target_tree))
        if method not in STRING_METHODS:
            return self.unsupported(tree, f"the method .{method}()")
        target = self.operand(target_tree)
        if len(arguments) != 1:
            return self.mismatch(tree, f"calls .{method}() with other than one argument")
        argument = self.operand(arguments[0])
        if ERROR in (target.type, argument.type):
            return Node(type=ERROR, text=self.text(tree))
        if target.type != STRING:
            return self.mismatch(tree, f"calls .{method}() on {article(target.type)}; "
                                 "it applies to strings")
        if argument.type != STRING:
            return self.mismatch(tree, f"passes {article(argument.type)} to .{method}(), "
                                 "which takes a string")
        if method == "matches" and isinstance(argument, Literal):
            try:
                re2.compile(argument.value, REGEX_OPTIONS)
            except re2.error as err:
                return self.mismatch(tree, f"has a pattern that is not an RE2 regular expression "
                                     f"({_regex_error(err)})")
        return Call(type=BOOLEAN, text=self.text(tree), function=method, target=target,
                    argument=argument)

    def conversion(self, tree: ParseTree, name: str, arguments: list[ParseTree]) -> Node:
        if len(arguments) != 1:
            return self.mismatch(tree, f"calls {name}() with other than one argument")
        argument = self.operand(arguments[0])
        if argument.type == ERROR:
            return Node(type=ERROR, text=self.text(tree))
        if argument.type not in (INTEGER, NUMBER):
            return self.unsupported(tree, f"{name}() of {article(argument.type)}",
                                    "; accord's rules convert numbers only")
        return Call(type=CONVERSIONS[name], text=self.text(tree), function=name, target=argument)

    def size(self, tree: ParseTree, target: Node) -> Node:
        if target.type == ERROR or (isinstance(target, ListLiteral) and target.element_type == ERROR):
            return Node(type=ERROR, text=self.text(tree))
        if target.type not in (STRING, LIST):
            return self.mismatch(tree, f"takes the size of {article(target.type)}; "
                                 "size() applies to strings and lists")
        return Call(type=INTEGER, text=self.text(tree), function="size", target=target)


def _integer(text: str) -> int:
    """An INT_LIT's value as cel-python reads it (decimal or ``0x`` hex, optional sign)."""
    try:
        return int(IntType(text))
    except ValueError:  # outside int64: kept so that promotion to a number can still rescue it
        negative = text.startswith("-")
        digits = text.lstrip("-")
        value = int(digits[2:], 16) if digits[:2] in ("0x", "0X") else int(digits)
        return -value if negative else value


def _regex_error(err: Exception) -> str:
    detail = err.args[0] if err.args else err
    return detail.decode(errors="replace") if isinstance(detail, bytes) else str(detail)


# -- integer-literal promotion (SPEC §6) ---------------------------------------------------------


def promotable(node: Node) -> bool:
    """An integer literal, or its negation, that can be read as a number instead."""
    if isinstance(node, Negate):
        return promotable(node.operand)
    if isinstance(node, Literal) and node.type == INTEGER:
        try:
            float(node.value)
        except OverflowError:
            return False
        return True
    return False


def promote(node: Node) -> Node:
    """The number that a :func:`promotable` integer literal stands for next to a number."""
    if isinstance(node, Negate):
        return Negate(type=NUMBER, text=node.text, operand=promote(node.operand))
    assert isinstance(node, Literal)
    return Literal(type=NUMBER, text=node.text, value=float(node.value), source=node.source,
                   promoted=True)


def promote_pair(left: Node, right: Node) -> tuple[Node, Node]:
    """Both operands, with an integer literal facing a number promoted to a number."""
    if left.type == NUMBER and right.type == INTEGER and promotable(right):
        return left, promote(right)
    if right.type == NUMBER and left.type == INTEGER and promotable(left):
        return promote(left), right
    return left, right


def promote_list(container: ListLiteral) -> ListLiteral:
    return ListLiteral(type=LIST, text=container.text, element_type=NUMBER,
                       elements=tuple(promote(e) for e in container.elements))


def rewrite_promoted(root: Node) -> None:
    """Write promoted literals back into cel-python's tree as double literals."""
    for node in walk(root):
        if isinstance(node, Literal) and node.promoted and node.source is not None:
            node.source.children[0] = lark.Token("FLOAT_LIT", repr(node.value))
