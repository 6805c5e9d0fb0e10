"""An independent reading of a streamed body, written from the rules in
``shared/streams/INDEX.md`` and the SSE spec, sharing no code with agentkit.
The fault campaign compares agentkit with it on the bytes a client actually
received (a fault may change them: a duplicated chunk, garbage inside a
string). It is checked against every recording's ``.expected.json``.

It reads the whole body at once, as a spec-following client would, and
stops at the first payload it cannot use (not JSON, not an object, an error
object, an ``event: error``), keeping what came before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ABNORMAL = frozenset({"length", "max_tokens", "content_filter", "error"})


@dataclass
class OracleCall:
    index: int | None
    id: str
    name: str
    arguments: str = ""
    sealed: bool = False


@dataclass
class OracleReading:
    """What the body says. ``failed``: a payload could not be used (the
    reading stops there); ``done``: ``[DONE]`` arrived."""

    content: str = ""
    reasoning: str = ""
    calls: list[OracleCall] = field(default_factory=list)
    finish_reason: Any = None
    usage: dict[str, Any] | None = None
    groq_usage: dict[str, Any] | None = None
    seen_usage: list[dict[str, Any]] = field(default_factory=list)
    seen_finish_reasons: list[Any] = field(default_factory=list)
    done: bool = False
    failed: bool = False

    @property
    def complete(self) -> bool:
        """A whole turn: ``[DONE]``, or a finish reason and then the end."""
        return not self.failed and (self.done or bool(self.finish_reason))

    @property
    def normal_finish(self) -> bool:
        return bool(self.finish_reason) and self.finish_reason not in ABNORMAL

    @property
    def final_usage(self) -> dict[str, Any] | None:
        return self.usage or self.groq_usage


def read(body: bytes) -> OracleReading:
    reading = OracleReading()
    for event_type, data in _events(body):
        if not _apply(reading, event_type, data):
            break
    return reading


# --------------------------------------------------------------------- SSE


def _events(body: bytes) -> list[tuple[str, str]]:
    text = body.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    events: list[tuple[str, str]] = []
    data: list[str] = []
    event_type = "message"
    for line in [*lines, ""]:  # the end of the body dispatches a pending event
        if line == "":
            if data:
                events.append((event_type, "\n".join(data)))
            data, event_type = [], "message"
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event_type = value or "message"
    return events


# ------------------------------------------------------------------ chunks


def _apply(reading: OracleReading, event_type: str, data: str) -> bool:
    """Apply one event; False when the reading must stop."""
    stripped = data.strip()
    if data.startswith("[") and stripped == "[DONE]":
        reading.done = True
        return False
    if event_type != "message":
        if event_type == "error":
            reading.failed = True
            return False
        return True
    if not stripped:
        return True
    try:
        chunk = json.loads(data)
    except ValueError:
        if stripped == "[DONE]":
            reading.done = True
        else:
            reading.failed = True
        return False
    except RecursionError:
        reading.failed = True
        return False
    if not isinstance(chunk, dict) or chunk.get("error"):
        reading.failed = True
        return False
    try:
        _accumulate(reading, chunk)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError):
        reading.failed = True
        return False
    return True


def _accumulate(reading: OracleReading, chunk: dict[str, Any]) -> None:
    usage = chunk.get("usage")
    if usage and isinstance(usage, dict):
        reading.usage = usage
        reading.seen_usage.append(usage)
    elif "x_groq" in chunk:
        extra = chunk["x_groq"]
        groq = extra.get("usage") if isinstance(extra, dict) else None
        if groq and isinstance(groq, dict):
            reading.groq_usage = groq
            reading.seen_usage.append(groq)
    choices = chunk.get("choices") or []
    choice = next((c for c in choices if c.get("index", 0) == 0), None)
    if choice is None:
        return
    delta = choice.get("delta") or {}
    _content(reading, delta.get("content"))
    reasoning = delta.get("reasoning_content")
    if not (reasoning and isinstance(reasoning, str)):
        reasoning = delta.get("reasoning")
    if reasoning and isinstance(reasoning, str):
        reading.reasoning += reasoning
    for fragment in delta.get("tool_calls") or []:
        _tool_call(reading, fragment)
    finish = choice.get("finish_reason")
    if finish:
        reading.finish_reason = finish
        reading.seen_finish_reasons.append(finish)
        if finish not in ABNORMAL:
            for call in reading.calls:
                call.sealed = True


def _content(reading: OracleReading, content: Any) -> None:
    if not content:
        return
    if isinstance(content, str):
        reading.content += content
        return
    if not isinstance(content, list):
        return
    for part in content:
        if isinstance(part, str):
            reading.content += part
        elif isinstance(part, dict) and part.get("type") == "text":
            reading.content += _text(part)
        elif isinstance(part, dict) and part.get("type") == "thinking":
            reading.reasoning += _text(part.get("thinking"))


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(_text(item) for item in value)
    if isinstance(value, dict) and value.get("type") in (None, "text"):
        text = value.get("text")
        return text if isinstance(text, str) else ""
    return ""


def _tool_call(reading: OracleReading, fragment: dict[str, Any]) -> None:
    function = fragment.get("function") or {}
    index = fragment.get("index")
    if isinstance(index, str) and index.strip().isdigit():
        index = int(index)
    elif not isinstance(index, int):
        index = None
    call_id = fragment.get("id") or ""
    call = _find(reading, index, call_id, function)
    if call is None:
        if index is None:
            index = max((c.index for c in reading.calls if c.index is not None), default=-1) + 1
        for earlier in reading.calls:  # a new call seals those that are whole objects
            earlier.sealed = earlier.sealed or _is_object(earlier.arguments)
        call = OracleCall(index, call_id, function.get("name") or "")
        reading.calls.append(call)
    else:
        call.id = call.id or call_id
        call.name = call.name or function.get("name") or ""
    arguments = function.get("arguments")
    if arguments in (None, "") or call.sealed:
        return
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    call.arguments += arguments


def _find(
    reading: OracleReading, index: int | None, call_id: str, function: dict[str, Any]
) -> OracleCall | None:
    if index is not None:
        return next((c for c in reading.calls if c.index == index), None)
    if call_id:
        return next((c for c in reading.calls if c.id == call_id), None)
    if not reading.calls:
        return None
    last = reading.calls[-1]
    whole_call = function.get("name") and function.get("arguments")
    return None if whole_call and _is_object(last.arguments) else last


def _is_object(text: str) -> bool:
    try:
        return text.strip().startswith("{") and isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False
