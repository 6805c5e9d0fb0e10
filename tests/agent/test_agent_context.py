"""What a tool sees of its run (RunContext), and the shapes of run input."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest
from _agent_helpers import Recorder, scripted_agent
from _common import ASYNC_TESTS

from agentkit import Agent, CustomEvent, OpenAIChatModel, RunContext, ToolRegistry, UsageError
from agentkit.testing import text_response, tool_call_response

pytestmark = ASYNC_TESTS


async def test_emit_from_a_thread_the_tool_made_itself_is_delivered() -> None:
    registry = ToolRegistry()

    @registry.tool
    async def crunch(context: RunContext[Any]) -> str:
        """Crunch numbers in a thread of its own."""
        done = anyio.Event()
        token = anyio.lowlevel.current_token()

        def work() -> None:
            context.emit("progress", {"percent": 50})
            anyio.from_thread.run_sync(done.set, token=token)

        threading.Thread(target=work).start()
        await done.wait()
        return "crunched"

    script = [tool_call_response([("crunch", {})]), text_response("Done.")]
    async with scripted_agent(script, tools=registry) as (agent, _server):
        recorder = Recorder()
        await agent.run("go", on_event=recorder)
    custom = [event for event in recorder.events if isinstance(event, CustomEvent)]
    assert custom == [CustomEvent("progress", {"percent": 50})]
    assert recorder.types.index("custom") < recorder.types.index("tool.result")


async def test_emit_after_the_run_ended_does_nothing() -> None:
    kept: list[RunContext[Any]] = []
    registry = ToolRegistry()

    @registry.tool
    def remember(context: RunContext[Any]) -> str:
        """Keep the context for later."""
        kept.append(context)
        return "ok"

    script = [tool_call_response([("remember", {})]), text_response("Done.")]
    async with scripted_agent(script, tools=registry) as (agent, _server):
        await agent.run("go")
    kept[0].emit("late", None)  # no listener any more: silently dropped
    await anyio.to_thread.run_sync(kept[0].emit, "late from a thread", None)


async def test_the_tool_sees_the_conversation_read_only() -> None:
    seen: list[Any] = []
    registry = ToolRegistry()

    @registry.tool
    def peek(context: RunContext[Any]) -> str:
        """Look at the conversation."""
        seen.extend(context.messages)
        with pytest.raises(TypeError):
            context.messages[0]["content"] = "tampered"  # type: ignore[index]
        return "ok"

    script = [tool_call_response([("peek", {})]), text_response("Done.")]
    async with scripted_agent(script, tools=registry) as (agent, _server):
        result = await agent.run("original question")
    assert seen[0]["content"] == "original question"
    assert result.messages[0]["content"] == "original question"


async def test_one_message_dict_is_accepted_as_input() -> None:
    async with scripted_agent([text_response("Hi!")]) as (agent, server):
        result = await agent.run({"role": "user", "content": "Hello"})
    assert result.text == "Hi!"
    assert server.requests[0].json()["messages"] == [{"role": "user", "content": "Hello"}]


@pytest.mark.parametrize(
    ("option", "value", "bound"),
    [
        ("max_turns", 0, ">= 1"),
        ("turn_retries", -1, ">= 0"),
        ("max_parallel_tools", 0, ">= 1"),
        ("turn_retry_delay", -0.5, ">= 0"),
    ],
)
def test_limits_are_checked_with_a_message_naming_them(option: str, value: Any, bound: str) -> None:
    model = OpenAIChatModel("m", base_url="http://127.0.0.1:9/v1", api_key="k")
    with pytest.raises(UsageError) as caught:
        Agent(model, **{option: value})
    assert f"{option}={value!r}" in str(caught.value)
    assert bound in str(caught.value)
