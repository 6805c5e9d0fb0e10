"""Messages in the shapes the GenAI conventions give them on spans
(``gen_ai.input.messages``, ``gen_ai.output.messages``): OpenAI-format
dicts become ``{"role", "parts": [...]}`` with ``text``, ``reasoning``,
``tool_call``, ``tool_call_response`` and ``uri`` parts, serialized as JSON
(span attributes cannot hold structures in Python yet, so the convention
asks for a JSON string). Only built when ``capture_content`` is on."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .._messages import AssistantMessage

__all__ = ["input_messages_json", "output_messages_json", "to_json"]

_FINISH_REASONS = {"tool_calls": "tool_call", "function_call": "tool_call"}
"""OpenAI finish reasons the convention names differently."""


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def input_messages_json(messages: Sequence[Mapping[str, Any]]) -> str:
    """``gen_ai.input.messages``: the request's messages, in order."""
    return to_json([_message(message) for message in messages])


def output_messages_json(message: AssistantMessage) -> str:
    """``gen_ai.output.messages``: the turn's one choice."""
    finish_reason = message.finish_reason or "error"
    return to_json(
        [
            {
                "role": "assistant",
                "parts": _assistant_parts(message.to_dict(), message.reasoning),
                "finish_reason": _FINISH_REASONS.get(finish_reason, finish_reason),
            }
        ]
    )


def _message(message: Mapping[str, Any]) -> dict[str, Any]:
    role = message.get("role")
    if role == "developer":
        role = "system"
    if role == "tool":
        response = {
            "type": "tool_call_response",
            "id": message.get("tool_call_id"),
            "response": _text_of(message.get("content")),
        }
        return {"role": "tool", "parts": [response]}
    if role == "assistant":
        reasoning = message.get("reasoning_content")
        return {"role": role, "parts": _assistant_parts(message, reasoning)}
    converted: dict[str, Any] = {"role": role, "parts": _content_parts(message.get("content"))}
    if isinstance(message.get("name"), str):
        converted["name"] = message["name"]
    return converted


def _assistant_parts(message: Mapping[str, Any], reasoning: Any) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if isinstance(reasoning, str) and reasoning:
        parts.append({"type": "reasoning", "content": reasoning})
    parts += _content_parts(message.get("content"))
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        parts.append(
            {
                "type": "tool_call",
                "id": call.get("id"),
                "name": function.get("name"),
                "arguments": _arguments(function.get("arguments")),
            }
        )
    return parts


def _content_parts(content: Any) -> list[dict[str, Any]]:
    if content is None or content == "":
        return []
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    if not isinstance(content, list):
        return [{"type": "text", "content": str(content)}]
    parts: list[dict[str, Any]] = []
    for part in content:
        if not isinstance(part, Mapping):
            continue
        kind = part.get("type")
        if kind == "text":
            parts.append({"type": "text", "content": part.get("text", "")})
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, Mapping) else image
            parts.append({"type": "uri", "modality": "image", "uri": str(url)})
        else:
            parts.append({"type": str(kind)})
    return parts


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return "" if content is None else str(content)


def _arguments(arguments: Any) -> Any:
    """The convention expects an object: the JSON string parsed when it parses."""
    if not isinstance(arguments, str):
        return arguments
    try:
        return json.loads(arguments)
    except ValueError:
        return arguments
