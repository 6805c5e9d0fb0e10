"""Approvals and structured output in the UI message stream
(agentkit/ui/_vercel.py), and paused replies in UI messages
(agentkit/ui/_vercel_messages.py)."""

from __future__ import annotations

import dataclasses
from typing import Any

from agentkit import (
    ApprovalRequest,
    ApprovalRequested,
    ApprovalResolved,
    OutputPartial,
    RunFinished,
    RunResult,
    RunStarted,
    ToolCall,
    ToolCallReady,
    ToolResult,
    TurnFinished,
    TurnStarted,
    Usage,
)
from agentkit.ui import VercelUIStream, ui_messages_to_openai
from agentkit.ui._approval_ids import ApprovalIds

SECRET = b"test secret"
ARGUMENTS = '{"title": "shopping"}'
OUTPUT = {
    "type": "tool-output-available",
    "toolCallId": "call_1",
    "output": "deleted",
    "dynamic": True,
}


def _result(finish_reason: str | None, **changes: Any) -> RunResult:
    result = RunResult(text="", messages=[], usage=Usage(), turns=1, finish_reason=finish_reason)
    return dataclasses.replace(result, **changes)


def _parts(stream: VercelUIStream, *events: Any) -> list[dict[str, Any]]:
    return [part for event in events for part in stream.parts(event)]


def test_a_paused_run_asks_with_a_signed_id_and_ends_its_step() -> None:
    stream = VercelUIStream(secret=SECRET)
    request = ApprovalRequest("call_1", "delete_note", ARGUMENTS)
    parts = _parts(
        stream,
        RunStarted("run_1"),
        TurnStarted(1),
        ToolCallReady(ToolCall("call_1", "delete_note", ARGUMENTS, 0)),
        ApprovalRequested("call_1", "delete_note", ARGUMENTS),
        TurnFinished(1, "tool_calls", None),
        RunFinished(_result("approval_required", pending_approvals=(request,))),
    )
    approval_id = ApprovalIds(SECRET).sign("call_1", "delete_note", ARGUMENTS)
    assert parts[3] == {
        "type": "tool-approval-request",
        "approvalId": approval_id,
        "toolCallId": "call_1",
    }
    assert parts[-2:] == [{"type": "finish-step"}, {"type": "finish", "finishReason": "tool-calls"}]


def test_an_approvers_answers_are_sent_and_a_denied_call_shows_as_denied() -> None:
    stream = VercelUIStream(secret=SECRET)
    parts = _parts(
        stream,
        ApprovalRequested("call_1", "delete_note", ARGUMENTS),
        ApprovalRequested("call_2", "delete_note", '{"title": "ideas"}'),
        ApprovalResolved("call_1", True),
        ToolResult("call_1", "delete_note", "deleted", False, 0.01),
        ApprovalResolved("call_2", False, "keep it"),
        ToolResult("call_2", "delete_note", "Not run: ... Reason: keep it", False, 0.0),
    )
    first, second = parts[0]["approvalId"], parts[1]["approvalId"]
    assert first != second
    assert parts[2:] == [
        {"type": "tool-approval-response", "approvalId": first, "approved": True},
        {
            "type": "tool-output-available",
            "toolCallId": "call_1",
            "output": "deleted",
            "dynamic": True,
        },
        {
            "type": "tool-approval-response",
            "approvalId": second,
            "approved": False,
            "reason": "keep it",
        },
        {"type": "tool-output-denied", "toolCallId": "call_2"},
    ]  # the denied call's result (what the model reads) is not sent as an output


def test_a_resumed_run_continues_the_message_the_page_answered() -> None:
    """The page already holds the answers it sent: only a denial's outcome
    and the approved call's output are new."""
    stream = VercelUIStream(secret=SECRET, message_id="msg-7")
    parts = _parts(
        stream,
        RunStarted("run_2"),
        ApprovalResolved("call_1", True),
        ApprovalResolved("call_2", False, None),
        ToolResult("call_1", "delete_note", "deleted", False, 0.01),
        ToolResult("call_2", "delete_note", "Not run: the user denied this tool call.", False, 0.0),
        TurnStarted(1),
    )
    assert parts == [
        {"type": "start", "messageId": "msg-7"},
        {"type": "tool-output-denied", "toolCallId": "call_2"},
        {
            "type": "tool-output-available",
            "toolCallId": "call_1",
            "output": "deleted",
            "dynamic": True,
        },
        {"type": "start-step"},
    ]


def test_the_output_is_one_data_part_replaced_by_each_update_then_by_the_validated_value() -> None:
    stream = VercelUIStream()
    parts = _parts(
        stream,
        OutputPartial({}),
        OutputPartial({"city": "Hanoi"}),
        OutputPartial({"city": "Hanoi", "temp_c": 31}),
        RunFinished(_result("tool_calls", output={"city": "Hanoi", "temp_c": 31.0})),
    )
    assert parts == [
        {"type": "data-output", "id": "output", "data": {}},
        {"type": "data-output", "id": "output", "data": {"city": "Hanoi"}},
        {"type": "data-output", "id": "output", "data": {"city": "Hanoi", "temp_c": 31}},
        {"type": "data-output", "id": "output", "data": {"city": "Hanoi", "temp_c": 31.0}},
        {"type": "finish", "finishReason": "tool-calls"},
    ]


def test_a_run_without_structured_output_sends_no_output_part() -> None:
    stream = VercelUIStream()
    assert _parts(stream, RunFinished(_result("stop", output="plain text"))) == [
        {"type": "finish", "finishReason": "stop"}
    ]


def _tool_part(call_id: str, state: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "dynamic-tool",
        "toolName": "delete_note",
        "toolCallId": call_id,
        "state": state,
        "input": {"title": call_id},
        **fields,
    }


def _call(call_id: str) -> dict[str, Any]:
    arguments = f'{{"title": "{call_id}"}}'
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": "delete_note", "arguments": arguments},
    }


def test_a_paused_reply_becomes_the_paused_conversation() -> None:
    approval = {"id": "apr1_x", "approved": False, "reason": "keep it"}
    messages = [
        {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Tidy up"}]},
        {
            "id": "a1",
            "role": "assistant",
            "parts": [
                {"type": "step-start"},
                _tool_part("old", "output-denied", approval=approval),
                _tool_part("stale", "approval-requested", approval={"id": "apr1_y"}),
            ],
        },
        {"id": "u2", "role": "user", "parts": [{"type": "text", "text": "And now?"}]},
        {
            "id": "a2",
            "role": "assistant",
            "parts": [
                {"type": "step-start"},
                _tool_part("early", "approval-requested", approval={"id": "apr1_z"}),
                {"type": "step-start"},
                _tool_part("done", "output-available", output="ok"),
                _tool_part("asked", "approval-requested", approval={"id": "apr1_a"}),
                _tool_part("answered", "approval-responded", approval={"id": "apr1_b"}),
                _tool_part("streaming", "input-available"),
            ],
        },
    ]
    assert ui_messages_to_openai(messages) == [
        {"role": "user", "content": "Tidy up"},
        {"role": "assistant", "content": "", "tool_calls": [_call("old")]},
        {
            "role": "tool",
            "tool_call_id": "old",
            "content": "Not run: the user denied this tool call. Reason: keep it",
        },
        {"role": "user", "content": "And now?"},
        # Waiting calls stay only in the last step of the last message.
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [_call("done"), _call("asked"), _call("answered")],
        },
        {"role": "tool", "tool_call_id": "done", "content": "ok"},
    ]
