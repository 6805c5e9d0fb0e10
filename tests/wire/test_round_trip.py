"""The round-trip rules (`agentkit._round_trip`) and what the accumulator
keeps for them: reasoning_content, merged reasoning_details, extra_content."""

from __future__ import annotations

from typing import Any

import pytest
from _streams import call, calls, chunk, finish

from agentkit import StreamAccumulator, ToolCall
from agentkit._round_trip import merge_reasoning_details, rejected_fields, without_fields


def merged(*pieces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for piece in pieces:
        merge_reasoning_details(result, piece)
    return result


def test_pieces_of_one_type_and_index_merge_in_first_seen_order() -> None:
    assert merged(
        [{"type": "reasoning.summary", "summary": "Plan", "index": 0}],
        [{"type": "reasoning.text", "text": "A", "index": 1}],
        [{"type": "reasoning.summary", "summary": " more", "index": 0, "format": "x"}],
        [{"type": "reasoning.text", "text": "B", "index": 1, "signature": "s1"}],
        [{"type": "reasoning.text", "text": "", "index": 1, "signature": ""}],
    ) == [
        {"type": "reasoning.summary", "summary": "Plan more", "index": 0, "format": "x"},
        {"type": "reasoning.text", "text": "AB", "index": 1, "signature": "s1"},
    ]


def test_same_index_but_another_type_is_another_entry() -> None:
    assert merged(
        [{"type": "reasoning.text", "text": "a", "index": 0}],
        [{"type": "reasoning.encrypted", "data": "x", "index": 0}],
        [{"type": "reasoning.encrypted", "data": "y", "index": 0}],
    ) == [
        {"type": "reasoning.text", "text": "a", "index": 0},
        {"type": "reasoning.encrypted", "data": "xy", "index": 0},
    ]


def test_malformed_pieces_are_ignored() -> None:
    assert merged("not a list", [None, 3, "x"], [{"type": "t", "text": "ok"}]) == [  # type: ignore[arg-type]
        {"type": "t", "text": "ok"}
    ]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            "'messages.1' : for 'role:assistant' the following must be satisfied"
            "[('messages.1' : property 'reasoning_content' is unsupported)]",
            {"reasoning_content"},
        ),
        (
            '{"detail":[{"type":"extra_forbidden","loc":["body","messages",1,'
            '"reasoning_details"],"msg":"Extra inputs are not permitted"}]}',
            {"reasoning_details"},
        ),
        ("Unrecognized request argument supplied: extra_content", {"extra_content"}),
        ("Missing `reasoning_content` field in the assistant message", set()),
        ("This model's maximum context length is 8192 tokens.", set()),
        ("property 'reasoning' is unsupported", set()),
    ],
)
def test_rejections_name_the_field_and_say_it_is_not_accepted(body: str, fields: set[str]) -> None:
    assert rejected_fields(body) == fields


def test_only_the_candidates_can_be_rejected() -> None:
    body = "property 'reasoning_content' is unsupported"
    assert rejected_fields(body, {"extra_content"}) == set()


def test_without_fields_strips_assistant_messages_only_and_copies_only_those() -> None:
    user = {"role": "user", "content": "hi", "reasoning_content": "user data"}
    plain = {"role": "assistant", "content": "hello"}
    loaded = {
        "role": "assistant",
        "content": "",
        "reasoning_content": "r",
        "reasoning_details": [{"type": "t"}],
        "tool_calls": [{"id": "a", "extra_content": {"google": {}}, "function": {}}],
    }
    out = without_fields([user, plain, loaded], {"reasoning_content", "extra_content"})
    assert out[0] is user
    assert out[1] is plain
    assert out[2] == {
        "role": "assistant",
        "content": "",
        "reasoning_details": [{"type": "t"}],
        "tool_calls": [{"id": "a", "function": {}}],
    }
    assert "reasoning_content" in loaded  # the original is untouched
    assert "extra_content" in loaded["tool_calls"][0]


# ------------------------------------------------------------ accumulator


def test_reasoning_content_is_kept_apart_from_plain_reasoning() -> None:
    accumulator = StreamAccumulator()
    for piece in (
        chunk({"reasoning_content": "deep "}),
        chunk({"reasoning": "plain "}),
        chunk({"reasoning_content": "thought"}),
        finish(),
    ):
        accumulator.add(piece)
    message = accumulator.message
    assert message.reasoning == "deep plain thought"
    assert message.reasoning_content == "deep thought"


def test_extra_content_stays_with_its_call() -> None:
    signature = {"google": {"thought_signature": "sig"}}
    accumulator = StreamAccumulator()
    accumulator.add(calls(call(0, id="a", name="f", arguments="{}", extra_content=signature)))
    accumulator.add(calls(call(1, id="b", name="g", arguments="{}")))
    accumulator.add(finish("tool_calls"))
    first, second = accumulator.message.tool_calls
    assert first == ToolCall("a", "f", "{}", 0, signature)
    assert second.extra_content is None
    assert first.to_dict()["extra_content"] == signature
    assert "extra_content" not in second.to_dict()


def test_reasoning_goes_back_only_beside_tool_calls() -> None:
    accumulator = StreamAccumulator()
    accumulator.add(chunk({"reasoning_content": "why", "reasoning_details": [{"type": "t"}]}))
    accumulator.add(chunk({"content": "Because."}))
    accumulator.add(finish())
    assert accumulator.message.to_dict() == {"role": "assistant", "content": "Because."}
