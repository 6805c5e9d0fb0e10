"""Deeply nested JSON from a peer never escapes as a bare `RecursionError`:
each place gives its own typed error (a malformed chunk, a status error with
the body, a provider error, tool arguments sent back to the model), and the
helpers that read partial JSON give None."""

from __future__ import annotations

import inspect
import json
import sys
from typing import Any

import pytest
from _agent_helpers import Recorder, scripted_agent
from _common import ASYNC_TESTS, make_model
from _streams import call, calls, failed_turn, finish, response, role, sse, text

from agentkit import (
    BadRequestError,
    MalformedChunkError,
    ProviderStreamError,
    StreamAccumulator,
    ToolArgumentsError,
    ToolRegistry,
    parse_partial_json,
)
from agentkit._json import MAX_DEPTH, JSONNestingError, loads, nesting_depth
from agentkit.testing import ScriptedResponse, ScriptedServer, raw_response, text_response
from agentkit.tools import Tool

pytestmark = ASYNC_TESTS

LEVELS = 1000
DEEP_ARGUMENTS = '{"x":' + "[" * LEVELS + "]" * LEVELS + "}"


def deep_value(levels: int = LEVELS) -> Any:
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


def deep_text(levels: int = LEVELS) -> str:
    # json.dumps itself would recurse too deep; build the text directly.
    return "[" * levels + "]" * levels


# ------------------------------------------------------------ the helpers


def test_nesting_depth_ignores_brackets_inside_strings() -> None:
    assert nesting_depth('{"a": "[[[{{{", "b": [[1]]}') == 3
    assert nesting_depth(r'["\"[[", []]') == 2
    assert nesting_depth('{"open": "[[[') == 1
    assert nesting_depth("") == 0


def test_loads_refuses_what_is_nested_too_deep() -> None:
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    for levels in (MAX_DEPTH + 1, LEVELS, 100_000):
        with pytest.raises(JSONNestingError):
            loads(deep_text(levels))
    assert issubclass(JSONNestingError, ValueError)


def test_parse_partial_json_of_deep_text_is_none() -> None:
    assert parse_partial_json('{"x": ' + "[" * LEVELS) is None
    assert parse_partial_json(DEEP_ARGUMENTS) is None
    assert parse_partial_json('{"x": [[1, 2') == {"x": [[1, 2]]}


def test_parse_partial_json_gives_up_quickly_on_garbage() -> None:
    # Unreadable text is cut back a few members at most, not once per member.
    assert parse_partial_json("[x" + ",1" * 50_000) is None


def test_the_accumulator_does_not_seal_a_call_too_deep_to_parse() -> None:
    # The reproduction: a deep call at index 0, then index 1 starts.
    accumulator = StreamAccumulator()
    accumulator.add(calls(call(0, id="deep", name="f", arguments=DEEP_ARGUMENTS)))
    events = accumulator.add(calls(call(1, id="next", name="f", arguments="{}")))
    assert [event.type for event in events] == ["tool_call.started", "tool_call.arguments.delta"]
    assert [c.id for c in accumulator.pending_tool_calls] == ["deep", "next"]
    # A normal finish seals both: the deep one goes to the tool, which
    # answers the model with an arguments error (see the run test below).
    sealed = accumulator.add(finish("tool_calls"))
    assert [event.call.id for event in sealed] == ["deep", "next"]  # type: ignore[attr-defined]
    assert accumulator.message.tool_calls[0].arguments == DEEP_ARGUMENTS


def test_the_partial_arguments_of_a_deep_call_are_none() -> None:
    accumulator = StreamAccumulator()
    events = accumulator.add(calls(call(0, id="deep", name="f", arguments='{"x": ' + "[" * LEVELS)))
    delta = events[-1]
    assert delta.type == "tool_call.arguments.delta"
    assert delta.partial_arguments is None  # type: ignore[attr-defined]


# ------------------------------------------------------------- the stream


async def test_a_deep_chunk_is_a_malformed_chunk_with_the_partial() -> None:
    deep_chunk = '{"choices": [{"index": 0, "delta": {"content": ' + deep_text() + "}}]}"
    data = sse(text("Hello"), deep_chunk, finish("stop"))
    async with ScriptedServer([raw_response(data)]) as server, make_model(server) as model:
        events, error = await failed_turn(model, MalformedChunkError)
    assert [event.to_dict() for event in events] == [{"type": "text.delta", "text": "Hello"}]
    assert error.partial is not None
    assert error.partial.content == "Hello"
    assert "nested more than 100 levels" in str(error)


