"""What a reasoning model needs back in later requests, and how to stop
sending what an endpoint rejects.

An assistant message with tool calls goes back with the reasoning its stream
delivered, in the provider's own fields (`ROUND_TRIP_FIELDS`):

- ``reasoning_content`` (DeepSeek, Kimi, xAI, Z.ai, llama.cpp...): the
  streamed pieces concatenated;
- ``reasoning_details`` (OpenRouter, the Vercel AI Gateway): the streamed
  pieces merged per (``type``, ``index``), see `merge_reasoning_details`;
- each tool call's ``extra_content`` (Gemini's ``thought_signature``), as
  streamed.

Plain ``reasoning`` never goes back (Groq and Cerebras reject it), nor the
reasoning of a turn without tool calls. An endpoint that answers 400 naming
one of these fields as unsupported gets requests without it from then on
(`rejected_fields`, `without_fields`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "ROUND_TRIP_FIELDS",
    "merge_reasoning_details",
    "rejected_fields",
    "without_fields",
]

ROUND_TRIP_FIELDS = ("reasoning_content", "reasoning_details", "extra_content")
"""Provider fields an assistant message with tool calls carries back."""

_CONCATENATED = ("text", "summary", "data")

_REJECTION = re.compile(
    r"unsupported|not supported|unrecognized|unrecognised|unknown|not permitted|"
    r"not allowed|extra (?:inputs|fields|field|keys)|additional propert|invalid (?:field|key)",
    re.IGNORECASE,
)


def merge_reasoning_details(merged: list[dict[str, Any]], pieces: Any) -> None:
    """Fold streamed ``reasoning_details`` pieces into ``merged``: pieces with
    the same ``type`` and ``index`` are one entry, whose ``text``,
    ``summary`` and ``data`` concatenate while other fields keep their last
    non-empty value; entries stay in first-seen order."""
    if not isinstance(pieces, list):
        return
    for piece in pieces:
        if not isinstance(piece, dict):
            continue
        entry = _entry_for(merged, piece)
        if entry is None:
            merged.append(dict(piece))
            continue
        for key, value in piece.items():
            if key in _CONCATENATED and isinstance(value, str):
                previous = entry.get(key)
                entry[key] = previous + value if isinstance(previous, str) else value
            elif value not in (None, "", [], {}):
                entry[key] = value


def _entry_for(merged: list[dict[str, Any]], piece: dict[str, Any]) -> dict[str, Any] | None:
    kind, index = piece.get("type"), piece.get("index")
    for entry in merged:
        if entry.get("type") == kind and entry.get("index") == index:
            return entry
    return None


def rejected_fields(body: str, candidates: Iterable[str] = ROUND_TRIP_FIELDS) -> set[str]:
    """The round-trip fields a 400 answer's ``body`` names as not accepted
    (``"property 'reasoning_content' is unsupported"``, ``"Extra inputs are
    not permitted"`` next to the field's name...); empty when it names none,
    or names one without saying it is not accepted."""
    if not _REJECTION.search(body):
        return set()
    return {field for field in candidates if field in body}


def without_fields(
    messages: Sequence[Mapping[str, Any]], fields: set[str]
) -> list[Mapping[str, Any]]:
    """``messages`` with ``fields`` removed from every assistant message (and
    ``extra_content`` from their tool calls). Messages that carry none of
    them are kept as they are (not copied)."""
    return [_stripped(message, fields) for message in messages]


def _stripped(message: Mapping[str, Any], fields: set[str]) -> Mapping[str, Any]:
    if message.get("role") != "assistant":
        return message
    calls = message.get("tool_calls")
    strip_calls = (
        "extra_content" in fields
        and isinstance(calls, list)
        and any(isinstance(call, Mapping) and "extra_content" in call for call in calls)
    )
    if not strip_calls and not any(field in message for field in fields):
        return message
    copy = {key: value for key, value in message.items() if key not in fields}
    if strip_calls:
        copy["tool_calls"] = [
            {key: value for key, value in call.items() if key != "extra_content"}
            if isinstance(call, Mapping)
            else call
            for call in calls  # type: ignore[union-attr]
        ]
    return copy
