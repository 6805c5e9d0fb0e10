"""Structured output end to end over loopback HTTP: the ``final_result``
function (tool mode), ``response_format`` ``json_schema`` (native) and
``json_object`` (prompted), validation going back to the model, retries,
truncation, output types of every kind, and ``output.partial`` events."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import anyio
import pytest
from _agent_helpers import Recorder, scripted_agent
from _common import ASYNC_TESTS
from _streams import call_args, call_start, call_steps, chunk, finish, response, role
from pydantic import BaseModel
from typing_extensions import TypedDict

from agentkit import (
    OutputLengthError,
    OutputValidationError,
    RunError,
    ToolDefinitionError,
    ToolRegistry,
    UsageError,
)
from agentkit.testing import (
    Disconnect,
    ScriptedResponse,
    raw_response,
    text_response,
    tool_call_response,
    usage_chunk,
)

pytestmark = ASYNC_TESTS


class Forecast(BaseModel):
    city: str
    temp_c: float


@dataclasses.dataclass
class Place:
    name: str
    population: int


class Movie(TypedDict):
    title: str
    year: int


class Cat(BaseModel):
    kind: str = "cat"
    meows: bool


class Dog(BaseModel):
    kind: str = "dog"
    barks: int


HANOI = {"city": "Hanoi", "temp_c": 31.5}


def weather_tools() -> tuple[ToolRegistry, list[str]]:
    """A ``get_weather`` tool that logs the cities it was asked about."""
    asked: list[str] = []
    registry = ToolRegistry()

    @registry.tool
    async def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        asked.append(city)
        await anyio.sleep(0.01)
        return "31.5°C, humid"

    return registry, asked


def output_call(arguments: Any, *, fragments: int = 3) -> ScriptedResponse:
    """A turn with one ``final_result`` call."""
    return tool_call_response([("final_result", arguments)], fragments=fragments)


def tool_messages(messages: list[dict[str, Any]]) -> dict[str, str]:
    """Tool message contents by call id."""
    return {m["tool_call_id"]: m["content"] for m in messages if m["role"] == "tool"}


def assert_every_call_answered(messages: list[dict[str, Any]]) -> None:
    """Each assistant tool call has exactly one tool message among the tool
    messages that follow it (a conversation a provider accepts again)."""
    for position, message in enumerate(messages):
        following = []
        for later in messages[position + 1 :]:
            if later["role"] != "tool":
                break
            following.append(later["tool_call_id"])
        for tool_call in message.get("tool_calls") or ():
            count = following.count(tool_call["id"])
            assert count == 1, f"call {tool_call['id']} has {count} answers"


# ------------------------------------------------------------ tool mode


async def test_tool_mode_publishes_final_result_with_the_output_schema() -> None:
    registry, _ = weather_tools()
    async with scripted_agent([output_call(HANOI)], tools=registry, output_type=Forecast) as (
        agent,
        server,
    ):
        await agent.run("Forecast?")

    body = server.requests[0].json()
    names = [definition["function"]["name"] for definition in body["tools"]]
    assert names == ["get_weather", "final_result"]
    parameters = body["tools"][1]["function"]["parameters"]
    assert parameters["type"] == "object"
    assert set(parameters["properties"]) == {"city", "temp_c"}
    assert parameters["properties"]["temp_c"]["type"] == "number"
    assert sorted(parameters["required"]) == ["city", "temp_c"]
    assert "response_format" not in body


async def test_a_valid_final_result_ends_the_run_without_another_turn() -> None:
    async with scripted_agent([output_call(HANOI)], output_type=Forecast) as (agent, server):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(city="Hanoi", temp_c=31.5)
    assert len(server.requests) == 1
    assert result.turns == 1
    assert result.tool_calls == ()
    assistant, answer = result.messages[-2:]
    assert [c["function"]["name"] for c in assistant["tool_calls"]] == ["final_result"]
    assert answer == {
        "role": "tool",
        "tool_call_id": assistant["tool_calls"][0]["id"],
        "content": "Final result accepted.",
    }


async def test_each_output_call_is_closed_by_a_tool_result_event() -> None:
    # UIs close a call on its tool.result; the output call gets one too, with
    # the answer the conversation holds (invalid ones with their problems).
    script = [output_call({"city": "Hanoi"}), output_call(HANOI)]
    recorder = Recorder()
    async with scripted_agent(script, output_type=Forecast) as (agent, _server):
        await agent.run("Forecast?", on_event=recorder)
    first, second = recorder.of_type("tool.result")
    assert (first.name, first.is_error) == ("final_result", True)
    assert "temp_c" in first.output
    assert (second.output, second.is_error) == ("Final result accepted.", False)
    assert recorder.types.index("tool.result") < recorder.types.index("turn.finished")


async def test_the_output_after_a_tool_turn_leaves_only_real_calls_in_tool_calls() -> None:
    registry, asked = weather_tools()
    script = [tool_call_response([("get_weather", {"city": "Hanoi"})]), output_call(HANOI)]
    async with scripted_agent(script, tools=registry, output_type=Forecast) as (agent, server):
        result = await agent.run("Forecast?")

    assert asked == ["Hanoi"]
    assert result.output == Forecast(**HANOI)
    assert [record.name for record in result.tool_calls] == ["get_weather"]
    assert result.turns == 2
    assert len(server.requests) == 2
    second = server.requests[1].json()["messages"]
    assert second[-1] == {"role": "tool", "tool_call_id": "call_0", "content": "31.5°C, humid"}
    assert_every_call_answered(result.messages)


async def test_a_call_started_before_the_output_runs_to_completion_and_is_recorded() -> None:
    registry, asked = weather_tools()
    script = [tool_call_response([("get_weather", {"city": "Hue"}), ("final_result", HANOI)])]
    async with scripted_agent(script, tools=registry, output_type=Forecast) as (agent, server):
        result = await agent.run("Forecast?")

    assert asked == ["Hue"]
    assert result.output == Forecast(**HANOI)
    assert len(server.requests) == 1
    assert [(r.id, r.output) for r in result.tool_calls] == [("call_0", "31.5°C, humid")]
    answers = tool_messages(result.messages)
    assert answers == {"call_0": "31.5°C, humid", "call_1": "Final result accepted."}
    assert_every_call_answered(result.messages)


async def test_a_call_after_a_valid_output_never_starts_and_is_dropped() -> None:
    registry, asked = weather_tools()
    script = [tool_call_response([("final_result", HANOI), ("get_weather", {"city": "Hue"})])]
    async with scripted_agent(script, tools=registry, output_type=Forecast) as (agent, server):
        result = await agent.run("Forecast?")

    assert asked == []
    assert result.output == Forecast(**HANOI)
    assert result.tool_calls == ()
    assert len(server.requests) == 1
    assistant = result.messages[-2]
    assert [c["function"]["name"] for c in assistant["tool_calls"]] == ["final_result"]
    assert_every_call_answered(result.messages)


async def test_a_deferred_call_before_the_output_is_dropped_too() -> None:
    asked: list[str] = []
    registry = ToolRegistry()

    @registry.tool(eager=False)
    def slow_lookup(city: str) -> str:
        """Look a city up, only after the turn."""
        asked.append(city)
        return "found"

    script = [tool_call_response([("slow_lookup", {"city": "Hue"}), ("final_result", HANOI)])]
    async with scripted_agent(script, tools=registry, output_type=Forecast) as (agent, _server):
        result = await agent.run("Forecast?")

    assert asked == []
    assert result.output == Forecast(**HANOI)
    assert [c["function"]["name"] for c in result.messages[-2]["tool_calls"]] == ["final_result"]
    assert_every_call_answered(result.messages)


async def test_of_two_output_calls_the_first_valid_wins_and_the_other_is_not_used() -> None:
    second = {"city": "Hue", "temp_c": 20}
    script = [tool_call_response([("final_result", HANOI), ("final_result", second)])]
    async with scripted_agent(script, output_type=Forecast) as (agent, server):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(**HANOI)
    assert len(server.requests) == 1
    answers = tool_messages(result.messages)
    assert answers["call_0"] == "Final result accepted."
    assert answers["call_1"].startswith("Not used:")
    assert_every_call_answered(result.messages)


async def test_an_invalid_output_call_before_a_valid_one_is_answered_with_its_problems() -> None:
    bad = {"city": "Hue", "temp_c": "warm"}
    script = [tool_call_response([("final_result", bad), ("final_result", HANOI)])]
    async with scripted_agent(script, output_type=Forecast, output_retries=0) as (agent, server):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(**HANOI)  # no retry was spent
    assert len(server.requests) == 1
    answers = tool_messages(result.messages)
    assert "temp_c" in answers["call_0"]
    assert answers["call_1"] == "Final result accepted."
    assert_every_call_answered(result.messages)


async def test_an_invalid_output_call_after_a_valid_one_is_not_used() -> None:
    bad = {"city": "Hue", "temp_c": "warm"}
    script = [tool_call_response([("final_result", HANOI), ("final_result", bad)])]
    async with scripted_agent(script, output_type=Forecast) as (agent, _server):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(**HANOI)
    assert tool_messages(result.messages)["call_1"].startswith("Not used:")


async def test_a_wrong_shape_goes_back_as_a_tool_message_naming_the_field() -> None:
    bad = {"city": "Hanoi", "temp_c": "hot"}
    script = [output_call(bad), output_call(HANOI)]
    async with scripted_agent(script, output_type=Forecast) as (agent, server):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(**HANOI)
    assert result.turns == 2
    sent = server.requests[1].json()["messages"]
    assert sent[-2]["tool_calls"][0]["function"]["name"] == "final_result"
    feedback = sent[-1]
    assert feedback["role"] == "tool"
    assert feedback["tool_call_id"] == "call_0"
    assert "temp_c" in feedback["content"]
    assert "number" in feedback["content"]
    assert_every_call_answered(result.messages)


async def test_a_missing_field_goes_back_naming_it() -> None:
    script = [output_call({"city": "Hanoi"}), output_call(HANOI)]
    async with scripted_agent(script, output_type=Forecast) as (agent, server):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(**HANOI)
    assert "temp_c" in server.requests[1].json()["messages"][-1]["content"]


async def test_output_arguments_that_are_not_json_go_back_to_the_model() -> None:
    script = [output_call('{"city": "Hanoi", temp_c: 31', fragments=2), output_call(HANOI)]
    async with scripted_agent(script, output_type=Forecast) as (agent, server):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(**HANOI)
    feedback = server.requests[1].json()["messages"][-1]
    assert feedback["role"] == "tool"
    assert "JSON" in feedback["content"]


async def test_a_text_answer_in_tool_mode_is_told_to_call_final_result() -> None:
    script = [text_response("It is 31 degrees in Hanoi."), output_call(HANOI)]
    async with scripted_agent(script, output_type=Forecast) as (agent, server):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(**HANOI)
    sent = server.requests[1].json()["messages"]
    assert sent[-2] == {"role": "assistant", "content": "It is 31 degrees in Hanoi."}
    assert sent[-1]["role"] == "user"
    assert "final_result" in sent[-1]["content"]


async def test_spent_output_retries_raise_output_validation_error_with_the_result() -> None:
    bad = {"city": "Hanoi", "temp_c": "hot"}
    script = [output_call(bad), output_call(bad), text_response("never asked")]
    async with scripted_agent(script, output_type=Forecast) as (agent, server):
        with pytest.raises(OutputValidationError) as caught:
            await agent.run("Forecast?")

    error = caught.value
    assert isinstance(error, RunError)
    assert len(server.requests) == 2  # output_retries=1: one more try
    assert any("temp_c" in problem["path"] for problem in error.errors)
    assert error.result is not None
    assert error.result.turns == 2
    assert error.result.output is None
    assert "temp_c" in str(error)
    assert_every_call_answered(error.result.messages)


async def test_plain_text_answers_also_spend_the_output_retries() -> None:
    script = [text_response("hot"), text_response("very hot"), text_response("never asked")]
    async with scripted_agent(script, output_type=Forecast) as (agent, server):
        with pytest.raises(OutputValidationError) as caught:
            await agent.run("Forecast?")

    assert len(server.requests) == 2
    assert caught.value.result.messages[-1]["role"] == "user"


async def test_output_retries_zero_fails_on_the_first_invalid_output() -> None:
    script = [output_call({"city": "Hanoi"}), output_call(HANOI)]
    async with scripted_agent(script, output_type=Forecast, output_retries=0) as (agent, server):
        with pytest.raises(OutputValidationError):
            await agent.run("Forecast?")

    assert len(server.requests) == 1


async def test_output_retries_two_allows_two_more_tries() -> None:
    bad = {"city": "Hanoi"}
    script = [output_call(bad), text_response("hm"), output_call(HANOI)]
    async with scripted_agent(script, output_type=Forecast, output_retries=2) as (agent, server):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(**HANOI)
    assert len(server.requests) == 3


async def test_a_tool_turn_between_invalid_outputs_does_not_spend_a_retry() -> None:
    registry, _ = weather_tools()
    bad = {"city": "Hanoi"}
    script = [
        output_call(bad),
        tool_call_response([("get_weather", {"city": "Hanoi"})]),
        output_call(HANOI),
    ]
    async with scripted_agent(script, tools=registry, output_type=Forecast, output_retries=1) as (
        agent,
        _server,
    ):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(**HANOI)


async def test_negative_output_retries_and_unknown_modes_are_usage_errors() -> None:
    async with scripted_agent() as (agent, _server):
        with pytest.raises(UsageError, match="output_retries"):
            type(agent)(agent.model, output_type=Forecast, output_retries=-1)
        with pytest.raises(UsageError, match="output_mode"):
            type(agent)(agent.model, output_type=Forecast, output_mode="json")  # type: ignore[arg-type]


async def test_final_result_arguments_sent_as_an_object_are_accepted() -> None:
    steps = [
        role(),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_obj",
                        "type": "function",
                        "function": {"name": "final_result", "arguments": HANOI},
                    }
                ]
            }
        ),
        finish("tool_calls"),
    ]
    recorder = Recorder()
    async with scripted_agent([response(*steps)], output_type=Forecast) as (agent, _server):
        result = await agent.run("Forecast?", on_event=recorder)

    assert result.output == Forecast(**HANOI)
    assert recorder.of_type("output.partial")[-1].partial == HANOI


async def test_the_output_tool_name_is_configurable() -> None:
    script = [tool_call_response([("submit_forecast", HANOI)])]
    async with scripted_agent(script, output_type=Forecast, output_tool_name="submit_forecast") as (
        agent,
        server,
    ):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(**HANOI)
    tools = server.requests[0].json()["tools"]
    assert [t["function"]["name"] for t in tools] == ["submit_forecast"]


async def test_a_length_finish_in_the_middle_of_the_output_is_not_validated() -> None:
    steps = [
        role(),
        call_start(0, "call_0", "final_result"),
        call_args(0, '{"city": "Hanoi", "te'),
        finish("length"),
        usage_chunk(),
    ]
    recorder = Recorder()
    async with scripted_agent([response(*steps), output_call(HANOI)], output_type=Forecast) as (
        agent,
        server,
    ):
        result = await agent.run("Forecast?", on_event=recorder)

    assert result.finish_reason == "length"
    assert result.output is None
    assert len(server.requests) == 1
    assert recorder.of_type("output.partial")[-1].partial == {"city": "Hanoi"}
    assert_every_call_answered(result.messages)


async def test_a_length_finish_in_the_output_raises_output_length_error_when_asked() -> None:
    steps = [
        role(),
        call_start(0, "call_0", "final_result"),
        call_args(0, '{"city": "Ha'),
        finish("length"),
    ]
    async with scripted_agent(
        [response(*steps)], output_type=Forecast, raise_on_truncation=True
    ) as (agent, server):
        with pytest.raises(OutputLengthError) as caught:
            await agent.run("Forecast?")

    assert caught.value.result.output is None
    assert len(server.requests) == 1


async def test_the_output_is_on_the_result_of_run_sync_stream_and_run_finished() -> None:
    recorder = Recorder()
    async with scripted_agent([output_call(HANOI), output_call(HANOI)], output_type=Forecast) as (
        agent,
        _server,
    ):
        result = await agent.run("Forecast?", on_event=recorder)
        async with agent.stream("Again") as run:
            async for _event in run:
                pass

    assert recorder.of_type("run.finished")[0].result.output == Forecast(**HANOI)
    assert result.output == Forecast(**HANOI)
    assert run.result.output == Forecast(**HANOI)
    assert result.to_dict()["output"] == HANOI
    json.dumps(result.to_dict())


async def test_a_broken_stream_after_a_valid_output_keeps_the_output() -> None:
    registry, asked = weather_tools()
    steps = [
        role(),
        *call_steps(0, "c0", "final_result", HANOI),
        call_start(1, "c1", "get_weather"),  # seals the output call
        Disconnect(),
    ]
    async with scripted_agent([response(*steps)], tools=registry, output_type=Forecast) as (
        agent,
        server,
    ):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(**HANOI)
    assert asked == []
    assert len(server.requests) == 1  # not streamed again: the output was given
    assert_every_call_answered(result.messages)


async def test_a_bad_output_tool_name_is_a_usage_error() -> None:
    async with scripted_agent() as (agent, _server):
        for name in ("final result!", "", "x" * 65):
            with pytest.raises(UsageError, match="output_tool_name"):
                type(agent)(agent.model, output_type=Forecast, output_tool_name=name)


async def test_an_output_tool_name_taken_by_a_tool_is_a_usage_error() -> None:
    ran: list[int] = []
    registry = ToolRegistry()

    @registry.tool
    def final_result(x: int) -> str:
        """A tool of the user's that happens to have the output's name."""
        ran.append(x)
        return "ran"

    script = [output_call(HANOI)]
    async with scripted_agent(script) as (agent, server):

        async def make_and_run() -> None:
            # The error may come from Agent(...) or from the run (tools of a
            # ToolSource are only known then); either way before a request.
            clashing = type(agent)(agent.model, tools=registry, output_type=Forecast)
            await clashing.run("Forecast?")

        with pytest.raises(UsageError, match="final_result"):
            await make_and_run()

    assert ran == []
    # never sent: two functions of one name are rejected by providers
    assert server.requests == []


# ------------------------------------------------------------ output types


async def test_a_dataclass_output() -> None:
    place = {"name": "Hanoi", "population": 8_000_000}
    async with scripted_agent([output_call(place)], output_type=Place) as (agent, server):
        result = await agent.run("Where?")

    assert result.output == Place("Hanoi", 8_000_000)
    parameters = server.requests[0].json()["tools"][0]["function"]["parameters"]
    assert set(parameters["properties"]) == {"name", "population"}
    assert result.to_dict()["output"] == place


async def test_a_typed_dict_output() -> None:
    movie = {"title": "Dune", "year": 2021}
    async with scripted_agent([output_call(movie)], output_type=Movie) as (agent, server):
        result = await agent.run("Which?")

    assert result.output == movie
    parameters = server.requests[0].json()["tools"][0]["function"]["parameters"]
    assert parameters["properties"]["year"]["type"] == "integer"


async def test_a_union_of_models_is_wrapped_and_unwrapped() -> None:
    recorder = Recorder()
    script = [output_call({"result": {"kind": "dog", "barks": 3}}, fragments=10)]
    async with scripted_agent(script, output_type=Cat | Dog) as (agent, server):
        result = await agent.run("Which pet?", on_event=recorder)

    assert result.output == Dog(barks=3)
    parameters = server.requests[0].json()["tools"][0]["function"]["parameters"]
    assert parameters["type"] == "object"
    assert parameters["required"] == ["result"]
    assert (
        "anyOf" in parameters["properties"]["result"]
        or "oneOf" in (parameters["properties"]["result"])
    )
    assert recorder.of_type("output.partial")[-1].partial == {"kind": "dog", "barks": 3}


async def test_a_list_of_ints_is_wrapped_and_unwrapped() -> None:
    recorder = Recorder()
    script = [output_call({"result": [1, 2, 3, 5, 8, 13]}, fragments=20)]
    async with scripted_agent(script, output_type=list[int]) as (agent, server):
        result = await agent.run("Fibonacci?", on_event=recorder)

    assert result.output == [1, 2, 3, 5, 8, 13]
    parameters = server.requests[0].json()["tools"][0]["function"]["parameters"]
    assert parameters["properties"]["result"]["type"] == "array"
    assert parameters["properties"]["result"]["items"]["type"] == "integer"
    partials = [event.partial for event in recorder.of_type("output.partial")]
    assert all(isinstance(partial, list) for partial in partials)
    assert partials[-1] == [1, 2, 3, 5, 8, 13]


async def test_a_wrapped_output_missing_its_result_key_goes_back_to_the_model() -> None:
    script = [output_call({"numbers": [1]}), output_call({"result": [1]})]
    async with scripted_agent(script, output_type=list[int]) as (agent, server):
        result = await agent.run("Numbers?")

    assert result.output == [1]
    assert "result" in server.requests[1].json()["messages"][-1]["content"]


async def test_a_str_output_is_wrapped_and_unwrapped() -> None:
    async with scripted_agent([output_call({"result": "bonjour"})], output_type=str) as (
        agent,
        _server,
    ):
        result = await agent.run("Say hi in French")

    assert result.output == "bonjour"


async def test_an_output_type_without_a_json_schema_is_a_definition_error() -> None:
    async with scripted_agent() as (agent, _server):
        with pytest.raises(ToolDefinitionError):
            type(agent)(agent.model, output_type=anyio.Event)


# ------------------------------------------------------------ native mode


async def test_native_mode_sends_a_strict_json_schema_response_format() -> None:
    script = [text_response(json.dumps(HANOI))]
    async with scripted_agent(script, output_type=Forecast, output_mode="native") as (
        agent,
        server,
    ):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(**HANOI)
    body = server.requests[0].json()
    response_format = body["response_format"]
    assert response_format["type"] == "json_schema"
    spec = response_format["json_schema"]
    assert spec["name"] == "final_result"
    assert spec["strict"] is True
    assert spec["schema"]["additionalProperties"] is False
    assert sorted(spec["schema"]["required"]) == ["city", "temp_c"]
    assert not any(t["function"]["name"] == "final_result" for t in body.get("tools") or ())


async def test_native_mode_sends_the_response_format_on_every_turn_with_tools() -> None:
    registry, asked = weather_tools()
    script = [
        tool_call_response([("get_weather", {"city": "Hanoi"})]),
        text_response(json.dumps(HANOI)),
    ]
    async with scripted_agent(
        script, tools=registry, output_type=Forecast, output_mode="native"
    ) as (agent, server):
        result = await agent.run("Forecast?")

    assert asked == ["Hanoi"]
    assert result.output == Forecast(**HANOI)
    assert [r.name for r in result.tool_calls] == ["get_weather"]
    for request in server.requests:
        assert request.json()["response_format"]["type"] == "json_schema"


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        ("It is hot in Hanoi.", "JSON"),
        (json.dumps({"city": "Hanoi", "temp_c": "hot"}), "temp_c"),
        ("", "empty"),
    ],
    ids=["not-json", "wrong-shape", "empty"],
)
async def test_native_mode_invalid_content_gets_a_user_message_with_the_problems(
    answer: str, named: str
) -> None:
    first = text_response(answer) if answer else response(role(), finish("stop"))
    script = [first, text_response(json.dumps(HANOI))]
    async with scripted_agent(script, output_type=Forecast, output_mode="native") as (
        agent,
        server,
    ):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(**HANOI)
    sent = server.requests[1].json()["messages"]
    assert sent[-2]["role"] == "assistant"
    assert sent[-1]["role"] == "user"
    assert named in sent[-1]["content"]


async def test_native_mode_invalid_content_twice_raises_output_validation_error() -> None:
    script = [text_response("no"), text_response("still no")]
    async with scripted_agent(script, output_type=Forecast, output_mode="native") as (
        agent,
        server,
    ):
        with pytest.raises(OutputValidationError) as caught:
            await agent.run("Forecast?")

    assert len(server.requests) == 2
    assert caught.value.result.text == "still no"


async def test_native_mode_refuses_a_type_strict_mode_cannot_express() -> None:
    async with scripted_agent() as (agent, _server):
        with pytest.raises(ToolDefinitionError, match="native"):
            type(agent)(agent.model, output_type=dict[str, int], output_mode="native")
        # the other modes take it
        type(agent)(agent.model, output_type=dict[str, int], output_mode="tool")


async def test_native_mode_defaults_sent_as_null_are_dropped() -> None:
    class Report(BaseModel):
        city: str
        note: str | None = None
        days: int = 3

    script = [text_response(json.dumps({"city": "Hanoi", "note": None, "days": None}))]
    async with scripted_agent(script, output_type=Report, output_mode="native") as (
        agent,
        server,
    ):
        result = await agent.run("Report?")

    assert result.output == Report(city="Hanoi")
    schema = server.requests[0].json()["response_format"]["json_schema"]["schema"]
    assert sorted(schema["required"]) == ["city", "days", "note"]


async def test_native_mode_wraps_a_list_output() -> None:
    script = [text_response(json.dumps({"result": [3, 4]}))]
    async with scripted_agent(script, output_type=list[int], output_mode="native") as (
        agent,
        server,
    ):
        result = await agent.run("Numbers?")

    assert result.output == [3, 4]
    schema = server.requests[0].json()["response_format"]["json_schema"]["schema"]
    assert schema["required"] == ["result"]


# ---------------------------------------------------------- prompted mode


async def test_prompted_mode_puts_the_schema_in_the_system_message() -> None:
    script = [text_response(json.dumps(HANOI))]
    async with scripted_agent(
        script, output_type=Forecast, output_mode="prompted", instructions="Be brief."
    ) as (agent, server):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(**HANOI)
    body = server.requests[0].json()
    assert body["response_format"] == {"type": "json_object"}
    system = body["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith("Be brief.")
    assert '"temp_c"' in system["content"]
    assert "tools" not in body or not any(
        t["function"]["name"] == "final_result" for t in body["tools"]
    )
    assert all(m["role"] != "system" for m in result.messages)


async def test_prompted_mode_accepts_a_fenced_json_block() -> None:
    fenced = "```json\n" + json.dumps(HANOI, indent=2) + "\n```"
    async with scripted_agent(
        [text_response(fenced)], output_type=Forecast, output_mode="prompted"
    ) as (
        agent,
        _server,
    ):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(**HANOI)


async def test_prompted_mode_accepts_a_fenced_block_after_a_lead_in_sentence() -> None:
    # The partial stream skips such a lead-in (``skip_prefix``); so must the
    # final validation, or the user sees an output that is then rejected.
    answer = "Here is the forecast:\n```json\n" + json.dumps(HANOI) + "\n```"
    recorder = Recorder()
    async with scripted_agent(
        [text_response(answer), text_response(json.dumps(HANOI))],
        output_type=Forecast,
        output_mode="prompted",
    ) as (agent, server):
        result = await agent.run("Forecast?", on_event=recorder)

    assert recorder.of_type("output.partial")[-1].partial == HANOI
    assert result.output == Forecast(**HANOI)
    assert len(server.requests) == 1


async def test_prompted_mode_invalid_content_gets_a_user_message() -> None:
    script = [text_response('{"city": "Hanoi"}'), text_response(json.dumps(HANOI))]
    async with scripted_agent(script, output_type=Forecast, output_mode="prompted") as (
        agent,
        server,
    ):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(**HANOI)
    feedback = server.requests[1].json()["messages"][-1]
    assert feedback["role"] == "user"
    assert "temp_c" in feedback["content"]


# ---------------------------------------------------------- output.partial


def assert_growing(partials: list[Any]) -> None:
    """Each partial's JSON is at least as long as the one before, and the
    stream showed the output forming (many distinct steps)."""
    sizes = [len(json.dumps(partial)) for partial in partials]
    assert sizes == sorted(sizes)
    assert len(partials) >= 10
    assert partials[0] != partials[-1]


async def test_output_partial_grows_with_many_small_fragments_in_tool_mode() -> None:
    recorder = Recorder()
    async with scripted_agent([output_call(HANOI, fragments=40)], output_type=Forecast) as (
        agent,
        _server,
    ):
        result = await agent.run("Forecast?", on_event=recorder)

    partials = [event.partial for event in recorder.of_type("output.partial")]
    assert all(isinstance(partial, dict) for partial in partials)
    assert_growing(partials)
    assert partials[-1] == result.output.model_dump() == HANOI
    # each partial was emitted before the run finished
    assert recorder.types.index("output.partial") < recorder.types.index("turn.finished")


async def test_output_partial_grows_with_many_small_fragments_in_native_mode() -> None:
    recorder = Recorder()
    script = [text_response(json.dumps(HANOI), pieces=40)]
    async with scripted_agent(script, output_type=Forecast, output_mode="native") as (
        agent,
        _server,
    ):
        result = await agent.run("Forecast?", on_event=recorder)

    partials = [event.partial for event in recorder.of_type("output.partial")]
    assert_growing(partials)
    assert partials[-1] == result.output.model_dump()


async def test_output_partial_in_prompted_mode_skips_a_fence() -> None:
    recorder = Recorder()
    answer = "```json\n" + json.dumps(HANOI) + "\n```"
    script = [text_response(answer, pieces=40)]
    async with scripted_agent(script, output_type=Forecast, output_mode="prompted") as (
        agent,
        _server,
    ):
        result = await agent.run("Forecast?", on_event=recorder)

    partials = [event.partial for event in recorder.of_type("output.partial")]
    assert_growing(partials)
    assert partials[-1] == result.output.model_dump()


async def test_the_last_partial_is_the_output_when_a_second_output_call_is_not_used() -> None:
    recorder = Recorder()
    other = {"city": "Hue", "temp_c": 20.0}
    script = [tool_call_response([("final_result", HANOI), ("final_result", other)])]
    async with scripted_agent(script, output_type=Forecast) as (agent, _server):
        result = await agent.run("Forecast?", on_event=recorder)

    assert result.output == Forecast(**HANOI)
    partials = [event.partial for event in recorder.of_type("output.partial")]
    assert partials[-1] == HANOI
    assert other not in partials


async def test_output_partial_follows_only_the_output_call() -> None:
    registry, _ = weather_tools()
    recorder = Recorder()
    script = [
        tool_call_response([("get_weather", {"city": "Saigon"})], fragments=10),
        output_call(HANOI, fragments=10),
    ]
    async with scripted_agent(script, tools=registry, output_type=Forecast) as (agent, _server):
        await agent.run("Forecast?", on_event=recorder)

    partials = [event.partial for event in recorder.of_type("output.partial")]
    assert partials[-1] == HANOI
    assert not any(p.get("city", "").startswith("S") for p in partials)
    first_partial = recorder.types.index("output.partial")
    assert first_partial > recorder.types.index("tool.result")  # turn 2 only


async def test_without_an_output_type_output_is_the_text_and_no_partial_is_sent() -> None:
    recorder = Recorder()
    script = [text_response('{"city": "Hanoi"}')]
    async with scripted_agent(script) as (agent, server):
        result = await agent.run("Hi", on_event=recorder)

    assert result.output == result.text == '{"city": "Hanoi"}'
    assert recorder.of_type("output.partial") == []
    body = server.requests[0].json()
    assert "response_format" not in body
    assert "tools" not in body


async def test_output_partial_events_serialize() -> None:
    recorder = Recorder()
    async with scripted_agent([output_call(HANOI)], output_type=Forecast) as (agent, _server):
        await agent.run("Forecast?", on_event=recorder)

    last = recorder.of_type("output.partial")[-1].to_dict()
    assert last["type"] == "output.partial"
    assert last["partial"] == HANOI


# ------------------------------------------------------- a recorded stream

# An OpenAI-style stream as gpt-4o-mini sends it for a final_result call:
# role chunk with content null, the call's first fragment with id, type,
# name and empty arguments, the arguments in token-sized pieces, the finish
# chunk, then the usage chunk with empty choices.
RECORDED_OUTPUT_STREAM = (
    'data: {"id":"chatcmpl-AbC123","object":"chat.completion.chunk","created":1730000000,'
    '"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,'
    '"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,'
    '"id":"call_Zx9fQ2","type":"function","function":{"name":"final_result","arguments":""}}],'
    '"refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}\n\n'
    + "".join(
        'data: {"id":"chatcmpl-AbC123","object":"chat.completion.chunk","created":1730000000,'
        '"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,'
        '"delta":{"tool_calls":[{"index":0,"function":{"arguments":'
        + json.dumps(piece)
        + '}}]},"logprobs":null,"finish_reason":null}],"usage":null}\n\n'
        for piece in ['{"', "city", '":"', "Han", "oi", '","', "temp", "_c", '":', "31", ".5", "}"]
    )
    + 'data: {"id":"chatcmpl-AbC123","object":"chat.completion.chunk","created":1730000000,'
    '"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,'
    '"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}\n\n'
    'data: {"id":"chatcmpl-AbC123","object":"chat.completion.chunk","created":1730000000,'
    '"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[],'
    '"usage":{"prompt_tokens":88,"completion_tokens":19,"total_tokens":107,'
    '"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}\n\n'
    "data: [DONE]\n\n"
).encode()


async def test_a_recorded_openai_stream_gives_the_output_and_its_partials() -> None:
    recorder = Recorder()
    script = [raw_response(RECORDED_OUTPUT_STREAM, pieces=range(0, 4000, 97))]
    async with scripted_agent(script, output_type=Forecast) as (agent, server):
        result = await agent.run("Forecast?", on_event=recorder)

    assert result.output == Forecast(city="Hanoi", temp_c=31.5)
    assert result.usage.total_tokens == 107
    assert len(server.requests) == 1
    partials = [event.partial for event in recorder.of_type("output.partial")]
    assert len(partials) >= 3
    assert all(isinstance(partial, dict) for partial in partials)
    assert partials[-1] == HANOI
    assert result.messages[-1] == {
        "role": "tool",
        "tool_call_id": "call_Zx9fQ2",
        "content": "Final result accepted.",
    }
    assert result.messages[-2]["tool_calls"][0]["function"]["arguments"] == (
        '{"city":"Hanoi","temp_c":31.5}'
    )


# ------------------------------------------------------------ odd inputs


async def test_text_before_the_output_call_is_kept_in_the_message() -> None:
    script = [
        tool_call_response([("final_result", HANOI)], text="Let me answer."),
    ]
    async with scripted_agent(script, output_type=Forecast) as (agent, _server):
        result = await agent.run("Forecast?")

    assert result.output == Forecast(**HANOI)
    assert result.text == "Let me answer."
