"""`ToolCallingModel`: a stand-in that calls the agent's tools with
generated arguments, then answers with their results, over real loopback
HTTP, on asyncio and trio."""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from _common import ASYNC_TESTS
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from agentkit import Agent, OpenAIChatModel, UsageError, tool
from agentkit.testing import ScriptedServer, ToolCallingModel, open_endpoint

pytestmark = ASYNC_TESTS


@tool
def get_weather(city: str, unit: Literal["C", "F"] = "C") -> str:
    """Get the current weather for a city.

    Args:
        city: The city.
        unit: Degrees.
    """
    return f"24°{unit}, sunny in {city}"


@tool
async def count_words(text: str, minimum: int = 1) -> int:
    """Count the words of a text."""
    return max(len(text.split()), minimum)


class Ticket(BaseModel):
    """A support ticket."""

    title: str
    priority: Literal["low", "high"]
    tags: list[str]


@tool
def open_ticket(ticket: Ticket, timezone: str) -> str:
    """Open a support ticket."""
    return f"opened {ticket.title!r} ({ticket.priority}) at {timezone}"


async def test_calls_every_tool_in_one_turn_then_quotes_the_results() -> None:
    stand_in = ToolCallingModel()
    async with stand_in as model:
        agent = Agent(model, tools=[get_weather, count_words, open_ticket])
        result = await agent.run("Do everything.")

    assert result.turns == 2
    assert [call.name for call in result.tool_calls] == [
        "get_weather",
        "count_words",
        "open_ticket",
    ]
    assert all(not call.is_error for call in result.tool_calls)
    # Sensible values for common names; required properties only.
    first = result.tool_calls[0]
    assert json.loads(first.arguments) == {"city": "Paris"}
    assert first.output == "24°C, sunny in Paris"
    assert json.loads(result.tool_calls[2].arguments)["timezone"] == "UTC"
    assert result.text.splitlines() == [f"{call.name}: {call.output}" for call in result.tool_calls]
    # The three calls streamed in one assistant message, in parallel.
    assistant = result.messages[1]
    assert len(assistant["tool_calls"]) == 3
    assert len({call["id"] for call in assistant["tool_calls"]}) == 3
    assert len(stand_in.requests) == 2
    assert stand_in.requests[0].json()["stream"] is True


async def test_calls_only_the_named_tools_and_answers_the_given_text() -> None:
    async with ToolCallingModel(call_tools=["count_words", "not_offered"], text="Done.") as model:
        result = await Agent(model, tools=[get_weather, count_words]).run("Count.")
    assert [call.name for call in result.tool_calls] == ["count_words"]
    assert result.text == "Done."


async def test_one_name_as_a_string_and_no_tools_at_all() -> None:
    async with ToolCallingModel(call_tools="get_weather") as model:
        result = await Agent(model, tools=[get_weather, count_words]).run("Weather?")
        assert [call.name for call in result.tool_calls] == ["get_weather"]
        plain = await Agent(model).run("Hello")
    assert plain.turns == 1
    assert plain.text == "A stand-in answer: no tool was called."


def test_arguments_are_deterministic_per_seed() -> None:
    def arguments(seed: int) -> str:
        with ToolCallingModel(seed=seed) as model:
            result = Agent(model, tools=[open_ticket]).run_sync("Open one.")
        return result.tool_calls[0].arguments

    assert arguments(0) == arguments(0)
    assert len({arguments(seed) for seed in range(6)}) > 1


async def test_a_conversation_goes_on_and_each_question_calls_again() -> None:
    async with ToolCallingModel(call_tools=["get_weather"]) as model:
        agent = Agent(model, tools=[get_weather])
        first = await agent.run("Weather?")
        second = await agent.run([*first.messages, {"role": "user", "content": "And now?"}])
    assert len(second.tool_calls) == 1
    assert second.turns == 2
    ids = [m["tool_call_id"] for m in second.messages if m["role"] == "tool"]
    assert len(ids) == 2


async def test_the_output_tool_is_called_last_with_valid_arguments() -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "temp_c": {"type": "number"}},
        "required": ["city", "temp_c"],
        "additionalProperties": False,
    }
    tools = [
        get_weather.definition(),
        {"type": "function", "function": {"name": "final_result", "parameters": schema}},
    ]
    async with ToolCallingModel() as model:
        first_turn = await _one_turn(model, [{"role": "user", "content": "Forecast?"}], tools)
        assert [call.name for call in first_turn.tool_calls] == ["get_weather"]
        after = [
            {"role": "user", "content": "Forecast?"},
            first_turn.to_dict(),
            {"role": "tool", "tool_call_id": first_turn.tool_calls[0].id, "content": "24°C"},
        ]
        second_turn = await _one_turn(model, after, tools)
    (final,) = second_turn.tool_calls
    assert final.name == "final_result"
    assert not list(Draft202012Validator(schema).iter_errors(json.loads(final.arguments)))


async def test_a_json_schema_response_format_gets_a_valid_json_answer() -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
        "required": ["city", "days"],
        "additionalProperties": False,
    }
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "forecast", "schema": schema, "strict": True},
    }
    async with ToolCallingModel() as model:
        messages = [{"role": "user", "content": "Forecast?"}]
        async with model.stream(messages, response_format=response_format) as turn:
            message = await turn.collect()
    assert message.content is not None
    assert not list(Draft202012Validator(schema).iter_errors(json.loads(message.content)))


async def _one_turn(
    model: OpenAIChatModel, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> Any:
    async with model.stream(messages, tools) as turn:
        return await turn.collect()


async def test_a_tool_that_fails_is_quoted_with_its_error() -> None:
    @tool
    def broken(city: str) -> str:
        """Always fails."""
        raise RuntimeError("sensor offline")

    async with ToolCallingModel() as model:
        result = await Agent(model, tools=[broken]).run("Try.")
    assert result.tool_calls[0].is_error
    assert "sensor offline" in result.text


def test_sync_with_gives_a_served_model_and_keeps_the_requests() -> None:
    stand_in = ToolCallingModel()
    with stand_in as model:
        assert isinstance(model, OpenAIChatModel)
        assert model.base_url == stand_in.base_url
        assert stand_in.base_url.startswith("http://127.0.0.1:")
        with pytest.raises(UsageError, match="already served"), stand_in:
            pass
        Agent(model, tools=[get_weather]).run_sync("Weather?")
    assert len(stand_in.requests) == 2
    assert "not served" in repr(stand_in)
    with pytest.raises(UsageError, match="use it with `with`"):
        _ = stand_in.base_url
    with stand_in as model:  # served again, with a new server
        Agent(model).run_sync("Hi")
    assert len(stand_in.requests) == 1


def test_a_stand_in_is_a_responder_for_the_server_and_open_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("AGENTKIT_BASE_URL", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with open_endpoint(ToolCallingModel(text="fine")) as endpoint:
        assert endpoint.offline
        result = Agent(endpoint.model, tools=[get_weather]).run_sync("Weather?")
    assert result.text == "fine"
    assert len(result.tool_calls) == 1
    with ScriptedServer(responder=ToolCallingModel()) as server:
        model = OpenAIChatModel("m", base_url=server.base_url, api_key="k")
        result = Agent(model, tools=[count_words]).run_sync("Count.")
    assert result.text == "count_words: 1"
