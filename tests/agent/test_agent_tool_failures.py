"""Whatever escapes a tool becomes that call's error result, never the run's
end: an exception whose message cannot be read, a bug in a `Tool` subclass,
a value that has no JSON form. NaN and infinities in a return value reach
the model as ``null``. Cancellation still propagates."""

from __future__ import annotations

import json
import math
from typing import Any

import anyio
import pytest
from _agent_helpers import live_tasks, scripted_agent
from _common import ASYNC_TESTS
from pydantic import BaseModel, ConfigDict

from agentkit import ToolExecutionError, ToolRegistry
from agentkit.testing import text_response, tool_call_response
from agentkit.tools import RunContext, Tool

pytestmark = ASYNC_TESTS


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("__str__ failed too")


class BuggyTool(Tool[..., Any]):
    """A tool whose own wrapper has a bug (not the function: the wrapper)."""

    def format_output(self, value: Any) -> str:
        raise KeyError("a bug in format_output")


def two_turns(name: str, arguments: dict[str, Any] | None = None) -> list[Any]:
    return [tool_call_response([(name, arguments or {})]), text_response("Recovered.")]


async def test_an_exception_whose_message_raises_is_a_tool_error() -> None:
    registry = ToolRegistry()

    @registry.tool
    def strange() -> str:
        """Fails oddly."""
        raise Unprintable()

    async with scripted_agent(two_turns("strange"), tools=registry) as (agent, server):
        result = await agent.run("Go")
    assert result.text == "Recovered."
    (record,) = result.tool_calls
    assert record.is_error
    assert isinstance(record.error, ToolExecutionError)
    assert "Unprintable" in record.output
    assert "could not be read" in record.output
    sent = server.requests[1].json()["messages"][-1]
    assert sent == {"role": "tool", "tool_call_id": "call_0", "content": record.output}


async def test_a_bug_in_a_tool_wrapper_is_a_tool_error_not_an_exception_group() -> None:
    def function() -> str:
        return "fine"

    buggy = BuggyTool(function, name="buggy", description="Has a bug.")
    async with scripted_agent(two_turns("buggy"), tools=[buggy]) as (agent, _server):
        result = await agent.run("Go")
    (record,) = result.tool_calls
    assert record.is_error
    assert isinstance(record.error, ToolExecutionError)
    assert isinstance(record.error.__cause__, KeyError)
    assert record.output == "Tool 'buggy' failed unexpectedly (KeyError)."
    assert result.text == "Recovered."


class Reading(BaseModel):
    # This model asks for NaN constants; the tool message must still be JSON.
    model_config = ConfigDict(ser_json_inf_nan="constants")
    value: float


async def test_nan_and_infinity_in_a_return_value_are_sent_as_null() -> None:
    registry = ToolRegistry()

    @registry.tool
    def measure() -> dict[str, Any]:
        """Measure."""
        return {"mean": math.nan, "max": math.inf, "min": -math.inf, "ok": 1.5}

    @registry.tool
    def read() -> list[Reading]:
        """Read."""
        return [Reading(value=math.nan)]

    script = [
        tool_call_response([("measure", {}), ("read", {})]),
        text_response("Done."),
    ]
    async with scripted_agent(script, tools=registry) as (agent, server):
        result = await agent.run("Go")
    measured, read_back = result.tool_calls
    assert not measured.is_error
    assert json.loads(measured.output, parse_constant=_reject) == {
        "mean": None,
        "max": None,
        "min": None,
        "ok": 1.5,
    }
    assert json.loads(read_back.output, parse_constant=_reject) == [{"value": None}]
    # And the request body that carried them is strict JSON.
    json.loads(server.requests[1].body, parse_constant=_reject)


def _reject(name: str) -> Any:
    raise AssertionError(f"{name} is not JSON")


async def test_cancelling_a_run_still_cancels_its_tools() -> None:
    registry = ToolRegistry()
    cancelled = anyio.Event()
    started = anyio.Event()

    @registry.tool
    async def slow(context: RunContext[Any]) -> str:
        """Takes forever."""
        started.set()
        try:
            await anyio.sleep(60)
        except BaseException:
            cancelled.set()
            raise
        return "never"

    before = live_tasks()
    async with scripted_agent(two_turns("slow"), tools=registry) as (agent, _server):
        with anyio.move_on_after(5) as scope:
            async with anyio.create_task_group() as group:
                group.start_soon(agent.run, "Go")
                await started.wait()
                group.cancel_scope.cancel()
        assert not scope.cancelled_caught
    assert cancelled.is_set()
    assert live_tasks() <= before + 1


@pytest.mark.parametrize("value", [math.nan, math.inf])
async def test_a_bare_non_finite_float_is_null(value: float) -> None:
    registry = ToolRegistry()

    @registry.tool
    def number() -> float:
        """A number."""
        return value

    async with scripted_agent(two_turns("number"), tools=registry) as (agent, _server):
        result = await agent.run("Go")
    assert result.tool_calls[0].output == "null"
