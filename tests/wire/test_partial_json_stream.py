"""`PartialJSONParser`: after every fragment, what `parse_partial_json` gives
for the whole prefix; snapshots that never change; skip_prefix; stopping."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentkit import parse_partial_json
from agentkit._partial_json import PartialJSONParser


def canonical(value: Any) -> str:
    """Equal texts for equal values, telling 1 from 1.0 and True, key order
    included; NaN equal to itself."""
    return json.dumps(value, ensure_ascii=True)


def fragments(text: str, sizes: list[int]) -> list[str]:
    """``text`` cut into pieces of the given sizes, cycled."""
    pieces, start, turn = [], 0, 0
    while start < len(text):
        size = sizes[turn % len(sizes)]
        pieces.append(text[start : start + size])
        start, turn = start + size, turn + 1
    return pieces


# JSON texts written directly, to reach what json.dumps never writes: "\/",
# upper-case hex, lone and paired surrogates, exponents, NaN, odd whitespace
# and duplicate keys.
_whitespace = st.sampled_from(["", "", " ", "\n", "\n  ", "\t", "\r\n"])
_escapes = (
    st.sampled_from(
        ['\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u00e9", "\\u00E9", "\\u0000"]
    )
    | st.sampled_from(  # surrogates: paired, alone, high before a non-surrogate
        ["\\ud83d\\ude00", "\\uD83D\\uDE00", "\\ud83d", "\\ude00", "\\ud83d\\u0041"]
    )
    | st.integers(0, 0xFFFF).map(lambda code: f"\\u{code:04x}")
)
_plain = st.characters(min_codepoint=0x20, exclude_characters='"\\', exclude_categories=["Cs"])
_string_texts = st.lists(_plain | _escapes, max_size=8).map(lambda parts: f'"{"".join(parts)}"')
_number_texts = st.from_regex(
    r"-?(0|[1-9][0-9]{0,8})(\.[0-9]{1,6})?([eE][-+]?[0-9]{1,3})?", fullmatch=True
)
_literal_texts = st.sampled_from(["true", "false", "null", "NaN", "Infinity", "-Infinity"])
_key_texts = _string_texts | st.sampled_from(['"a"', '"b"'])


def _containers(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    items = st.lists(st.tuples(_whitespace, inner, _whitespace).map("".join), max_size=4)
    member = st.tuples(_whitespace, _key_texts, _whitespace, st.just(":"), _whitespace, inner)
    members = st.lists(st.tuples(member.map("".join), _whitespace).map("".join), max_size=4)
    arrays = st.tuples(items, _whitespace).map(lambda t: "[" + ",".join(t[0]) + t[1] + "]")
    objects = st.tuples(members, _whitespace).map(lambda t: "{" + ",".join(t[0]) + t[1] + "}")
    return arrays | objects


_raw_documents = st.recursive(
    _string_texts | _number_texts | _literal_texts, _containers, max_leaves=12
)
_python_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
_dumped_documents = st.builds(
    lambda value, ensure_ascii, indent: json.dumps(value, ensure_ascii=ensure_ascii, indent=indent),
    _python_values,
    st.booleans(),
    st.sampled_from([None, 0, 2, "\t"]),
)
_documents = st.tuples(_whitespace, _raw_documents | _dumped_documents, _whitespace).map("".join)
_sizes = st.lists(st.integers(1, 12), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(document=_documents, sizes=_sizes)
def test_every_fragment_agrees_with_parse_partial_json(document: str, sizes: list[int]) -> None:
    parser = PartialJSONParser()
    prefix, shown = "", []
    for fragment in fragments(document, sizes):
        prefix += fragment
        snapshot = parser.feed(fragment)
        assert canonical(snapshot) == canonical(parse_partial_json(prefix)), prefix
        shown.append((snapshot, copy.deepcopy(snapshot)))
    assert parser.stopped is None
    assert canonical(parser.value) == canonical(json.loads(document))
    for snapshot, taken_then in shown:
        assert canonical(snapshot) == canonical(taken_then)


def test_every_prefix_of_a_real_tool_call() -> None:
    arguments = (
        '{"query": "weather in \\"Hà Nội\\" \\ud83c\\udf27", "limit": 10, "filters": '
        '{"days": [1, 2, 3], "exact": false, "unit": null}, "score": -0.5e-3, "tags": []}'
    )
    parser = PartialJSONParser()
    for end, char in enumerate(arguments, start=1):
        assert canonical(parser.feed(char)) == canonical(parse_partial_json(arguments[:end]))
    assert parser.value == json.loads(arguments)
    assert parser.done


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        (['{"n": 3', ".", "25"], [{"n": 3}, {"n": 3}, {"n": 3.25}]),
        (["[1", "e", "5]"], [[1], [1], [100000.0]]),
        (['"caf', "\\u00", "e9", '"'], ["caf", "caf", "café", "café"]),
        (['"\\ud83d', "\\ude0", "0"], ["\ud83d", "\ud83d", "😀"]),
        (["[tr", "ue, fa", "lse, n", "ull]"], [[], [True], [True, False], [True, False, None]]),
        (
            ['{"a": {"b"', ': [{"c', '": "d'],
            [{"a": {}}, {"a": {"b": [{}]}}, {"a": {"b": [{"c": "d"}]}}],
        ),
        (["-", "1"], [None, -1]),
    ],
)
def test_values_across_fragments(pieces: list[str], expected: list[Any]) -> None:
    parser = PartialJSONParser()
    assert [canonical(parser.feed(piece)) for piece in pieces] == [canonical(e) for e in expected]


def test_non_finite_literals_as_json_loads_accepts_them() -> None:
    parser = PartialJSONParser()
    assert canonical(parser.feed("[NaN, -Inf")) == "[NaN]"
    assert canonical(parser.feed("inity, Infinity]")) == "[NaN, -Infinity, Infinity]"


def test_nothing_visible_returns_the_same_object() -> None:
    parser = PartialJSONParser()
    first = parser.feed('{"a": [1, 2')
    for fragment in ["  \n", "]", ",", ' "b', '": ', "-"]:
        assert parser.feed(fragment) is first
    second = parser.feed("1")
    assert parser.feed(".") is second
    assert parser.feed("5e") == {"a": [1, 2], "b": -1.5}


def test_snapshots_share_completed_values_only() -> None:
    parser = PartialJSONParser()
    parser.feed('{"done": {"x": [1]}, "open": [1')
    first = parser.feed(", 2")
    second = parser.feed(", 3")
    assert first["done"] is second["done"]  # complete: shared
    assert first["open"] == [1, 2]
    assert second["open"] == [1, 2, 3]


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        ('```json\n{"a": [1, 2]}\n```', {"a": [1, 2]}),
        ('Here it is: [1, {"b": "c"}] - hope that helps {', [1, {"b": "c"}]),
        ('Sure!\n\n```json\n{\n  "city": "Hanoi"\n}\n```\nAnything else? [', {"city": "Hanoi"}),
        ("no JSON here at all", None),
        ('```json\n{"a": "x', {"a": "x"}),
    ],
)
def test_skip_prefix(stream: str, expected: Any) -> None:
    for size in (1, 3, len(stream)):
        parser = PartialJSONParser(skip_prefix=True)
        for fragment in fragments(stream, [size]):
            parser.feed(fragment)
        assert parser.value == expected
        assert parser.stopped is None
        if parser.span is not None:
            start, end = parser.span
            assert json.loads(stream[start:end]) == expected


_chatter = st.text(max_size=20)


@settings(max_examples=100, deadline=None)
@given(
    document=_containers(_raw_documents | _dumped_documents),
    before=_chatter.map(lambda text: text.replace("{", "(").replace("[", "(")),
    after=_chatter,
    sizes=_sizes,
)
def test_skip_prefix_agrees_on_the_document(
    document: str, before: str, after: str, sizes: list[int]
) -> None:
    stream, fed = before + document + after, 0
    parser = PartialJSONParser(skip_prefix=True)
    for fragment in fragments(stream, sizes):
        fed += len(fragment)
        in_document = document[: max(0, fed - len(before))]
        assert canonical(parser.feed(fragment)) == canonical(parse_partial_json(in_document))
    assert parser.done
    assert parser.stopped is None
    assert canonical(parser.value) == canonical(json.loads(document))
    assert parser.span == (len(before), len(before) + len(document))


@pytest.mark.parametrize(
    ("text", "value", "offset"),
    [
        ("[1, 2] x", [1, 2], 7),
        ('{"a" 1}', {}, 5),
        ("[1,]", [1], 3),
        ("[01]", [0], 2),
        ("[1.e5]", [1], 3),
        ("[-x]", [], 2),
        ("[tx]", [], 2),
        ('["a\x01"]', ["a"], 3),
        ('["\\q"]', [""], 3),
        ('["\\u12G4"]', [""], 6),
        ("}", None, 0),
        ("[1}", [1], 2),
    ],
)
@pytest.mark.parametrize("size", [1, 100])
def test_invalid_text_stops_the_parser(text: str, value: Any, offset: int, size: int) -> None:
    parser = PartialJSONParser()
    last = None
    for fragment in fragments(text, [size]):
        last = parser.feed(fragment)
    assert parser.stopped is not None
    assert (parser.stopped.reason, parser.stopped.offset) == ("invalid", offset)
    assert last == value
    assert parser.feed("[1, 2, 3]") is last


def test_an_integer_json_loads_refuses_stops_the_parser() -> None:
    parser = PartialJSONParser()
    assert parser.feed("[" + "1" * 5000) == []
    assert parser.stopped is not None
    assert parser.stopped.message.startswith("number too long")


def _depth(value: Any) -> int:
    depth = 0
    while isinstance(value, list | dict):
        depth += 1
        items = value if isinstance(value, list) else list(value.values())
        value = items[0] if items else None
    return depth


@pytest.mark.parametrize(("opener", "closer"), [("[", "]"), ('{"a": ', "}")])
def test_deep_nesting_without_a_limit(opener: str, closer: str) -> None:
    parser = PartialJSONParser(max_depth=None)
    for fragment in fragments(opener * 5000, [len(opener) * 250]):
        parser.feed(fragment)
    assert _depth(parser.value) == 5000
    parser.feed("1" + closer * 5000)
    assert parser.done
    assert _depth(parser.value) == 5000


def test_deep_nesting_beyond_the_limit_stops() -> None:
    parser = PartialJSONParser()
    parser.feed("[" * 5000)
    assert parser.stopped is not None
    assert (parser.stopped.reason, parser.stopped.offset) == ("too_deep", 500)
    assert _depth(parser.value) == 500


@pytest.mark.parametrize(
    ("text", "span"),
    [(" [1] ", (1, 4)), ('"s"', (0, 3)), ("\ntrue", (1, 5)), ("12", None), ("12 ", (0, 2))],
)
def test_done_and_span(text: str, span: tuple[int, int] | None) -> None:
    parser = PartialJSONParser()
    for char in text:
        parser.feed(char)
    assert parser.done is (span is not None)
    assert parser.span == span
