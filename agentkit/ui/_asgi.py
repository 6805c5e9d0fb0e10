"""Serving runs to browsers over ASGI: `EventStreamResponse` streams one run
as Server-Sent Events; `chat_app` is a whole ``POST /chat`` endpoint.

The run lives inside the response's own task group, never inside a
generator, so a client that disconnects cancels it cleanly: the model's HTTP
stream is closed and running tools are cancelled.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

import anyio

from .._agent import Agent
from .._errors import AgentkitError
from .._logging import get_logger
from .._sync import close_model_pool
from ._protocols import StreamProtocol, protocol_named
from ._vercel import ui_messages_to_openai

__all__ = ["ASGIApp", "ChatApp", "EventStreamResponse", "chat_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
"""An ASGI 3 application."""

_MAX_BODY = 8 * 1024 * 1024


class _ClientGone(Exception):
    """Sending failed: the client disconnected."""


class _SSEWriter:
    """Writes SSE frames through ASGI ``send``, one frame at a time."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._lock = anyio.Lock()
        self.last_write = time.monotonic()

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
            try:
                await self._send(message)
            except OSError as error:
                raise _ClientGone() from error
            self.last_write = time.monotonic()


class EventStreamResponse:
    """An ASGI response that runs ``agent`` on ``input`` and streams the run's
    events as Server-Sent Events.

    Return it from a Starlette endpoint, or call it with ``(scope, receive,
    send)`` from any ASGI app. The body is one JSON payload per ``data:``
    line, ``: keep-alive`` comments while the run is quiet, a final error
    event if the run fails, then ``data: [DONE]``. A client disconnect
    cancels the run.

    Args:
        agent: The agent to run.
        input: A user message or a conversation (as for `Agent.run`).
        deps: Passed to the tools as ``RunContext.deps``.
        protocol: ``"agentkit"`` (agentkit's events, ``event.to_dict()``) or
            ``"vercel"`` (the AI SDK UI message stream that ``useChat`` reads).
        heartbeat: Seconds of silence before a keep-alive comment (None: never).
        headers: Extra response headers.
    """

    def __init__(
        self,
        agent: Agent[Any],
        input: Any,
        *,
        deps: Any = None,
        protocol: str = "agentkit",
        heartbeat: float | None = 15.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.agent = agent
        self.input = input
        self.deps = deps
        self.protocol = protocol
        self.heartbeat = heartbeat
        self.headers = dict(headers or {})
        protocol_named(protocol)  # fail early on a bad name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        protocol = protocol_named(self.protocol)
        headers = {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
            "x-accel-buffering": "no",
            **protocol.headers,
            **self.headers,
        }
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
            }
        )
        writer = _SSEWriter(send)
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(_cancel_on_disconnect, receive, task_group.cancel_scope)
            if self.heartbeat:
                task_group.start_soon(_keep_alive, writer, self.heartbeat)
            try:
                await self._stream(writer, protocol)
            except _ClientGone:
                get_logger("agentkit.ui").info("ui.client_gone")
            task_group.cancel_scope.cancel()

    async def _stream(self, writer: _SSEWriter, protocol: StreamProtocol) -> None:
        try:
            async with self.agent.stream(self.input, deps=self.deps) as run:
                async for event in run:
                    for payload in protocol.payloads(event):
                        await writer.data(payload)
        except AgentkitError:
            pass  # its run.failed event was already written
        except _ClientGone:
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


async def _keep_alive(writer: _SSEWriter, every: float) -> None:
    while True:
        await anyio.sleep(max(0.0, writer.last_write + every - time.monotonic()))
        if time.monotonic() - writer.last_write >= every:
            try:
                await writer.comment("keep-alive")
            except _ClientGone:
                return


class ChatApp:
    """The ASGI application made by `chat_app` (a class, so Starlette's
    ``Route`` treats it as an ASGI app rather than a request handler)."""

    def __init__(
        self, agent: Agent[Any], *, protocol: str, deps: Any, heartbeat: float | None
    ) -> None:
        protocol_named(protocol)
        self.agent = agent
        self.protocol = protocol
        self.deps = deps
        self.heartbeat = heartbeat

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope.get("method") != "POST":
            await _json_error(send, 405, "use POST with a JSON body holding 'messages'")
            return
        body = await _read_body(receive)
        if body is None:
            await _json_error(send, 413, f"the request body is over {_MAX_BODY} bytes")
            return
        try:
            payload = json.loads(body)
            messages = payload["messages"]
            if not isinstance(messages, list):
                raise TypeError("'messages' must be a list")
        except (ValueError, KeyError, TypeError) as error:
            await _json_error(send, 400, f"expected a JSON body with a 'messages' list ({error})")
            return
        deps = self.deps(payload) if callable(self.deps) else self.deps
        response = EventStreamResponse(
            self.agent,
            ui_messages_to_openai(messages),
            deps=deps,
            protocol=self.protocol,
            heartbeat=self.heartbeat,
        )
        await response(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await close_model_pool(self.agent.model)
                await send({"type": "lifespan.shutdown.complete"})
                return


def chat_app(
    agent: Agent[Any],
    *,
    protocol: str = "vercel",
    deps: Any = None,
    heartbeat: float | None = 15.0,
) -> ChatApp:
    """A complete ASGI endpoint: ``POST`` a JSON body with ``messages`` (the
    AI SDK's UI messages, or OpenAI-format messages), get the run streamed
    back. Use it as a Starlette/FastAPI route or mount
    (``Route("/api/chat", chat_app(agent), methods=["POST"])``), or serve it
    alone with an ASGI server. At lifespan shutdown it closes the model's
    pooled connections.

    Args:
        agent: The agent to run for each request.
        protocol: ``"vercel"`` (default: what ``useChat`` reads) or ``"agentkit"``.
        deps: The tools' ``RunContext.deps``: a value, or a function of the
            request's JSON body returning it.
        heartbeat: Seconds of silence before a keep-alive comment.

    Bad requests get a JSON error: 405 (not POST), 400 (body not JSON or
    without a ``messages`` list), 413 (body over 8 MiB).
    """
    return ChatApp(agent, protocol=protocol, deps=deps, heartbeat=heartbeat)


async def _read_body(receive: Receive) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > _MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _json_error(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": {"message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
