"""Runs under trio-native code: nurseries, trio cancel scopes and timeouts
(the rest of the runner tests run on trio through the ``anyio_backend``
fixture as well)."""

from __future__ import annotations

import time

import pytest
import trio
from _agent_helpers import Recorder, scripted_agent
from _common import ASYNC_TESTS, eventually
from _streams import response, role, text

from agentkit import Event, ToolRegistry
from agentkit.testing import (
    Pause,
    RecordedRequest,
    ScriptedResponse,
    text_response,
    tool_call_response,
)

pytestmark = [*ASYNC_TESTS, pytest.mark.parametrize("anyio_backend", ["trio"])]


def by_user(request: RecordedRequest) -> ScriptedResponse:
    """A tool call for each user's first turn, then an answer naming them."""
    messages = request.json()["messages"]
    user = messages[0]["content"]
    if messages[-1]["role"] == "user":
        return tool_call_response([("nap", {"who": user})], id_prefix=f"{user}_")
    return text_response(f"{user} rested", chunk_delay=0.005)


async def test_two_agents_run_concurrently_in_a_trio_nursery() -> None:
    registry = ToolRegistry()
    spans: dict[str, tuple[float, float]] = {}

    @registry.tool
    async def nap(who: str) -> str:
        """Sleep a little."""
        began = time.monotonic()
        await trio.sleep(0.15)
        spans[who] = (began, time.monotonic())
        return f"{who} napped"

    results = {}
    async with scripted_agent(responder=by_user, tools=registry) as (agent, server):

        async def one(user: str) -> None:
            results[user] = await agent.run(user)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(one, "ada")
            nursery.start_soon(one, "bob")

    assert results["ada"].text == "ada rested"
    assert results["bob"].text == "bob rested"
    assert [r.output for r in results["ada"].tool_calls] == ["ada napped"]
    (ada_start, ada_end), (bob_start, bob_end) = spans["ada"], spans["bob"]
    # The runs overlapped: each tool started before the other ended.
    assert ada_start < bob_end
    assert bob_start < ada_end
    assert len(server.requests) == 4


async def test_a_trio_timeout_cancels_a_run_and_closes_its_connection() -> None:
    script = [response(role(), text("slow"), Pause(None)), text_response("again")]
    async with scripted_agent(script) as (agent, server):
        with trio.move_on_after(0.2) as scope:
            await agent.run("Hi")

        assert scope.cancelled_caught
        assert await eventually(lambda: server.open_connections == 0)
        assert trio.lowlevel.current_task().child_nurseries == []
        assert (await agent.run("Hi")).text == "again"


async def test_a_stream_consumed_by_another_trio_task() -> None:
    send, receive = trio.open_memory_channel[Event](0)
    recorder = Recorder()

    async def consume() -> None:
        async with receive:
            async for event in receive:
                recorder(event)

    async with (
        scripted_agent([text_response("Hello from trio")]) as (agent, _server),
        trio.open_nursery() as nursery,
    ):
        nursery.start_soon(consume)
        async with send, agent.stream("Hi") as run:
            async for event in run:
                await send.send(event)

    assert recorder.types[0] == "run.started"
    assert recorder.types[-1] == "run.finished"
    assert run.result.text == "Hello from trio"
