"""`MCPServerStdio`: an MCP server run as a child process, spoken to over its
stdin and stdout.

The child's stderr goes to a temporary file, so that an error can quote
what the server said before it failed (the last lines). The ``mcp`` package
starts the child in its own process group and ends it when the session
closes: stdin is closed, then after 2 s the group gets SIGTERM, then SIGKILL;
the child is always reaped.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TextIO, cast

from mcp.client._transport import TransportStreams
from mcp.client.stdio import StdioServerParameters, stdio_client

from ._server import MCPServer
from ._session import MCPSession

__all__ = ["MCPServerStdio"]

_TAIL_BYTES = 4096
_TAIL_LINES = 20


class MCPServerStdio(MCPServer):
    """An MCP server started as a command, for ``Agent(tools=[...])``.

    ```python
    clock = MCPServerStdio(sys.executable, ["-m", "mcp_server_time"])
    agent = Agent(model, tools=[get_weather, clock])
    async with clock:           # optional: one process for many runs
        await agent.run("What time is it in Tokyo?")
    ```

    Without ``async with``, each run starts the command and ends it when the
    run ends.

    Args:
        command: The program to run (``sys.executable``, ``"uvx"``, ``"npx"``...).
        args: Its arguments.
        env: Environment variables for the child, added to a safe default set
            (``HOME``, ``PATH``, ``SHELL``, ``TERM``, ``USER``, ``LOGNAME``);
            the rest of this process's environment is not passed on.
        cwd: The child's working directory (default: this process's).
        prefix: Publish the tools as ``prefix_name`` (to tell servers apart or
            avoid a clash of names).
        timeout: Seconds one tool call may take before it fails with
            `ToolTimeoutError` (the model reads the error); None: no limit.
        startup_timeout: Seconds to start the command and complete the MCP
            handshake before `MCPError`; None: no limit.

    Raises:
        ToolDefinitionError: ``prefix`` cannot start a tool name.
        UsageError: A timeout is not a positive number.
    """

    def __init__(
        self,
        command: str,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        prefix: str | None = None,
        *,
        timeout: float | None = None,
        startup_timeout: float | None = 30.0,
    ) -> None:
        super().__init__(prefix=prefix, timeout=timeout, startup_timeout=startup_timeout)
        self.command = str(command)
        self.args = [str(arg) for arg in args]
        self.env = dict(env) if env is not None else None
        self.cwd = Path(cwd) if cwd is not None else None
        self._stderr: TextIO | None = None

    @property
    def label(self) -> str:
        """The command line."""
        return shlex.join([self.command, *self.args])

    def _transport(self) -> AbstractAsyncContextManager[TransportStreams]:
        parameters = StdioServerParameters(
            command=self.command, args=self.args, env=self.env, cwd=self.cwd
        )
        assert self._stderr is not None
        return stdio_client(parameters, errlog=self._stderr)

    async def _open_session(self) -> MCPSession:
        # Open for the session's life (closed by _close_stderr), not one block.
        stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115
        self._stderr = cast(TextIO, stderr)
        try:
            return await MCPSession.open(
                self._transport(),
                server=self.label,
                startup_timeout=self.startup_timeout,
                facts=self._stderr_tail,
            )
        except BaseException:
            self._close_stderr()
            raise

    async def _close_session(self, session: MCPSession) -> None:
        try:
            await session.aclose()
        finally:
            self._close_stderr()

    def _close_stderr(self) -> None:
        stderr, self._stderr = self._stderr, None
        if stderr is not None:
            stderr.close()

    def _stderr_tail(self) -> str | None:
        """The last lines the child wrote to stderr, or None."""
        if self._stderr is None or not hasattr(os, "pread"):  # no pread on Windows
            return None
        descriptor = self._stderr.fileno()
        size = os.fstat(descriptor).st_size
        start = max(0, size - _TAIL_BYTES)
        # pread: the child shares the file offset, which a read would move.
        data = os.pread(descriptor, size - start, start).decode("utf-8", errors="replace")
        lines = data.splitlines()[1:] if start else data.splitlines()  # a cut first line
        text = "\n".join(lines[-_TAIL_LINES:]).strip()
        return text or None
