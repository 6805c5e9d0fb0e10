"""agentkit tools served as an MCP server, over stdio or Streamable HTTP.

Tools written once for agentkit then work in any MCP client. A call goes
through `ToolRegistry.execute`, so it is validated exactly as in a run:
invalid arguments, an exception or a timeout in the tool come back as an
``isError`` result whose text tells the model what to fix. A call to a tool
that does not exist is a protocol error (``-32602``), as the MCP
specification asks. Tool sources in the registry (MCP servers) are opened
for as long as the server runs, so their tools are served too.
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager, redirect_stdout
from typing import Any

import mcp.types as mcp_types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError as ProtocolError

from .. import __version__
from .._context import RunContext
from ..tools import Tool, ToolRegistry, ToolSource

__all__ = ["serve"]

ToolsLike = ToolRegistry | Iterable[Tool[..., Any] | Callable[..., Any] | ToolSource]


async def serve(
    tools: ToolsLike,
    *,
    port: int | None = None,
    host: str = "127.0.0.1",
    name: str = "agentkit",
    on_ready: Callable[[str], object] | None = None,
) -> None:
    """Serve ``tools`` as an MCP server until the client leaves (stdio) or
    the process is stopped (HTTP). ``agentkit mcp serve`` runs this.

    ```python
    anyio.run(serve, registry)                          # over stdin/stdout
    anyio.run(functools.partial(serve, registry, port=8000))  # http://127.0.0.1:8000/mcp
    ```

    Args:
        tools: A `ToolRegistry`, or tools, functions and tool sources.
        port: Serve Streamable HTTP on this port (0: any free port) instead
            of stdio. HTTP needs asyncio (it runs on uvicorn).
        host: The address to listen on over HTTP (default: loopback only).
        name: The server name clients see.
        on_ready: Called with where the server listens (``"stdio"`` or the
            endpoint URL) once it accepts clients.
    """
    registry = tools if isinstance(tools, ToolRegistry) else ToolRegistry(tools)
    async with _opened(registry) as opened:
        server = build_server(opened, name=name)
        if port is None:
            # A tool's print() must not reach the wire (stdout): it goes to stderr.
            async with stdio_server() as (read, write), _stdout_to_stderr():
                if on_ready is not None:
                    on_ready("stdio")
                await server.run(read, write, server.create_initialization_options())
        else:
            await _serve_http(server, host, port, on_ready)


def build_server(tools: ToolRegistry, *, name: str = "agentkit") -> Server[Any]:
    """The ``mcp`` low-level server that lists and calls ``tools``."""

    async def list_tools(
        context: Any, params: mcp_types.PaginatedRequestParams | None
    ) -> mcp_types.ListToolsResult:
        return mcp_types.ListToolsResult(tools=[_mcp_tool(item) for item in tools])

    async def call_tool(
        context: Any, params: mcp_types.CallToolRequestParams
    ) -> mcp_types.CallToolResult:
        if params.name not in tools:
            listed = ", ".join(tools.names) or "none"
            raise ProtocolError(
                mcp_types.INVALID_PARAMS, f"Unknown tool: {params.name} (tools: {listed})"
            )
        call_id = str(context.request_id)
        run_context: RunContext[None] = RunContext(
            None, run_id=f"mcp-{call_id}", tool_call_id=call_id, tool_name=params.name
        )
        arguments = json.dumps(params.arguments or {}, ensure_ascii=False)
        outcome = await tools.execute(params.name, arguments, run_context)
        return mcp_types.CallToolResult(
            content=[mcp_types.TextContent(text=outcome.output)], is_error=outcome.is_error
        )

    return Server(name, version=__version__, on_list_tools=list_tools, on_call_tool=call_tool)


def _mcp_tool(item: Tool[..., Any]) -> mcp_types.Tool:
    return mcp_types.Tool(
        name=item.name, description=item.description or None, input_schema=item.parameters
    )


@asynccontextmanager
async def _opened(registry: ToolRegistry) -> AsyncIterator[ToolRegistry]:
    async with AsyncExitStack() as stack:
        yield await registry.open(stack)


@asynccontextmanager
async def _stdout_to_stderr() -> AsyncIterator[None]:
    sys.stdout.flush()
    with redirect_stdout(sys.stderr):
        yield


async def _serve_http(
    server: Server[Any], host: str, port: int, on_ready: Callable[[str], object] | None
) -> None:
    import uvicorn  # a dependency of mcp; only HTTP needs it

    app = server.streamable_http_app(host=host)
    listener = socket.create_server((host, port))
    bound_port = listener.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    web = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    if on_ready is not None:
        on_ready(f"http://{shown_host}:{bound_port}/mcp")
    try:
        await web.serve(sockets=[listener])
    finally:
        listener.close()
