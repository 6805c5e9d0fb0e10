"""`FunctionModel`: replies written as a function, sync or async, streamed
over real loopback HTTP, on asyncio and trio."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.lowlevel
import pytest
from _common import ASYNC_TESTS

from agentkit import Agent, BadRequestError, RetryPolicy, tool
from agentkit.testing import (
    FunctionModel,
    ScriptedResponse,
    error_response,
    text_chunks,
    tool_call_chunks,
)

pytestmark = ASYNC_TESTS


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"31°C in {city}"


def weather_then_answer(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
    if messages[-1]["role"] == "user":
        return [("get_weather", {"city": "Hanoi"}), ("get_weather", '{"city": "Paris"}')]
    results = [m["content"] for m in messages if m["role"] == "tool"]
    return "Weather: " + "; ".join(results)


async def test_a_sync_function_calls_tools_then_answers() -> None:
    seen: list[tuple[list[str], list[str]]] = []

    def reply(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
        seen.append(([m["role"] for m in messages], [t["name"] for t in tools]))
        return weather_then_answer(messages, tools)

    stand_in = FunctionModel(reply)
    async with stand_in as model:
        agent = Agent(model, tools=[get_weather], instructions="Be brief.")
        result = await agent.run("Weather in Hanoi and Paris?")

    assert result.text == "Weather: 31°C in Hanoi; 31°C in Paris"
    assert [call.arguments for call in result.tool_calls] == [
        '{"city": "Hanoi"}',
        '{"city": "Paris"}',
    ]
    assert seen == [
        (["system", "user"], ["get_weather"]),
        (["system", "user", "assistant", "tool", "tool"], ["get_weather"]),
    ]
    assert len(stand_in.requests) == 2


async def test_an_async_function_is_awaited() -> None:
    async def reply(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
        await anyio.sleep(0.01)
        return weather_then_answer(messages, tools)

    async with FunctionModel(reply) as model:
        result = await Agent(model, tools=[get_weather]).run("Weather?")
    assert result.text.startswith("Weather: 31°C in Hanoi")


async def test_chunks_are_streamed_as_they_are() -> None:
    def reply(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
        if messages[-1]["role"] == "user":
            return tool_call_chunks([("get_weather", {"city": "Hue"})], text="Looking... ")
        return text_chunks("Done.", finish_reason="length")

    async with FunctionModel(reply) as model:
        result = await Agent(model, tools=[get_weather]).run("Weather?")
    assert result.messages[1]["content"] == "Looking... "
    assert result.tool_calls[0].output == "31°C in Hue"
    assert result.finish_reason == "length"


async def test_a_scripted_response_plays_faults() -> None:
    calls = 0

    def reply(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            return error_response(429, "slow down", headers={"Retry-After": "0"})
        return ScriptedResponse(text_chunks("Hello after a retry."))

    async with FunctionModel(reply) as model:
        model.retry_policy = RetryPolicy(max_retries=1, initial_delay=0.01)
        result = await Agent(model).run("Hi")
    assert result.text == "Hello after a retry."
    assert calls == 2


async def test_a_function_that_raises_fails_the_request_with_its_error() -> None:
    def reply(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
        return {"a": 1}["missing"]

    stand_in = FunctionModel(reply)
    async with stand_in as model:
        with pytest.raises(BadRequestError) as caught:
            await Agent(model).run("Hi")
    message = str(caught.value)
    assert "FunctionModel failed: KeyError: 'missing'" in message
    assert "in reply" in message
    assert len(stand_in.requests) == 1  # not retried


async def test_an_async_function_that_raises_fails_the_same_way() -> None:
    async def reply(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
        await anyio.lowlevel.checkpoint()
        raise ValueError("no idea")

    async with FunctionModel(reply) as model:
        with pytest.raises(BadRequestError, match="FunctionModel failed: ValueError: no idea"):
            await Agent(model).run("Hi")


@pytest.mark.parametrize("reply", [42, [], [("name",)], None, [{"a": 1}, ("x", {})]])
async def test_a_reply_of_the_wrong_shape_says_what_to_return(reply: Any) -> None:
    async with FunctionModel(lambda messages, tools: reply) as model:
        with pytest.raises(BadRequestError) as caught:
            await Agent(model).run("Hi")
    message = str(caught.value)
    assert f"the function returned {reply!r}" in message
    assert "return a str (the answer), a list of (tool name, arguments) pairs" in message
    assert " (at " not in message  # the problem is the value, not a line of code


def test_sync_with_works_for_run_sync() -> None:
    with FunctionModel(lambda messages, tools: "Hi there.") as model:
        assert Agent(model).run_sync("Hello").text == "Hi there."
