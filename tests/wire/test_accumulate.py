"""`StreamAccumulator`: the accumulation rules of every provider dialect and
the sealing rules that decide when a tool call is ready."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from typing import Any

import pytest
from _streams import call, calls, chunk, finish, text, usage_only
from hypothesis import given, settings
from hypothesis import strategies as st

from agentkit import (
    Event,
    ReasoningDelta,
    RefusalDelta,
    StreamAccumulator,
    TextDelta,
    ToolCall,
    ToolCallArgumentsDelta,
    ToolCallReady,
    ToolCallStarted,
    Usage,
)
from agentkit._messages import ABNORMAL_FINISH_REASONS


def feed(*chunks: dict[str, Any], accumulator: StreamAccumulator | None = None) -> list[Event]:
    accumulator = accumulator if accumulator is not None else StreamAccumulator()
    events: list[Event] = []
    for item in chunks:
        events += accumulator.add(item)
    return events


def accumulate(*chunks: dict[str, Any]) -> tuple[StreamAccumulator, list[Event]]:
    accumulator = StreamAccumulator()
    return accumulator, feed(*chunks, accumulator=accumulator)


def kinds(events: Iterable[Event]) -> list[str]:
    return [event.type for event in events]


def ready(events: Iterable[Event]) -> list[ToolCallReady]:
    return [event for event in events if isinstance(event, ToolCallReady)]


# --------------------------------------------------------------- text parts


def test_text_deltas_and_content() -> None:
    acc, events = accumulate(
        chunk({"role": "assistant", "content": ""}), text("Hel"), text("lo"), finish("stop")
    )
    assert events == [TextDelta("Hel"), TextDelta("lo")]
    assert acc.message.content == "Hello"
    assert acc.text == "Hello"
    assert acc.message.finish_reason == "stop"
    assert acc.finished_normally


def test_null_and_empty_content_produce_no_event() -> None:
    _, events = accumulate(chunk({"content": None}), chunk({"content": ""}), chunk({}))
    assert events == []


def test_empty_message_before_anything_arrives() -> None:
    message = StreamAccumulator().message
    assert message.content == ""
    assert message.reasoning == ""
    assert message.refusal is None
    assert message.tool_calls == ()
    assert message.finish_reason is None
    assert message.usage is None


def test_only_choice_zero_counts() -> None:
    acc, events = accumulate(
        {
            "choices": [
                {"index": 1, "delta": {"content": "B"}, "finish_reason": "length"},
                {"index": 0, "delta": {"content": "A"}},
            ]
        },
        {"choices": [{"index": 1, "delta": {"content": "ignored"}, "finish_reason": "stop"}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    )
    assert events == [TextDelta("A")]
    assert acc.message.content == "A"
    assert acc.message.finish_reason == "stop"


def test_choice_without_index_is_choice_zero() -> None:
    acc, _ = accumulate({"choices": [{"delta": {"content": "x"}, "finish_reason": "stop"}]})
    assert acc.message.content == "x"
    assert acc.message.finish_reason == "stop"


@pytest.mark.parametrize("choices", [[], None])
def test_chunk_without_choices(choices: Any) -> None:
    acc, events = accumulate({"id": "", "model": "", "object": "", "choices": choices})
    assert events == []
    assert acc.chunk_count == 1


def test_chunk_without_choices_key() -> None:
    acc, events = accumulate({"id": "x"})
    assert events == []
    assert acc.message.content == ""


def test_choice_without_delta() -> None:
    acc, events = accumulate({"choices": [{"index": 0, "finish_reason": "stop"}]})
    assert events == []
    assert acc.message.finish_reason == "stop"


def test_finish_reason_on_a_chunk_that_also_has_content() -> None:
    acc, events = accumulate(text("Hello"), text(" world", "stop"))
    assert events == [TextDelta("Hello"), TextDelta(" world")]
    assert acc.message.content == "Hello world"
    assert acc.message.finish_reason == "stop"


def test_unknown_fields_are_ignored() -> None:
    acc, events = accumulate(
        {
            "id": "x",
            "obfuscation": "abc",
            "p": "padding",
            "system_fingerprint": None,
            "prompt_filter_results": [{"prompt_index": 0}],
            "choices": [
                {
                    "index": 0,
                    "logprobs": None,
                    "content_filter_results": {},
                    "delta": {"content": "ok", "audio": None, "annotations": [], "role": "x"},
                    "stop_reason": None,
                }
            ],
        },
        finish("stop", x_future={"anything": 1}),
    )
    assert events == [TextDelta("ok")]
    assert acc.message.content == "ok"


# ---------------------------------------------------------- content as parts


def test_content_as_typed_parts() -> None:
    acc, events = accumulate(
        chunk({"content": [{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}]}),
        chunk(
            {
                "content": [
                    {"type": "thinking", "thinking": [{"type": "text", "text": "hmm"}]},
                    {"type": "text", "text": "!"},
                ]
            }
        ),
        finish(),
    )
    assert events == [TextDelta("Hel"), TextDelta("lo"), ReasoningDelta("hmm"), TextDelta("!")]
    assert acc.message.content == "Hello!"
    assert acc.message.reasoning == "hmm"


def test_thinking_part_with_string_or_nested_parts() -> None:
    acc, events = accumulate(
        chunk({"content": [{"type": "thinking", "thinking": "plain "}]}),
        chunk(
            {
                "content": [
                    {
                        "type": "thinking",
                        "thinking": [
                            {"type": "text", "text": "nested "},
                            {"type": "text", "text": "twice"},
                        ],
                        "closed": True,
                    }
                ]
            }
        ),
    )
    assert [event.text for event in events if isinstance(event, ReasoningDelta)] == [
        "plain ",
        "nested twice",
    ]
    assert acc.message.reasoning == "plain nested twice"
    assert acc.message.content == ""


def test_unknown_part_types_are_ignored() -> None:
    acc, events = accumulate(
        chunk(
            {
                "content": [
                    {"type": "image_url", "image_url": {"url": "http://x"}},
                    {"type": "reference", "reference_ids": [1]},
                    {"type": "text", "text": "kept"},
                    {"type": "thinking", "thinking": [{"type": "image", "data": "..."}]},
                    {"type": "text", "text": None},
                    42,
                    None,
                ]
            }
        )
    )
    assert events == [TextDelta("kept")]
    assert acc.message.content == "kept"
    assert acc.message.reasoning == ""


def test_content_that_is_neither_string_nor_list_is_ignored() -> None:
    acc, events = accumulate(chunk({"content": {"type": "text", "text": "odd"}}))
    assert events == []
    assert acc.message.content == ""


# ---------------------------------------------------------------- reasoning


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_fields(field: str) -> None:
    acc, events = accumulate(chunk({field: "Let me "}), chunk({field: "think."}), text("Answer"))
    assert events == [ReasoningDelta("Let me "), ReasoningDelta("think."), TextDelta("Answer")]
    assert acc.message.reasoning == "Let me think."
    assert acc.message.content == "Answer"


def test_reasoning_sent_in_both_fields_is_not_doubled() -> None:
    acc, events = accumulate(
        chunk({"reasoning_content": "same", "reasoning": "same"}),
        chunk({"reasoning": " more", "reasoning_content": " more"}),
    )
    assert events == [ReasoningDelta("same"), ReasoningDelta(" more")]
    assert acc.message.reasoning == "same more"


def test_empty_reasoning_content_falls_back_to_reasoning() -> None:
    acc, _ = accumulate(chunk({"reasoning_content": "", "reasoning": "r"}))
    assert acc.message.reasoning == "r"


def test_null_reasoning_fields_produce_nothing() -> None:
    acc, events = accumulate(chunk({"content": "", "reasoning_content": None, "reasoning": None}))
    assert events == []
    assert acc.message.reasoning == ""


def test_reasoning_and_content_in_one_delta() -> None:
    _, events = accumulate(chunk({"content": "A", "reasoning_content": "R"}))
    assert sorted(kinds(events)) == ["reasoning.delta", "text.delta"]


# ------------------------------------------------------------------ refusal


def test_refusal() -> None:
    acc, events = accumulate(
        chunk({"refusal": None, "content": ""}),
        chunk({"refusal": "I can't "}),
        chunk({"refusal": "help with that."}),
        finish("stop"),
    )
    assert events == [RefusalDelta("I can't "), RefusalDelta("help with that.")]
    assert acc.message.refusal == "I can't help with that."
    assert acc.message.to_dict()["refusal"] == "I can't help with that."


def test_no_refusal_is_none() -> None:
    acc, _ = accumulate(text("hi"))
    assert acc.message.refusal is None
    assert "refusal" not in acc.message.to_dict()


# -------------------------------------------------------------------- usage


def test_usage_on_a_chunk_with_empty_choices() -> None:
    acc, events = accumulate(text("hi"), finish("stop"), usage_only(9, 12))
    assert events == [TextDelta("hi")]
    usage = acc.message.usage
    assert usage == Usage(
        9, 12, 21, {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21}
    )


def test_usage_on_the_finish_chunk() -> None:
    acc, _ = accumulate(
        text("hi"),
        finish("stop", usage={"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}),
    )
    assert acc.message.usage is not None
    assert acc.message.usage.total_tokens == 4


def test_usage_with_choices_null() -> None:
    acc, _ = accumulate(
        {"choices": None, "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}}
    )
    assert acc.message.usage is not None
    assert acc.message.usage.completion_tokens == 2


def test_repeated_usage_last_wins_never_summed() -> None:
    acc, _ = accumulate(
        text("a", **{})
        | {"usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}},
        text("b") | {"usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}},
        finish("stop", usage={"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}),
        usage_only(5, 3),
    )
    usage = acc.message.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (5, 3, 8)


def test_usage_null_does_not_erase_earlier_usage() -> None:
    acc, _ = accumulate(
        finish("stop", usage={"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}),
        usage_only() | {"usage": None},
    )
    assert acc.message.usage is not None
    assert acc.message.usage.total_tokens == 8


def test_usage_only_in_x_groq() -> None:
    groq_usage = {
        "queue_time": 0.01,
        "prompt_tokens": 7,
        "completion_tokens": 3,
        "total_tokens": 10,
    }
    acc, _ = accumulate(text("x"), finish("stop", x_groq={"id": "req_1", "usage": groq_usage}))
    usage = acc.message.usage
    assert usage is not None
    assert usage.total_tokens == 10
    assert usage.details == groq_usage


def test_top_level_usage_preferred_over_x_groq() -> None:
    acc, _ = accumulate(
        finish(
            "stop",
            usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            x_groq={"usage": {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18}},
        )
    )
    assert acc.message.usage is not None
    assert acc.message.usage.total_tokens == 2


def test_top_level_usage_in_an_earlier_chunk_wins_over_a_later_x_groq_usage() -> None:
    # The rule is "x_groq.usage when no chunk has a top-level usage", not
    # "whichever came last".
    acc, _ = accumulate(
        finish("stop", usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}),
        text("") | {"x_groq": {"usage": {"prompt_tokens": 9, "total_tokens": 18}}},
    )
    assert acc.message.usage is not None
    assert acc.message.usage.total_tokens == 2


def test_x_groq_without_usage() -> None:
    acc, _ = accumulate(text("x") | {"x_groq": {"id": "req"}}, finish())
    assert acc.message.usage is None


def test_usage_details_are_kept_as_sent() -> None:
    details = {
        "prompt_tokens": 13,
        "completion_tokens": 400,
        "total_tokens": 413,
        "prompt_tokens_details": {"cached_tokens": 0},
        "prompt_cache_hit_tokens": 0,
    }
    acc, _ = accumulate({"choices": [], "usage": details})
    assert acc.message.usage is not None
    assert acc.message.usage.details == details


# ---------------------------------------------------------------- tool calls


def test_openai_style_tool_call() -> None:
    acc, events = accumulate(
        chunk({"role": "assistant", "content": None}),
        calls(call(0, id="call_a", name="get_weather", arguments="")),
        calls(call(0, arguments='{"ci')),
        calls(call(0, arguments='ty": "Hanoi"}')),
        finish("tool_calls"),
    )
    assert events == [
        ToolCallStarted(0, "call_a", "get_weather"),
        ToolCallArgumentsDelta(0, "call_a", '{"ci'),
        ToolCallArgumentsDelta(0, "call_a", 'ty": "Hanoi"}'),
        ToolCallReady(ToolCall("call_a", "get_weather", '{"city": "Hanoi"}', 0)),
    ]
    assert acc.message.tool_calls == (ToolCall("call_a", "get_weather", '{"city": "Hanoi"}', 0),)
    assert acc.message.content == ""
    assert acc.pending_tool_calls == ()


def test_whole_tool_call_in_one_chunk() -> None:
    acc, events = accumulate(
        calls(call(0, id="tk85", name="weather", arguments="{}")), finish("tool_calls")
    )
    assert kinds(events) == ["tool_call.started", "tool_call.arguments.delta", "tool_call.ready"]
    assert acc.message.tool_calls == (ToolCall("tk85", "weather", "{}", 0),)


def test_several_whole_calls_in_one_chunk() -> None:
    acc, events = accumulate(
        calls(
            call(0, id="a", name="f", arguments='{"x": 1}'),
            call(1, id="b", name="g", arguments='{"y": 2}'),
        ),
        finish("tool_calls"),
    )
    assert kinds(events) == [
        "tool_call.started",
        "tool_call.arguments.delta",
        "tool_call.ready",  # call 0: call 1 began and 0's arguments are complete
        "tool_call.started",
        "tool_call.arguments.delta",
        "tool_call.ready",  # call 1: the turn finished
    ]
    assert [(c.id, c.name, c.arguments) for c in acc.message.tool_calls] == [
        ("a", "f", '{"x": 1}'),
        ("b", "g", '{"y": 2}'),
    ]


def test_id_and_name_repeated_on_every_fragment_are_taken_once() -> None:
    acc, events = accumulate(
        calls(call(0, id="c1", name="search", arguments='{"q": ')),
        calls(call(0, id="c1", name="search", arguments='"cats"')),
        calls(call(0, id="c1", name="search", arguments="}")),
        finish("tool_calls"),
    )
    assert kinds(events).count("tool_call.started") == 1
    assert acc.message.tool_calls == (ToolCall("c1", "search", '{"q": "cats"}', 0),)


def test_empty_id_on_later_fragments() -> None:
    acc, _ = accumulate(
        calls(call(0, id="call_eee", name="weather", arguments="")),
        calls(call(0, id="", arguments='{"location": "San Francisco')),
        calls(call(0, id="", arguments='"}')),
        calls(call(0, id="", arguments="")),
        finish("tool_calls"),
    )
    assert acc.message.tool_calls == (
        ToolCall("call_eee", "weather", '{"location": "San Francisco"}', 0),
    )


def test_name_arriving_after_the_first_fragment_is_kept() -> None:
    acc, _ = accumulate(
        calls(call(0, id="c", arguments="")),
        calls(call(0, name="late_name", arguments="{}")),
        finish("tool_calls"),
    )
    assert acc.message.tool_calls[0].name == "late_name"


def test_missing_index_keyed_by_id() -> None:
    # Mistral: no index, a whole call per fragment.
    acc, events = accumulate(
        calls(
            call(None, id="A", name="f", arguments='{"n": 1}'),
            call(None, id="B", name="g", arguments='{"n": 2}'),
        ),
        finish("tool_calls"),
    )
    assert [(c.index, c.id, c.name, c.arguments) for c in acc.message.tool_calls] == [
        (0, "A", "f", '{"n": 1}'),
        (1, "B", "g", '{"n": 2}'),
    ]
    assert [event.index for event in events if isinstance(event, ToolCallStarted)] == [0, 1]


def test_missing_index_with_repeated_id_continues_the_call() -> None:
    acc, _ = accumulate(
        calls(call(None, id="A", name="f", arguments='{"n": ')),
        calls(call(None, id="B", name="g", arguments='{"m": ')),
        calls(call(None, id="A", arguments="1}")),
        calls(call(None, id="B", arguments="2}")),
        finish("tool_calls"),
    )
    assert [(c.id, c.arguments) for c in acc.message.tool_calls] == [
        ("A", '{"n": 1}'),
        ("B", '{"m": 2}'),
    ]


def test_missing_index_and_id_continue_the_last_call() -> None:
    acc, _ = accumulate(
        calls(call(None, id="A", name="f", arguments='{"n": 1}')),
        calls(call(None, id="B", name="g", arguments='{"m": ')),
        calls(call(None, arguments='"x"')),
        calls(call(None, arguments="}")),
        finish("tool_calls"),
    )
    assert [(c.id, c.arguments) for c in acc.message.tool_calls] == [
        ("A", '{"n": 1}'),
        ("B", '{"m": "x"}'),
    ]


def test_first_fragment_without_index_or_id_begins_a_call() -> None:
    acc, _ = accumulate(calls(call(None, name="f", arguments='{"a": 1}')), finish("tool_calls"))
    (only,) = acc.message.tool_calls
    assert (only.index, only.name, only.arguments) == (0, "f", '{"a": 1}')
    assert only.id.startswith("call_")


def test_arguments_as_a_json_object() -> None:
    acc, events = accumulate(
        calls(call(0, id="c", name="f", arguments={"city": "Hà Nội", "days": [1, 2]})),
        finish("tool_calls"),
    )
    (tool_call,) = acc.message.tool_calls
    assert json.loads(tool_call.arguments) == {"city": "Hà Nội", "days": [1, 2]}
    assert "Hà Nội" in tool_call.arguments  # not \u-escaped
    deltas = [e for e in events if isinstance(e, ToolCallArgumentsDelta)]
    assert [d.delta for d in deltas] == [tool_call.arguments]


def test_arguments_as_an_empty_object() -> None:
    acc, _ = accumulate(calls(call(0, id="c", name="f", arguments={})), finish("tool_calls"))
    assert acc.message.tool_calls[0].arguments == "{}"


def test_null_and_empty_arguments_add_no_fragment() -> None:
    _, events = accumulate(
        calls(call(0, id="c", name="f")),
        calls(call(0, arguments="")),
        calls({"index": 0, "function": {"arguments": None}}),
        calls({"index": 0, "function": None}),
        calls({"index": 0}),
    )
    assert kinds(events) == ["tool_call.started"]


def test_tool_calls_starting_at_index_one() -> None:
    # Anthropic's OpenAI-compatible layer numbers tool calls after the text block.
    acc, events = accumulate(
        text("Reading"),
        text(" it."),
        calls(call(1, id="toolu_1", name="read_file", arguments="")),
        calls(call(1, arguments="")),
        calls(call(1, arguments='{"pa')),
        calls(call(1, arguments='th": "a.txt"}')),
        finish("tool_calls"),
    )
    assert acc.message.content == "Reading it."
    assert acc.message.tool_calls == (ToolCall("toolu_1", "read_file", '{"path": "a.txt"}', 1),)
    assert [e.index for e in events if isinstance(e, ToolCallStarted)] == [1]


def test_tool_calls_are_ordered_by_index() -> None:
    acc, _ = accumulate(
        calls(call(2, id="c2", name="f", arguments="{")),
        calls(call(0, id="c0", name="f", arguments="{")),
        calls(call(2, arguments="}"), call(0, arguments="}")),
        finish("tool_calls"),
    )
    assert [c.id for c in acc.message.tool_calls] == ["c0", "c2"]


def test_empty_tool_calls_list_is_ignored() -> None:
    acc, events = accumulate(
        chunk({"content": "", "reasoning_content": "Think ", "tool_calls": []}),
        chunk({"content": "Hello", "reasoning_content": "", "tool_calls": []}, "stop"),
    )
    assert kinds(events) == ["reasoning.delta", "text.delta"]
    assert acc.message.tool_calls == ()


def test_text_and_tool_calls_in_one_turn() -> None:
    acc, _ = accumulate(
        text("Let me check."),
        calls(call(0, id="c", name="f", arguments="{}")),
        finish("tool_calls"),
    )
    assert acc.message.content == "Let me check."
    assert acc.message.to_dict() == {
        "role": "assistant",
        "content": "Let me check.",
        "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        ],
    }


# ------------------------------------------------------------- synthetic ids


def test_ids_are_synthesized_when_never_sent() -> None:
    acc, _ = accumulate(
        calls(call(0, name="f", arguments="{}")),
        calls(call(1, name="g", arguments="{}")),
        finish("tool_calls"),
    )
    ids = [c.id for c in acc.message.tool_calls]
    assert all(i.startswith("call_") and len(i) > 10 for i in ids)
    assert len(set(ids)) == 2
    assert acc.message.tool_calls[0].id == ids[0]  # stable across reads


def test_synthesized_id_is_the_same_on_every_event_of_the_call() -> None:
    acc, events = accumulate(
        calls(call(0, name="f", arguments='{"a"')),
        calls(call(0, arguments=": 1}")),
        finish("tool_calls"),
    )
    call_events = [
        e for e in events if isinstance(e, ToolCallStarted | ToolCallArgumentsDelta | ToolCallReady)
    ]
    assert len(call_events) == 4
    assert {e.id for e in call_events} == {acc.message.tool_calls[0].id}
    assert acc.message.tool_calls[0].id != ""


def test_real_id_arriving_after_the_first_fragment_is_used() -> None:
    acc, _ = accumulate(
        calls(call(0, name="f", arguments="")),
        calls(call(0, id="call_real", arguments="{}")),
        finish("tool_calls"),
    )
    assert acc.message.tool_calls[0].id == "call_real"


def test_pending_calls_have_ids_too() -> None:
    acc, _ = accumulate(calls(call(0, name="f", arguments='{"a": ')), finish("length"))
    (pending,) = acc.pending_tool_calls
    assert pending.id.startswith("call_")


# ------------------------------------------------------------------ sealing


def test_complete_json_alone_never_seals() -> None:
    acc, events = accumulate(calls(call(0, id="c", name="f", arguments='{"a": 1}')))
    assert ready(events) == []
    assert acc.message.tool_calls == ()
    assert acc.pending_tool_calls == (ToolCall("c", "f", '{"a": 1}', 0),)


def test_complete_json_plus_more_chunks_without_a_new_call_never_seals() -> None:
    acc, events = accumulate(
        calls(call(0, id="c", name="f", arguments='{"a": 1}')),
        text("trailing text"),
        chunk({"reasoning_content": "r"}),
        usage_only(),
    )
    assert ready(events) == []
    assert acc.message.tool_calls == ()


def test_later_call_seals_a_complete_earlier_call() -> None:
    acc, events = accumulate(
        calls(call(0, id="a", name="f", arguments='{"x": 1}')),
        calls(call(1, id="b", name="g", arguments="")),
    )
    assert kinds(events)[-2:] == ["tool_call.ready", "tool_call.started"]
    assert ready(events) == [ToolCallReady(ToolCall("a", "f", '{"x": 1}', 0))]
    assert [c.id for c in acc.message.tool_calls] == ["a"]
    assert [c.id for c in acc.pending_tool_calls] == ["b"]


def test_later_call_does_not_seal_incomplete_arguments() -> None:
    acc, events = accumulate(
        calls(call(0, id="a", name="f", arguments='{"x": ')),
        calls(call(1, id="b", name="g", arguments="{}")),
        calls(call(2, id="c", name="h", arguments="{}")),
    )
    # b is sealed when c begins; a stays open (its arguments are cut short).
    assert [e.id for e in ready(events)] == ["b"]
    assert [c.id for c in acc.pending_tool_calls] == ["a", "c"]


def test_incomplete_call_seals_at_a_normal_finish() -> None:
    acc, events = accumulate(
        calls(call(0, id="a", name="f", arguments='{"x": ')),
        calls(call(1, id="b", name="g", arguments="{}")),
        calls(call(0, arguments="1}")),  # a late continuation for call 0
        finish("tool_calls"),
    )
    assert [e.id for e in ready(events)] == ["a", "b"]
    assert [(c.id, c.arguments) for c in acc.message.tool_calls] == [
        ("a", '{"x": 1}'),
        ("b", "{}"),
    ]


@pytest.mark.parametrize("arguments", ["", "[1, 2]", '"str"', "{} {}", '{"a": 1}}', "nul"])
def test_later_call_does_not_seal_what_is_not_one_json_object(arguments: str) -> None:
    _, events = accumulate(
        calls(call(0, id="a", name="f", arguments=arguments)),
        calls(call(1, id="b", name="g", arguments="")),
    )
    assert ready(events) == []


def test_whitespace_around_a_complete_object_still_seals() -> None:
    _, events = accumulate(
        calls(call(0, id="a", name="f", arguments='  {"a": 1}\n')),
        calls(call(1, id="b", name="g", arguments="")),
    )
    assert [e.id for e in ready(events)] == ["a"]


def test_fragment_for_the_same_call_does_not_seal_it() -> None:
    _, events = accumulate(
        calls(call(0, id="a", name="f", arguments="{}")),
        calls(call(0, id="a", name="f", arguments="")),
        calls(call(0, arguments="")),
    )
    assert ready(events) == []


@pytest.mark.parametrize("reason", ["stop", "tool_calls", "function_call", "end_turn", "eos"])
def test_normal_finish_seals_every_pending_call(reason: str) -> None:
    acc, events = accumulate(
        calls(call(0, id="a", name="f", arguments='{"x": 1}')),
        calls(call(1, id="b", name="g", arguments='{"y": 2}')),
        finish(reason),
    )
    assert [e.id for e in ready(events)] == ["a", "b"]
    assert [c.id for c in acc.message.tool_calls] == ["a", "b"]
    assert acc.pending_tool_calls == ()


def test_normal_finish_seals_even_invalid_arguments() -> None:
    # Validation is the runner's business: the call is complete, just wrong.
    acc, _ = accumulate(calls(call(0, id="a", name="f", arguments='{"x": ')), finish("tool_calls"))
    assert acc.message.tool_calls == (ToolCall("a", "f", '{"x": ', 0),)


@pytest.mark.parametrize("reason", sorted(ABNORMAL_FINISH_REASONS))
def test_abnormal_finish_never_seals(reason: str) -> None:
    acc, events = accumulate(
        calls(call(0, id="a", name="f", arguments='{"x": 1}')),
        calls(call(1, id="b", name="g", arguments='{"y": 2')),
        finish(reason),
    )
    # a was sealed by b's start; b was cut off by the limit.
    assert [e.id for e in ready(events)] == ["a"]
    assert [c.id for c in acc.message.tool_calls] == ["a"]
    assert acc.pending_tool_calls == (ToolCall("b", "g", '{"y": 2', 1),)
    assert acc.close() == []
    assert [c.id for c in acc.message.tool_calls] == ["a"]
    assert not acc.finished_normally
    assert acc.message.finish_reason == reason


def test_length_with_complete_looking_arguments_still_excluded() -> None:
    acc, _ = accumulate(calls(call(0, id="a", name="f", arguments='{"x": 1}')), finish("length"))
    assert acc.message.tool_calls == ()
    assert acc.message.to_dict() == {"role": "assistant", "content": ""}
    assert acc.pending_tool_calls == (ToolCall("a", "f", '{"x": 1}', 0),)


def test_close_after_done_without_finish_reason_seals() -> None:
    acc, events = accumulate(calls(call(0, id="a", name="f", arguments='{"x": 1}')))
    assert ready(events) == []
    assert acc.close() == [ToolCallReady(ToolCall("a", "f", '{"x": 1}', 0))]
    assert acc.message.tool_calls == (ToolCall("a", "f", '{"x": 1}', 0),)


def test_ready_is_emitted_exactly_once() -> None:
    acc = StreamAccumulator()
    events = feed(
        calls(call(0, id="a", name="f", arguments="{}")),
        calls(call(1, id="b", name="g", arguments="{}")),
        calls(call(2, id="c", name="h", arguments="{}")),
        finish("tool_calls"),
        finish("tool_calls") | {"usage": {"prompt_tokens": 1}},
        accumulator=acc,
    )
    events += acc.close()
    events += acc.close()
    assert [e.id for e in ready(events)] == ["a", "b", "c"]


def test_fragments_for_a_sealed_call_do_not_change_it() -> None:
    acc, events = accumulate(
        calls(call(0, id="a", name="f", arguments='{"x": 1}')),
        calls(call(1, id="b", name="g", arguments="")),
        calls(call(0, id="zzz", name="other", arguments=', "y": 2}')),
        finish("tool_calls"),
    )
    assert acc.message.tool_calls[0] == ToolCall("a", "f", '{"x": 1}', 0)
    deltas_for_a = [e for e in events if isinstance(e, ToolCallArgumentsDelta) and e.index == 0]
    assert [d.delta for d in deltas_for_a] == ['{"x": 1}']
    assert [e.id for e in ready(events)] == ["a", "b"]


def test_fragments_after_the_finish_do_not_change_sealed_calls() -> None:
    acc, events = accumulate(
        calls(call(0, id="a", name="f", arguments="{}")),
        finish("tool_calls"),
        calls(call(0, arguments="garbage")),
    )
    assert acc.message.tool_calls == (ToolCall("a", "f", "{}", 0),)
    assert kinds(events) == ["tool_call.started", "tool_call.arguments.delta", "tool_call.ready"]


def test_event_order_started_then_deltas_then_ready() -> None:
    _, events = accumulate(
        calls(call(0, id="a", name="f", arguments="")),
        calls(call(0, arguments='{"k"')),
        calls(call(0, arguments=": 1}")),
        calls(call(1, id="b", name="g", arguments='{"k": 2}')),
        finish("tool_calls"),
    )
    assert [(e.type, getattr(e, "index", None)) for e in events] == [
        ("tool_call.started", 0),
        ("tool_call.arguments.delta", 0),
        ("tool_call.arguments.delta", 0),
        ("tool_call.ready", 0),
        ("tool_call.started", 1),
        ("tool_call.arguments.delta", 1),
        ("tool_call.ready", 1),
    ]


def test_ready_event_matches_the_message_call() -> None:
    acc, events = accumulate(
        calls(call(0, id="a", name="f", arguments='{"q": "x"}')), finish("tool_calls")
    )
    (event,) = ready(events)
    (tool_call,) = acc.message.tool_calls
    assert (event.index, event.id, event.name, event.arguments) == (
        tool_call.index,
        tool_call.id,
        tool_call.name,
        tool_call.arguments,
    )


def test_message_is_a_snapshot() -> None:
    acc = StreamAccumulator()
    acc.add(text("a"))
    before = acc.message
    acc.add(text("b"))
    assert before.content == "a"
    assert acc.message.content == "ab"


# ----------------------------------------------------- lazy argument deltas


def test_arguments_so_far_at_every_fragment() -> None:
    pieces = ['{"ci', 'ty": "Ha', "noi", '", "days": [1', ", 2]", "}"]
    _, events = accumulate(
        calls(call(0, id="a", name="f", arguments="")),
        *(calls(call(0, arguments=piece)) for piece in pieces),
        calls(call(1, id="b", name="g", arguments='{"z": true}')),
        finish("tool_calls"),
    )
    deltas = [e for e in events if isinstance(e, ToolCallArgumentsDelta) and e.index == 0]
    # Read after the whole stream: each event still reports its own prefix.
    for n, delta in enumerate(deltas, start=1):
        assert delta.delta == pieces[n - 1]
        assert delta.arguments_so_far == "".join(pieces[:n])
    assert [d.partial_arguments for d in deltas] == [
        {},
        {"city": "Ha"},
        {"city": "Hanoi"},
        {"city": "Hanoi", "days": [1]},
        {"city": "Hanoi", "days": [1, 2]},
        {"city": "Hanoi", "days": [1, 2]},
    ]
    other = [e for e in events if isinstance(e, ToolCallArgumentsDelta) and e.index == 1]
    assert other[0].arguments_so_far == '{"z": true}'
    assert other[0].partial_arguments == {"z": True}


def test_argument_delta_to_dict_and_equality_ignore_the_shared_list() -> None:
    _, events = accumulate(calls(call(0, id="a", name="f", arguments='{"x"')))
    delta = events[-1]
    assert isinstance(delta, ToolCallArgumentsDelta)
    assert delta.to_dict() == {
        "type": "tool_call.arguments.delta",
        "index": 0,
        "id": "a",
        "delta": '{"x"',
    }
    assert delta == ToolCallArgumentsDelta(0, "a", '{"x"')
    assert "_fragments" not in repr(delta)


@settings(max_examples=60, deadline=None)
@given(
    value=st.dictionaries(
        st.text(max_size=5),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=3), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=4,
    ),
    cuts=st.lists(st.integers(0, 200), max_size=8),
)
def test_any_fragmentation_of_arguments_accumulates_exactly(
    value: dict[str, Any], cuts: list[int]
) -> None:
    arguments = json.dumps(value)
    bounds = [0, *sorted({c for c in cuts if c < len(arguments)}), len(arguments)]
    pieces = [arguments[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    acc, events = accumulate(
        calls(call(0, id="a", name="f", arguments="")),
        *(calls(call(0, arguments=piece)) for piece in pieces),
        finish("tool_calls"),
    )
    assert json.loads(acc.message.tool_calls[0].arguments) == value
    deltas = [e for e in events if isinstance(e, ToolCallArgumentsDelta)]
    assert deltas[-1].arguments_so_far == arguments
    for delta in deltas:
        delta.partial_arguments  # noqa: B018 - must never raise


def test_whole_anonymous_calls_back_to_back_stay_separate() -> None:
    """No index and no id: a fragment naming a function with arguments, after
    a call that is already a whole object, is a new call."""
    accumulator = StreamAccumulator()
    calls = [
        {"function": {"name": "get_weather", "arguments": '{"city": "Hanoi"}'}},
        {"function": {"name": "get_time", "arguments": '{"zone": "UTC"}'}},
    ]
    accumulator.add({"choices": [{"index": 0, "delta": {"tool_calls": calls}}]})
    accumulator.add({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    message = accumulator.message
    assert [(c.name, c.arguments) for c in message.tool_calls] == [
        ("get_weather", '{"city": "Hanoi"}'),
        ("get_time", '{"zone": "UTC"}'),
    ]
    assert message.tool_calls[0].id != message.tool_calls[1].id


def test_anonymous_fragments_repeating_the_name_continue_the_call() -> None:
    accumulator = StreamAccumulator()
    for piece in ('{"city": ', '"Hanoi"}', ""):
        fragment = {"function": {"name": "get_weather", "arguments": piece}}
        accumulator.add({"choices": [{"index": 0, "delta": {"tool_calls": [fragment]}}]})
    accumulator.add({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    assert [(c.name, c.arguments) for c in accumulator.message.tool_calls] == [
        ("get_weather", '{"city": "Hanoi"}')
    ]


def test_a_numeric_string_index_counts_as_the_index() -> None:
    accumulator = StreamAccumulator()
    first = {"index": "0", "id": "a", "function": {"name": "f", "arguments": '{"x": '}}
    second = {"index": "0", "function": {"arguments": "1}"}}
    for fragment in (first, second):
        accumulator.add({"choices": [{"index": 0, "delta": {"tool_calls": [fragment]}}]})
    accumulator.add({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    assert [(c.id, c.arguments) for c in accumulator.message.tool_calls] == [("a", '{"x": 1}')]
