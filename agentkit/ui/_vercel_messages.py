"""``useChat`` request bodies (the AI SDK's UI messages) → OpenAI-format
messages, the conversation an agent runs on.

A UI message holds a whole assistant reply: its steps (model turns) are
separated by ``step-start`` parts, and each tool part carries its call and,
once there is one, its result. A reply that paused for approvals ends with
tool parts in ``approval-requested`` or ``approval-responded`` state (the
answer `addToolApprovalResponse` put there): they become the calls the
paused conversation waits for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .._approval import Approval, denied_output

__all__ = ["WAITING_STATES", "tool_part_name", "ui_messages_to_openai"]

WAITING_STATES = frozenset({"approval-requested", "approval-responded"})
"""Tool part states of a call that waits for a decision (no result yet)."""

Part = Mapping[str, Any]


def ui_messages_to_openai(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Convert ``useChat`` UI messages (``{"role", "parts": [...]}``) into
    OpenAI-format messages.

    Text parts become content; each assistant step (parts between
    ``step-start`` markers) becomes one assistant message with its tool calls,
    followed by their results (a call the user denied, ``output-denied``, is
    answered with the denial the model read). When the last message is an
    assistant message, the calls of its last step that wait for approval
    (``approval-requested``, ``approval-responded``) stay in it without a
    result: the conversation is then a paused run, ready for
    ``agent.run(messages, approvals=...)``. Other tool parts without a
    result, reasoning and file parts are left out. Messages in OpenAI format
    (with ``content`` and no ``parts``) pass through unchanged.
    """
    converted: list[dict[str, Any]] = []
    for position, message in enumerate(messages):
        parts = message.get("parts")
        role = message.get("role", "user")
        if parts is None:
            converted.append(dict(message))
        elif role == "assistant":
            converted.extend(_assistant_messages(parts, paused=position == len(messages) - 1))
        else:
            converted.append({"role": role, "content": _joined_text(parts)})
    return converted


def tool_part_name(part: Part) -> str | None:
    """The tool name of a tool part (``dynamic-tool`` or ``tool-<name>``),
    None for any other part."""
    kind = str(part.get("type", ""))
    if kind == "dynamic-tool":
        return str(part.get("toolName", ""))
    if kind.startswith("tool-"):
        return kind[len("tool-") :]
    return None


def _assistant_messages(parts: Sequence[Part], *, paused: bool) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    steps = _steps(parts)
    for number, step in enumerate(steps, start=1):
        waiting_allowed = paused and number == len(steps)
        text = _joined_text(step)
        calls, results = [], []
        for part in step:
            call = _tool_call(part, waiting_allowed)
            if call is None:
                continue
            calls.append(call)
            content = _result_content(part)
            if content is not None:
                results.append({"role": "tool", "tool_call_id": call["id"], "content": content})
        if not text and not calls:
            continue
        # A string beside tool calls too: llama.cpp's server answers 500 to null.
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            message["tool_calls"] = calls
        messages.append(message)
        messages.extend(results)
    return messages


def _steps(parts: Sequence[Part]) -> list[list[Part]]:
    steps: list[list[Part]] = [[]]
    for part in parts:
        if part.get("type") == "step-start":
            if steps[-1]:
                steps.append([])
        else:
            steps[-1].append(part)
    return steps


def _tool_call(part: Part, waiting_allowed: bool) -> dict[str, Any] | None:
    """The call of a tool part that has a result (or, where allowed, waits
    for a decision); None for other parts."""
    name = tool_part_name(part)
    if name is None:
        return None
    state = part.get("state")
    if _result_content(part) is None and not (waiting_allowed and state in WAITING_STATES):
        return None
    arguments = json.dumps(part.get("input") if part.get("input") is not None else {})
    return {
        "id": str(part.get("toolCallId", "")),
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def _result_content(part: Part) -> str | None:
    state = part.get("state")
    if state == "output-available":
        output = part.get("output")
        return output if isinstance(output, str) else json.dumps(output)
    if state == "output-error":
        return str(part.get("errorText", "error"))
    if state == "output-denied":
        approval = part.get("approval")
        reason = approval.get("reason") if isinstance(approval, Mapping) else None
        return denied_output(Approval(False, reason if isinstance(reason, str) else None))
    return None


def _joined_text(parts: Sequence[Part]) -> str:
    return "".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")
