"""Serving one run to a browser over ASGI: `EventStreamResponse` streams its
events as Server-Sent Events.

The run lives inside the response's own task group, never inside a
generator, so a client that disconnects cancels it cleanly: the model's HTTP
stream is closed and running tools are cancelled. A client that stays
connected but stops reading is treated the same once a write to it has
waited ``send_timeout`` seconds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

import anyio

from .._agent import Agent, Approvals
from .._errors import AgentkitError
from .._logging import get_logger
from ._protocols import StreamProtocol, protocol_named

__all__ = ["ASGIApp", "ClientGone", "EventStreamResponse", "json_error"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
"""An ASGI 3 application."""


class ClientGone(Exception):
    """The client disconnected, or stopped reading for too long."""


class _SSEWriter:
    """Writes SSE frames through ASGI ``send``, one frame at a time; a write
    that waits longer than ``timeout`` means the client stopped reading."""

    def __init__(self, send: Send, timeout: float | None) -> None:
        self._send = send
        self._timeout = timeout
        self._lock = anyio.Lock()
        self.last_write = time.monotonic()

    async def start(self, status: int, headers: Mapping[str, str]) -> None:
        await self._write(
            {"type": "http.response.start", "status": status, "headers": _encoded(headers)}
        )

    async def data(self, payload: str) -> None:
        await self._body(f"data: {payload}\n\n".encode())

    async def comment(self, text: str) -> None:
        await self._body(f": {text}\n\n".encode())

    async def end(self) -> None:
        await self._write({"type": "http.response.body", "body": b"", "more_body": False})

    async def _body(self, frame: bytes) -> None:
        await self._write({"type": "http.response.body", "body": frame, "more_body": True})

    async def _write(self, message: Message) -> None:
        async with self._lock:
            with anyio.move_on_after(self._timeout) as waited:
                try:
                    await self._send(message)
                except OSError as error:
                    raise ClientGone("the client disconnected") from error
            if waited.cancelled_caught:
                raise ClientGone(f"the client read nothing for {self._timeout:g} s")
            self.last_write = time.monotonic()


class EventStreamResponse:
    """An ASGI response that runs ``agent`` on ``input`` and streams the run's
    events as Server-Sent Events.

    Return it from a Starlette endpoint, or call it with ``(scope, receive,
    send)`` from any ASGI app. The body is one JSON payload per ``data:``
    line, ``: keep-alive`` comments while the run is quiet, a final error
    event if the run fails, then ``data: [DONE]``. A client disconnect
    cancels the run, and so does a client that stops reading: once one write
    has waited ``send_timeout`` seconds (the run's events wait meanwhile in
    a buffer of 64).

    Args:
        agent: The agent to run.
        input: A user message or a conversation (as for `Agent.run`).
        deps: Passed to the tools as ``RunContext.deps``.
        protocol: ``"agentkit"`` (agentkit's events, ``event.to_dict()``) or
            ``"vercel"`` (the AI SDK UI message stream that ``useChat`` reads),
            or a `StreamProtocol` object made for this one response (such as
            ``VercelProtocol(VercelUIStream(secret=...))``).
        heartbeat: Seconds of silence before a keep-alive comment (None: never).
        headers: Extra response headers.
        send_timeout: Seconds one write to the client may wait before the run
            is cancelled (None: forever).
        approvals: Decisions that resume a paused ``input`` (as for
            `Agent.run`).
    """

    def __init__(
        self,
        agent: Agent[Any],
        input: Any,
        *,
        deps: Any = None,
        protocol: str | StreamProtocol = "agentkit",
        heartbeat: float | None = 15.0,
        headers: Mapping[str, str] | None = None,
        send_timeout: float | None = 30.0,
        approvals: Approvals | None = None,
    ) -> None:
        self.agent = agent
        self.input = input
        self.deps = deps
        self.protocol = protocol
        self.heartbeat = heartbeat
        self.headers = dict(headers or {})
        self.send_timeout = send_timeout
        self.approvals = approvals
        if isinstance(protocol, str):
            protocol_named(protocol)  # fail early on a bad name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        protocol = (
            protocol_named(self.protocol) if isinstance(self.protocol, str) else self.protocol
        )
        headers = {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
            "x-accel-buffering": "no",
            **protocol.headers,
            **self.headers,
        }
        writer = _SSEWriter(send, self.send_timeout)
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(_cancel_on_disconnect, receive, task_group.cancel_scope)
            if self.heartbeat:
                task_group.start_soon(_keep_alive, writer, self.heartbeat, task_group.cancel_scope)
            try:
                await writer.start(200, headers)
                await self._stream(writer, protocol)
            except ClientGone as gone:
                get_logger("agentkit.ui").info("ui.client_gone", reason=str(gone))
            task_group.cancel_scope.cancel()

    async def _stream(self, writer: _SSEWriter, protocol: StreamProtocol) -> None:
        try:
            async with self.agent.stream(
                self.input, deps=self.deps, approvals=self.approvals
            ) as run:
                async for event in run:
                    for payload in protocol.payloads(event):
                        await writer.data(payload)
        except AgentkitError:
            pass  # its run.failed event was already written
        except ClientGone:
            raise
        except Exception as error:  # a bug, not a run failure: still end the stream cleanly
            get_logger("agentkit.ui").error("ui.stream_failed", exc_info=error)
            for payload in protocol.failure(error):
                await writer.data(payload)
        await writer.data("[DONE]")
        await writer.end()


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            get_logger("agentkit.ui").info("ui.disconnect")
            scope.cancel()
            return


async def _keep_alive(writer: _SSEWriter, every: float, scope: anyio.CancelScope) -> None:
    while True:
        await anyio.sleep(max(0.0, writer.last_write + every - time.monotonic()))
        if time.monotonic() - writer.last_write >= every:
            try:
                await writer.comment("keep-alive")
            except ClientGone as gone:
                get_logger("agentkit.ui").info("ui.client_gone", reason=str(gone))
                scope.cancel()
                return


async def json_error(
    send: Send, status: int, message: str, headers: Mapping[str, str] | None = None
) -> None:
    """Answer with ``{"error": {"message": ...}}`` and ``status``."""
    body = json.dumps({"error": {"message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *_encoded(headers or {}),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _encoded(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
