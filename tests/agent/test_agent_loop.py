"""The function-calling loop end to end over loopback HTTP: answers, tool
turns, conversations continued from a result, instructions, definitions,
request parameters, usage, finish reasons and the loop's limits."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from _agent_helpers import Recorder, scripted_agent
from _common import API_KEY, ASYNC_TESTS
from _streams import call_start, call_steps, finish, response, role, text

from agentkit import (
    Agent,
    AssistantMessage,
    ContentFilterError,
    MaxTurnsExceeded,
    OpenAIChatModel,
    OutputLengthError,
    Retry,
    RunResult,
    ToolFailureLimitExceeded,
    ToolRegistry,
    Usage,
    UsageError,
    tool,
)
from agentkit.testing import (
    ScriptedResponse,
    text_chunks,
    text_response,
    tool_call_response,
    usage_chunk,
)

pytestmark = ASYNC_TESTS


def arithmetic() -> tuple[ToolRegistry, list[tuple[str, dict[str, Any]]]]:
    """Tools ``add`` and ``multiply`` that log their calls."""
    calls: list[tuple[str, dict[str, Any]]] = []
    registry = ToolRegistry()

    @registry.tool
    async def add(a: int, b: int) -> int:
        """Add two integers."""
        calls.append(("add", {"a": a, "b": b}))
        await anyio.sleep(0.02)
        return a + b

    @registry.tool
    def multiply(a: int, b: int) -> int:
        """Multiply two integers."""
        calls.append(("multiply", {"a": a, "b": b}))
        return a * b

    return registry, calls


def tool_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [message for message in messages if message["role"] == "tool"]


# ------------------------------------------------------------------ answers


async def test_a_plain_answer_ends_the_run_with_text_usage_and_messages() -> None:
    async with scripted_agent([text_response("Hello there!")]) as (agent, server):
        result = await agent.run("Hi")

    assert isinstance(result, RunResult)
    assert result.text == "Hello there!"
    assert result.finish_reason == "stop"
    assert result.turns == 1
    assert result.usage == Usage(10, 5, 15, result.usage.details)
    assert result.tool_calls == ()
    assert result.messages == [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello there!"},
    ]
    assert result.run_id.startswith("run_")
    assert len(server.requests) == 1
    body = server.requests[0].json()
    assert body["stream"] is True
    assert body["messages"] == [{"role": "user", "content": "Hi"}]
    assert "tools" not in body  # no tools registered: no empty list sent


async def test_a_tool_loop_runs_tools_then_tools_then_answers() -> None:
    registry, calls = arithmetic()
    script = [
        tool_call_response([("add", {"a": 1, "b": 2}), ("multiply", {"a": 3, "b": 4})]),
        tool_call_response([("add", {"a": 3, "b": 12})], id_prefix="second_"),
        text_response("The answer is 15."),
    ]
    async with scripted_agent(script, tools=registry) as (agent, server):
        result = await agent.run("Compute")

    assert result.text == "The answer is 15."
    assert result.turns == 3
    assert sorted(calls, key=str) == sorted(
        [("add", {"a": 1, "b": 2}), ("multiply", {"a": 3, "b": 4}), ("add", {"a": 3, "b": 12})],
        key=str,
    )
    roles = [message["role"] for message in result.messages]
    assert roles == ["user", "assistant", "tool", "tool", "assistant", "tool", "assistant"]
    first_turn = result.messages[1]
    assert [c["id"] for c in first_turn["tool_calls"]] == ["call_0", "call_1"]
    assert first_turn["tool_calls"][0] == {
        "id": "call_0",
        "type": "function",
        "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'},
    }
    assert tool_messages(result.messages) == [
        {"role": "tool", "tool_call_id": "call_0", "content": "3"},
        {"role": "tool", "tool_call_id": "call_1", "content": "12"},
        {"role": "tool", "tool_call_id": "second_0", "content": "15"},
    ]
    # Each request carries the whole conversation so far.
    second_request = server.requests[1].json()["messages"]
    assert second_request == result.messages[:4]
    third_request = server.requests[2].json()["messages"]
    assert third_request == result.messages[:6]


async def test_call_ids_reused_by_the_provider_in_a_later_turn_still_run() -> None:
    # Many servers number calls per turn (call_0, call_1...): a call id seen
    # in an earlier turn is a new call, not a duplicate.
    registry, calls = arithmetic()
    script = [
        tool_call_response([("add", {"a": 1, "b": 2})]),
        tool_call_response([("add", {"a": 3, "b": 4})]),
        text_response("Done."),
    ]
    async with scripted_agent(script, tools=registry) as (agent, server):
        result = await agent.run("Compute")

    assert calls == [("add", {"a": 1, "b": 2}), ("add", {"a": 3, "b": 4})]
    assert result.text == "Done."
    assert result.turns == 3
    assert [r.output for r in result.tool_calls] == ["3", "7"]
    assert [m["content"] for m in tool_messages(result.messages)] == ["3", "7"]
    assert len(server.requests) == 3


async def test_result_messages_continue_the_conversation() -> None:
    registry, _ = arithmetic()
    script = [
        tool_call_response([("add", {"a": 2, "b": 2})]),
        text_response("It is 4."),
        text_response("You asked about 2 + 2."),
    ]
    async with scripted_agent(script, tools=registry, instructions="Be brief.") as (agent, server):
        first = await agent.run("What is 2 + 2?")
        follow_up = [*first.messages, {"role": "user", "content": "What did I ask?"}]
        second = await agent.run(follow_up)

    sent = server.requests[-1].json()["messages"]
    assert sent == [{"role": "system", "content": "Be brief."}, *follow_up]
    assert second.text == "You asked about 2 + 2."
    assert second.messages[: len(follow_up)] == follow_up
    assert second.messages[-1] == {"role": "assistant", "content": "You asked about 2 + 2."}
    assert second.turns == 1
    assert first.messages[-1] == {"role": "assistant", "content": "It is 4."}  # untouched


async def test_input_messages_may_be_message_objects_and_are_not_mutated() -> None:
    conversation: list[Any] = [
        {"role": "user", "content": "Hi"},
        AssistantMessage(content="Hello!"),
        {"role": "user", "content": "Again"},
    ]
    async with scripted_agent([text_response("Hi again.")]) as (agent, server):
        result = await agent.run(conversation)

    assert server.requests[0].json()["messages"] == [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Again"},
    ]
    assert len(conversation) == 3  # the caller's list is not appended to
    assert result.messages[-1] == {"role": "assistant", "content": "Hi again."}


async def test_instructions_lead_every_request_but_stay_out_of_the_result() -> None:
    registry, _ = arithmetic()
    script = [tool_call_response([("add", {"a": 1, "b": 1})]), text_response("2")]
    async with scripted_agent(script, tools=registry, instructions="You are terse.") as (
        agent,
        server,
    ):
        result = await agent.run("1+1?")

    assert len(server.requests) == 2
    for request in server.requests:
        messages = request.json()["messages"]
        assert messages[0] == {"role": "system", "content": "You are terse."}
        assert [m["role"] for m in messages].count("system") == 1
    assert all(message["role"] != "system" for message in result.messages)


async def test_tools_are_sent_as_definitions_and_model_params_are_forwarded() -> None:
    registry, _ = arithmetic()
    params = {"temperature": 0.2, "tool_choice": "auto", "parallel_tool_calls": True}
    script = [tool_call_response([("multiply", {"a": 2, "b": 5})]), text_response("10")]
    async with scripted_agent(script, tools=registry, model_params=params) as (agent, server):
        await agent.run("2*5?")

    for request in server.requests:
        body = request.json()
        assert body["tools"] == registry.definitions()
        assert [d["function"]["name"] for d in body["tools"]] == ["add", "multiply"]
        assert body["temperature"] == 0.2
        assert body["tool_choice"] == "auto"
        assert body["parallel_tool_calls"] is True
        assert body["stream_options"] == {"include_usage": True}


async def test_a_list_of_plain_functions_becomes_the_tools() -> None:
    def shout(words: str) -> str:
        """Shout the words."""
        return words.upper()

    script = [tool_call_response([("shout", {"words": "hey"})]), text_response("HEY")]
    async with scripted_agent(script, tools=[shout]) as (agent, server):
        result = await agent.run("Shout hey")

    assert server.requests[0].json()["tools"][0]["function"]["name"] == "shout"
    assert result.tool_calls[0].output == "HEY"


async def test_usage_is_summed_over_the_turns() -> None:
    registry, _ = arithmetic()
    script = [
        tool_call_response([("add", {"a": 1, "b": 2})], usage=(100, 7)),
        tool_call_response([("add", {"a": 3, "b": 4})], usage=(130, 9), id_prefix="b"),
        text_response("Done", usage=(160, 3)),
    ]
    async with scripted_agent(script, tools=registry) as (agent, _server):
        result = await agent.run("Go")

    assert result.usage.prompt_tokens == 390
    assert result.usage.completion_tokens == 19
    assert result.usage.total_tokens == 409


async def test_a_turn_without_usage_adds_nothing() -> None:
    script = [text_response("Hi", usage=None)]
    async with scripted_agent(script) as (agent, _server):
        result = await agent.run("Hi")

    assert result.usage == Usage()
    assert result.text == "Hi"


async def test_tool_call_records_carry_outputs_values_turns_and_durations() -> None:
    registry, _ = arithmetic()
    script = [
        tool_call_response([("add", {"a": 1, "b": 2}), ("multiply", {"a": 2, "b": 3})]),
        tool_call_response([("add", {"a": 5, "b": 5})], id_prefix="t2_"),
        text_response("ok"),
    ]
    async with scripted_agent(script, tools=registry) as (agent, _server):
        result = await agent.run("Go")

    records = result.tool_calls
    assert [(r.id, r.name, r.output, r.value, r.turn) for r in records] == [
        ("call_0", "add", "3", 3, 1),
        ("call_1", "multiply", "6", 6, 1),
        ("t2_0", "add", "10", 10, 2),
    ]
    assert records[0].arguments == '{"a": 1, "b": 2}'
    assert all(not r.is_error and r.error is None for r in records)
    assert records[0].duration >= 0.015  # add sleeps 20 ms
    assert all(r.duration >= 0 for r in records)
    summary = result.to_dict()
    assert json.loads(json.dumps(summary))["tool_calls"][2]["output"] == "10"


# ----------------------------------------------------------- finish reasons


async def test_finish_reason_tool_calls_runs_the_tools_and_continues() -> None:
    registry, calls = arithmetic()
    script = [tool_call_response([("add", {"a": 1, "b": 2})]), text_response("3")]
    async with scripted_agent(script, tools=registry) as (agent, server):
        result = await agent.run("1+2")

    assert calls == [("add", {"a": 1, "b": 2})]
    assert len(server.requests) == 2
    assert result.finish_reason == "stop"


async def test_stop_with_sealed_tool_calls_runs_them_and_continues() -> None:
    # Some providers label a tool-calling turn "stop": the calls decide.
    registry, calls = arithmetic()
    script = [
        tool_call_response([("add", {"a": 4, "b": 5})], finish_reason="stop"),
        text_response("9"),
    ]
    async with scripted_agent(script, tools=registry) as (agent, server):
        result = await agent.run("4+5")

    assert calls == [("add", {"a": 4, "b": 5})]
    assert result.turns == 2
    assert result.text == "9"
    assert result.messages[1]["tool_calls"][0]["id"] == "call_0"
    assert len(server.requests) == 2


async def test_length_ends_the_run_with_the_reason_on_the_result() -> None:
    script = [text_response("The answer is cut", finish_reason="length")]
    async with scripted_agent(script) as (agent, server):
        result = await agent.run("Write a lot")

    assert result.finish_reason == "length"
    assert result.text == "The answer is cut"
    assert result.turns == 1
    assert len(server.requests) == 1


async def test_length_raises_output_length_error_when_asked() -> None:
    script = [text_response("The answer is cut", finish_reason="length")]
    async with scripted_agent(script, raise_on_truncation=True) as (agent, _server):
        with pytest.raises(OutputLengthError) as caught:
            await agent.run("Write a lot")

    assert type(caught.value) is OutputLengthError
    assert caught.value.result.text == "The answer is cut"
    assert caught.value.result.finish_reason == "length"
    assert "max_tokens" in str(caught.value)


async def test_max_tokens_is_length_under_another_name() -> None:
    # Some providers say "max_tokens" for "length": the same truncation.
    script = [text_response("Cut", finish_reason="max_tokens")]
    async with scripted_agent(script) as (agent, _server):
        result = await agent.run("Write a lot")
    assert result.finish_reason == "max_tokens"
    assert result.text == "Cut"

    script = [text_response("Cut", finish_reason="max_tokens")]
    async with scripted_agent(script, raise_on_truncation=True) as (agent, server):
        with pytest.raises(OutputLengthError) as caught:
            await agent.run("Write a lot")
    assert caught.value.result.finish_reason == "max_tokens"
    assert "'max_tokens'" in str(caught.value)
    assert len(server.requests) == 1


async def test_finish_reason_error_is_a_failed_turn_streamed_again() -> None:
    script = [text_response("Garbled", finish_reason="error"), text_response("Fine now.")]
    async with scripted_agent(script) as (agent, server):
        recorder = Recorder()
        result = await agent.run("Hi", on_event=recorder)
    assert result.text == "Fine now."
    retries = [event for event in recorder.events if isinstance(event, Retry)]
    assert [(r.kind, r.discard_partial) for r in retries] == [("turn", True)]
    assert "finish_reason 'error'" in retries[0].reason
    assert len(server.requests) == 2


async def test_content_filter_ends_the_run_with_the_reason_on_the_result() -> None:
    script = [text_response("I cannot", finish_reason="content_filter")]
    async with scripted_agent(script) as (agent, _server):
        result = await agent.run("Something bad")

    assert result.finish_reason == "content_filter"
    assert result.text == "I cannot"


async def test_content_filter_raises_content_filter_error_when_asked() -> None:
    script = [text_response("I cannot", finish_reason="content_filter")]
    async with scripted_agent(script, raise_on_truncation=True) as (agent, _server):
        with pytest.raises(ContentFilterError) as caught:
            await agent.run("Something bad")

    assert type(caught.value) is ContentFilterError
    assert caught.value.result.finish_reason == "content_filter"
    assert caught.value.result.messages[-1] == {"role": "assistant", "content": "I cannot"}


async def test_a_finish_reason_without_done_is_a_complete_turn() -> None:
    script = [ScriptedResponse(text_chunks("All good."), done=False)]
    async with scripted_agent(script) as (agent, server):
        result = await agent.run("Hi")

    assert result.text == "All good."
    assert result.finish_reason == "stop"
    assert result.usage.total_tokens == 15
    assert len(server.requests) == 1


async def test_text_before_tool_calls_is_kept_in_the_assistant_message() -> None:
    registry, _ = arithmetic()
    script = [
        tool_call_response([("add", {"a": 1, "b": 1})], text="Let me add."),
        text_response("2"),
    ]
    async with scripted_agent(script, tools=registry) as (agent, _server):
        result = await agent.run("1+1")

    assert result.messages[1]["content"] == "Let me add."
    assert result.messages[1]["tool_calls"][0]["function"]["name"] == "add"
    assert result.text == "2"  # the last turn's text only


# ------------------------------------------------------------- self-healing


async def test_an_unknown_tool_goes_back_to_the_model_and_the_loop_continues() -> None:
    registry, calls = arithmetic()
    script = [
        tool_call_response([("subtract", {"a": 1, "b": 2})]),
        tool_call_response([("add", {"a": 1, "b": 2})], id_prefix="fixed_"),
        text_response("3"),
    ]
    async with scripted_agent(script, tools=registry) as (agent, server):
        result = await agent.run("1+2")

    failed = result.tool_calls[0]
    assert failed.is_error
    assert failed.name == "subtract"
    assert "no tool named 'subtract'" in failed.output
    assert "add" in failed.output  # the available tools are listed
    sent = server.requests[1].json()["messages"]
    assert sent[-1] == {"role": "tool", "tool_call_id": "call_0", "content": failed.output}
    assert calls == [("add", {"a": 1, "b": 2})]
    assert result.text == "3"


async def test_invalid_json_arguments_never_reach_the_function() -> None:
    registry, calls = arithmetic()
    script = [
        tool_call_response([("add", '{"a": 1, "b": ')], finish_reason="tool_calls"),
        tool_call_response([("add", {"a": 1, "b": 2})], id_prefix="fixed_"),
        text_response("3"),
    ]
    async with scripted_agent(script, tools=registry) as (agent, server):
        result = await agent.run("1+2")

    first = result.tool_calls[0]
    assert first.is_error
    assert first.arguments == '{"a": 1, "b": '
    assert "JSON" in first.output
    assert calls == [("add", {"a": 1, "b": 2})]  # only the corrected call ran
    assert server.requests[1].json()["messages"][-1]["content"] == first.output
    assert result.text == "3"


async def test_schema_violating_arguments_never_reach_the_function() -> None:
    registry, calls = arithmetic()
    script = [
        tool_call_response([("multiply", {"a": "two", "b": 3})]),
        tool_call_response([("multiply", {"a": 2, "b": 3})], id_prefix="fixed_"),
        text_response("6"),
    ]
    async with scripted_agent(script, tools=registry) as (agent, _server):
        result = await agent.run("2*3")

    first = result.tool_calls[0]
    assert first.is_error
    assert "a" in first.output
    assert first.error is not None
    assert calls == [("multiply", {"a": 2, "b": 3})]
    assert result.tool_calls[1].output == "6"


async def test_a_tool_exception_goes_back_to_the_model_and_the_loop_continues() -> None:
    @tool
    def lookup(order_id: int) -> str:
        """Look up an order."""
        if order_id != 42:
            raise KeyError(f"order {order_id} does not exist")
        return "shipped"

    script = [
        tool_call_response([("lookup", {"order_id": 7})]),
        tool_call_response([("lookup", {"order_id": 42})], id_prefix="again_"),
        text_response("Order 42 shipped."),
    ]
    async with scripted_agent(script, tools=[lookup]) as (agent, server):
        result = await agent.run("Where is my order?")

    failed, succeeded = result.tool_calls
    assert failed.is_error
    assert "KeyError" in failed.output
    assert "order 7 does not exist" in failed.output
    assert not succeeded.is_error
    assert succeeded.output == "shipped"
    assert server.requests[1].json()["messages"][-1]["content"] == failed.output
    assert result.text == "Order 42 shipped."


async def test_a_tool_timeout_goes_back_to_the_model_and_the_loop_continues() -> None:
    @tool(timeout=0.05)
    async def crawl(url: str) -> str:
        """Crawl a page."""
        await anyio.sleep(5)
        return "page"

    script = [tool_call_response([("crawl", {"url": "https://x"})]), text_response("Too slow.")]
    with anyio.fail_after(3):
        async with scripted_agent(script, tools=[crawl]) as (agent, server):
            result = await agent.run("Crawl x")

    (record,) = result.tool_calls
    assert record.is_error
    assert "timeout" in record.output
    assert server.requests[1].json()["messages"][-1]["content"] == record.output
    assert result.text == "Too slow."


async def test_a_model_that_keeps_failing_is_stopped_after_max_tool_failures() -> None:
    registry, calls = arithmetic()
    bad = [tool_call_response([("nope", {})], id_prefix=f"t{i}_") for i in range(3)]
    async with scripted_agent([*bad, text_response("never")], tools=registry) as (agent, server):
        with pytest.raises(ToolFailureLimitExceeded) as caught:
            await agent.run("Go")

    error = caught.value
    assert type(error) is ToolFailureLimitExceeded
    assert error.result.turns == 3
    assert len(error.result.tool_calls) == 3
    assert all(record.is_error for record in error.result.tool_calls)
    assert error.result.messages[-1]["role"] == "tool"  # the partial conversation
    assert "max_tool_failures" in str(error)
    assert len(server.requests) == 3
    assert calls == []


async def test_max_tool_failures_counts_consecutive_failed_turns_only() -> None:
    registry, _ = arithmetic()
    script = [
        tool_call_response([("nope", {})], id_prefix="a"),
        tool_call_response([("nope", {})], id_prefix="b"),
        # One good call among bad ones: the turn did not fail entirely.
        tool_call_response([("nope", {}), ("add", {"a": 1, "b": 1})], id_prefix="c"),
        tool_call_response([("nope", {})], id_prefix="d"),
        tool_call_response([("nope", {})], id_prefix="e"),
        text_response("Finally."),
    ]
    async with scripted_agent(script, tools=registry, max_turns=10) as (agent, _server):
        result = await agent.run("Go")

    assert result.text == "Finally."
    assert result.turns == 6


async def test_max_tool_failures_can_be_lowered() -> None:
    registry, _ = arithmetic()
    script = [tool_call_response([("nope", {})]), text_response("never")]
    async with scripted_agent(script, tools=registry, max_tool_failures=1) as (agent, server):
        with pytest.raises(ToolFailureLimitExceeded) as caught:
            await agent.run("Go")

    assert caught.value.result.turns == 1
    assert len(server.requests) == 1


async def test_max_turns_stops_the_loop_with_the_partial_result() -> None:
    registry, calls = arithmetic()
    script = [tool_call_response([("add", {"a": i, "b": 1})], id_prefix=f"t{i}_") for i in range(5)]
    async with scripted_agent(script, tools=registry, max_turns=3) as (agent, server):
        with pytest.raises(MaxTurnsExceeded) as caught:
            await agent.run("Loop forever")

    error = caught.value
    assert type(error) is MaxTurnsExceeded
    assert error.result.turns == 3
    assert [r.output for r in error.result.tool_calls] == ["1", "2", "3"]
    assert error.result.messages[-1] == {"role": "tool", "tool_call_id": "t2_0", "content": "3"}
    assert "max_turns" in str(error)
    assert len(server.requests) == 3
    assert len(calls) == 3


async def test_the_default_max_turns_is_ten() -> None:
    registry, _ = arithmetic()
    script = [
        tool_call_response([("add", {"a": 1, "b": 1})], id_prefix=f"t{i}_") for i in range(12)
    ]
    async with scripted_agent(script, tools=registry) as (agent, server):
        with pytest.raises(MaxTurnsExceeded) as caught:
            await agent.run("Loop forever")

    assert caught.value.result.turns == 10
    assert len(server.requests) == 10


async def test_a_tool_returning_after_a_provider_that_sends_one_whole_call_per_chunk() -> None:
    # Whole call in one chunk, then a second whole call: the first is sealed
    # when the second begins, the second at the finish.
    registry, calls = arithmetic()
    steps = [
        role(),
        call_start(0, "w0", "add", '{"a": 2, "b": 3}'),
        call_start(1, "w1", "multiply", '{"a": 2, "b": 3}'),
        finish("tool_calls"),
        usage_chunk(),
    ]
    script = [response(*steps), text_response("5 and 6")]
    async with scripted_agent(script, tools=registry) as (agent, _server):
        result = await agent.run("Go")

    assert sorted(calls, key=str) == [("add", {"a": 2, "b": 3}), ("multiply", {"a": 2, "b": 3})]
    assert [r.output for r in result.tool_calls] == ["5", "6"]


async def test_streamed_text_and_calls_in_one_turn_with_call_steps() -> None:
    registry, _ = arithmetic()
    steps = [role(), text("Working"), *call_steps(0, "s0", "add", {"a": 7, "b": 8}, pieces=4)]
    script = [response(*steps, finish("tool_calls")), text_response("15")]
    async with scripted_agent(script, tools=registry) as (agent, _server):
        result = await agent.run("7+8")

    assert result.tool_calls[0].output == "15"
    assert result.messages[1]["content"] == "Working"


# ---------------------------------------------------------------- settings


def offline_model() -> OpenAIChatModel:
    """A model that is never called (nothing listens on port 9)."""
    return OpenAIChatModel("offline", base_url="http://127.0.0.1:9/v1", api_key=API_KEY)


def test_invalid_limits_are_rejected_at_construction() -> None:
    Agent(offline_model())  # valid defaults
    for options in (
        {"max_turns": 0},
        {"max_tool_failures": 0},
        {"max_parallel_tools": 0},
        {"turn_retries": -1},
    ):
        with pytest.raises(UsageError):
            Agent(offline_model(), **options)


def test_agent_repr_names_the_tools_and_hides_the_key() -> None:
    registry, _ = arithmetic()
    shown = repr(Agent(offline_model(), tools=registry))
    assert "add" in shown
    assert "multiply" in shown
    assert "SECRET" not in shown


async def test_null_assistant_content_from_another_sdk_is_sent_as_a_string() -> None:
    # llama.cpp's server answers 500 to "content": null; OpenAI's own SDK
    # writes it for tool-call messages, so saved conversations carry it.
    history = [
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        {"role": "user", "content": "And tomorrow?"},
    ]
    async with scripted_agent([text_response("Rain.")]) as (agent, server):
        result = await agent.run(history)
    sent = server.requests[0].json()["messages"]
    assert sent[1]["content"] == ""
    assert result.messages[1]["content"] == ""
    assert history[1]["content"] is None  # the caller's list is not changed
