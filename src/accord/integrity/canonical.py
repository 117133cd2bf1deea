"""The one canonical encoding of accord: RFC 8785, the JSON Canonicalization Scheme.

Every hash in the ledger is taken over :func:`canonical_bytes`. The `rfc8785`
package is the reference; orjson (with sorted keys) produces the same bytes far
faster once a pre-pass has fixed the two places where it differs:

* numbers: orjson writes ``1.0``, ``-0.0``, ``1e+16`` and ``1e-6`` where
  ECMAScript (and so RFC 8785) writes ``1``, ``0``, ``10000000000000000`` and
  ``0.000001``. Integral floats up to 2**53 become ints; the few other floats
  that orjson would spell differently are spliced in as the reference's bytes.
* key order: RFC 8785 sorts keys by UTF-16 code units, orjson by code point.
  The two agree unless a key holds a character above U+FFFF; such an object is
  spliced in with its members sorted by UTF-16.

What orjson refuses (a lone surrogate, nesting deeper than orjson allows) and
subclasses of the JSON types go to the reference, which decides.
Values RFC 8785 cannot represent raise :class:`ValueError` naming where they are.

:func:`parse_json` is the strict reader for incoming JSON: it refuses duplicate
keys, ``NaN``/``Infinity``, numbers that overflow to infinity and lone
surrogates, which would otherwise be silently accepted and hashed.
"""

from __future__ import annotations

import decimal
import json
import math
import re
from typing import Any

import orjson
import rfc8785

__all__ = ["MAX_EXACT_INTEGER", "canonical_bytes", "canonical_envelope", "parse_json"]

MAX_EXACT_INTEGER = 2**53
"""The largest magnitude of an int accord canonicalises: every integer up to it is exactly a double.

RFC 8785 numbers are IEEE 754 doubles, so a larger int would be written with
other digits than it has; it is refused instead. (The `rfc8785` package stops
one short, at 2**53 - 1; RFC 8785 Appendix B itself writes ±2**53.)
"""

_EXACT_INTEGRAL_FLOAT = float(2**53)  # every integral float up to here prints as its int
_ORJSON_AGREES_BELOW = 1e-5  # orjson writes 1e-6 <= |x| < 1e-5 in exponent form, ECMAScript does not
_ECMASCRIPT_EXPONENT_BELOW = 1e-6
_TOO_DEEP = "cannot canonicalise this value: it is nested too deeply (hundreds of levels)"


class _UseReference(Exception):
    """The value needs the reference encoder (rare shapes orjson gets wrong or refuses)."""


