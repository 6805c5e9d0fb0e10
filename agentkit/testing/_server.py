"""`ScriptedServer`: a real OpenAI-compatible HTTP server on 127.0.0.1 that
plays scripted responses, for tests of agentkit and of your own agents."""

from __future__ import annotations

import inspect
import json
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from http import HTTPStatus
from typing import Any, NoReturn

import anyio
import anyio.abc
import anyio.from_thread
from anyio.streams.buffered import BufferedByteReceiveStream

from ._faults import Fault, FaultPlan, plan_from
from ._script import Disconnect, Pause, RecordedRequest, ScriptedResponse, sse_bytes

__all__ = ["RecordedRequest", "ScriptedServer"]

Responder = Callable[["RecordedRequest"], "ScriptedResponse | Awaitable[ScriptedResponse]"]
"""Builds the answer to a request (an alternative to a fixed script). An
async responder is awaited on the server's own event loop (asyncio, in the
server's thread)."""

_MAX_HEAD = 64 * 1024


class _Stopped(Exception):
    """The client went away while we were answering."""


class ScriptedServer:
    """A loopback HTTP server that answers each request with the next
    scripted response (or with ``responder(request)``).

    It speaks HTTP/1.1 with keep-alive and chunked streaming, so the client
    under test runs its real network code. Start it with ``with`` (or
    ``async with``); `base_url` is then ready for ``OpenAIChatModel``.

        with ScriptedServer([text_response("Hello!")]) as server:
            model = OpenAIChatModel("test", base_url=server.base_url, api_key="k")

    Args:
        responses: Answers played in order, one per request. When they run
            out, the server answers 500 with an explanation.
        responder: Instead of a fixed list, a function from the request to
            its answer.
        faults: Faults to inject: a `Faults` (seeded, random), a mapping
            from request number (1-based) to a `Fault` or a list of them, or
            any function ``(request, response) -> [Fault, ...]``. An answer
            that got a fault is played again to the next request whose body
            is the same (the client's retry), so a retry receives the answer
            the fault spoiled (and may get a fault of its own).

    Attributes:
        requests: Every request received, in order.
        injected_faults: ``(request number, Fault)`` for every fault injected,
            in order.
        connections_opened: How many TCP connections clients opened (a
            pooling client reuses one for many requests).
        open_connections: How many are open now (0 once every client has
            closed or dropped its connection: tests use it to check that
            nothing was left behind).
        connection_endings: How each connection that ended did, in order: the
            repr of what stopped serving it (``EndOfStream()`` when the
            client closed it; a connection the server closed itself, as a
            script or a fault asked, adds nothing).
    """

    def __init__(
        self,
        responses: Iterable[ScriptedResponse] = (),
        *,
        responder: Responder | None = None,
        faults: FaultPlan | Mapping[int, Fault | Sequence[Fault]] | None = None,
    ) -> None:
        self._responses: deque[ScriptedResponse] = deque(responses)
        self._responder = responder
        self._faults = plan_from(faults)
        self._spoiled: tuple[bytes, ScriptedResponse] | None = None
        self.injected_faults: list[tuple[int, Fault]] = []
        self.requests: list[RecordedRequest] = []
        self.connections_opened = 0
        self.open_connections = 0
        self.connection_endings: list[str] = []
        self._port: int | None = None
        self._portal_cm: AbstractContextManager[anyio.from_thread.BlockingPortal] | None = None
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._cancel: anyio.CancelScope | None = None

    # ------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:{port}/v1``."""
        if self._port is None:
            raise RuntimeError("ScriptedServer is not running; use it with `with`.")
        return f"http://127.0.0.1:{self._port}/v1"

    def add(self, *responses: ScriptedResponse) -> None:
        """Queue more responses."""
        self._responses.extend(responses)

    def start(self) -> None:
        """Start serving in a background thread."""
        self._portal_cm = anyio.from_thread.start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        listener = self._portal.call(self._listen)
        # start_task, not start_task_soon: it returns once the serving task
        # holds its cancel scope, so an immediate stop() can always cancel it.
        self._portal.start_task(self._serve, listener)

    def stop(self) -> None:
        """Stop serving and close every connection."""
        if self._portal is None or self._portal_cm is None:
            return
        if self._cancel is not None:
            self._portal.call(self._cancel.cancel)
        portal_cm, self._portal_cm, self._portal = self._portal_cm, None, None
        portal_cm.__exit__(None, None, None)
        self._port = None

    def __enter__(self) -> ScriptedServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def __aenter__(self) -> ScriptedServer:
        await anyio.to_thread.run_sync(self.start)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await anyio.to_thread.run_sync(self.stop)

    # ---------------------------------------------------------------- serving

    async def _listen(self) -> anyio.abc.Listener[anyio.abc.SocketStream]:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        self._port = listener.extra(anyio.abc.SocketAttribute.local_port)
        return listener

    async def _serve(
        self,
        listener: anyio.abc.Listener[anyio.abc.SocketStream],
        *,
        task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        with anyio.CancelScope() as self._cancel:
            task_status.started()
            async with listener:
                await listener.serve(self._handle_connection)

    async def _handle_connection(self, stream: anyio.abc.SocketStream) -> None:
        self.connections_opened += 1
        self.open_connections += 1
        receiver = BufferedByteReceiveStream(stream)
        try:
            while await self._handle_request(stream, receiver):
                pass
        except (
            _Stopped,
            anyio.EndOfStream,
            anyio.IncompleteRead,
            anyio.BrokenResourceError,
            anyio.ClosedResourceError,
            anyio.DelimiterNotFound,
            OSError,
        ) as error:
            self.connection_endings.append(repr(error))
        finally:
            self.open_connections -= 1
            with anyio.CancelScope(shield=True):
                await stream.aclose()

    async def _handle_request(
        self, stream: anyio.abc.SocketStream, receiver: BufferedByteReceiveStream
    ) -> bool:
        """Answer one request; False when the connection must close."""
        head = await receiver.receive_until(b"\r\n\r\n", _MAX_HEAD)
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, path, _ = request_line.split(" ", 2)
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await receiver.receive_exactly(length) if length else b""
        request = RecordedRequest(method, path, headers, body)
        self.requests.append(request)
        response = self._next_response(request)
        if inspect.isawaitable(response):
            response = await response
        return await _send(stream, self._with_faults(request, response), receiver)

    def _with_faults(
        self, request: RecordedRequest, response: ScriptedResponse
    ) -> ScriptedResponse:
        faults = list(self._faults(request, response))
        self._spoiled = (request.body, response) if faults else None
        for fault in faults:
            self.injected_faults.append((len(self.requests), fault))
            response = fault.apply(response)
        return response

    def _next_response(
        self, request: RecordedRequest
    ) -> ScriptedResponse | Awaitable[ScriptedResponse]:
        if self._spoiled is not None and self._spoiled[0] == request.body:
            return self._spoiled[1]  # a retry of an answer a fault spoiled
        if self._responder is not None:
            return self._responder(request)
        if self._responses:
            return self._responses.popleft()
        message = (
            f"ScriptedServer has no scripted response left for request "
            f"#{len(self.requests)} ({request.method} {request.path})."
        )
        body = json.dumps({"error": {"message": message, "type": "script_exhausted"}})
        return ScriptedResponse(status=500, body=body.encode())


async def _send(
    stream: anyio.abc.SocketStream,
    response: ScriptedResponse,
    receiver: BufferedByteReceiveStream,
) -> bool:
    if response.headers_delay:
        await anyio.sleep(response.headers_delay)
    reason = (
        HTTPStatus(response.status).phrase
        if response.status in HTTPStatus._value2member_map_
        else "Status"
    )
    head = [f"HTTP/1.1 {response.status} {reason}"]
    if response.body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(response.body)}"]
    else:
        head += [
            "Content-Type: text/event-stream",
            "Cache-Control: no-cache",
            "Transfer-Encoding: chunked",
        ]
    head += [f"{name}: {value}" for name, value in response.headers.items()]
    await stream.send(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
    if response.body is not None:
        await stream.send(response.body)
        return True
    return await _send_stream(stream, response, receiver)


async def _send_stream(
    stream: anyio.abc.SocketStream,
    response: ScriptedResponse,
    receiver: BufferedByteReceiveStream,
) -> bool:
    budget = response.close_after_bytes
    steps: list[Any] = list(response.steps)
    if response.done:
        steps.append(b"data: [DONE]\n\n")
    for step in steps:
        if isinstance(step, Pause):
            if step.seconds is None:
                await _wait_for_disconnect(receiver)
            await anyio.sleep(step.seconds)
            continue
        if isinstance(step, Disconnect):
            return False
        if response.chunk_delay:
            await anyio.sleep(response.chunk_delay)
        data = (
            step.encode()
            if isinstance(step, str)
            else (step if isinstance(step, bytes) else sse_bytes(step))
        )
        if budget is not None and len(data) >= budget:
            if budget:
                await stream.send(b"%x\r\n%s" % (len(data), data[:budget]))
            return False
        if budget is not None:
            budget -= len(data)
        if data:
            await stream.send(b"%x\r\n%s\r\n" % (len(data), data))
    await stream.send(b"0\r\n\r\n")
    return True


async def _wait_for_disconnect(receiver: BufferedByteReceiveStream) -> NoReturn:
    """Stall until the client closes the connection (or the server stops).
    Nothing can follow an endless stall, so whatever the client sends
    meanwhile is read and dropped."""
    while True:
        await receiver.receive()
