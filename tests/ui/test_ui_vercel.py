"""The Vercel AI SDK UI message stream translation (agentkit/ui/_vercel.py)."""

from __future__ import annotations

from agentkit import (
    CustomEvent,
    ReasoningDelta,
    Retry,
    RunFailed,
    RunFinished,
    RunResult,
    RunStarted,
    TextDelta,
    ToolCall,
    ToolCallArgumentsDelta,
    ToolCallReady,
    ToolCallStarted,
    ToolResult,
    TurnFinished,
    TurnStarted,
    Usage,
)
from agentkit.ui import VercelUIStream, ui_messages_to_openai


def _result(finish_reason: str | None) -> RunResult:
    return RunResult(text="", messages=[], usage=Usage(), turns=1, finish_reason=finish_reason)


def test_a_tool_turn_then_an_answer_maps_to_the_protocol_parts() -> None:
    stream = VercelUIStream()
    events = [
        RunStarted("run_1"),
        TurnStarted(1),
        ReasoningDelta("Let me "),
        ReasoningDelta("check."),
        ToolCallStarted(0, "call_a", "get_weather"),
        ToolCallArgumentsDelta(0, "call_a", '{"city": '),
        ToolCallArgumentsDelta(0, "call_a", '"Hanoi"}'),
        ToolCallReady(ToolCall("call_a", "get_weather", '{"city": "Hanoi"}', 0)),
        ToolResult("call_a", "get_weather", '{"temp": 31}', False, 0.01),
        TurnFinished(1, "tool_calls", None),
        TurnStarted(2),
        TextDelta("It is "),
        TextDelta("31°C."),
        TurnFinished(2, "stop", None),
        RunFinished(_result("stop")),
    ]
    parts = [part for event in events for part in stream.parts(event)]
    assert parts == [
        {"type": "start", "messageId": "run_1"},
        {"type": "start-step"},
        {"type": "reasoning-start", "id": "reasoning-1"},
        {"type": "reasoning-delta", "id": "reasoning-1", "delta": "Let me "},
        {"type": "reasoning-delta", "id": "reasoning-1", "delta": "check."},
        {"type": "reasoning-end", "id": "reasoning-1"},
        {
            "type": "tool-input-start",
            "toolCallId": "call_a",
            "toolName": "get_weather",
            "dynamic": True,
        },
        {"type": "tool-input-delta", "toolCallId": "call_a", "inputTextDelta": '{"city": '},
        {"type": "tool-input-delta", "toolCallId": "call_a", "inputTextDelta": '"Hanoi"}'},
        {
            "type": "tool-input-available",
            "toolCallId": "call_a",
            "toolName": "get_weather",
            "input": {"city": "Hanoi"},
            "dynamic": True,
        },
        {
            "type": "tool-output-available",
            "toolCallId": "call_a",
            "output": {"temp": 31},
            "dynamic": True,
        },
        {"type": "finish-step"},
        {"type": "start-step"},
        {"type": "text-start", "id": "text-2"},
        {"type": "text-delta", "id": "text-2", "delta": "It is "},
        {"type": "text-delta", "id": "text-2", "delta": "31°C."},
        {"type": "text-end", "id": "text-2"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
    ]


def test_errors_and_odd_events() -> None:
    stream = VercelUIStream()
    assert stream.parts(TextDelta("partial")) == [
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "partial"},
    ]
    # A failure closes the open block, then reports the error.
    assert stream.parts(RunFailed(ValueError("boom"))) == [
        {"type": "text-end", "id": "text-1"},
        {"type": "error", "errorText": "ValueError: boom"},
    ]
    assert stream.parts(ToolResult("c", "t", "bad input", True, 0.0)) == [
        {"type": "tool-output-error", "toolCallId": "c", "errorText": "bad input", "dynamic": True}
    ]
    assert stream.parts(ToolCallReady(ToolCall("c", "t", '{"a": ', 0))) == [
        {
            "type": "tool-input-error",
            "toolCallId": "c",
            "toolName": "t",
            "input": '{"a": ',
            "errorText": "invalid JSON arguments: Expecting value: line 1 column 7 (char 6)",
            "dynamic": True,
        }
    ]
    # Plain-text tool output stays a string; custom events become data parts.
    assert stream.parts(ToolResult("c", "t", "sunny", False, 0.0))[0]["output"] == "sunny"
    assert stream.parts(CustomEvent("search.done", {"n": 2})) == [
        {"type": "data-search-done", "data": {"n": 2}}
    ]
    retry = stream.parts(Retry(1, "connection reset", 0.5, True))
    assert retry[0]["type"] == "data-agentkit-retry"
    assert retry[0]["transient"] is True
    assert stream.parts(RunFinished(_result("content_filter")))[-1] == {
        "type": "finish",
        "finishReason": "content-filter",
    }
    assert stream.parts(RunFinished(_result(None)))[-1] == {
        "type": "finish",
        "finishReason": "other",
    }


def test_ui_messages_become_openai_messages_step_by_step() -> None:
    ui_messages = [
        {"id": "s", "role": "system", "parts": [{"type": "text", "text": "Be brief."}]},
        {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Weather in Hanoi?"}]},
        {
            "id": "a1",
            "role": "assistant",
            "parts": [
                {"type": "step-start"},
                {"type": "reasoning", "text": "thinking", "state": "done"},
                {
                    "type": "dynamic-tool",
                    "toolName": "get_weather",
                    "toolCallId": "call_a",
                    "state": "output-available",
                    "input": {"city": "Hanoi"},
                    "output": {"temp": 31},
                },
                {
                    "type": "tool-get_time",
                    "toolCallId": "call_b",
                    "state": "output-error",
                    "input": {},
                    "errorText": "clock broken",
                },
                {
                    "type": "tool-get_time",
                    "toolCallId": "call_c",
                    "state": "input-streaming",
                    "input": {},
                },
                {"type": "data-progress", "data": {"done": 1}},
                {"type": "step-start"},
                {"type": "text", "text": "It is 31°C.", "state": "done"},
            ],
        },
        {
            "id": "u2",
            "role": "user",
            "parts": [{"type": "text", "text": "And "}, {"type": "text", "text": "tomorrow?"}],
        },
        {"role": "user", "content": "already OpenAI-shaped"},
    ]
    assert ui_messages_to_openai(ui_messages) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Hanoi?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_a",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Hanoi"}'},
                },
                {
                    "id": "call_b",
                    "type": "function",
                    "function": {"name": "get_time", "arguments": "{}"},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_a", "content": '{"temp": 31}'},
        {"role": "tool", "tool_call_id": "call_b", "content": "clock broken"},
        {"role": "assistant", "content": "It is 31°C."},
        {"role": "user", "content": "And tomorrow?"},
        {"role": "user", "content": "already OpenAI-shaped"},
    ]
