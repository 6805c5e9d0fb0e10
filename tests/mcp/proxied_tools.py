"""A module whose tools come from an MCP server: ``agentkit mcp serve`` passes
the reference time server's tools on."""

from __future__ import annotations

import sys

from agentkit.mcp import MCPServerStdio

tools = [MCPServerStdio(sys.executable, ["-m", "mcp_server_time", "--local-timezone", "UTC"])]
