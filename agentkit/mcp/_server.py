"""`MCPServer`: what the stdio and HTTP servers share — a `ToolSource` with a
re-entrant session.

The first ``async with server:`` opens a session and the exit of that same
entry closes it; entries in between share it. A run enters the server
itself, so a server nobody entered is open for one run; a server the user
entered stays open across runs. The session is closed by the task that
opened it (the ``mcp`` package requires it): when that entry ends while runs
in other tasks still use the session, its exit waits for them to leave.

The tool list is fetched once per session and again after the server said
``notifications/tools/list_changed``.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio
from mcp.client._transport import TransportStreams

from .._errors import ToolDefinitionError, UsageError
from ..tools import Tool
from ._session import MCPSession
from ._tools import make_tool

__all__ = ["MCPServer"]

_PREFIX = re.compile(r"[a-zA-Z0-9_-]{1,48}")


class MCPServer(ABC):
    """Base class of `MCPServerStdio` and `MCPServerHTTP`: a `ToolSource`
    with a re-entrant session.

    ``async with server:`` opens a session unless one is open and keeps it
    open until that block ends; a run enters the server the same way, so a
    server nobody entered is open for one run. Entering raises `MCPError`
    when the server cannot be started or reached.

    Attributes:
        prefix: Published names are ``prefix_name`` (None: the server's names).
        timeout: Seconds one tool call may take (None: no limit).
        startup_timeout: Seconds to open a session (None: no limit).
    """

    def __init__(
        self, *, prefix: str | None, timeout: float | None, startup_timeout: float | None
    ) -> None:
        if prefix is not None and _PREFIX.fullmatch(prefix) is None:
            raise ToolDefinitionError(
                f"The prefix {prefix!r} cannot start a tool name: use 1 to 48 letters, digits, "
                "underscores or hyphens."
            )
        self.prefix = prefix
        self.timeout = _seconds("timeout", timeout)
        self.startup_timeout = _seconds("startup_timeout", startup_timeout)
        self._session: MCPSession | None = None
        self._owner: int | None = None  # the task whose entry opened the session
        self._entries: Counter[int] = Counter()  # task id -> entries not yet left
        self._busy: anyio.Event | None = None  # set when an open or a close ends
        self._released: anyio.Event | None = None  # set when the last other task leaves
        self._tools: list[Tool[..., Any]] = []
        self._tools_version = -1

    @property
    @abstractmethod
    def label(self) -> str:
        """How messages name this server (its command line or URL)."""

    @abstractmethod
    def _transport(self) -> AbstractAsyncContextManager[TransportStreams]:
        """The ``mcp`` transport to open: a child process, an HTTP client."""

    async def _open_session(self) -> MCPSession:
        return await MCPSession.open(
            self._transport(), server=self.label, startup_timeout=self.startup_timeout
        )

    async def _close_session(self, session: MCPSession) -> None:
        await session.aclose()

    @property
    def is_open(self) -> bool:
        """Whether a session with the server is open."""
        return self._session is not None

    async def __aenter__(self) -> MCPServer:
        while self._busy is not None:
            await self._busy.wait()
        if self._session is None:
            self._busy = anyio.Event()
            try:
                self._session = await self._open_session()
                self._owner = _task()
                self._tools_version = -1
            finally:
                self._busy.set()
                self._busy = None
        self._entries[_task()] += 1
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        task = _task()
        self._entries[task] -= 1
        if self._entries[task] <= 0:
            del self._entries[task]
        if task != self._owner or task in self._entries:
            if not self._entries and self._released is not None:
                self._released.set()
            return
        try:
            if self._entries:  # runs in other tasks still use the session
                self._released = anyio.Event()
                await self._released.wait()
        finally:
            await self._close()

    async def _close(self) -> None:
        session, self._session, self._owner = self._session, None, None
        self._released = None
        self._tools = []
        if session is None:
            return
        self._busy = anyio.Event()
        try:
            await self._close_session(session)
        finally:
            self._busy.set()
            self._busy = None

    async def list_tools(self) -> Sequence[Tool[..., Any]]:
        """The server's tools as agentkit `Tool` objects, listed once per
        session (again after the server announced a change).

        Raises:
            UsageError: The server is not entered (``async with server:``).
            MCPError: The server failed to list its tools, or lists one whose
                input schema is not a valid JSON schema.
        """
        session = self._session
        if session is None:
            raise UsageError(
                f"The MCP server {self.label} is not open: use `async with server:` around "
                "list_tools(), or put the server in Agent(tools=[...])."
            )
        version = session.tools_version
        if version != self._tools_version:
            specs = await session.list_tools()
            self._tools = [
                make_tool(
                    spec,
                    session.call_tool,
                    prefix=self.prefix,
                    timeout=self.timeout,
                    server=self.label,
                )
                for spec in specs
            ]
            self._tools_version = version
        return list(self._tools)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label!r}, prefix={self.prefix!r})"


def _task() -> int:
    return anyio.get_current_task().id


def _seconds(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise UsageError(f"{name} must be a positive number of seconds or None, not {value!r}.")
    return float(value) if math.isfinite(value) else None
