"""The parsed form of a rule, read from the bytes cel-expr-python serialises it to.

``Env.compile(text, disable_check=True).serialize()`` is a protobuf ``Any`` that
holds a ``cel.expr.ParsedExpr``: the expression tree (macros already expanded)
and the source offset of each node. accord needs a few things from that tree
that the checker does not say — where each integer literal is and which call it
is an operand of (to promote it), how long list literals are, which declared
names a rule reads, constant regular expressions — so this module reads the
protobuf wire format for the handful of fields it needs and skips the rest.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

__all__ = ["MAX_TREE_DEPTH", "Node", "TooDeep", "names_read", "read", "walk"]

MAX_TREE_DEPTH: Final = 200
"""Deeper trees are refused (CEL's parser already stops nesting at 32 levels)."""

_PARSED_EXPR: Final = b"type.googleapis.com/cel.expr.ParsedExpr"
_INT64_SIGN: Final = 1 << 63
_CONSTANTS: Final = {1: "null", 2: "bool", 3: "int", 4: "uint", 5: "double", 6: "string", 7: "bytes"}


class TooDeep(Exception):
    """The tree nests deeper than :data:`MAX_TREE_DEPTH`."""


@dataclass(frozen=True)
class Node:
    """One expression of the tree.

    ``kind`` is a constant's type (``int``, ``uint``, ``double``, ``string``,
    ``bytes``, ``bool``, ``null``) or ``ident``, ``select``, ``call``, ``list``,
    ``struct``, ``comprehension``. ``name`` is an identifier, a selected field or
    a called function; ``children`` are a call's target (when ``member``) then its
    arguments, a list's elements, a selection's operand, a struct's keys and
    values, or a comprehension's range, initial value, condition, step and result.
    """

    kind: str
    offset: int
    name: str = ""
    value: int | float | str | bytes | bool | None = None
    children: tuple[Node, ...] = ()
    member: bool = False
    variables: tuple[str, ...] = ()
    """A comprehension's iteration variables, then its accumulator."""


def read(serialized: bytes) -> Node:
    """The tree of a serialised ``ParsedExpr``; raises :class:`TooDeep` or ``ValueError``."""
    envelope = _fields(serialized)
    if envelope.get(1) != [_PARSED_EXPR] or 2 not in envelope:
        raise ValueError("not a serialised cel.expr.ParsedExpr")
    parsed = _fields(_bytes(envelope[2][-1]))
    positions: dict[int, int] = {}
    for info in parsed.get(3, []):
        for entry in _fields(_bytes(info)).get(4, []):
            pair = _fields(_bytes(entry))
            positions[_int(pair.get(1, [0])[-1])] = _int(pair.get(2, [0])[-1])  # id -> offset
    return _expr(_bytes(parsed[2][-1]), positions, 0)


def walk(root: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def names_read(root: Node) -> set[str]:
    """The identifiers read outside the comprehensions that bind them (macro variables)."""
    names: set[str] = set()
    stack: list[tuple[Node, frozenset[str]]] = [(root, frozenset())]
    while stack:
        node, bound = stack.pop()
        if node.kind == "ident" and node.name not in bound:
            names.add(node.name)
        elif node.kind == "comprehension":
            over, init, condition, step, result = node.children
            inside = bound | set(node.variables)
            accumulator = bound | {node.variables[-1]}
            stack += [(over, bound), (init, bound), (condition, inside), (step, inside),
                      (result, accumulator)]
        else:
            stack += [(child, bound) for child in node.children]
    return names


# -- the protobuf wire format ------------------------------------------------------------------

Field = int | bytes


def _fields(buffer: bytes) -> dict[int, list[Field]]:
    """A message's fields by number: varints as ints, 64-bit as 8 bytes, the rest as bytes."""
    found: dict[int, list[Field]] = {}
    at, end = 0, len(buffer)
    while at < end:
        key, at = _varint(buffer, at)
        wire = key & 7
        value: Field
        if wire == 0:
            value, at = _varint(buffer, at)
        elif wire == 1:
            value, at = buffer[at:at + 8], at + 8
        elif wire == 2:
            size, at = _varint(buffer, at)
            value, at = buffer[at:at + size], at + size
        elif wire == 5:
            value, at = buffer[at:at + 4], at + 4
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")
        if at > end:
            raise ValueError("truncated protobuf message")
        found.setdefault(key >> 3, []).append(value)
    return found


def _varint(buffer: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buffer[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def _bytes(value: Field) -> bytes:
    if not isinstance(value, bytes):
        raise ValueError("expected a length-delimited protobuf field")
    return value


def _int(value: Field) -> int:
    if not isinstance(value, int):
        raise ValueError("expected a varint protobuf field")
    return value


def _text(value: Field) -> str:
    return _bytes(value).decode()


def _expr(buffer: bytes, positions: dict[int, int], depth: int) -> Node:
    if depth > MAX_TREE_DEPTH:
        raise TooDeep
    fields = _fields(buffer)
    offset = positions.get(_int(fields.get(2, [0])[-1]), -1)
    below = depth + 1

    def children(message: dict[int, list[Field]], *numbers: int) -> tuple[Node, ...]:
        return tuple(_expr(_bytes(item), positions, below)
                     for number in numbers for item in message.get(number, []))

    if 3 in fields:
        return _constant(_fields(_bytes(fields[3][-1])), offset)
    if 4 in fields:
        return Node("ident", offset, name=_text(_fields(_bytes(fields[4][-1]))[1][-1]))
    if 5 in fields:
        select = _fields(_bytes(fields[5][-1]))
        return Node("select", offset, name=_text(select.get(2, [b""])[-1]), children=children(select, 1))
    if 6 in fields:
        call = _fields(_bytes(fields[6][-1]))
        return Node("call", offset, name=_text(call.get(2, [b""])[-1]),
                    children=children(call, 1, 3), member=1 in call)
    if 7 in fields:
        return Node("list", offset, children=children(_fields(_bytes(fields[7][-1])), 1))
    if 8 in fields:
        entries = [_fields(_bytes(entry)) for entry in _fields(_bytes(fields[8][-1])).get(2, [])]
        return Node("struct", offset, children=tuple(node for entry in entries
                                                     for node in children(entry, 3, 4)))
    if 9 in fields:
        loop = _fields(_bytes(fields[9][-1]))
        variables = [_text(v) for number in (1, 8, 3) for v in loop.get(number, [])]
        return Node("comprehension", offset, children=children(loop, 2, 4, 5, 6, 7),
                    variables=tuple(variables))
    raise ValueError("an expression of a kind accord does not know")


def _constant(constant: dict[int, list[Field]], offset: int) -> Node:
    number = min(constant, default=1)
    kind = _CONSTANTS.get(number, "other")
    raw = constant.get(number, [0])[-1]
    value: int | float | str | bytes | bool | None = None
    if kind == "int":
        value = _int(raw) - (1 << 64) if _int(raw) >= _INT64_SIGN else _int(raw)
    elif kind == "uint":
        value = _int(raw)
    elif kind == "bool":
        value = bool(raw)
    elif kind == "double":
        value = struct.unpack("<d", _bytes(raw))[0]
    elif kind == "string":
        value = _text(raw)
    elif kind == "bytes":
        value = _bytes(raw)
    return Node(kind, offset, value=value)
