"""YAML loading that keeps line and column numbers for every key and value.

PyYAML composes a node tree with marks; we build plain Python values from it
and remember, per path (a tuple of keys and indexes), where the key and the
value stand. Duplicate keys and several documents are errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based


class YamlProblem(Exception):
    def __init__(self, message: str, mark: Mark) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


@dataclass
class Positions:
    """Where each key and value of a loaded document stands."""

    values: dict[Path, Mark] = field(default_factory=dict)
    keys: dict[Path, Mark] = field(default_factory=dict)

    def value(self, path: Sequence[str | int]) -> Mark:
        """The value at ``path``, or — when it is missing — the nearest parent key."""
        p = tuple(path)
        if p in self.values:
            return self.values[p]
        return self.parent(p)

    def key(self, path: Sequence[str | int]) -> Mark:
        """The key of ``path`` (the list item for an index), else its nearest parent key."""
        p = tuple(path)
        if p in self.keys:
            return self.keys[p]
        return self.value(p)

    def parent(self, path: Sequence[str | int]) -> Mark:
        p = tuple(path)
        while p:
            p = p[:-1]
            if p in self.keys:
                return self.keys[p]
            if p in self.values and p:
                return self.values[p]
        return Mark(1, 1)


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


MAX_DEPTH = 64
"""How deeply a contract or roster may nest; nothing accord reads nests more than a few levels."""
MAX_NODES = 50_000
"""How many values a file may expand to, aliases included: an alias bomb stops here."""


class _Builder:
    def __init__(self) -> None:
        self.positions = Positions()
        self._scalars = yaml.SafeLoader("")
        self._nodes = 0

    def build(self, node: yaml.Node, path: Path) -> Any:
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise YamlProblem(f"the file expands to more than {MAX_NODES:,} values (anchors and aliases "
                              "repeating each other?); a contract or roster is far smaller", _mark(node))
        if len(path) > MAX_DEPTH:
            raise YamlProblem(f"nested deeper than {MAX_DEPTH} levels (or an alias that contains itself); "
                              "a contract or roster is far flatter", _mark(node))
        self.positions.values[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            self._scalars.flatten_mapping(node)
            for key_node, value_node in node.value:
                key = self._scalar(key_node)
                if not isinstance(key, str | int | bool) or isinstance(key_node, yaml.CollectionNode):
                    raise YamlProblem("mapping keys must be plain words", _mark(key_node))
                key = str(key) if not isinstance(key, str) else key
                if key in out:
                    raise YamlProblem(f"duplicate key {key!r}", _mark(key_node))
                self.positions.keys[(*path, key)] = _mark(key_node)
                out[key] = self.build(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                self.positions.keys[(*path, i)] = _mark(item)
                items.append(self.build(item, (*path, i)))
            return items
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            try:
                return self._scalars.construct_object(node, deep=True)
            except ValueError as err:  # a date YAML reads as one, that no calendar has (2026-13-19)
                raise YamlProblem(f"{node.value!r} is not a real date or time ({err}); write a valid "
                                  "one, or quote it to keep it as text", _mark(node)) from None
        return None


def load(text: str) -> tuple[Any, Positions]:
    """Parse one YAML document; raises :class:`YamlProblem` with a 1-based mark."""
    try:  # the reader refuses a control character (a NUL, say) as soon as it is made
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as err:
        raise YamlProblem(f"YAML error: {str(err).splitlines()[0]}", Mark(1, 1)) from None
    try:
        node = loader.get_single_node()
    except RecursionError:
        raise YamlProblem(f"nested far deeper than {MAX_DEPTH} levels; a contract or roster is far flatter",
                          Mark(1, 1)) from None
    except yaml.composer.ComposerError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        col = mark.column + 1 if mark else 1
        several = "single document" in str(err.context or "")
        raise YamlProblem(
            "several YAML documents in one file: keep one contract or roster a file" if several
            else f"YAML error: {err.problem or err.context}",
            Mark(line, col),
        ) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        col = mark.column + 1 if mark else 1
        problem = err.problem or err.context or "YAML syntax error"
        raise YamlProblem(f"YAML syntax error: {problem}", Mark(line, col)) from None
    except yaml.YAMLError as err:
        raise YamlProblem(f"YAML error: {err}", Mark(1, 1)) from None
    finally:
        loader.dispose()
    if node is None:
        return None, Positions()
    builder = _Builder()
    try:
        return builder.build(node, ()), builder.positions
    except yaml.constructor.ConstructorError as err:
        mark = err.problem_mark
        raise YamlProblem(
            f"YAML error: {err.problem}",
            Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1),
        ) from None
