"""`RunResult`: what a finished (or stopped) run leaves behind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._errors import ToolError
from ._messages import AssistantMessage, Usage

__all__ = ["RunResult", "ToolCallRecord"]


@dataclass(frozen=True, slots=True)
class ToolCallRecord:
    """One tool call the run executed.

    Attributes:
        id: The call id.
        name: The tool name the model used.
        arguments: The arguments JSON string as the model wrote it.
        output: The tool message content the model read.
        is_error: Whether the call failed (bad arguments, unknown tool,
            exception, timeout).
        duration: Seconds from start to result.
        turn: The model turn (1-based) that asked for the call.
        error: The typed error when ``is_error``, else None.
        value: The tool function's raw return value, else None.
    """

    id: str
    name: str
    arguments: str
    output: str
    is_error: bool
    duration: float
    turn: int
    error: ToolError | None = None
    value: Any = None


@dataclass(frozen=True, slots=True)
class RunResult:
    """The outcome of `Agent.run`.

    Attributes:
        text: The final assistant text (of the last turn).
        messages: The whole conversation as OpenAI-format dicts, ready to send
            again with one more user message (the agent's instructions are
            not included: they are added to every request).
        usage: Token usage summed over every turn.
        turns: How many model turns ran.
        finish_reason: The last turn's finish reason (``"stop"``, or
            ``"length"``/``"content_filter"`` when the answer was cut).
        tool_calls: Every tool call executed, in order.
        run_id: The run's id (also on its log lines).
        last_message: The last assistant message, with reasoning.
    """

    text: str
    messages: list[dict[str, Any]]
    usage: Usage
    turns: int
    finish_reason: str | None
    tool_calls: tuple[ToolCallRecord, ...] = ()
    run_id: str = ""
    last_message: AssistantMessage = field(default_factory=AssistantMessage)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (used when events are serialized)."""
        return {
            "run_id": self.run_id,
            "text": self.text,
            "turns": self.turns,
            "finish_reason": self.finish_reason,
            "usage": self.usage.to_dict(),
            "tool_calls": [
                {
                    "id": call.id,
                    "name": call.name,
                    "arguments": call.arguments,
                    "output": call.output,
                    "is_error": call.is_error,
                    "duration": call.duration,
                }
                for call in self.tool_calls
            ],
        }
