"""canonical_bytes is exactly RFC 8785 (published vectors, reference on any JSON); parse_json is strict."""

from __future__ import annotations

import json
import math
import re
import struct
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.integrity.canonical import MAX_EXACT_INTEGER, canonical_bytes, canonical_envelope, parse_json

MAX_SAFE_INTEGER = 2**53 - 1  # the largest int the rfc8785 reference accepts

VECTORS = json.loads((Path(__file__).parent / "vectors" / "rfc8785.json").read_text(encoding="utf-8"))


def _double(bits_hex: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(bits_hex))[0]
    return value


# --- published vectors -------------------------------------------------------------------------

@pytest.mark.parametrize(("bits", "expected", "comment"), VECTORS["numbers"]["rows"],
                         ids=[row[0] for row in VECTORS["numbers"]["rows"]])
def test_rfc8785_appendix_b_number_serialization(bits: str, expected: str | None, comment: str) -> None:
    """Each IEEE 754 value of RFC 8785 Appendix B is written as the RFC says, or refused (NaN, Infinity)."""
    number = _double(bits)
    if expected is None:
        with pytest.raises(ValueError, match="finite"):
            canonical_bytes(number)
    else:
        assert canonical_bytes(number) == expected.encode()
        assert canonical_bytes([number]) == b"[" + expected.encode() + b"]"


@pytest.mark.parametrize("document", VECTORS["documents"], ids=[d["name"] for d in VECTORS["documents"]])
def test_published_documents_canonicalise_to_the_published_bytes(document: dict[str, str]) -> None:
    """The RFC 8785 §3.2.2 and §3.2.3 examples and cyberphone's testdata give their published output."""
    assert canonical_bytes(parse_json(document["input"])) == document["output"].encode("utf-8")


def test_keys_sort_by_utf16_code_units_not_code_points() -> None:
    """U+10000 (surrogates D800 DC00) sorts before U+FFFF, unlike in code point order."""
    assert canonical_bytes({"\uffff": 1, "\U00010000": 2}) == '{"\U00010000":2,"\uffff":1}'.encode()


@pytest.mark.parametrize(("value", "expected"), [
    (1.0, b"1"), (-0.0, b"0"), (1e16, b"10000000000000000"), (2.0**53, b"9007199254740992"),
    (2.0**60, b"1152921504606847000"), (1e20, b"100000000000000000000"), (1e21, b"1e+21"),
    (1e-6, b"0.000001"), (-1.5e-6, b"-0.0000015"), (1e-7, b"1e-7"), (0.5, b"0.5"),
    ({"b": [1.0, 2.5], "a": None}, b'{"a":null,"b":[1,2.5]}'), ((1, "x", True), b'[1,"x",true]'),
])
def test_numbers_orjson_spells_differently_come_out_as_rfc8785_says(value: Any, expected: bytes) -> None:
    """Integral floats, -0.0 and 1e-6 <= |x| < 1e-5 are written the ECMAScript way."""
    assert canonical_bytes(value) == expected


_EDGES = [1e-5, -1e-5, math.nextafter(1e-5, 0), math.nextafter(-1e-5, 0), 9.999999e-6, 1.5e-5,
          math.nextafter(1e21, 0), -math.nextafter(1e21, 0), 2.0**53 - 0.5, 0.1, -0.649, 125.26,
          5e-324, 1e300, 1e21, -1e21]


@pytest.mark.parametrize("number", _EDGES)
def test_floats_at_the_edges_of_orjsons_agreement_match_the_reference_in_any_container(number: float) -> None:
    """Object members and array items skip the float call where orjson already agrees (|x| >= 1e-5,
    non-integral, below 1e21); at and across those edges the bytes are still RFC 8785's."""
    for value in ({"x": number}, [number], {"x": [number, {"y": number}]}, number):
        assert canonical_bytes(value) == rfc8785.dumps(value), value


@pytest.mark.parametrize("number", [math.inf, -math.inf, math.nan])
def test_non_finite_floats_are_refused_in_any_container(number: float) -> None:
    for value in ({"x": number}, [number], number):
        with pytest.raises(ValueError, match="finite"):
            canonical_bytes(value)