class _NotJson(ValueError):
    """A value RFC 8785 cannot encode; ``where`` collects the path on the way out."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.where: list[str] = []


def canonical_bytes(value: Any) -> bytes:
    """The RFC 8785 (JCS) encoding of ``value``: UTF-8 bytes, sorted keys, no spaces.

    ``value`` is built of dict (str keys), list, tuple, str, int, float, bool and
    None. Returns exactly what ``rfc8785.dumps`` returns, only faster (and it
    also accepts the ints ±2**53, which that package refuses).

    Raises ValueError (naming the place, e.g. ``$.data.amount``) for a NaN or
    infinite float, an int beyond ±2**53, a non-string key, a string with a
    lone surrogate, or a value of any other type.
    """
    try:
        prepared = _prepare(value)
    except _NotJson as err:
        where = "$" + "".join(reversed(err.where))
        raise ValueError(f"cannot canonicalise {where}: {err.problem}") from None
    except _UseReference:
        return _reference(value)
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None
    try:
        return orjson.dumps(prepared, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return _reference(value)


def canonical_envelope(envelope: dict[str, Any]) -> bytes:
    """:func:`canonical_bytes` of a ledger record's envelope, with less work.

    An envelope's members are strings, the ledger's own small ints and nulls —
    except ``data``, which may be any JSON value. Only ``data`` is prepared; the
    envelope's own members and ASCII keys go to orjson as they are. Anything
    unusual (a refusal, a lone surrogate) is left to :func:`canonical_bytes`,
    which decides and names the place.
    """
    data = envelope.get("data")
    try:
        prepared = _prepare(data)
    except (_NotJson, _UseReference, RecursionError):
        return canonical_bytes(envelope)
    ready = envelope if prepared is data else {**envelope, "data": prepared}
    try:
        return orjson.dumps(ready, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return canonical_bytes(envelope)


def _reference(value: Any) -> bytes:
    try:
        return rfc8785.dumps(value)
    except UnicodeError:
        raise ValueError("cannot canonicalise this value: a string holds a lone UTF-16 surrogate, "
                         "which is not Unicode text") from None
    except rfc8785.CanonicalizationError as err:
        if "non-UTF-8" in str(err):
            raise ValueError("cannot canonicalise this value: a string holds a lone UTF-16 surrogate, "
                             "which is not Unicode text") from None
        raise ValueError(f"cannot canonicalise this value as RFC 8785 JSON: {err}") from None
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None


def _prepare(value: Any) -> Any:
    """``value`` with every number spelled as RFC 8785 wants, ready for orjson.

    Returns ``value`` itself when nothing needed changing (containers are copied
    only on the way up from a change).
    """
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        if -MAX_EXACT_INTEGER <= value <= MAX_EXACT_INTEGER:
            return value
        raise _NotJson(f"the integer {value} is beyond ±2**53, which a JSON number (a double) cannot hold "
                       "exactly; send it as a string")
    if kind is float:
        return _prepare_float(value)
    if kind is dict:
        return _prepare_object(value)
    if kind is list or kind is tuple:
        return _prepare_array(value)
    if isinstance(value, (str, int, float, dict, list, tuple)):
        raise _UseReference  # a subclass (an enum, say): let the reference judge it
    raise _NotJson(f"a {kind.__name__} is not a JSON value (use str, int, float, bool, None, list or dict)")


def _orjson_writes_it(number: float) -> bool:
    """Whether orjson writes ``number`` as RFC 8785 does: a finite, non-integral double of
    magnitude 1e-5 or more (NaN and the infinities fail the comparisons)."""
    return (_ORJSON_AGREES_BELOW <= number < 1e21 or -1e21 < number <= -_ORJSON_AGREES_BELOW) and (
        not number.is_integer())


def _prepare_float(number: float) -> Any:
    if not math.isfinite(number):
        raise _NotJson(f"{number} is not a finite number; JSON has no NaN or Infinity")
    magnitude = abs(number)
    if number.is_integer():
        if magnitude <= _EXACT_INTEGRAL_FLOAT:
            return int(number)  # also turns -0.0 into 0
        if magnitude < 1e21:  # ECMAScript pads the shortest digits with zeros: 2**60 -> 1152921504606847000
            return orjson.Fragment(rfc8785.dumps(number))
        return number  # orjson's 1e+21 form is ECMAScript's
    if _ECMASCRIPT_EXPONENT_BELOW <= magnitude < _ORJSON_AGREES_BELOW:
        return orjson.Fragment(rfc8785.dumps(number))
    return number


def _prepare_object(obj: dict[Any, Any]) -> Any:
    changed: dict[str, Any] | None = None
    utf16_order = False
    for key, item in obj.items():
        if type(key) is not str:
            problem = _NotJson(f"the key {key!r} is not a string")
            problem.where.append(f"[{key!r}]")
            raise problem
        if not key.isascii() and max(key) > "\uffff":
            utf16_order = True
        kind = type(item)
        if kind is str or kind is bool or item is None or (
                kind is int and -MAX_EXACT_INTEGER <= item <= MAX_EXACT_INTEGER) or (
                kind is float and (_ORJSON_AGREES_BELOW <= item < 1e21
                                   or -1e21 < item <= -_ORJSON_AGREES_BELOW)
                and not item.is_integer()):  # see _orjson_writes_it, inlined: a hot loop
            continue  # already what RFC 8785 writes: skip the call (most members are these)
        try:
            prepared = _prepare(item)
        except _NotJson as err:
            err.where.append(f".{key}" if key.isidentifier() else f"[{key!r}]")
            raise
        if prepared is not item:
            if changed is None:
                changed = dict(obj)
            changed[key] = prepared
    members = obj if changed is None else changed
    return _utf16_ordered(members) if utf16_order else members


def _utf16_ordered(members: dict[str, Any]) -> orjson.Fragment:
    """The object encoded with its keys in UTF-16 order, which differs from orjson's for astral keys."""
    try:
        ordered = sorted(members.items(), key=lambda member: member[0].encode("utf-16-be"))
        encoded = [orjson.dumps(key) + b":" + orjson.dumps(item, option=orjson.OPT_SORT_KEYS)
                   for key, item in ordered]
        return orjson.Fragment(b"{" + b",".join(encoded) + b"}")
    except (UnicodeError, orjson.JSONEncodeError):
        raise _UseReference from None  # a lone surrogate: the reference words the refusal


