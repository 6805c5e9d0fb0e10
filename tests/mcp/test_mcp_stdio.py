"""An MCP server as a child process (the toy server of ``toy_server.py``):
when the process starts and ends, what a run sees when it dies, when it
cannot start, and the tool list it changes."""

from __future__ import annotations

import functools
import subprocess
import sys

import anyio
import pytest
from _agent_helpers import scripted_agent
from _common import ASYNC_TESTS, eventually
from _mcp_toys import is_reaped, toy_stdio

from agentkit import MCPError, RunResult, ToolExecutionError, UsageError
from agentkit.mcp import MCPServerStdio
from agentkit.testing import (
    RecordedRequest,
    ScriptedResponse,
    text_response,
    tool_call_response,
)

pytestmark = ASYNC_TESTS


async def test_an_entered_server_keeps_one_process_and_relists_after_a_change() -> None:
    toy = toy_stdio()
    script = [
        tool_call_response([("pid", {}), ("grow", {})]),
        text_response("Grown."),
        tool_call_response([("pid", {}), ("extra", {})]),
        text_response("Done."),
    ]
    async with scripted_agent(script, tools=[toy]) as (agent, server), toy:
        first = await agent.run("grow")
        assert await _eventually_listed(toy, "extra")
        second = await agent.run("use the new tool")
        assert toy.is_open
    pids = {first.tool_calls[0].output, second.tool_calls[0].output}
    assert len(pids) == 1
    assert second.tool_calls[1].output == "extra tool"
    published = [[item["function"]["name"] for item in r.json()["tools"]] for r in server.requests]
    assert "extra" not in published[0]
    assert "extra" in published[2]
    assert is_reaped(int(pids.pop()))


async def _eventually_listed(toy: MCPServerStdio, name: str) -> bool:
    """The change notification arrives on its own: poll the listing."""
    for _ in range(250):
        if name in [item.name for item in await toy.list_tools()]:
            return True
        await anyio.sleep(0.02)
    return False


async def test_cancelling_a_run_ends_the_process() -> None:
    toy = toy_stdio()
    pids: list[int] = []
    script = [tool_call_response([("pid", {})]), tool_call_response([("slow", {"seconds": 60})])]
    async with scripted_agent(script, tools=[toy]) as (agent, _):

        def keep_pid(event: object) -> None:
            if getattr(event, "type", None) == "tool.result":
                pids.append(int(event.output))  # type: ignore[attr-defined]

        with anyio.move_on_after(20) as scope:
            async with anyio.create_task_group() as task_group:
                task_group.start_soon(functools.partial(agent.run, "wait", on_event=keep_pid))
                assert await eventually(lambda: bool(pids), seconds=15)
                await anyio.sleep(0.3)  # the slow call is under way
                task_group.cancel_scope.cancel()
        assert not scope.cancelled_caught
    assert not toy.is_open
    assert is_reaped(pids[0])


async def test_a_process_that_dies_mid_call_fails_that_call_and_the_run_goes_on() -> None:
    toy = toy_stdio(prefix="toy")
    script = [
        tool_call_response([("toy_pid", {})]),
        tool_call_response([("toy_crash", {})]),
        tool_call_response([("toy_echo", {"text": "still there?"})]),
        text_response("The toy server is gone."),
        tool_call_response([("toy_pid", {})]),
        text_response("Back."),
    ]
    async with scripted_agent(script, tools=[toy]) as (agent, _):
        result = await agent.run("crash it")
        assert not toy.is_open
        again = await agent.run("once more")
    pid, crash, later = result.tool_calls
    assert isinstance(crash.error, ToolExecutionError)
    assert isinstance(crash.error.__cause__, MCPError)
    assert "failed the call of 'crash': the connection is closed" in crash.output
    assert "toy server: crashing on purpose (exit 3)" in crash.output  # its stderr
    assert crash.error.__cause__.stderr == "toy server: crashing on purpose (exit 3)"
    assert later.is_error
    assert "the connection is closed" in later.output
    assert result.text == "The toy server is gone."
    # Each run started its own process, and every process was reaped.
    new_pid = again.tool_calls[0].output
    assert new_pid != pid.output
    assert is_reaped(int(pid.output))
    assert is_reaped(int(new_pid))


def two_runs(request: RecordedRequest) -> ScriptedResponse:
    """Run "first" meets run "second" and ends; "second" then works on."""
    messages = request.json()["messages"]
    if messages[-1]["role"] == "tool":
        return text_response("Done.")
    meet = ("meet", {"group": "runs", "count": 2})
    if messages[-1]["content"] == "first":
        return tool_call_response([meet, ("pid", {})])
    return tool_call_response([meet, ("slow", {"seconds": 1}), ("pid", {})])


async def test_concurrent_runs_share_the_session_until_the_last_one_ends() -> None:
    toy = toy_stdio()
    finished: dict[str, RunResult] = {}
    async with scripted_agent(responder=two_runs, tools=[toy]) as (agent, _):

        async def run(name: str) -> None:
            finished[name] = await agent.run(name)

        async with anyio.create_task_group() as task_group:
            task_group.start_soon(run, "first")
            assert await eventually(lambda: toy.is_open, seconds=15)  # "first" opened it
            task_group.start_soon(run, "second")
    # Both calls of "meet" ran at once in one process; the run that opened
    # the session waited, at its end, for the other one's slow call.
    assert list(finished) == ["second", "first"]
    first, second = finished["first"].tool_calls, finished["second"].tool_calls
    assert [call.output for call in (first[0], second[0], second[1])] == ["met", "met", "slept"]
    assert first[1].output == second[2].output
    assert not toy.is_open
    assert is_reaped(int(first[1].output))


async def test_a_missing_command_is_an_mcp_error_naming_it() -> None:
    server = MCPServerStdio("/nonexistent/mcp-server", ["--port", "1"])
    async with scripted_agent([text_response("never")], tools=[server]) as (agent, model):
        with pytest.raises(MCPError) as caught:
            await agent.run("hi")
    assert "/nonexistent/mcp-server --port 1" in str(caught.value)
    assert "No such file or directory" in str(caught.value)
    assert caught.value.server == "/nonexistent/mcp-server --port 1"
    assert model.requests == []


async def test_a_server_that_exits_at_once_is_an_mcp_error_with_its_stderr() -> None:
    code = "import sys; print('config.toml: missing api_key', file=sys.stderr); sys.exit(2)"
    server = MCPServerStdio(sys.executable, ["-c", code])
    with pytest.raises(MCPError) as caught:
        async with server:
            pass
    message = str(caught.value)
    assert message.startswith(f"Could not open a session with the MCP server {server.label}")
    assert message.endswith("Its last output on stderr:\nconfig.toml: missing api_key")
    assert caught.value.stderr == "config.toml: missing api_key"
    assert not server.is_open


async def test_a_server_that_does_not_answer_fails_after_the_startup_timeout() -> None:
    silent = "import sys; sys.stdin.read()"  # reads, never answers, exits at EOF
    server = MCPServerStdio(sys.executable, ["-c", silent], startup_timeout=0.3)
    with pytest.raises(MCPError, match=r"did not complete the MCP handshake within 0\.3 s"):
        async with server:
            pass


async def test_listing_needs_an_open_session() -> None:
    with pytest.raises(UsageError, match="async with server"):
        await toy_stdio().list_tools()


def test_importing_agentkit_does_not_import_mcp() -> None:
    code = "import sys, agentkit; print('mcp' in sys.modules, 'agentkit.mcp' in sys.modules)"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.split() == ["False", "False"]