async def test_a_chunk_nested_just_past_the_limit_is_malformed_too() -> None:
    # Parseable by Python, but a field agentkit keeps and walks afterwards
    # (here arguments sent as an object) nests past the limit. The check is
    # made on such fields, not on every chunk (it would cost the hot path).
    arguments = deep_text(MAX_DEPTH + 1)
    data = sse(calls(call(0, id="c", name="f", arguments=json.loads(arguments))))
    async with ScriptedServer([raw_response(data)]) as server, make_model(server) as model:
        _, error = await failed_turn(model, MalformedChunkError)
    assert "nested more than" in str(error)


async def test_a_deep_error_event_is_a_provider_error() -> None:
    data = sse(text("Partial"), done=False) + f"event: error\ndata: {deep_text()}\n\n".encode()
    async with ScriptedServer([raw_response(data)]) as server, make_model(server) as model:
        events, error = await failed_turn(model, ProviderStreamError)
    assert len(events) == 1
    assert error.partial is not None
    assert error.partial.content == "Partial"
    assert error.error.startswith("[[[")  # the text itself, since it cannot be read


async def test_a_deep_chunk_with_an_error_key_is_typed() -> None:
    data = sse('{"error": {"message": "boom", "detail": ' + deep_text() + "}}")
    async with ScriptedServer([raw_response(data)]) as server, make_model(server) as model:
        await failed_turn(model, MalformedChunkError)


async def test_a_deep_error_body_is_a_status_error_with_the_body() -> None:
    body = ('{"error": {"message": ' + deep_text() + "}}").encode()
    script = [ScriptedResponse(status=400, body=body)]
    async with ScriptedServer(script) as server, make_model(server) as model:
        _, error = await failed_turn(model, BadRequestError)
    assert error.status_code == 400
    assert error.body.startswith('{"error"')


# --------------------------------------------------------- the tool loop


def recording_tool() -> tuple[ToolRegistry, list[Any]]:
    seen: list[Any] = []
    registry = ToolRegistry()

    @registry.tool
    def f(x: list[Any]) -> str:
        """Take a list."""
        seen.append(x)
        return "ok"

    return registry, seen


async def test_deep_arguments_go_back_to_the_model_as_an_arguments_error() -> None:
    registry, seen = recording_tool()
    turn = response(
        role(),
        calls(call(0, id="deep", name="f", arguments=DEEP_ARGUMENTS)),
        calls(call(1, id="fine", name="f", arguments='{"x": [1]}')),
        finish("tool_calls"),
    )
    recorder = Recorder()
    async with scripted_agent([turn, text_response("Done.")], tools=registry) as (agent, server):
        result = await agent.run("Go", on_event=recorder)
    assert result.text == "Done."
    deep, fine = result.tool_calls
    assert deep.is_error
    assert isinstance(deep.error, ToolArgumentsError)
    assert "nested more than 100 levels" in deep.output
    assert not fine.is_error
    assert seen == [[1]]  # the deep call never ran
    tool_messages = [m for m in server.requests[1].json()["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == ["deep", "fine"]


def test_a_recursive_schema_walking_deep_arguments_is_an_arguments_error() -> None:
    # jsonschema recurses a few frames per level of a recursive schema; with
    # little stack left, validating legal-depth arguments runs out of it.
    tree = {"type": "object", "properties": {"child": {"$ref": "#/$defs/tree"}}}
    parameters = {
        "type": "object",
        "properties": {"tree": {"$ref": "#/$defs/tree"}},
        "$defs": {"tree": tree},
    }
    tool = Tool.from_schema(lambda tree: "walked", name="walk", parameters=parameters)
    levels = MAX_DEPTH - 5
    arguments = '{"tree": ' + '{"child": ' * levels + "{}" + "}" * levels + "}"
    assert tool.parse_arguments('{"tree": {"child": {}}}') == {"tree": {"child": {}}}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 150)
    try:
        with pytest.raises(ToolArgumentsError) as caught:
            tool.parse_arguments(arguments)
    finally:
        sys.setrecursionlimit(limit)
    assert caught.value.errors == [
        {"path": "$", "message": "the arguments are nested too deeply to validate"}
    ]
