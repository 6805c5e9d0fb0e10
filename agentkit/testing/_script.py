"""What the scripted server answers: responses made of chunks, raw bytes,
pauses and faults, plus helpers that build realistic chunk lists."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Disconnect",
    "Pause",
    "RecordedRequest",
    "ScriptedResponse",
    "Step",
    "error_response",
    "raw_response",
    "sse_bytes",
    "text_chunks",
    "text_response",
    "tool_call_chunks",
    "tool_call_response",
    "usage_chunk",
]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request the server received.

    Attributes:
        method: ``"POST"``...
        path: The request target, for example ``/v1/chat/completions``.
        headers: Header names in lower case.
        body: The raw body.
    """

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class Pause:
    """Wait ``seconds`` before the next step; None stalls until the client
    disconnects or the server stops (the connection stays open)."""

    seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Disconnect:
    """Close the connection at this point, without ending the HTTP body."""


Step = Mapping[str, Any] | bytes | str | Pause | Disconnect
"""One step of a streamed body: a chunk dict (sent as ``data: {json}``), raw
bytes or text sent as is, a `Pause`, or a `Disconnect`."""


@dataclass(slots=True)
class ScriptedResponse:
    """One scripted answer of `ScriptedServer`.

    Attributes:
        steps: The streamed body, in order (see `Step`). Ignored when
            ``body`` is set.
        status: HTTP status.
        headers: Extra response headers.
        body: A fixed (non-streamed) body, for error answers.
        done: Send ``data: [DONE]`` after the steps.
        chunk_delay: Seconds to wait before each chunk step.
        headers_delay: Seconds to wait before sending the status line.
        close_after_bytes: Cut the connection after this many body bytes
            (mid-chunk if it falls there), without ending the HTTP body.
    """

    steps: Sequence[Step] = ()
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    done: bool = True
    chunk_delay: float = 0.0
    headers_delay: float = 0.0
    close_after_bytes: int | None = None


def sse_bytes(chunk: Mapping[str, Any] | str) -> bytes:
    """One SSE event carrying ``chunk`` (a dict as JSON, or a string as is)."""
    data = chunk if isinstance(chunk, str) else json.dumps(chunk, separators=(",", ":"))
    return f"data: {data}\n\n".encode()


def _chunk(delta: Mapping[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "scripted",
        "choices": [{"index": 0, "delta": dict(delta), "finish_reason": finish_reason}],
    }


def usage_chunk(prompt_tokens: int = 10, completion_tokens: int = 5) -> dict[str, Any]:
    """The final usage chunk (empty ``choices``), as OpenAI sends it."""
    chunk = _chunk({})
    chunk["choices"] = []
    chunk["usage"] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    return chunk


def text_chunks(
    text: str,
    *,
    pieces: int | None = None,
    finish_reason: str | None = "stop",
    usage: tuple[int, int] | None = (10, 5),
) -> list[dict[str, Any]]:
    """Chunks that stream ``text``: a role chunk, the text split into
    ``pieces`` parts (one per word by default), a finish chunk, a usage chunk."""
    chunks = [_chunk({"role": "assistant", "content": ""})]
    chunks += [_chunk({"content": part}) for part in _split(text, pieces)]
    return chunks + _ending(finish_reason, usage)


def tool_call_chunks(
    calls: Iterable[tuple[str, Mapping[str, Any] | str]],
    *,
    fragments: int = 3,
    text: str = "",
    finish_reason: str | None = "tool_calls",
    usage: tuple[int, int] | None = (10, 5),
    id_prefix: str = "call_",
) -> list[dict[str, Any]]:
    """Chunks of parallel tool calls as OpenAI streams them: per call, a first
    fragment with index, id and name, then the arguments in ``fragments``
    pieces; calls one after the other by index.

    Args:
        calls: ``(name, arguments)`` pairs; arguments as a dict or a JSON string.
        fragments: Pieces each call's arguments are split into.
        text: Optional text streamed before the calls.
        finish_reason: The finish reason (None for a stream cut before it).
        usage: ``(prompt, completion)`` tokens for the usage chunk, or None.
        id_prefix: Call ids are ``id_prefix + index``.
    """
    chunks = [_chunk({"role": "assistant", "content": None})]
    chunks += [_chunk({"content": part}) for part in _split(text, None)] if text else []
    for index, (name, arguments) in enumerate(calls):
        encoded = arguments if isinstance(arguments, str) else json.dumps(arguments)
        first = {
            "index": index,
            "id": f"{id_prefix}{index}",
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        chunks.append(_chunk({"tool_calls": [first]}))
        for piece in _split_evenly(encoded, fragments):
            fragment = {"index": index, "function": {"arguments": piece}}
            chunks.append(_chunk({"tool_calls": [fragment]}))
    return chunks + _ending(finish_reason, usage)


def text_response(text: str, **options: Any) -> ScriptedResponse:
    """A streamed answer with ``text`` (options as in `text_chunks`, plus
    ``chunk_delay``)."""
    delay = options.pop("chunk_delay", 0.0)
    return ScriptedResponse(text_chunks(text, **options), chunk_delay=delay)


def tool_call_response(
    calls: Iterable[tuple[str, Mapping[str, Any] | str]], **options: Any
) -> ScriptedResponse:
    """A streamed turn of tool calls (options as in `tool_call_chunks`, plus
    ``chunk_delay``)."""
    delay = options.pop("chunk_delay", 0.0)
    return ScriptedResponse(tool_call_chunks(calls, **options), chunk_delay=delay)


def error_response(
    status: int, message: str = "scripted error", headers: Mapping[str, str] | None = None
) -> ScriptedResponse:
    """A non-2xx answer with an OpenAI-style JSON error body."""
    body = json.dumps({"error": {"message": message, "type": "scripted", "code": status}})
    return ScriptedResponse(status=status, headers=dict(headers or {}), body=body.encode())


def raw_response(
    data: bytes, *, pieces: Sequence[int] = (), delay: float = 0.0
) -> ScriptedResponse:
    """Stream ``data`` exactly, cut at the given byte offsets (each piece
    written separately, ``delay`` seconds apart). No ``[DONE]`` is added."""
    bounds = [0, *sorted({offset for offset in pieces if 0 < offset < len(data)}), len(data)]
    parts = [data[start:end] for start, end in itertools.pairwise(bounds) if end > start]
    return ScriptedResponse(parts, done=False, chunk_delay=delay)


def _ending(finish_reason: str | None, usage: tuple[int, int] | None) -> list[dict[str, Any]]:
    """The finish chunk and the usage chunk, each when asked for."""
    ending = [] if finish_reason is None else [_chunk({}, finish_reason)]
    return ending if usage is None else [*ending, usage_chunk(*usage)]


def _split(text: str, pieces: int | None) -> list[str]:
    if pieces is None:
        return re.findall(r"\s*\S+|\s+$", text)
    return _split_evenly(text, pieces)


def _split_evenly(text: str, pieces: int) -> list[str]:
    pieces = max(1, min(pieces, len(text) or 1))
    size, extra = divmod(len(text), pieces)
    parts, start = [], 0
    for i in range(pieces):
        end = start + size + (1 if i < extra else 0)
        parts.append(text[start:end])
        start = end
    return [part for part in parts if part] or [text]
