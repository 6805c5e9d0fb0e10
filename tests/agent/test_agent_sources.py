"""Tool sources (`ToolSource`): tools listed when a run starts, beside local
ones. The MCP servers of `agentkit.mcp` are the real sources; here a small
in-memory one checks the runner's side of the contract."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from _agent_helpers import scripted_agent
from _common import ASYNC_TESTS

from agentkit import Tool, ToolDefinitionError, ToolRegistry, ToolSource, tool
from agentkit.testing import text_response, tool_call_response

pytestmark = ASYNC_TESTS


class CountingSource:
    """A re-entrant source that counts how often it is opened and listed."""

    def __init__(self, *tools: Tool[..., Any]) -> None:
        self.tools = list(tools)
        self.depth = 0
        self.opened = 0
        self.listed = 0

    async def __aenter__(self) -> CountingSource:
        self.depth += 1
        self.opened += self.depth == 1
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.depth -= 1

    async def list_tools(self) -> Sequence[Tool[..., Any]]:
        assert self.depth > 0, "listed while not entered"
        self.listed += 1
        return self.tools


def remote_clock() -> Tool[..., Any]:
    async def now(timezone: str) -> str:
        return f"12:00 in {timezone}"

    return Tool.from_schema(
        now,
        name="clock_now",
        parameters={
            "type": "object",
            "properties": {"timezone": {"type": "string"}},
            "required": ["timezone"],
        },
        description="The time.",
    )


@tool
def local_echo(text: str) -> str:
    """Echo the text."""
    return text


def test_a_source_is_recognised_and_kept_apart_from_tools() -> None:
    source = CountingSource(remote_clock())
    assert isinstance(source, ToolSource)
    registry = ToolRegistry([local_echo, source])
    assert registry.names == ["local_echo"]
    assert registry.sources == (source,)


async def test_a_run_publishes_and_calls_the_tools_of_a_source() -> None:
    source = CountingSource(remote_clock())
    script = [
        tool_call_response(
            [("clock_now", {"timezone": "Asia/Hanoi"}), ("local_echo", {"text": "hi"})]
        ),
        text_response("Noon."),
    ]
    async with scripted_agent(script, tools=[local_echo, source]) as (agent, server):
        result = await agent.run("time?")
    published = [tool["function"]["name"] for tool in server.requests[0].json()["tools"]]
    assert published == ["local_echo", "clock_now"]
    assert [call.output for call in result.tool_calls] == ["12:00 in Asia/Hanoi", "hi"]
    assert (source.opened, source.listed, source.depth) == (1, 1, 0)


async def test_arguments_are_validated_against_the_source_schema() -> None:
    source = CountingSource(remote_clock())
    script = [tool_call_response([("clock_now", {"tz": "UTC"})]), text_response("Sorry.")]
    async with scripted_agent(script, tools=[source]) as (agent, _server):
        result = await agent.run("time?")
    (call,) = result.tool_calls
    assert call.is_error
    assert "$.timezone: missing required property" in call.output


async def test_a_source_entered_by_the_user_stays_open_across_runs() -> None:
    source = CountingSource(remote_clock())
    script = [text_response("One."), text_response("Two.")]
    async with scripted_agent(script, tools=[source]) as (agent, _server), source:
        await agent.run("first")
        await agent.run("second")
        assert source.depth == 1
    assert (source.opened, source.listed) == (1, 2)


async def test_a_name_clash_between_a_source_and_a_local_tool_names_the_fix() -> None:
    clash = Tool.from_schema(
        lambda text: text, name="local_echo", parameters={"type": "object", "properties": {}}
    )
    source = CountingSource(clash)
    async with scripted_agent([text_response("never")], tools=[local_echo, source]) as (
        agent,
        server,
    ):
        with pytest.raises(ToolDefinitionError, match="prefix"):
            await agent.run("hi")
    assert server.requests == []
    assert source.depth == 0
