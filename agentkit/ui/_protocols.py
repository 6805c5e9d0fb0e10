"""How a run's events are written to a browser: agentkit's own SSE events, or
the Vercel AI SDK UI message stream. Each protocol turns one event into zero
or more SSE ``data:`` payloads."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from .._events import Event, RunFailed
from ._vercel import VercelUIStream

__all__ = ["AgentkitProtocol", "StreamProtocol", "VercelProtocol", "protocol_named"]


class StreamProtocol(Protocol):
    """Turns events into SSE payloads (JSON strings, without ``data:``)."""

    headers: Mapping[str, str]

    def payloads(self, event: Event) -> list[str]:
        """Payloads for one event."""
        ...

    def failure(self, error: BaseException) -> list[str]:
        """Payloads for an error that ended the stream without a ``run.failed``."""
        ...


class AgentkitProtocol:
    """agentkit's events as they are: one ``event.to_dict()`` per ``data:``
    line; errors as a final ``run.failed`` event."""

    headers: Mapping[str, str] = {}

    def payloads(self, event: Event) -> list[str]:
        return [_dumps(event.to_dict())]

    def failure(self, error: BaseException) -> list[str]:
        return self.payloads(RunFailed(error))


class VercelProtocol:
    """The Vercel AI SDK's UI message stream (what ``useChat`` reads).

    Args:
        stream: The translation to use (a fresh `VercelUIStream` when None).
    """

    headers: Mapping[str, str] = {"x-vercel-ai-ui-message-stream": "v1"}

    def __init__(self, stream: VercelUIStream | None = None) -> None:
        self._stream = stream or VercelUIStream()

    def payloads(self, event: Event) -> list[str]:
        return [_dumps(part) for part in self._stream.parts(event)]

    def failure(self, error: BaseException) -> list[str]:
        return [_dumps(part) for part in self._stream.error_parts(error)]


def protocol_named(name: str) -> StreamProtocol:
    """``"agentkit"`` or ``"vercel"``."""
    if name == "agentkit":
        return AgentkitProtocol()
    if name == "vercel":
        return VercelProtocol()
    raise ValueError(f"unknown stream protocol {name!r}: use 'agentkit' or 'vercel'")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
