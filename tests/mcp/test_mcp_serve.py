"""``agentkit mcp serve``: agentkit tools served to MCP clients, checked with
the ``mcp`` package's own client over stdio and Streamable HTTP, and with
agentkit's `MCPServerStdio` in a run."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from _agent_helpers import scripted_agent
from _common import ASYNC_TESTS
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError as ProtocolError

from agentkit import RunContext
from agentkit.mcp import MCPServerStdio
from agentkit.testing import text_response, tool_call_response

pytestmark = [
    *ASYNC_TESTS,
    pytest.mark.filterwarnings("ignore:Async generator 'httpx2[.]:ResourceWarning"),
    pytest.mark.filterwarnings("ignore:Async generator 'httpcore2[.]:ResourceWarning"),
]

HERE = Path(__file__).resolve().parent
TOOLS = HERE / "served_tools.py"
SERVE = [sys.executable, "-m", "agentkit", "mcp", "serve"]


async def check_the_served_tools(session: ClientSession) -> None:
    """What any MCP client sees of ``served_tools.py``."""
    await session.initialize()
    tools = {item.name: item for item in (await session.list_tools()).tools}
    assert list(tools) == ["add", "call_info", "divide"]
    assert tools["add"].description == "Add two numbers."
    assert tools["add"].input_schema["properties"]["a"] == {
        "type": "integer",
        "description": "The first number.",
    }
    assert "context" not in tools["call_info"].input_schema["properties"]

    added = await session.call_tool("add", {"a": 2, "b": 3})
    assert (added.is_error, added.content[0].text) == (False, "5")  # type: ignore[union-attr]
    info = await session.call_tool("call_info", {})
    assert info.content[0].text.startswith("call_info (call ")  # type: ignore[union-attr]

    invalid = await session.call_tool("add", {"a": "two"})
    assert invalid.is_error
    assert invalid.content[0].text.splitlines() == [  # type: ignore[union-attr]
        "Invalid arguments for tool 'add':",
        '- $.a: expected integer, got string "two"',
        "- $.b: missing required property",
        "Fix the arguments and call the tool again.",
    ]
    failed = await session.call_tool("divide", {"a": 1, "b": 0})
    assert failed.is_error
    assert "ZeroDivisionError" in failed.content[0].text  # type: ignore[union-attr]

    with pytest.raises(ProtocolError, match="Unknown tool: nope") as caught:
        await session.call_tool("nope", {})
    assert caught.value.code == -32602


async def test_served_over_stdio_to_the_mcp_client(tmp_path: Path) -> None:
    parameters = StdioServerParameters(command=SERVE[0], args=[*SERVE[1:], str(TOOLS)])
    with (tmp_path / "stderr.log").open("w+") as errors:
        async with (
            stdio_client(parameters, errlog=errors) as streams,
            ClientSession(*streams) as session,
        ):
            await check_the_served_tools(session)
        errors.seek(0)
        stderr = errors.read()
    assert "agentkit mcp: serving add, call_info, divide over stdio" in stderr
    assert "add: a stray print must not reach the MCP client" in stderr


@contextmanager
def served_over_http(target: str, cwd: Path = HERE) -> Iterator[str]:
    process = subprocess.Popen(
        [*SERVE, target, "--http", "0"], stderr=subprocess.PIPE, text=True, cwd=cwd
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert line.startswith(
            "agentkit mcp: serving add, call_info, divide over http://127.0.0.1:"
        )
        yield line.split()[-1]
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


async def test_served_over_http_to_the_mcp_client() -> None:
    with served_over_http("served_tools") as url:  # a module path, from its directory
        async with streamable_http_client(url) as streams, ClientSession(*streams) as session:
            await check_the_served_tools(session)


async def test_agentkit_runs_the_tools_it_serves() -> None:
    served = MCPServerStdio(SERVE[0], [*SERVE[1:], str(TOOLS)], prefix="remote")
    script = [
        tool_call_response(
            [("remote_add", {"a": 20, "b": 22}), ("remote_divide", {"a": 1, "b": 0})]
        ),
        text_response("42."),
    ]
    async with scripted_agent(script, tools=[served]) as (agent, _):
        result = await agent.run("add")
    added, divided = result.tool_calls
    assert added.output == "42"
    assert divided.is_error
    assert "ZeroDivisionError" in divided.output


async def test_the_tools_of_an_mcp_server_in_the_module_are_served_too() -> None:
    proxy = MCPServerStdio(SERVE[0], [*SERVE[1:], str(HERE / "proxied_tools.py")])
    async with proxy:
        tools = {item.name: item for item in await proxy.list_tools()}
        outcome = await tools["get_current_time"].execute('{"timezone": "UTC"}', RunContext(None))
    assert list(tools) == ["get_current_time", "convert_time"]
    assert json.loads(outcome.output)["timezone"] == "UTC"


def test_a_target_without_tools_is_refused() -> None:
    completed = subprocess.run(
        [*SERVE, "json"], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 2
    assert "agentkit mcp: 'json' defines no tools" in completed.stderr
    completed = subprocess.run(
        [*SERVE, "no_such_module_here"], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 2
    assert "cannot load tools from 'no_such_module_here': ModuleNotFoundError" in completed.stderr
