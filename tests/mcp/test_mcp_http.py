"""An MCP server over Streamable HTTP (the toy server of ``toy_server.py``,
built with the ``mcp`` package, in a child process on 127.0.0.1): what
every kind of result becomes, timeouts, parallel calls, headers, name
clashes, and a server that is killed mid-call or is not there."""

from __future__ import annotations

import functools
import json
import socket
from collections.abc import Iterator

import anyio
import anyio.to_thread
import pytest
from _agent_helpers import scripted_agent
from _common import ASYNC_TESTS
from _mcp_toys import ToyHTTP, toy_http

from agentkit import MCPError, RunContext, ToolDefinitionError, ToolExecutionError, ToolTimeoutError
from agentkit.mcp import MCPServerHTTP
from agentkit.testing import text_response, tool_call_response

pytestmark = [
    *ASYNC_TESTS,
    # The mcp package's HTTP client (httpx2) leaves response streams to the
    # garbage collector as httpx does (see _common.ASYNC_TESTS).
    pytest.mark.filterwarnings("ignore:Async generator 'httpx2[.]:ResourceWarning"),
    pytest.mark.filterwarnings("ignore:Async generator 'httpcore2[.]:ResourceWarning"),
]


@pytest.fixture(scope="module")
def toy() -> Iterator[ToyHTTP]:
    """One toy server for the tests that do not stop it."""
    with toy_http() as server:
        yield server


async def test_every_kind_of_result_reaches_the_model(toy: ToyHTTP) -> None:
    script = [
        tool_call_response(
            [
                ("echo", {"text": "héllo"}),
                ("picture", {}),
                ("sound", {}),
                ("structured", {}),
                ("resources", {}),
                ("empty", {}),
                ("fail", {}),
                ("draft7", {"point": [1, 2], "unit": "ft"}),
                ("docs_search", {"query": "mcp", "filters": {"year": 2026}}),
            ]
        ),
        text_response("Done."),
    ]
    async with scripted_agent(script, tools=[toy.client()]) as (agent, server):
        result = await agent.run("everything")
    outputs = {call.name: (call.is_error, call.output) for call in result.tool_calls}
    assert outputs == {
        "echo": (False, "héllo"),
        "picture": (False, "A red dot:\n[image: image/png, 1.5 KB]"),
        "sound": (False, "[audio: audio/wav, 44.1 KB]"),
        "structured": (False, '{"celsius":21.5}'),
        "resources": (
            False,
            "[resource <file:///notes.txt> (text/plain)]\nhi\n"
            "[resource <file:///data.bin>: application/octet-stream, 44.1 KB]\n"
            "[resource link: big.csv <file:///big.csv> (text/csv)]",
        ),
        "empty": (False, ""),
        "fail": (True, "Tool 'fail' failed: MCPError: the widget is broken"),
        "draft7": (False, "draft7 [('point', [1, 2]), ('unit', 'ft')]"),
        "docs_search": (False, "docs.search [('filters', {'year': 2026}), ('query', 'mcp')]"),
    }
    published = {
        item["function"]["name"]: item["function"] for item in server.requests[0].json()["tools"]
    }
    assert published["echo"]["description"] == "Echo the text back."
    assert published["draft7"]["parameters"]["properties"]["point"]["prefixItems"]


async def test_invalid_arguments_never_reach_the_server(toy: ToyHTTP) -> None:
    script = [
        tool_call_response(
            [("draft7", {"point": [1, 2, 3], "unit": "yd"}), ("docs_search", {"query": 5})]
        ),
        text_response("Sorry."),
    ]
    async with scripted_agent(script, tools=[toy.client()]) as (agent, _):
        result = await agent.run("bad")
    draft7, search = result.tool_calls
    assert "$.point: Expected at most 2 items" in draft7.output
    assert '$.unit: "yd" is not one of ["m", "ft"]' in draft7.output
    assert "$.query: expected string, got integer 5" in search.output


async def test_calls_have_a_timeout_and_run_in_parallel(toy: ToyHTTP) -> None:
    group = f"parallel-{anyio.get_current_task().id}"
    script = [
        tool_call_response(
            [
                ("slow", {"seconds": 30}),
                ("meet", {"group": group, "count": 2}),
                ("meet", {"group": group, "count": 2}),
            ]
        ),
        tool_call_response([("echo", {"text": "after the timeout"})]),
        text_response("Done."),
    ]
    async with scripted_agent(script, tools=[toy.client(timeout=1.0)]) as (agent, _):
        result = await agent.run("go")
    slow, meet_1, meet_2, echo = result.tool_calls
    assert isinstance(slow.error, ToolTimeoutError)
    assert "did not finish within its 1 s timeout" in slow.output
    assert (meet_1.output, meet_2.output) == ("met", "met")  # both ran at once
    assert echo.output == "after the timeout"


async def test_headers_go_with_every_request(toy: ToyHTTP) -> None:
    server = toy.client(headers={"X-Team-Token": "t0k3n"})
    async with server:
        (header,) = [item for item in await server.list_tools() if item.name == "header"]
        outcome = await header.execute(json.dumps({"name": "x-team-token"}), RunContext(None))
    assert outcome.output == "t0k3n"


async def test_a_name_clash_between_two_servers_suggests_a_prefix(toy: ToyHTTP) -> None:
    first, second = toy.client(), toy.client()
    async with scripted_agent([text_response("never")], tools=[first, second]) as (agent, model):
        with pytest.raises(ToolDefinitionError, match=r"'echo'.*prefix"):
            await agent.run("hi")
    assert model.requests == []
    assert not first.is_open
    assert not second.is_open
    script = [tool_call_response([("b_echo", {"text": "two"})]), text_response("ok")]
    async with scripted_agent(script, tools=[toy.client(), toy.client(prefix="b")]) as (agent, _):
        result = await agent.run("hi")
    assert result.tool_calls[0].output == "two"


async def test_a_server_killed_mid_call_fails_that_call_and_the_next() -> None:
    script = [
        tool_call_response([("slow", {"seconds": 30})]),
        tool_call_response([("echo", {"text": "anyone?"})]),
        text_response("The server is gone."),
    ]
    with toy_http() as doomed:

        async def kill_when_the_call_runs() -> None:
            started = functools.partial(doomed.wait_for_line, "slow: started")
            await anyio.to_thread.run_sync(started, abandon_on_cancel=True)
            doomed.kill()

        async with scripted_agent(script, tools=[doomed.client()]) as (agent, _):
            with anyio.fail_after(20):
                async with anyio.create_task_group() as task_group:
                    task_group.start_soon(kill_when_the_call_runs)
                    result = await agent.run("wait")
                    task_group.cancel_scope.cancel()
    slow, echo = result.tool_calls
    assert slow.is_error
    assert isinstance(slow.error, ToolExecutionError)
    assert isinstance(slow.error.__cause__, MCPError)
    assert f"The MCP server {doomed.url} failed the call of 'slow'" in slow.output
    assert "the connection is closed" in slow.output
    assert echo.is_error
    assert "failed the call of 'echo'" in echo.output
    assert "ConnectError" in echo.output
    assert result.text == "The server is gone."


async def test_an_unreachable_server_is_an_mcp_error_naming_the_url() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}/mcp"
    server = MCPServerHTTP(url, startup_timeout=10)
    with anyio.fail_after(15), pytest.raises(MCPError) as caught:
        async with server:
            pass
    assert str(caught.value).startswith(f"Could not open a session with the MCP server {url}")
    assert "ConnectError" in str(caught.value)
    assert caught.value.server == url
