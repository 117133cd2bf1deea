"""Request bodies are read as strictly as `accord record` reads lines, only faster."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.integrity.canonical import parse_json
from accord.web._body import strict_json

KEYS = st.sampled_from(["a", "b", 'q"uote', "co:lon", "back\\slash", "ü", ""])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(KEYS, inner, max_size=4)), max_leaves=20)


def _outcome(parse: Any, body: bytes) -> Any:
    try:
        return ("value", parse(body))
    except ValueError as err:
        return ("refused", str(err))


@settings(max_examples=300, deadline=None)
@given(value=JSON, repeat=st.booleans(), spaced=st.booleans())
def test_strict_json_answers_as_parse_json_does(value: Any, repeat: bool, spaced: bool) -> None:
    """Same value, or the same refusal, for any JSON text — a repeated key, spaces, included."""
    body = json.dumps(value, separators=(", ", " : ")).encode() if spaced else orjson.dumps(value)
    if repeat and body.startswith(b"{") and body != b"{}":
        first = body[1:].split(b",")[0].rstrip(b"}")
        body = b"{" + first + b"," + body[1:]
    assert _outcome(strict_json, body) == _outcome(lambda b: parse_json(b, ledger_numbers=True), body)


@pytest.mark.parametrize("body", [b'{"a":1,"a":2}', b'{"a":1,"a":2,"b" :3}', b'{"a":1,"a":2,"b":"\\":"}',
                                  b'[{"x":"a\\":","x":1}]', b'{"a":1e-400}', b'{"a":NaN}',
                                  b'{"a":"\\ud800"}', b"[" * 3000 + b"]" * 3000, b"\xff", b'{"a": 1} x'])
def test_strict_json_refuses_what_parse_json_refuses(body: bytes) -> None:
    with pytest.raises(ValueError):
        strict_json(body)
