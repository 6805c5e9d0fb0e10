"""The Vercel AI SDK UI message stream protocol (``x-vercel-ai-ui-message-stream:
v1``): agentkit events → UI message chunks, and ``useChat`` request bodies
(UI messages) → OpenAI-format messages.

Protocol reference: https://ai-sdk.dev/docs/ai-sdk-ui/stream-protocol
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .._errors import excerpt
from .._events import (
    CustomEvent,
    Event,
    ReasoningDelta,
    Retry,
    RunFailed,
    RunFinished,
    RunStarted,
    TextDelta,
    ToolCallArgumentsDelta,
    ToolCallReady,
    ToolCallStarted,
    ToolResult,
    TurnFinished,
    TurnStarted,
)
from .._json import loads

__all__ = ["VercelUIStream", "ui_messages_to_openai"]

Part = dict[str, Any]

_FINISH_REASONS = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content-filter",
    "tool_calls": "tool-calls",
}
_DATA_NAME = re.compile(r"[^A-Za-z0-9_-]+")


class VercelUIStream:
    """Translates one run's events into UI message chunks, keeping the text
    and reasoning blocks open and closed as the protocol requires."""

    def __init__(self) -> None:
        self._open_block: tuple[str, str] | None = None  # (kind, id)
        self._blocks = 0
        self._tool_names: dict[str, str] = {}

    def parts(self, event: Event) -> list[Part]:
        """The chunks for ``event`` (possibly none)."""
        match event:
            case RunStarted(run_id=run_id):
                return [{"type": "start", "messageId": run_id}]
            case TurnStarted():
                return [{"type": "start-step"}]
            case TextDelta(text=text):
                return [*self._block("text"), self._delta("text", text)]
            case ReasoningDelta(text=text):
                return [*self._block("reasoning"), self._delta("reasoning", text)]
            case ToolCallStarted(id=call_id, name=name):
                self._tool_names[call_id] = name
                return [
                    *self._close(),
                    {
                        "type": "tool-input-start",
                        "toolCallId": call_id,
                        "toolName": name,
                        "dynamic": True,
                    },
                ]
            case ToolCallArgumentsDelta(id=call_id, delta=delta):
                return [
                    {"type": "tool-input-delta", "toolCallId": call_id, "inputTextDelta": delta}
                ]
            case ToolCallReady():
                return [*self._close(), self._input_available(event)]
            case ToolResult():
                return [self._output(event)]
            case TurnFinished():
                return [*self._close(), {"type": "finish-step"}]
            case RunFinished(result=result):
                reason = _FINISH_REASONS.get(getattr(result, "finish_reason", None) or "", "other")
                return [*self._close(), {"type": "finish", "finishReason": reason}]
            case RunFailed(error=error):
                return self.error_parts(error)
            case Retry():
                return [{"type": "data-agentkit-retry", "data": event.to_dict(), "transient": True}]
            case CustomEvent(name=name, data=data):
                return [{"type": f"data-{_DATA_NAME.sub('-', name) or 'custom'}", "data": data}]
        return []

    def error_parts(self, error: BaseException) -> list[Part]:
        """Chunks that end the message with an error."""
        return [*self._close(), {"type": "error", "errorText": f"{type(error).__name__}: {error}"}]

    def _block(self, kind: str) -> list[Part]:
        if self._open_block is not None and self._open_block[0] == kind:
            return []
        closing = self._close()
        self._blocks += 1
        block_id = f"{kind}-{self._blocks}"
        self._open_block = (kind, block_id)
        return [*closing, {"type": f"{kind}-start", "id": block_id}]

    def _delta(self, kind: str, text: str) -> Part:
        assert self._open_block is not None
        return {"type": f"{kind}-delta", "id": self._open_block[1], "delta": text}

    def _close(self) -> list[Part]:
        if self._open_block is None:
            return []
        kind, block_id = self._open_block
        self._open_block = None
        return [{"type": f"{kind}-end", "id": block_id}]

    def _input_available(self, event: ToolCallReady) -> Part:
        try:
            arguments = loads(event.arguments or "{}")
        except ValueError as error:
            return {
                "type": "tool-input-error",
                "toolCallId": event.id,
                "toolName": event.name,
                "input": event.arguments,
                "errorText": f"invalid JSON arguments: {error}",
                "dynamic": True,
            }
        return {
            "type": "tool-input-available",
            "toolCallId": event.id,
            "toolName": event.name,
            "input": arguments,
            "dynamic": True,
        }

    def _output(self, event: ToolResult) -> Part:
        if event.is_error:
            return {
                "type": "tool-output-error",
                "toolCallId": event.id,
                "errorText": excerpt(event.output, 2000),
                "dynamic": True,
            }
        try:
            output: Any = loads(event.output)
        except ValueError:
            output = event.output
        return {
            "type": "tool-output-available",
            "toolCallId": event.id,
            "output": output,
            "dynamic": True,
        }


def ui_messages_to_openai(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Convert ``useChat`` UI messages (``{"role", "parts": [...]}``) into
    OpenAI-format messages.

    Text parts become content; each assistant step (parts between
    ``step-start`` markers) becomes one assistant message with its tool calls,
    followed by their results; tool parts without a result, reasoning and
    file parts are left out. Messages in OpenAI format (with ``content`` and
    no ``parts``) pass through unchanged.
    """
    converted: list[dict[str, Any]] = []
    for message in messages:
        parts = message.get("parts")
        role = message.get("role", "user")
        if parts is None:
            converted.append(dict(message))
        elif role == "assistant":
            converted.extend(_assistant_messages(parts))
        else:
            converted.append({"role": role, "content": _joined_text(parts)})
    return converted


def _assistant_messages(parts: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for step in _steps(parts):
        text = _joined_text(step)
        calls, results = [], []
        for part in step:
            outcome = _tool_outcome(part)
            if outcome is None:
                continue
            call_id, name, arguments, content = outcome
            calls.append(
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
            )
            results.append({"role": "tool", "tool_call_id": call_id, "content": content})
        if not text and not calls:
            continue
        message: dict[str, Any] = {"role": "assistant", "content": text or None}
        if calls:
            message["tool_calls"] = calls
        messages.append(message)
        messages.extend(results)
    return messages


def _steps(parts: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    steps: list[list[Mapping[str, Any]]] = [[]]
    for part in parts:
        if part.get("type") == "step-start":
            if steps[-1]:
                steps.append([])
        else:
            steps[-1].append(part)
    return steps


def _tool_outcome(part: Mapping[str, Any]) -> tuple[str, str, str, str] | None:
    kind = str(part.get("type", ""))
    if kind == "dynamic-tool":
        name = str(part.get("toolName", ""))
    elif kind.startswith("tool-"):
        name = kind[len("tool-") :]
    else:
        return None
    state = part.get("state")
    if state == "output-available":
        output = part.get("output")
        content = output if isinstance(output, str) else json.dumps(output)
    elif state == "output-error":
        content = str(part.get("errorText", "error"))
    else:
        return None
    arguments = json.dumps(part.get("input") if part.get("input") is not None else {})
    return str(part.get("toolCallId", "")), name, arguments, content


def _joined_text(parts: Sequence[Mapping[str, Any]]) -> str:
    return "".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")
