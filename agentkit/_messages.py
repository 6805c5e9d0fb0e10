"""Message data types: the assistant message a turn produces, its tool calls
and its token usage. Conversations themselves stay plain OpenAI-format dicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ABNORMAL_FINISH_REASONS",
    "TRUNCATION_FINISH_REASONS",
    "AssistantMessage",
    "ToolCall",
    "Usage",
    "is_abnormal_finish",
]

TRUNCATION_FINISH_REASONS = frozenset({"length", "max_tokens", "content_filter"})
"""Finish reasons of an answer that was cut: by the output limit (``length``,
or ``max_tokens`` on some servers) or by the provider's content filter."""

ABNORMAL_FINISH_REASONS = TRUNCATION_FINISH_REASONS | {"error"}


def is_abnormal_finish(finish_reason: str | None) -> bool:
    """Whether a turn that ended with ``finish_reason`` was cut or failed, so
    that a tool call still streaming at that point must not be trusted. None
    (a stream that completed without naming a reason) is not abnormal."""
    return finish_reason in ABNORMAL_FINISH_REASONS


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One function call the model asked for.

    Attributes:
        id: The provider's call id (tool results refer to it).
        name: The function name.
        arguments: The complete arguments as the JSON string the model wrote.
        index: The call's position in the turn (the wire ``index``).
        extra_content: Provider data streamed with the call, sent back with
            it as is (Gemini's ``{"google": {"thought_signature": ...}}``),
            or None.
    """

    id: str
    name: str
    arguments: str
    index: int = 0
    extra_content: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The call in OpenAI message format (with its ``extra_content``)."""
        call: dict[str, Any] = {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }
        if self.extra_content is not None:
            call["extra_content"] = self.extra_content
        return call


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one turn, or summed over a run.

    A provider that sends no usage (some local servers ignore
    ``stream_options.include_usage``) leaves a turn's usage None and adds
    nothing to the run's sum: `reports` tells a sum of zero reports ("not
    reported") from a real zero.

    Attributes:
        prompt_tokens: Tokens in the request.
        completion_tokens: Tokens generated.
        total_tokens: Their sum, as the provider reported it.
        details: The usage object exactly as the provider sent it (with
            ``prompt_tokens_details``, timings and other extras), or the
            field-wise sum of those objects for a run.
        reports: How many provider usage objects these counts come from: 1
            for a turn's usage, the number of turns that reported usage for
            a run's sum (compare with `RunResult.turns`), 0 when none did.
            Not part of equality.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    details: Mapping[str, Any] = field(default_factory=dict)
    reports: int = field(default=0, compare=False)

    @classmethod
    def from_dict(cls, usage: Mapping[str, Any]) -> Usage:
        """Build from a provider's ``usage`` object (missing counts are 0)."""
        prompt = _as_int(usage.get("prompt_tokens"))
        completion = _as_int(usage.get("completion_tokens"))
        total = _as_int(usage.get("total_tokens")) or prompt + completion
        return cls(prompt, completion, total, dict(usage), reports=1)

    @property
    def reported(self) -> bool:
        """Whether any provider usage object went into these counts."""
        return self.reports > 0

    def to_dict(self) -> dict[str, Any]:
        """The usage object as the provider sent it (counts always present)."""
        return {
            **self.details,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.total_tokens + other.total_tokens,
            _sum_numbers(self.details, other.details),
            self.reports + other.reports,
        )


@dataclass(frozen=True, slots=True)
class AssistantMessage:
    """The assistant message accumulated from one streamed turn.

    Attributes:
        content: The answer text ("" when there was none).
        reasoning: Reasoning text from ``reasoning_content``/``reasoning``
            deltas or ``thinking`` parts ("" when there was none).
        refusal: The refusal text, or None.
        tool_calls: The complete tool calls, in index order.
        finish_reason: Why the model stopped, or None if the stream broke.
        usage: Token usage of the turn (the last one the provider sent), or
            None when the provider reported none.
        reasoning_content: The ``reasoning_content`` pieces concatenated
            ("" when the stream had none): sent back with tool calls.
        reasoning_details: The ``reasoning_details`` pieces merged per
            ``type`` and ``index`` (empty when the stream had none): sent
            back with tool calls.
        response_id: The ``id`` of the stream's chunks, or None.
        response_model: The ``model`` the chunks named, or None.
    """

    content: str = ""
    reasoning: str = ""
    refusal: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    usage: Usage | None = None
    reasoning_content: str = ""
    reasoning_details: tuple[Mapping[str, Any], ...] = ()
    response_id: str | None = None
    response_model: str | None = None

    @property
    def is_truncated(self) -> bool:
        """The answer was cut: by the output limit (``length``/``max_tokens``)
        or by the provider's content filter (``content_filter``)."""
        return self.finish_reason in TRUNCATION_FINISH_REASONS

    @property
    def is_output_limit(self) -> bool:
        """The answer was cut by the output limit (``length``/``max_tokens``)."""
        return self.finish_reason in ("length", "max_tokens")

    @property
    def ended_normally(self) -> bool:
        """The turn was neither cut nor failed (``finish_reason`` ``stop``,
        ``tool_calls``, another provider reason, or none named): its tool
        calls may run."""
        return not is_abnormal_finish(self.finish_reason)

    def to_dict(self) -> dict[str, Any]:
        """The message in OpenAI format, ready to append to the conversation.

        ``content`` is always a string ("" beside tool calls: llama.cpp's
        server rejects null, and OpenAI accepts ""). A message with tool calls
        carries the reasoning the provider needs back: ``reasoning_content``,
        ``reasoning_details`` and each call's ``extra_content``, when the
        stream had them. Plain ``reasoning``, and the reasoning of a message
        without tool calls, are never included (some providers reject them).
        """
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [call.to_dict() for call in self.tool_calls]
            if self.reasoning_content:
                message["reasoning_content"] = self.reasoning_content
            if self.reasoning_details:
                message["reasoning_details"] = [dict(detail) for detail in self.reasoning_details]
        if self.refusal:
            message["refusal"] = self.refusal
        return message


def _as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _sum_numbers(left: Mapping[str, Any], right: Mapping[str, Any]) -> dict[str, Any]:
    """Field-wise sum of two usage objects; nested objects are summed too,
    non-numeric fields keep the latest value."""
    merged: dict[str, Any] = dict(left)
    for key, value in right.items():
        previous = merged.get(key)
        if isinstance(value, Mapping) and isinstance(previous, Mapping):
            merged[key] = _sum_numbers(previous, value)
        elif _is_number(value) and _is_number(previous):
            merged[key] = previous + value
        else:
            merged[key] = value
    return merged


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
