"""The reference time server from PyPI (``mcp-server-time``), a server nobody
on this team wrote, over stdio: its tools are published beside local ones,
validated and called in real runs, and its ``isError`` results reach the
model as tool errors."""

from __future__ import annotations

import json

from _agent_helpers import scripted_agent
from _common import ASYNC_TESTS
from _mcp_toys import time_server

from agentkit import RunContext, ToolArgumentsError, ToolExecutionError, tool
from agentkit.testing import text_response, tool_call_response

pytestmark = ASYNC_TESTS


@tool
def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"31°C in {city}"


async def test_a_run_publishes_validates_and_calls_its_tools() -> None:
    clock = time_server()
    script = [
        tool_call_response(
            [
                ("get_current_time", {"timezone": "Asia/Tokyo"}),
                ("get_current_time", {"timezone": "Mars/Olympus_Mons"}),
                ("convert_time", {"source_timezone": "UTC", "time": 1200}),
                ("get_weather", {"city": "Hanoi"}),
            ]
        ),
        text_response("It is evening in Tokyo."),
    ]
    async with scripted_agent(script, tools=[get_weather, clock]) as (agent, server):
        result = await agent.run("What time is it in Tokyo, and on Mars?")

    published = {
        item["function"]["name"]: item["function"] for item in server.requests[0].json()["tools"]
    }
    assert list(published) == ["get_weather", "get_current_time", "convert_time"]
    parameters = published["get_current_time"]["parameters"]
    assert parameters["required"] == ["timezone"]
    assert parameters["properties"]["timezone"]["type"] == "string"
    assert "title" not in json.dumps(parameters)
    assert published["convert_time"]["description"] == "Convert time between timezones"

    tokyo, mars, convert, weather = result.tool_calls
    assert not tokyo.is_error
    assert json.loads(tokyo.output)["datetime"].endswith("+09:00")
    assert mars.is_error
    assert isinstance(mars.error, ToolExecutionError)
    assert mars.output.startswith("Tool 'get_current_time' failed:")
    assert "Invalid timezone" in mars.output
    assert "Mars/Olympus_Mons" in mars.output
    assert isinstance(convert.error, ToolArgumentsError)  # never sent to the server
    assert "$.time: expected string, got integer 1200" in convert.output
    assert "$.target_timezone: missing required property" in convert.output
    assert weather.output == "31°C in Hanoi"

    sent = server.requests[1].json()["messages"][-4:]
    assert [message["content"] for message in sent] == [call.output for call in result.tool_calls]
    assert result.text == "It is evening in Tokyo."
    assert not clock.is_open


async def test_an_entered_server_lists_once_and_converts_with_a_prefix() -> None:
    clock = time_server(prefix="clock")
    async with clock:
        first = await clock.list_tools()
        second = await clock.list_tools()
        convert = {item.name: item for item in first}["clock_convert_time"]
        arguments = {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"}
        outcome = await convert.execute(json.dumps(arguments), RunContext(None))
    assert [item.name for item in first] == ["clock_get_current_time", "clock_convert_time"]
    assert first == second  # the same Tool objects: listed once per session
    assert not outcome.is_error
    assert json.loads(outcome.output)["time_difference"] == "+9.0h"
    assert not clock.is_open