# --- refusals ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "where"), [
    ({"data": {"amount": math.nan}}, "$.data.amount"),
    ({"data": [1, math.inf]}, "$.data[1]"),
    ({"n": MAX_EXACT_INTEGER + 1}, "$.n"),
    ({"n": [-MAX_EXACT_INTEGER - 1]}, "$.n[0]"),
    ({"big": 2**64}, "$.big"),
    ({"odd key": {1: "x"}}, "$['odd key'][1]"),
    ({"when": object()}, "$.when"),
])
def test_values_json_cannot_hold_are_refused_naming_where(value: Any, where: str) -> None:
    """NaN, Infinity, unsafe integers, non-string keys and foreign types raise ValueError with the path."""
    with pytest.raises(ValueError, match=r"cannot canonicalise " + re.escape(where) + ":"):
        canonical_bytes(value)


def test_integers_up_to_two_to_the_53_are_accepted_as_the_doubles_they_are() -> None:
    """±2**53 (Appendix B's "max int"; the rfc8785 package refuses it) and ±(2**53 - 1) are written as is."""
    assert canonical_bytes([MAX_EXACT_INTEGER, -MAX_EXACT_INTEGER, MAX_SAFE_INTEGER]) == (
        b"[9007199254740992,-9007199254740992,9007199254740991]")
    assert canonical_bytes(MAX_EXACT_INTEGER) == canonical_bytes(float(MAX_EXACT_INTEGER))


@pytest.mark.parametrize("value", ["\ud800", {"k": ["ok", "\udfff"]}, {"\udc00": 1}])
def test_lone_surrogates_are_refused(value: Any) -> None:
    """A string that is not Unicode text cannot be canonicalised."""
    with pytest.raises(ValueError, match="canonicalise"):
        canonical_bytes(value)


def test_nesting_beyond_orjson_depth_still_matches_the_reference() -> None:
    """300 nested arrays (more than orjson allows) are encoded by the reference."""
    value: list[Any] = []
    inner = value
    for _ in range(300):
        inner.append([])
        inner = inner[0]
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_absurd_nesting_is_a_value_error_not_a_crash() -> None:
    """Nesting past the interpreter's recursion limit raises ValueError."""
    value: list[Any] = []
    inner = value
    for _ in range(100_000):
        inner.append([])
        inner = inner[0]
    with pytest.raises(ValueError, match="nested too deeply"):
        canonical_bytes(value)


def test_a_value_that_contains_itself_is_a_value_error_not_a_hang() -> None:
    """A cycle is refused as too deep, not followed forever."""
    loop: dict[str, Any] = {"a": 1}
    loop["self"] = loop
    with pytest.raises(ValueError, match="nested too deeply"):
        canonical_bytes(loop)


# --- equivalence with the reference over arbitrary JSON ---------------------------------------

_FLOATS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),  # every magnitude, subnormals included
    st.floats(min_value=1e-7, max_value=1e-4) | st.floats(min_value=-1e-4, max_value=-1e-7),
    st.integers(min_value=-(2**75), max_value=2**75).map(float),
    st.sampled_from([0.0, -0.0, 1e21, -1e21, 1e-6, 1e-5, 2.0**53, 9.999999999999999e20, 5e-324]),
)
_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)  # astral, control and BMP private-use included
_KEYS = _TEXT | st.text(st.sampled_from(["a", "B", "\r", "\x7f", "\u00e9", "\ue000", "\uffff",
                                         "\U00010000", "\U0001f600"]), max_size=3)


def _json_values(floats: st.SearchStrategy[float]) -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | floats | _TEXT
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=5) | st.dictionaries(_KEYS, children, max_size=5),
        max_leaves=30,
    )


JSON_VALUES = _json_values(_FLOATS)
# Above 2**53 a float is integral and below 1e21 RFC 8785 writes it as an integer, which reads back as an
# int too large to hold exactly (and is refused): round trips hold for every other number.
ROUND_TRIP_VALUES = _json_values(_FLOATS.filter(lambda x: not 2.0**53 < abs(x) < 1e21))


@settings(max_examples=600, deadline=None)
@given(JSON_VALUES)
def test_canonical_bytes_equals_the_rfc8785_reference(value: Any) -> None:
    """For any JSON value the fast path returns exactly rfc8785.dumps."""
    assert canonical_bytes(value) == rfc8785.dumps(value)


_FLAT = st.none() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | _TEXT
ENVELOPES = st.fixed_dictionaries(
    {"seq": st.integers(1, MAX_SAFE_INTEGER), "case": _FLAT, "type": _TEXT, "at": _TEXT,
     "actor": _TEXT, "data": JSON_VALUES, "contract_version": st.none() | st.integers(1, 10**6)},
    optional={"note": _TEXT, "workflow": _FLAT})


