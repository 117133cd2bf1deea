"""CEL's compile errors, read from cel-expr-python's message and said again for a person.

cel-expr-python raises ``RuntimeError`` with a status, then one
``ERROR: <input>:LINE:COLUMN: MESSAGE`` per error, each followed by an excerpt
with a caret. accord's lint prints one line per problem, so each error becomes
one line: what is wrong, where (line and column of the rule as written), and what
to do, without the excerpt.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["MAX_NESTING", "CelError", "cel_errors", "describe", "offset_of", "where", "yields"]

MAX_NESTING: Final = 32
"""CEL's own limit on nesting (parentheses, brackets, chained operators), as its parser enforces it."""

_ERROR: Final = re.compile(r"ERROR: <input>:(-?\d+):(-?\d+): (.*)")
_STATUS: Final = re.compile(r"^[A-Z_]+: |\s*\[[A-Z_]+\]$")
_OVERLOAD: Final = re.compile(r"found no matching overload for '([^']+)' applied to '\((.*)\)'")
_UNDECLARED: Final = re.compile(r"undeclared reference to '([^']+)'")
_NESTING: Final = re.compile(r"recursion limit exceeded|max recursion depth", re.IGNORECASE)
_OPERATORS: Final = {"_?_:_": "`? :`", "@in": "`in`", "!_": "`!`", "-_": "unary `-`", "_[_]": "indexing `[]`"}
_WORDS: Final = ((re.compile(r"\bdouble\b"), "number"), (re.compile(r"\bint\b"), "integer"),
                 (re.compile(r"\bbool\b"), "boolean"))


@dataclass(frozen=True)
class CelError:
    """One error as CEL reports it: 1-based line and column (0 when it gives none) and message."""

    line: int
    column: int
    message: str

    @property
    def nesting(self) -> bool:
        return bool(_NESTING.search(self.message))


def cel_errors(err: Exception) -> list[CelError]:
    """The errors in a cel-expr-python compile error, in CEL's order."""
    text = str(err)
    found = []
    for line in text.splitlines():
        match = _ERROR.search(line)
        if match:
            found.append(CelError(max(int(match[1]), 0), max(int(match[2]), 0), _STATUS.sub("", match[3])))
    return found or [CelError(0, 0, _STATUS.sub("", text.splitlines()[0] if text else "unknown error"))]


def offset_of(text: str, line: int, column: int) -> int | None:
    """The offset in ``text`` of a 1-based line and column (code points), or None."""
    if line < 1 or column < 1:
        return None
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return None
    offset = start + column - 1
    return offset if offset <= len(text) else None


def where(text: str, offset: int | None) -> str:
    """``column C``, or ``line L, column C`` in a rule of several lines; empty when unknown."""
    if offset is None:
        return ""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}" if "\n" in text else f"column {column}"


def describe(errors: Sequence[CelError], text: str, locate: Callable[[CelError], int | None],
             readable: Sequence[str], parsing: bool) -> list[str]:
    """One problem a line for ``errors`` in ``text`` (``locate`` maps an error to its offset).

    ``readable`` lists the names a rule may read; ``parsing`` says the errors are the
    parser's. Only the first syntax error is kept (ANTLR's later ones follow from it),
    and an undeclared name is reported once.
    """
    problems: list[str] = []
    names: set[str] = set()
    syntax = False
    for error in errors:
        offset = locate(error)
        at = where(text, offset)
        at_text = f" at {at}" if at else ""
        undeclared = _UNDECLARED.match(error.message)
        if error.nesting:
            problem = f"nests deeper than CEL allows ({MAX_NESTING} levels): simplify it"
        elif error.message.startswith("Syntax error: "):
            if syntax:
                continue
            syntax = True
            problem = f"does not parse{at_text}: {_syntax(error.message.removeprefix('Syntax error: '))}"
        elif undeclared:
            name = undeclared[1]
            if name in names:
                continue
            names.add(name)
            if offset is not None and text[offset:offset + 1] == "(":
                problem = f"calls {name}(){at_text}, which CEL does not define"
            else:
                problem = (f"reads `{name}`{at_text}, which is not a declared attribute; "
                           f"a rule may read {', '.join(readable)}")
        elif overload := _OVERLOAD.fullmatch(error.message):
            problem = _overload(overload[1], overload[2], at_text)
        elif error.message.startswith("has() "):
            problem = (f"{error.message}{at_text}, such as has(m.f): attributes are plain values, "
                       "present on every case")
        else:
            problem = f"does not {'parse' if parsing else 'compile'}{at_text}: {error.message}"
        if problem not in problems:
            problems.append(problem)
    return problems


def yields(type_name: str) -> str:
    """What a CEL type name (``DOUBLE``, ``LIST<INT>`` …) is, said for a person."""
    kind = type_name.split("<", 1)[0]
    return {"DOUBLE": "a number", "INT": "an integer", "UINT": "an unsigned integer",
            "STRING": "a string", "BYTES": "bytes", "NULL": "null", "LIST": "a list", "MAP": "a map",
            "DYN": "a value whose type is known only when it runs (dyn)", "TYPE": "a type",
            "TIMESTAMP": "a timestamp", "DURATION": "a duration"}.get(kind, type_name.lower())


def _syntax(message: str) -> str:
    message = message.replace("'<EOF>'", "the end of the rule")
    message = re.sub(r" expecting \{.*\}$", "", message)
    if message == "mismatched input the end of the rule":
        return "the rule ends where CEL expects more"
    message = re.sub(r"^(mismatched|extraneous) input ", "unexpected ", message)
    recognition = re.fullmatch(r"token recognition error at: '(.*?)'?", message)
    if recognition:
        found = recognition[1].strip() or recognition[1]
        hint = "; compare with ==" if found.startswith("=") else ""
        return f"unexpected {found!r}{hint}" if found else "an unexpected character"
    return message.replace("no viable alternative at input ", "cannot read ")


def _overload(function: str, types: str, at_text: str) -> str:
    operator = _OPERATORS.get(function) or (
        f"`{function.strip('_')}`" if function.startswith("_") else f"{function}()")
    operands = types
    for word, replacement in _WORDS:
        operands = word.sub(replacement, operands)
    hint = ""
    if re.search(r"\bdouble\b", types) and re.search(r"\bint\b", types):
        hint = ("; a number and an integer do not mix (an integer literal is promoted, an integer "
                "attribute is not): convert one side with double() or int()")
    return f"{operator}{at_text} does not apply to ({operands}){hint}"
