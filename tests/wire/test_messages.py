"""Message data types (`agentkit._messages`): usage parsing and sums, and the
assistant message in OpenAI format."""

from __future__ import annotations

import dataclasses
import json

import pytest

from agentkit import AssistantMessage, ToolCall, Usage

# -------------------------------------------------------------------- Usage


def test_usage_from_dict() -> None:
    raw = {
        "prompt_tokens": 9,
        "completion_tokens": 12,
        "total_tokens": 21,
        "prompt_tokens_details": {"cached_tokens": 4},
    }
    usage = Usage.from_dict(raw)
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (9, 12, 21)
    assert usage.details == raw


def test_usage_from_dict_copies_the_mapping() -> None:
    raw = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    usage = Usage.from_dict(raw)
    raw["prompt_tokens"] = 999
    assert usage.details["prompt_tokens"] == 1


def test_usage_missing_counts_are_zero_and_total_is_derived() -> None:
    usage = Usage.from_dict({"prompt_tokens": 7, "completion_tokens": 3})
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (7, 3, 10)
    assert Usage.from_dict({}) == Usage(0, 0, 0, {})


def test_usage_reported_total_is_kept_even_if_it_differs() -> None:
    # Some providers count reasoning in the total only.
    usage = Usage.from_dict({"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 42})
    assert usage.total_tokens == 42


@pytest.mark.parametrize("bad", [None, "12", 1.5, True, [1]])
def test_usage_non_integer_counts_are_zero(bad: object) -> None:
    usage = Usage.from_dict({"prompt_tokens": bad, "completion_tokens": 2})
    assert usage.prompt_tokens == 0
    assert usage.total_tokens == 2


def test_usage_to_dict_keeps_extras_and_counts() -> None:
    raw = {"queue_time": 0.04, "prompt_tokens": 210, "completion_tokens": 15, "total_tokens": 225}
    assert Usage.from_dict(raw).to_dict() == raw
    assert Usage(1, 2, 3).to_dict() == {
        "prompt_tokens": 1,
        "completion_tokens": 2,
        "total_tokens": 3,
    }


def test_usage_to_dict_counts_win_over_details() -> None:
    assert Usage(1, 2, 3, {"prompt_tokens": 100, "x": 1}).to_dict() == {
        "prompt_tokens": 1,
        "x": 1,
        "completion_tokens": 2,
        "total_tokens": 3,
    }


def test_usage_to_dict_is_json_serializable() -> None:
    usage = Usage.from_dict({"prompt_tokens": 1, "prompt_tokens_details": {"cached_tokens": 0}})
    assert json.loads(json.dumps(usage.to_dict()))["prompt_tokens_details"] == {"cached_tokens": 0}


def test_usage_addition_sums_counts_and_details_field_wise() -> None:
    first = Usage.from_dict(
        {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "total_tokens": 15,
            "prompt_tokens_details": {"cached_tokens": 2, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 3},
            "queue_time": 0.5,
            "model": "a",
        }
    )
    second = Usage.from_dict(
        {
            "prompt_tokens": 20,
            "completion_tokens": 7,
            "total_tokens": 27,
            "prompt_tokens_details": {"cached_tokens": 8},
            "completion_tokens_details": {"reasoning_tokens": 4, "accepted_prediction_tokens": 1},
            "queue_time": 0.25,
            "model": "b",
        }
    )
    total = first + second
    assert (total.prompt_tokens, total.completion_tokens, total.total_tokens) == (30, 12, 42)
    assert total.details == {
        "prompt_tokens": 30,
        "completion_tokens": 12,
        "total_tokens": 42,
        "prompt_tokens_details": {"cached_tokens": 10, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 7, "accepted_prediction_tokens": 1},
        "queue_time": 0.75,
        "model": "b",  # not a number: the latest value
    }
    # The operands are untouched.
    assert first.details["prompt_tokens_details"] == {"cached_tokens": 2, "audio_tokens": 0}


def test_usage_addition_deeply_nested() -> None:
    left = Usage(details={"a": {"b": {"c": 1}}})
    right = Usage(details={"a": {"b": {"c": 2, "d": 5}}})
    assert (left + right).details == {"a": {"b": {"c": 3, "d": 5}}}


def test_usage_addition_with_empty_usage() -> None:
    usage = Usage.from_dict({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7})
    assert Usage() + usage == usage
    assert usage + Usage() == usage


def test_usage_addition_ignores_booleans_as_numbers() -> None:
    total = Usage(details={"flag": True}) + Usage(details={"flag": False})
    assert total.details == {"flag": False}


def test_usage_addition_with_another_type_is_refused() -> None:
    with pytest.raises(TypeError):
        Usage() + 1  # type: ignore[operator]


def test_usage_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Usage().prompt_tokens = 5  # type: ignore[misc]


# ---------------------------------------------------------------- ToolCall


def test_tool_call_to_dict() -> None:
    assert ToolCall("call_1", "get_weather", '{"city": "Hanoi"}', 2).to_dict() == {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Hanoi"}'},
    }


# -------------------------------------------------------- AssistantMessage


def test_text_message_to_dict() -> None:
    message = AssistantMessage(content="Hello", reasoning="secret thoughts", finish_reason="stop")
    assert message.to_dict() == {"role": "assistant", "content": "Hello"}


def test_tool_call_message_has_empty_string_content() -> None:
    # Not null: llama.cpp's server answers 500 to null content; "" is what
    # every server accepts.
    message = AssistantMessage(
        tool_calls=(ToolCall("a", "f", "{}", 0), ToolCall("b", "g", '{"x": 1}', 1)),
        finish_reason="tool_calls",
    )
    assert message.to_dict() == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}},
            {"id": "b", "type": "function", "function": {"name": "g", "arguments": '{"x": 1}'}},
        ],
    }


def test_text_and_tool_calls_to_dict() -> None:
    message = AssistantMessage(content="Checking.", tool_calls=(ToolCall("a", "f", "{}"),))
    assert message.to_dict()["content"] == "Checking."
    assert len(message.to_dict()["tool_calls"]) == 1


def test_refusal_to_dict() -> None:
    message = AssistantMessage(refusal="No.")
    assert message.to_dict() == {"role": "assistant", "content": "", "refusal": "No."}


def test_reasoning_is_never_sent_back() -> None:
    message = AssistantMessage(content="x", reasoning="r")
    assert "reasoning" not in message.to_dict()
    assert "reasoning_content" not in message.to_dict()


def test_to_dict_is_json_serializable() -> None:
    message = AssistantMessage(content="é", tool_calls=(ToolCall("a", "f", '{"q": "ü"}'),))
    assert json.loads(json.dumps(message.to_dict())) == message.to_dict()


def test_assistant_message_defaults_and_frozen() -> None:
    message = AssistantMessage()
    assert (message.content, message.reasoning, message.refusal) == ("", "", None)
    assert (message.tool_calls, message.finish_reason, message.usage) == ((), None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.content = "x"  # type: ignore[misc]
