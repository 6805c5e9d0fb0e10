"""`MCPServerHTTP`: an MCP server reached over Streamable HTTP.

The ``mcp`` package sends each request in a task of its transport's task
group and does not catch a network error raised by the request itself (a
refused connection, a reset before the answer): one such error would cancel
the whole session, and the run with it. The HTTP client given to it here
answers those failures itself, with a 502 carrying a JSON-RPC error, and
ends a body cut off while it is read, so a failure reaches only the call
that met it (as an error result the model reads).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import httpx2
from mcp.client._transport import TransportStreams
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CONNECTION_CLOSED

from .._logging import get_logger
from ._server import MCPServer

__all__ = ["MCPServerHTTP"]

# The mcp package's defaults: a response stream may stay open for minutes.
_HTTP_TIMEOUT = httpx2.Timeout(30.0, read=300.0)


class MCPServerHTTP(MCPServer):
    """An MCP server at a Streamable HTTP endpoint, for ``Agent(tools=[...])``.

    ```python
    docs = MCPServerHTTP("http://127.0.0.1:8000/mcp", headers={"Authorization": "Bearer ..."})
    agent = Agent(model, tools=[docs])
    ```

    Without ``async with server:``, each run opens a session and closes it
    (``DELETE``) when the run ends.

    Args:
        url: The endpoint, for example ``http://127.0.0.1:8000/mcp``.
        headers: Headers sent with every request (authentication...).
        prefix: Publish the tools as ``prefix_name``.
        timeout: Seconds one tool call may take before it fails with
            `ToolTimeoutError` (the model reads the error); None: no limit.
        startup_timeout: Seconds to connect and complete the MCP handshake
            before `MCPError`; None: no limit.

    Raises:
        ToolDefinitionError: ``prefix`` cannot start a tool name.
        UsageError: A timeout is not a positive number.
    """

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        prefix: str | None = None,
        *,
        timeout: float | None = None,
        startup_timeout: float | None = 30.0,
    ) -> None:
        super().__init__(prefix=prefix, timeout=timeout, startup_timeout=startup_timeout)
        self.url = str(url)
        self.headers = dict(headers or {})

    @property
    def label(self) -> str:
        """The URL, without credentials."""
        parts = urlsplit(self.url)
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=host))

    def _transport(self) -> AbstractAsyncContextManager[TransportStreams]:
        return self._connect()

    @asynccontextmanager
    async def _connect(self) -> AsyncIterator[TransportStreams]:
        async with AsyncExitStack() as stack:
            client = httpx2.AsyncClient(
                headers=self.headers,
                timeout=_HTTP_TIMEOUT,
                transport=_FailuresAsAnswers(httpx2.AsyncHTTPTransport()),
            )
            await stack.enter_async_context(client)
            yield await stack.enter_async_context(
                streamable_http_client(self.url, http_client=client)
            )


class _FailuresAsAnswers(httpx2.AsyncBaseTransport):
    """Network failures as 502 answers with a JSON-RPC error (see the module docs)."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            response = await self._inner.handle_async_request(request)
        except httpx2.TransportError as error:
            get_logger("agentkit.mcp").info(
                "mcp.http.failed", url=str(request.url), error=repr(error)
            )
            message = f"the HTTP request failed ({type(error).__name__}: {error})"
            return httpx2.Response(
                502,
                json={
                    "jsonrpc": "2.0",
                    "id": None,
                    "error": {"code": CONNECTION_CLOSED, "message": message},
                },
                request=request,
            )
        response.stream = _EndOnFailure(response.stream)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class _EndOnFailure(httpx2.AsyncByteStream):
    """A response body that ends where the connection broke, instead of raising."""

    def __init__(self, stream: httpx2.AsyncByteStream | httpx2.SyncByteStream) -> None:
        assert isinstance(stream, httpx2.AsyncByteStream)
        self._stream = stream
        self._chunks: AsyncIterator[bytes] | None = None

    def __aiter__(self) -> AsyncIterator[bytes]:
        self._chunks = self._stream.__aiter__()
        return self

    async def __anext__(self) -> bytes:
        assert self._chunks is not None
        try:
            return await self._chunks.__anext__()
        except httpx2.TransportError:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._stream.aclose()
