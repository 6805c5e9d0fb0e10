"""``agentkit mcp serve``: a module's tools as an MCP server (stdio, or
Streamable HTTP with ``--http PORT``), for any MCP client."""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
from typing import Any

import anyio

from ._chat import load_tools

__all__ = ["add_mcp_command", "run_mcp_serve"]


def add_mcp_command(commands: Any) -> None:
    """Add ``agentkit mcp serve`` to the command's subparsers."""
    mcp = commands.add_parser("mcp", help="Model Context Protocol: serve tools to MCP clients")
    actions = mcp.add_subparsers(dest="mcp_command", required=True)
    serve = actions.add_parser(
        "serve",
        help="serve the tools of a module or .py file as an MCP server",
        description="Serve agentkit tools to MCP clients: the module's `registry` or `tools` "
        "(a ToolRegistry or a list), else every Tool defined in it. Over stdio unless --http.",
    )
    serve.add_argument("tools", help="a module path (package.tools) or a .py file")
    serve.add_argument(
        "--http",
        type=int,
        metavar="PORT",
        help="serve Streamable HTTP at http://HOST:PORT/mcp (0: any free port) instead of stdio",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address for --http (default: 127.0.0.1)"
    )
    serve.add_argument("--name", default="agentkit", help="the server name clients see")
    serve.set_defaults(handler=run_mcp_serve)


def run_mcp_serve(args: argparse.Namespace) -> int:
    """Serve until the client leaves (stdio) or Ctrl-C (HTTP); the exit status."""
    try:
        from ..mcp import serve
    except ImportError as error:
        return _fail(str(error))
    try:
        registry = load_tools(args.tools)
    except Exception as error:
        return _fail(f"cannot load tools from {args.tools!r}: {type(error).__name__}: {error}")
    if not len(registry) and not registry.sources:
        return _fail(f"{args.tools!r} defines no tools (no `registry`, `tools` or Tool objects)")

    served = [*registry.names, *(f"the tools of {source!r}" for source in registry.sources)]

    def ready(where: str) -> None:
        print(
            f"agentkit mcp: serving {', '.join(served)} over {where}", file=sys.stderr, flush=True
        )

    run = functools.partial(
        serve, registry, port=args.http, host=args.host, name=args.name, on_ready=ready
    )
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how an HTTP server stops
        anyio.run(run)
    return 0


def _fail(message: str) -> int:
    print(f"agentkit mcp: {message}", file=sys.stderr)
    return 2
