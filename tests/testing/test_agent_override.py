"""`Agent.override(model=...)`: run an agent built elsewhere against a
stand-in, in sync and async code."""

from __future__ import annotations

import pytest
from _common import ASYNC_TESTS

from agentkit import Agent, OpenAIChatModel, tool
from agentkit.testing import FunctionModel, ToolCallingModel

pytestmark = ASYNC_TESTS


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"24°C in {city}"


def production_agent() -> Agent[None]:
    """An agent as an application builds it: a real endpoint, never reached here."""
    model = OpenAIChatModel("gpt-4o-mini", base_url="http://127.0.0.1:9/v1", api_key="sk-real")
    return Agent(model, tools=[get_weather])


def test_run_sync_inside_uses_the_stand_in_and_the_model_comes_back() -> None:
    agent = production_agent()
    original = agent.model
    stand_in = ToolCallingModel()
    with stand_in as model, agent.override(model=model) as overridden:
        assert overridden is agent
        assert agent.model is model
        result = agent.run_sync("Weather?")
    assert agent.model is original
    assert result.text == "get_weather: 24°C in Paris"
    assert len(stand_in.requests) == 2


async def test_await_run_and_stream_inside() -> None:
    agent = production_agent()
    async with ToolCallingModel() as model:
        with agent.override(model=model):
            result = await agent.run("Weather?")
            async with agent.stream("Weather?") as run:
                types = [event.type async for event in run]
    assert result.turns == 2
    assert types[-1] == "run.finished"


async def test_a_run_started_inside_keeps_the_override_after_the_block() -> None:
    agent = production_agent()
    async with FunctionModel(lambda messages, tools: "from the stand-in") as model:
        with agent.override(model=model):
            run = agent.stream("Hi")
            await run.__aenter__()
        try:
            texts = [event.text async for event in run if event.type == "text.delta"]
        finally:
            await run.__aexit__(None, None, None)
    assert "".join(texts) == "from the stand-in"


def test_restored_after_an_exception_and_nested_blocks_unwind() -> None:
    agent = production_agent()
    original = agent.model
    first = OpenAIChatModel("first", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(RuntimeError, match="boom"), agent.override(model=first):
        raise RuntimeError("boom")
    assert agent.model is original
    with agent.override(model=first):
        with agent.override(model="second"):
            assert isinstance(agent.model, OpenAIChatModel)
            assert agent.model.model == "second"
        assert agent.model is first
    assert agent.model is original
