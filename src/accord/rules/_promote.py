"""Integer literals that face a double, written as doubles so that CEL's checker accepts them.

CEL has no implicit conversions: ``amount < 50`` with ``amount`` a double is a
type error (``no matching overload for '_<_' applied to '(double, int)'``). A
contract author means 50.0, so accord promotes such literals: it compiles the
rule, and for each operator the checker refuses for mixing ``double`` and
``int``, it rewrites the integer literals among that call's operands — directly,
as elements of a list literal, as branches of ``? :``, or under a unary minus —
as doubles in the source, then checks again. Each round rewrites at least one
literal, so there are at most as many rounds as literals; a round that finds
none to rewrite ends with the checker's errors. Nothing else is converted: a
double attribute against an integer attribute, or against ``1 + 2``, stays a
type error.
"""

from __future__ import annotations

import re
from typing import Final

from accord.rules._ast import Node, walk
from accord.rules._diagnose import CelError, offset_of

__all__ = ["Promotion"]

_MIXING: Final = frozenset({"_<_", "_<=_", "_>_", "_>=_", "_==_", "_!=_", "@in", "_?_:_",
                            "_+_", "_-_", "_*_", "_/_"})
_OVERLOAD: Final = re.compile(r"found no matching overload for '([^']+)' applied to '\((.*)\)'")
_LITERAL: Final = re.compile(r"(-\s*)?(0[xX][0-9a-fA-F]+|[0-9]+)(?![\w.])")


class Promotion:
    """A rule's text with the integer literals promoted so far; starts as the rule itself."""

    def __init__(self, original: str, tree: Node) -> None:
        self.original = original
        self.text = original
        self._calls: dict[tuple[str, int], list[Node]] = {}
        for node in walk(tree):
            if node.kind == "call" and node.name in _MIXING:
                self._calls.setdefault((node.name, node.offset), []).append(node)
        self._spans: dict[int, tuple[int, str]] = {}  # original offset -> (end, double literal)
        self._origin = list(range(len(original) + 1))  # offset in text -> offset in original

    def locate(self, error: CelError) -> int | None:
        """Where in the original rule an error in the promoted text points."""
        offset = offset_of(self.text, error.line, error.column)
        return None if offset is None else self._origin[offset]

    def promote(self, errors: list[CelError]) -> bool:
        """Promote the literals of every call the errors refuse for mixing double and int.

        Returns whether any literal was promoted (and so the text changed).
        """
        promoted = False
        for error in errors:
            overload = _OVERLOAD.fullmatch(error.message)
            if not overload or not _mixes(overload[2]):
                continue
            offset = self.locate(error)
            for call in self._calls.get((overload[1], offset if offset is not None else -1), []):
                for literal in _operand_literals(call):
                    span = self._span(literal)
                    if span is not None and literal.offset not in self._spans:
                        self._spans[literal.offset] = span
                        promoted = True
        if promoted:
            self._render()
        return promoted

    def _span(self, literal: Node) -> tuple[int, str] | None:
        """The end of ``literal`` in the original text and its double spelling; None unless exact."""
        match = _LITERAL.match(self.original, literal.offset) if literal.offset >= 0 else None
        if match is None:
            return None
        digits = match[2]
        value = int(digits, 16 if digits[:2].lower() == "0x" else 10) * (-1 if match[1] else 1)
        if value != literal.value:
            return None  # the source there is not this literal (a comment, a macro): leave it
        return match.end(), repr(float(value))

    def _render(self) -> None:
        parts: list[str] = []
        origin: list[int] = []
        at = 0
        for start in sorted(self._spans):
            end, double = self._spans[start]
            parts += [self.original[at:start], double]
            origin += [*range(at, start), *[start] * len(double)]
            at = end
        parts.append(self.original[at:])
        origin += range(at, len(self.original) + 1)
        self.text, self._origin = "".join(parts), origin


def _mixes(types: str) -> bool:
    return bool(re.search(r"\bdouble\b", types) and re.search(r"\bint\b", types))


def _operand_literals(call: Node) -> list[Node]:
    """The integer literals among a call's operands, through lists, ``? :`` and unary minus."""
    found: list[Node] = []
    stack = list(call.children[1:] if call.name == "_?_:_" else call.children)
    while stack:
        node = stack.pop()
        if node.kind == "int":
            found.append(node)
        elif node.kind == "list" or (node.kind == "call" and node.name == "-_"):
            stack.extend(node.children)
        elif node.kind == "call" and node.name == "_?_:_":
            stack.extend(node.children[1:])
    return found
