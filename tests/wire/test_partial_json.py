"""`parse_partial_json`: best-effort values of tool arguments still streaming in."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentkit import parse_partial_json


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("", None),
        ("   ", None),
        ("{", {}),
        ('{"', {}),
        ('{"ci', {}),
        ('{"city"', {}),
        ('{"city":', {}),
        ('{"city": ', {}),
        ('{"city": "', {"city": ""}),
        ('{"city": "Han', {"city": "Han"}),
        ('{"city": "Hà Nộ', {"city": "Hà Nộ"}),
        ('{"city": "Hanoi"', {"city": "Hanoi"}),
        ('{"city": "Hanoi",', {"city": "Hanoi"}),
        ('{"city": "Hanoi", "d', {"city": "Hanoi"}),
        ('{"city": "Hanoi", "days": [', {"city": "Hanoi", "days": []}),
        ('{"city": "Hanoi", "days": [1, 2', {"city": "Hanoi", "days": [1, 2]}),
        ('{"city": "Hanoi", "days": [1, 2,', {"city": "Hanoi", "days": [1, 2]}),
        ('{"city": "Hanoi", "days": [1, 2]}', {"city": "Hanoi", "days": [1, 2]}),
        ('{"n": -', {}),
        ('{"n": -1', {"n": -1}),
        ('{"n": 3.', {"n": 3}),
        ('{"n": 3.25', {"n": 3.25}),
        ('{"ok": t', {}),
        ('{"ok": tru', {}),
        ('{"ok": true', {"ok": True}),
        ('{"ok": false, "x": nu', {"ok": False}),
        ('{"x": null', {"x": None}),
        ('{"q": "say \\"hi', {"q": 'say "hi'}),
        ('{"q": "back\\', {"q": "back"}),
        ('{"q": "back\\\\', {"q": "back\\"}),
        ('{"q": "caf\\u00', {"q": "caf"}),
        ('{"q": "caf\\u00e9', {"q": "café"}),
        ('{"q": "a}b]c{', {"q": "a}b]c{"}),
        ('{"a": {"b": {"c": [1, {"d": "e', {"a": {"b": {"c": [1, {"d": "e"}]}}}),
        ('{"a": [[1, 2], [3', {"a": [[1, 2], [3]]}),
        ('{"a": [true, fal', {"a": [True]}),
        ('{\n  "city": "Hanoi",\n  "units": "met', {"city": "Hanoi", "units": "met"}),
        ("[", []),
        ('["a", "b', ["a", "b"]),
        ('"just a str', "just a str"),
        ("42", 42),
    ],
)
def test_prefixes(prefix: str, expected: Any) -> None:
    assert parse_partial_json(prefix) == expected


def test_complete_documents_parse_exactly() -> None:
    for document in ['{"a": 1}', "[]", '"s"', "null", "true", "1.5e3", '{"a": {"b": []}}']:
        assert parse_partial_json(document) == json.loads(document)


@pytest.mark.parametrize("garbage", ["}", "]", "}{", "nope", ":", ",", '{"a" 1}', "{{{"])
def test_garbage_never_raises(garbage: str) -> None:
    parse_partial_json(garbage)


def test_every_prefix_of_a_real_tool_call() -> None:
    arguments = (
        '{"query": "weather in \\"Hà Nội\\"", "limit": 10, "filters": '
        '{"days": [1, 2, 3], "exact": false, "unit": null}, "score": -0.5e-3}'
    )
    previous_keys: list[str] = []
    for end in range(1, len(arguments) + 1):
        value = parse_partial_json(arguments[:end])
        assert isinstance(value, dict), arguments[:end]
        keys = list(value)
        # Keys only ever appear, in order; none disappears once shown.
        assert keys[: len(previous_keys)] == previous_keys, arguments[:end]
        previous_keys = keys
    assert parse_partial_json(arguments) == json.loads(arguments)


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=8,
)


@settings(max_examples=40, deadline=None)
@given(
    value=st.dictionaries(st.text(max_size=6), _json_values, max_size=5),
    ensure_ascii=st.booleans(),
    indent=st.sampled_from([None, 2]),
)
def test_every_prefix_parses_without_raising(
    value: dict[str, Any], ensure_ascii: bool, indent: int | None
) -> None:
    document = json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)
    shown: list[str] = []
    for end in range(1, len(document)):
        partial = parse_partial_json(document[:end])
        assert isinstance(partial, dict), document[:end]
        # A key, once shown, stays (a progressive UI must not flicker).
        assert list(partial)[: len(shown)] == shown, document[:end]
        shown = list(partial)
    assert parse_partial_json(document) == value


@settings(max_examples=40, deadline=None)
@given(value=_json_values)
def test_prefixes_of_any_json_value_never_raise(value: Any) -> None:
    document = json.dumps(value)
    for end in range(len(document)):
        parse_partial_json(document[:end])
    assert parse_partial_json(document) == value