@settings(max_examples=600, deadline=None)
@given(ENVELOPES)
def test_canonical_envelope_equals_the_rfc8785_reference(envelope: dict[str, Any]) -> None:
    """The envelope shortcut returns exactly rfc8785.dumps, whatever ``data`` holds."""
    assert canonical_envelope(envelope) == rfc8785.dumps(envelope)


@pytest.mark.parametrize("envelope", [
    {"seq": 1, "case": "R-\ud800", "data": {}},          # a lone surrogate in a flat member
    {"seq": 1, "case": "R-1", "data": {"x": float("nan")}},  # data the reference refuses
    {"seq": 1, "case": "R-1", "data": {"\U0001f600": 1, "\uffff": 2}},  # UTF-16 key order
])
def test_canonical_envelope_refuses_and_orders_as_canonical_bytes_does(envelope: dict[str, Any]) -> None:
    try:
        expected: bytes | str = canonical_bytes(envelope)
    except ValueError as err:
        expected = str(err)
    try:
        got: bytes | str = canonical_envelope(envelope)
    except ValueError as err:
        got = str(err)
    assert got == expected


@settings(max_examples=200, deadline=None)
@given(ROUND_TRIP_VALUES)
def test_canonical_text_parses_back_to_the_same_canonical_text(value: Any) -> None:
    """Canonicalising is idempotent through parse_json."""
    encoded = canonical_bytes(value)
    assert canonical_bytes(parse_json(encoded)) == encoded


# --- parse_json --------------------------------------------------------------------------------

def test_parse_json_reads_ordinary_json() -> None:
    """Objects, arrays, numbers, strings, surrogate pairs and literals come back as Python values."""
    expected = {"a": [1, 2.5, "\U0001f600", True, None]}
    assert parse_json('{"a": [1, 2.5, "\\ud83d\\ude00", true, null]}') == expected
    assert parse_json(b'{"a": "\xc3\xa9"}') == {"a": "\u00e9"}


@pytest.mark.parametrize("text", ['{"case": "R-1", "case": "R-2"}', '[{"x": {"case": 1, "case": 1}}]'])
def test_parse_json_refuses_duplicate_keys_naming_the_key(text: str) -> None:
    """A key repeated in one object is refused, and the message names it."""
    with pytest.raises(ValueError, match="duplicate key 'case'"):
        parse_json(text)


@pytest.mark.parametrize("text", ["[NaN]", '{"a": Infinity}', "-Infinity"])
def test_parse_json_refuses_nan_and_infinity(text: str) -> None:
    """The non-standard constants Python's json accepts are refused."""
    with pytest.raises(ValueError, match="not a JSON number"):
        parse_json(text)


def test_parse_json_refuses_numbers_that_overflow_a_double() -> None:
    """1e400 would silently become infinity; it is refused instead."""
    with pytest.raises(ValueError, match="too large"):
        parse_json('{"amount": 1e400}')


@pytest.mark.parametrize(("text", "where"), [('["\\ud800"]', r"\$\[0\]"), ('{"\\udc00": 1}', r"\$ key"),
                                             ('{"a": {"b": "x\\udfffy"}}', r"\$\.a\.b")])
def test_parse_json_refuses_lone_surrogates_naming_where(text: str, where: str) -> None:
    """An escaped lone surrogate is not Unicode text; the message says where it is."""
    with pytest.raises(ValueError, match=where + ".*lone UTF-16 surrogate"):
        parse_json(text)


@pytest.mark.parametrize("text", ['{"a": ', "", "{'a': 1}", b"\xff\xfe", "[" * 100_000 + "]" * 100_000])
def test_parse_json_raises_value_error_for_anything_not_json(text: str | bytes) -> None:
    """Broken JSON, non-UTF-8 bytes and absurd nesting are ValueErrors, never other exceptions."""
    with pytest.raises(ValueError):
        parse_json(text)


@pytest.mark.parametrize(("literal", "message"), [
    ("1e-400", "too small for a double: it would be stored as 0"),
    ("-2.5E-999", "too small for a double"),
    ("9007199254740993.0", r"beyond ±2\^53, where a double cannot hold its digits"),
    ("1e400", "too large for a double"),
])
def test_a_number_a_double_would_change_is_refused_with_the_reason(literal: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_json('{"n": ' + literal + "}", ledger_numbers=True)


@pytest.mark.parametrize("literal", ["0.0", "-0e5", "1.5e-300", "9007199254740992.0", "0.1"])
def test_numbers_a_double_holds_are_taken(literal: str) -> None:
    assert parse_json('{"n": ' + literal + "}")["n"] == float(literal)
