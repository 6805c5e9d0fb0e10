"""`MCPSession`: one open connection to an MCP server, on the ``mcp`` package.

Opening enters the transport (a child process, or an HTTP client) and a
``ClientSession`` on one exit stack and performs the ``initialize``
handshake within the startup timeout; closing leaves that stack. Both must
happen in the same task: the ``mcp`` package runs its readers in task groups
that belong to the task that entered them.

The session speaks the handshake era of MCP (``initialize``), which every
server serves and in which ``notifications/tools/list_changed`` arrive
unasked: each one bumps `tools_version`, so the server lists again.

Every failure of the ``mcp`` package becomes an `agentkit.MCPError` whose
message names the server (and, for a child process, ends with what it wrote
to stderr).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

import anyio
import mcp.types as mcp_types
from mcp import ClientSession
from mcp.client._transport import TransportStreams
from mcp.client.session import IncomingMessage
from mcp.shared.exceptions import MCPError as ProtocolError

from .. import __version__
from .._errors import MCPError
from .._logging import get_logger
from ._results import result_text

__all__ = ["MCPSession", "ServerFacts"]

_MAX_PAGES = 100
_CLIENT_INFO = mcp_types.Implementation(name="agentkit", version=__version__)

ServerFacts = Callable[[], str | None]
"""What the server left behind when it failed (its stderr tail), or None."""


class MCPSession:
    """An initialized MCP client session; made by `MCPSession.open`."""

    def __init__(self, server: str, stack: AsyncExitStack, facts: ServerFacts) -> None:
        self.server = server
        self.tools_version = 0
        self.closed = False
        self._stack = stack
        self._facts = facts
        self._client: ClientSession | None = None
        self._log = get_logger("agentkit.mcp", server=server)

    @classmethod
    async def open(
        cls,
        transport: AbstractAsyncContextManager[TransportStreams],
        *,
        server: str,
        startup_timeout: float | None,
        facts: ServerFacts = lambda: None,
    ) -> MCPSession:
        """Connect and initialize; on any failure nothing stays open.

        Raises:
            MCPError: The server could not be started or reached, or did not
                complete the handshake within ``startup_timeout`` seconds.
        """
        stack = AsyncExitStack()
        session = cls(server, stack, facts)
        try:
            read, write = await stack.enter_async_context(transport)
            client = ClientSession(
                read, write, message_handler=session._on_message, client_info=_CLIENT_INFO
            )
            session._client = await stack.enter_async_context(client)
            with anyio.fail_after(startup_timeout):
                await session._client.initialize()
        except BaseException as error:
            await stack.aclose()
            if isinstance(error, Exception):
                raise session._startup_error(error, startup_timeout) from error
            raise
        session._log.info("mcp.session.opened")
        return session

    async def aclose(self) -> None:
        """Close the connection (for a child process: end it). Errors while
        closing are logged, not raised."""
        if self.closed:
            return
        self.closed = True
        try:
            await self._stack.aclose()
        except Exception as error:
            self._log.warning("mcp.session.close_failed", error=repr(error))
        self._log.info("mcp.session.closed")

    async def list_tools(self) -> list[dict[str, Any]]:
        """Every tool the server lists (all pages), as camelCase JSON.

        Raises:
            MCPError: The server failed to answer.
        """
        client = self._require_client()
        tools: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(_MAX_PAGES):
            params = mcp_types.PaginatedRequestParams(cursor=cursor) if cursor else None
            try:
                page = await client.list_tools(params=params)
            except ProtocolError as error:
                raise self._error("did not list its tools", error) from error
            tools += [tool.model_dump(by_alias=True, mode="json") for tool in page.tools]
            cursor = page.next_cursor
            if not cursor:
                break
        return tools

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> str:
        """Call the server's tool ``name``; its output as text.

        Raises:
            MCPError: The result is an error (``isError``; the message is the
                server's), or the server failed or closed the connection.
        """
        client = self._require_client()
        try:
            result = await client.call_tool(name, arguments)
        except ProtocolError as error:
            raise self._error(f"failed the call of {name!r}", error) from error
        except Exception as error:  # a result that does not validate, for example
            raise MCPError(
                f"The MCP server {self.server} answered the call of {name!r} with something "
                f"agentkit cannot read: {type(error).__name__}: {error}",
                server=self.server,
            ) from error
        text = result_text(result.model_dump(by_alias=True, mode="json", exclude_none=True))
        if result.is_error:
            raise MCPError(
                text or f"The MCP server reported an error in {name!r}.", server=self.server
            )
        return text

    async def _on_message(self, message: IncomingMessage) -> None:
        if isinstance(message, mcp_types.ToolListChangedNotification):
            self.tools_version += 1
            self._log.info("mcp.tools.changed")
        elif isinstance(message, Exception):
            self._log.warning("mcp.transport_error", error=repr(message))

    def _require_client(self) -> ClientSession:
        if self.closed or self._client is None:
            raise MCPError(
                f"The session with the MCP server {self.server} is closed: the run or "
                "`async with` block that opened it has ended. List the tools again in an open one.",
                server=self.server,
            )
        return self._client

    def _error(self, what: str, error: ProtocolError) -> MCPError:
        if error.code == mcp_types.CONNECTION_CLOSED:
            stderr = self._facts()
            detail = f" Its last output on stderr:\n{stderr}" if stderr else ""
            return MCPError(
                f"The MCP server {self.server} {what}: the connection is closed "
                f"({error.message}); the server may have exited or been stopped.{detail}",
                server=self.server,
                stderr=stderr,
            )
        return MCPError(
            f"The MCP server {self.server} {what}: {error.message} (error {error.code}).",
            server=self.server,
        )

    def _startup_error(self, error: Exception, startup_timeout: float | None) -> MCPError:
        stderr = self._facts()
        detail = f" Its last output on stderr:\n{stderr}" if stderr else ""
        if isinstance(error, TimeoutError):
            reason = f"it did not complete the MCP handshake within {startup_timeout:g} s"
        elif isinstance(error, ProtocolError):
            reason = f"{error.message} (error {error.code})"
        else:
            reason = f"{type(error).__name__}: {error}"
        return MCPError(
            f"Could not open a session with the MCP server {self.server}: {reason}.{detail}",
            server=self.server,
            stderr=stderr,
        )
