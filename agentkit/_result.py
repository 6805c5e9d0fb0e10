"""`RunResult`: what a finished (or stopped) run leaves behind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic

from typing_extensions import TypeVar

from ._errors import ToolError
from ._messages import AssistantMessage, Usage

if TYPE_CHECKING:
    from ._approval import ApprovalRequest

__all__ = ["RunResult", "ToolCallRecord"]

OutputT = TypeVar("OutputT", default=str)


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
        turn: The model turn (1-based) that asked for the call; 0 for a call
            run when a paused run resumed (its turn belonged to that run).
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
class RunResult(Generic[OutputT]):
    """The outcome of `Agent.run`.

    Attributes:
        text: The final assistant text (of the last turn).
        messages: The whole conversation as OpenAI-format dicts, ready to send
            again with one more user message (the agent's instructions are
            not included: they are added to every request). Plain JSON: a
            paused run resumes from it, in any process.
        usage: Token usage summed over every turn.
        turns: How many model turns ran.
        finish_reason: The last turn's finish reason (``"stop"``;
            ``"length"``/``"content_filter"`` when the answer was cut;
            ``"approval_required"`` when the run paused for approvals).
        tool_calls: Every tool call executed, in order (the structured-output
            call is not one).
        run_id: The run's id (also on its log lines).
        last_message: The last assistant message, with reasoning.
        output: The validated structured output (``Agent(output_type=...)``);
            without ``output_type``, the final text. None when the run ended
            without one (cut by ``length``, or paused).
        pending_approvals: The calls waiting for a decision when the run
            paused (``finish_reason == "approval_required"``), in call order.
    """

    text: str
    messages: list[dict[str, Any]]
    usage: Usage
    turns: int
    finish_reason: str | None
    tool_calls: tuple[ToolCallRecord, ...] = ()
    run_id: str = ""
    last_message: AssistantMessage = field(default_factory=AssistantMessage)
    output: OutputT = None  # type: ignore[assignment]
    pending_approvals: tuple[ApprovalRequest, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (used when events are serialized)."""
        return {
            "run_id": self.run_id,
            "text": self.text,
            "turns": self.turns,
            "finish_reason": self.finish_reason,
            "usage": self.usage.to_dict(),
            "output": _jsonable(self.output),
            "pending_approvals": [request.to_dict() for request in self.pending_approvals],
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


def _jsonable(value: Any) -> Any:
    """The output as JSON data (models and dataclasses dumped)."""
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    import pydantic_core

    return pydantic_core.to_jsonable_python(value)
