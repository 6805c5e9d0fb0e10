"""The Vercel AI SDK UI message stream protocol (``x-vercel-ai-ui-message-stream:
v1``): agentkit events → UI message chunks (the way back, UI messages →
OpenAI-format messages, is in ``_vercel_messages``).

Protocol reference: https://ai-sdk.dev/docs/ai-sdk-ui/stream-protocol
"""

from __future__ import annotations

import re
from typing import Any

from .._errors import excerpt
from .._events import (
    ApprovalRequested,
    ApprovalResolved,
    CustomEvent,
    Event,
    OutputPartial,
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
from ._approval_ids import ApprovalIds

__all__ = ["OUTPUT_PART_ID", "VercelUIStream"]

Part = dict[str, Any]

_FINISH_REASONS = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content-filter",
    "tool_calls": "tool-calls",
    "approval_required": "tool-calls",  # as the AI SDK's own server ends such a step
}
OUTPUT_PART_ID = "output"
"""The id of the ``data-output`` part: each update replaces the last."""
_DATA_NAME = re.compile(r"[^A-Za-z0-9_-]+")


class VercelUIStream:
    """Translates one run's events into UI message chunks, keeping the text
    and reasoning blocks open and closed as the protocol requires.

    A call waiting for approval gets a ``tool-approval-request`` chunk whose
    ``approvalId`` is signed with ``secret`` (see `chat_app`, which checks
    the answers ``useChat`` sends back); a denied call ends in
    ``tool-output-denied``. The structured output as it forms
    (``output.partial``) is a ``data-output`` part with the fixed id
    ``"output"``, which each update replaces; once the run ends, it holds
    the validated output.

    Args:
        secret: The key that signs approval ids (None: this process's
            random secret, the one `chat_app` uses by default).
        message_id: The id of the UI message this run continues (a run
            resumed after approvals goes on in the same assistant message);
            None starts a new message, named after the run id.
    """

    def __init__(self, *, secret: bytes | str | None = None, message_id: str | None = None) -> None:
        self._open_block: tuple[str, str] | None = None  # (kind, id)
        self._blocks = 0
        self._approval_ids = ApprovalIds(secret)
        self._message_id = message_id
        self._asked: dict[str, str] = {}  # call id -> approval id, requests of this stream
        self._denied: set[str] = set()
        self._output_sent = False

    def parts(self, event: Event) -> list[Part]:
        """The chunks for ``event`` (possibly none)."""
        match event:
            case RunStarted(run_id=run_id):
                return [{"type": "start", "messageId": self._message_id or run_id}]
            case TurnStarted():
                return [{"type": "start-step"}]
            case TextDelta(text=text):
                return [*self._block("text"), self._delta("text", text)]
            case ReasoningDelta(text=text):
                return [*self._block("reasoning"), self._delta("reasoning", text)]
            case ToolCallStarted(id=call_id, name=name):
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
            case ToolResult(id=call_id):
                # A denied call's result is the denial the model reads; the
                # page already shows it as denied.
                return [] if call_id in self._denied else [self._output(event)]
            case ApprovalRequested():
                return [*self._close(), self._approval_request(event)]
            case ApprovalResolved():
                return self._approval_resolved(event)
            case OutputPartial(partial=partial):
                self._output_sent = True
                return [{"type": "data-output", "id": OUTPUT_PART_ID, "data": partial}]
            case TurnFinished():
                return [*self._close(), {"type": "finish-step"}]
            case RunFinished(result=result):
                return [*self._close(), *self._final_output(result), self._finish(result)]
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

    def _approval_request(self, event: ApprovalRequested) -> Part:
        approval_id = self._approval_ids.sign(event.id, event.name, event.arguments)
        self._asked[event.id] = approval_id
        return {"type": "tool-approval-request", "approvalId": approval_id, "toolCallId": event.id}

    def _approval_resolved(self, event: ApprovalResolved) -> list[Part]:
        """An approver's answer, as the page would have recorded it; a
        resumed call's answer is already in the page (it sent it)."""
        parts: list[Part] = []
        approval_id = self._asked.get(event.id)
        if approval_id is not None:
            response: Part = {
                "type": "tool-approval-response",
                "approvalId": approval_id,
                "approved": event.approved,
            }
            if event.reason is not None:
                response["reason"] = event.reason
            parts.append(response)
        if not event.approved:
            self._denied.add(event.id)
            parts.append({"type": "tool-output-denied", "toolCallId": event.id})
        return parts

    def _final_output(self, result: Any) -> list[Part]:
        """The validated output in place of the last partial one."""
        if not self._output_sent or getattr(result, "output", None) is None:
            return []
        output = result.to_dict()["output"]
        return [{"type": "data-output", "id": OUTPUT_PART_ID, "data": output}]

    def _finish(self, result: Any) -> Part:
        reason = _FINISH_REASONS.get(getattr(result, "finish_reason", None) or "", "other")
        return {"type": "finish", "finishReason": reason}

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
