"""SSE event payloads to chunk dicts, with typed errors for bad payloads.

`fast_loads` parses the common event (one ``data:`` line holding a JSON
object) straight from the bytes (`TurnDecoder` does that inline); anything
unusual goes through `chunk_from_event`, which knows every case and words
the errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ._errors import MalformedChunkError, ProviderStreamError, excerpt
from ._json import MAX_DEPTH, JSONNestingError, check_depth, loads
from ._sse import ServerSentEvent

__all__ = [
    "DONE",
    "chunk_from_event",
    "fast_loads",
    "scan_loads",
    "scan_once",
]

DONE = object()
"""Returned by `chunk_from_event` for ``data: [DONE]``."""

_json_loads = json.loads
# The C scanner without json.loads' wrappers (type checks, encoding
# detection, two whitespace regexes): a third of the cost of a small chunk.
scan_once: Any = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def scan_loads(payload: bytes) -> Any:
    """A JSON payload's value, with the standard library's C scanner.

    Raises:
        ValueError, StopIteration, RecursionError: Not one JSON value.
    """
    text = payload.decode()
    value, end = scan_once(text, 0)
    if end != len(text):
        raise ValueError("extra data after the JSON value")
    return value


fast_loads: Callable[[bytes], Any]
try:  # pip install "agentkit[speed]": half the cost of a chunk again
    from orjson import loads as fast_loads
except ImportError:  # pragma: no cover - depends on the environment
    fast_loads = scan_loads
"""Parses the common chunk: orjson when installed, else `scan_loads`. Any
payload it refuses goes through `chunk_from_event`, so both give the same
chunks and the same errors."""
_SHALLOW_LENGTH = 2 * MAX_DEPTH  # valid JSON this short cannot nest deeper


def chunk_from_event(event: ServerSentEvent) -> dict[str, Any] | object | None:
    """The chunk dict an SSE event carries, `DONE` at the end of the stream,
    or None for events that carry nothing (keep-alives, unknown event types).

    Raises:
        MalformedChunkError: The payload is not a JSON object, or is nested
            more than 100 levels deep.
        ProviderStreamError: The payload carries an ``error`` object, or the
            event is an ``event: error`` (whatever its data).
    """
    data = event.data
    if data[:1] == "[" and data.strip() == "[DONE]":
        return DONE
    if event.event != "message":
        if event.event == "error":
            raise _provider_error(_error_payload(data), data)
        return None
    if not data.strip():
        return None
    try:
        chunk = _json_loads(data)
        if len(data) > _SHALLOW_LENGTH:
            check_depth(data)  # what follows walks the chunk recursively
    except (ValueError, RecursionError) as error:
        if data.strip() == "[DONE]":
            return DONE
        reason = error if isinstance(error, ValueError) else JSONNestingError()
        raise MalformedChunkError(
            f"The stream sent a payload that is not JSON ({reason}): {excerpt(data)!r}",
            payload=excerpt(data),
        ) from None
    if chunk.__class__ is not dict:
        raise MalformedChunkError(
            f"The stream sent a JSON payload that is not an object: {excerpt(data)!r}",
            payload=excerpt(data),
        )
    if chunk.get("error"):
        raise _provider_error(chunk, data)
    return chunk


def _error_payload(data: str) -> Any:
    """The payload of an ``event: error``: its JSON, or the text itself
    (whatever it is, the provider reported an error)."""
    try:
        return loads(data)
    except ValueError:
        return data.strip() or "unknown error"


def _provider_error(chunk: Any, data: str) -> ProviderStreamError:
    error = (chunk.get("error") or chunk) if isinstance(chunk, dict) else chunk
    if isinstance(error, dict):
        detail = error.get("message") or error.get("type") or error.get("code") or "unknown error"
    else:
        detail = str(error)
    return ProviderStreamError(
        f"The provider reported an error mid-stream: {excerpt(str(detail))}. "
        f"Payload: {excerpt(data)!r}",
        error=error,
        payload=excerpt(data),
    )
