"""The MCP servers the tests start: the toy server of ``tests/mcp/toy_server.py``
over stdio or Streamable HTTP (a real child process on 127.0.0.1), and the
reference time server from PyPI (``mcp-server-time``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentkit.mcp import MCPServerHTTP, MCPServerStdio

TOY = Path(__file__).resolve().parent / "mcp" / "toy_server.py"
TIME_SERVER = [sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC"]


def toy_stdio(**options: Any) -> MCPServerStdio:
    """The toy server as a child process over stdio."""
    return MCPServerStdio(sys.executable, [str(TOY), "stdio"], **options)


def time_server(**options: Any) -> MCPServerStdio:
    """The reference time server, which nobody on this team wrote."""
    return MCPServerStdio(TIME_SERVER[0], TIME_SERVER[1:], **options)


@dataclass
class ToyHTTP:
    """The toy server running in a child process, over Streamable HTTP."""

    process: subprocess.Popen[str]
    url: str

    def client(self, **options: Any) -> MCPServerHTTP:
        return MCPServerHTTP(self.url, **options)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)

    def wait_for_line(self, line: str) -> None:
        """Block until the server prints ``line`` on stdout."""
        assert self.process.stdout is not None
        while (read := self.process.stdout.readline()) and read.strip() != line:
            pass


@contextmanager
def toy_http() -> Iterator[ToyHTTP]:
    """Start the toy server over HTTP on a free port of 127.0.0.1; stop it after."""
    process = subprocess.Popen(
        [sys.executable, str(TOY), "http"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield ToyHTTP(process, f"http://127.0.0.1:{port}/mcp")
    finally:
        process.kill()
        process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()


def is_reaped(pid: int) -> bool:
    """Whether the process ``pid`` has ended and been reaped (no zombie left)."""
    return not os.path.exists(f"/proc/{pid}")