def _prepare_array(items: list[Any] | tuple[Any, ...]) -> list[Any] | tuple[Any, ...]:
    changed: list[Any] | None = None
    for index, item in enumerate(items):
        kind = type(item)
        if kind is str or (kind is float and _orjson_writes_it(item)):
            continue
        try:
            prepared = _prepare(item)
        except _NotJson as err:
            err.where.append(f"[{index}]")
            raise
        if prepared is not item:
            if changed is None:
                changed = list(items)
            changed[index] = prepared
    return items if changed is None else changed


# A lone surrogate can only come from a \uD800-\uDFFF escape (or, in a str, the
# character itself); when neither appears, the parsed value needs no walk.
_MAYBE_SURROGATE = re.compile(r"[\ud800-\udfff]|\\u[dD][89a-fA-F]")


def parse_json(text: str | bytes, *, ledger_numbers: bool = False) -> Any:
    """Parse one JSON text strictly, as the ledger's reader needs it.

    Returns the value (dicts, lists, str, int, float, bool, None).

    Raises ValueError when ``text`` is not valid JSON or not UTF-8, repeats a
    key within one object (the message names the key), holds ``NaN`` or
    ``Infinity``, a number too large for a double, or a string with a lone
    surrogate. A number so small it would become 0 is refused; with ``ledger_numbers``, so is
    one beyond ±2^53 (what the ledger takes as event data).
    """
    if isinstance(text, bytes | bytearray | memoryview):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValueError(f"not UTF-8 text (byte {err.start}: {err.reason})") from None
    try:
        value = json.loads(text, object_pairs_hook=_object_without_duplicates,
                           parse_constant=_refuse_constant,
                           parse_float=_ledger_float if ledger_numbers else _finite_float)
        if _MAYBE_SURROGATE.search(text):
            _refuse_lone_surrogates(value, "$")
    except RecursionError:
        raise ValueError("the JSON is nested too deeply (hundreds of levels)") from None
    except json.JSONDecodeError as err:
        where = f"column {err.colno}" if err.lineno == 1 else f"line {err.lineno} column {err.colno}"
        raise ValueError(f"{err.msg} at {where}") from None
    return value


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r} in one object: each key may appear once")
            seen.add(key)
    return obj


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; write a finite number or null")


_NONZERO_MANTISSA = re.compile(r"[1-9]")


def _finite_float(literal: str) -> float:
    """A JSON number with a fraction or exponent as a double — refused where the double would
    silently not be the number written: too large, so small it becomes 0, or so long that a
    double cannot hold its digits."""
    number = float(literal)
    if not math.isfinite(number):
        raise ValueError(f"the number {literal} is too large for a double; write a smaller number")
    if number == 0.0 and _NONZERO_MANTISSA.search(literal.lower().split("e")[0]):
        raise ValueError(f"the number {literal} is too small for a double: it would be stored as 0")
    return number


def _ledger_float(literal: str) -> float:
    """:func:`_finite_float`, and within ±2^53 as the ledger's integers are: beyond it a double
    stores other digits than were written (9007199254740993.0 would become …992)."""
    number = _finite_float(literal)
    if abs(number) >= MAX_EXACT_INTEGER and abs(decimal.Decimal(literal)) > MAX_EXACT_INTEGER:
        raise ValueError(f"the number {literal} is beyond ±2^53, where a double cannot hold its digits "
                         f"(it would be stored as {number!r}); send it as a string")
    return number


def _refuse_lone_surrogates(value: Any, where: str) -> None:
    if isinstance(value, str):
        _check_string(value, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_string(key, f"{where} key {key!r}")
            _refuse_lone_surrogates(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_lone_surrogates(item, f"{where}[{index}]")


def _check_string(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{where}: the string holds a lone UTF-16 surrogate, "
                         "which is not Unicode text") from None
