"""Reading a chat completions request as a model would: the conversation,
the tools offered, the results that came back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._script import RecordedRequest

__all__ = ["Conversation", "text_of"]

OUTPUT_TOOL = "final_result"
"""The function an agent with an ``output_type`` (tool mode) offers for its
final answer."""


@dataclass(frozen=True, slots=True)
class Conversation:
    """One request's conversation and tools.

    Attributes:
        messages: The messages, in OpenAI format (system message included).
        tools: The ``function`` objects of the tools offered (``name``,
            ``description``, ``parameters``...), in request order.
        response_format: The request's ``response_format``, if any.
    """

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    response_format: Mapping[str, Any] | None = None

    @classmethod
    def of(cls, request: RecordedRequest) -> Conversation:
        body = request.json()
        tools = [
            dict(tool["function"])
            for tool in body.get("tools") or []
            if isinstance(tool, Mapping) and isinstance(tool.get("function"), Mapping)
        ]
        response_format = body.get("response_format")
        return cls(
            list(body.get("messages") or []),
            tools,
            response_format if isinstance(response_format, Mapping) else None,
        )

    @property
    def last_role(self) -> str | None:
        return self.messages[-1].get("role") if self.messages else None

    @property
    def question(self) -> str:
        """The text of the last user message."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return text_of(message.get("content"))
        return ""

    @property
    def turn(self) -> int:
        """Which model turn this request asks for, in the current exchange
        (1 when the last user message has just been sent)."""
        return 1 + sum(1 for m in self.since_last_user() if m.get("role") == "assistant")

    def since_last_user(self) -> list[dict[str, Any]]:
        for position in range(len(self.messages) - 1, -1, -1):
            if self.messages[position].get("role") == "user":
                return self.messages[position + 1 :]
        return self.messages

    def tool_results(self) -> list[tuple[str, str]]:
        """``(tool name, output)`` of every tool message since the last user
        message, in order."""
        names: dict[str, str] = {}
        results = []
        for message in self.since_last_user():
            for call in message.get("tool_calls") or []:
                names[call.get("id", "")] = call.get("function", {}).get("name", "tool")
            if message.get("role") == "tool":
                name = names.get(message.get("tool_call_id", ""), "tool")
                results.append((name, text_of(message.get("content"))))
        return results

    def tool(self, name: str) -> dict[str, Any] | None:
        return next((tool for tool in self.tools if tool.get("name") == name), None)

    def usage(self) -> tuple[int, int]:
        """A plausible ``(prompt, completion)`` token count."""
        words = sum(len(text_of(m.get("content")).split()) for m in self.messages)
        return words + 20, 30


def text_of(content: Any) -> str:
    """The text of a message's content (a string or a list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return ""
