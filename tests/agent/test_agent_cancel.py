"""Cancelling a run from outside (cancel scopes, timeouts, leaving
``agent.stream()`` early): running tools see the cancellation, the model's
connection is closed or returned to its pool, no task is left behind, and
the agent can run again."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from _agent_helpers import Recorder, live_tasks, scripted_agent
from _common import ASYNC_TESTS, eventually
from _streams import call_steps, finish, response, role, text

from agentkit import Event, RunContext, ToolRegistry
from agentkit.testing import Pause, text_response, tool_call_response

pytestmark = ASYNC_TESTS


class Blocker:
    """Tools that block until cancelled and say when they started and ended."""

    def __init__(self) -> None:
        self.started = anyio.Event()
        self.finalized: list[str] = []
        self.release = threading.Event()
        self.registry = ToolRegistry()
        registry = self.registry

        @registry.tool
        async def wait_forever(ctx: RunContext[Any], label: str) -> str:
            """Wait until cancelled."""
            ctx.emit("waiting", label)
            self.started.set()
            try:
                await anyio.sleep(30)
            finally:
                self.finalized.append(label)
            return label

        @registry.tool
        def block_thread(label: str) -> str:
            """Block a worker thread until released."""
            anyio.from_thread.run_sync(self.started.set)
            self.release.wait(5)
            self.finalized.append(label)
            return label


async def cancel_when(event: anyio.Event, run: Any) -> bool:
    """Run ``run()`` and cancel it once ``event`` is set; True if it was
    cancelled (rather than finishing)."""
    outcome: list[Any] = []

    async def runner() -> None:
        outcome.append(await run())

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(runner)
            await event.wait()
            group.cancel_scope.cancel()
    return not outcome


# --------------------------------------------------------- cancel scopes


async def test_cancelling_while_a_tool_runs_cancels_the_tool() -> None:
    blocker = Blocker()
    script = [tool_call_response([("wait_forever", {"label": "a"})]), text_response("again")]
    # Not eager: the tool starts once the stream was read to its end.
    async with scripted_agent(script, tools=blocker.registry, eager_tools=False) as (
        agent,
        server,
    ):
        baseline = live_tasks()
        cancelled = await cancel_when(blocker.started, lambda: agent.run("Go"))

        assert cancelled
        assert blocker.finalized == ["a"]  # the tool's finally ran
        assert await eventually(lambda: live_tasks() <= baseline)
        # The turn had been streamed to its end: its connection went back to
        # the pool, and the next run reuses it.
        assert server.open_connections == 1
        result = await agent.run("Hi again")
        assert result.text == "again"
        assert server.connections_opened == 1
        await agent.model.aclose()  # type: ignore[attr-defined]
        assert await eventually(lambda: server.open_connections == 0)


async def test_cancelling_while_the_model_streams_closes_the_connection() -> None:
    streaming = anyio.Event()

    def on_event(event: Event) -> None:
        if event.type == "text.delta":
            streaming.set()

    script = [response(role(), text("Once upon"), Pause(None)), text_response("again")]
    async with scripted_agent(script) as (agent, server):
        baseline = live_tasks()
        cancelled = await cancel_when(streaming, lambda: agent.run("Tell", on_event=on_event))

        assert cancelled
        assert await eventually(lambda: server.open_connections == 0)
        assert await eventually(lambda: live_tasks() <= baseline)
        result = await agent.run("Tell again")
        assert result.text == "again"
        assert server.connections_opened == 2  # the cut connection was not reused


async def test_cancelling_while_a_tool_runs_and_the_model_streams_stops_both() -> None:
    blocker = Blocker()
    steps = [role(), *call_steps(0, "c0", "wait_forever", {"label": "a"}), text("x")]
    steps += [*call_steps(1, "c1", "wait_forever", {"label": "b"})[:1], Pause(None)]
    script = [response(*steps), text_response("again")]
    async with scripted_agent(script, tools=blocker.registry) as (agent, server):
        baseline = live_tasks()
        cancelled = await cancel_when(blocker.started, lambda: agent.run("Go"))

        assert cancelled
        assert blocker.finalized == ["a"]
        assert await eventually(lambda: server.open_connections == 0)
        assert await eventually(lambda: live_tasks() <= baseline)
        assert (await agent.run("Again")).text == "again"


async def test_a_timeout_around_run_cancels_a_stalled_stream() -> None:
    script = [response(role(), text("slow"), Pause(None)), text_response("again")]
    async with scripted_agent(script) as (agent, server):
        baseline = live_tasks()
        with anyio.move_on_after(0.2) as scope:
            await agent.run("Hi")

        assert scope.cancelled_caught
        assert await eventually(lambda: server.open_connections == 0)
        assert await eventually(lambda: live_tasks() <= baseline)
        assert (await agent.run("Hi")).text == "again"


async def test_cancelling_does_not_wait_for_a_blocked_sync_tool() -> None:
    # A thread cannot be killed: it is abandoned, and its result dropped.
    blocker = Blocker()
    steps = [role(), *call_steps(0, "c0", "block_thread", {"label": "t"}), finish("tool_calls")]
    script = [response(*steps), text_response("again")]
    async with scripted_agent(script, tools=blocker.registry) as (agent, _server):
        began = time.monotonic()
        try:
            cancelled = await cancel_when(blocker.started, lambda: agent.run("Go"))
            took = time.monotonic() - began
        finally:
            blocker.release.set()

    assert cancelled
    assert took < 2.0  # the thread would have blocked for 5 s
    assert await eventually(lambda: blocker.finalized == ["t"])


# ----------------------------------------------------- leaving the stream


async def test_leaving_a_stream_early_while_the_model_streams_closes_everything() -> None:
    script = [response(role(), text("Once"), text(" upon"), Pause(None)), text_response("again")]
    async with scripted_agent(script) as (agent, server):
        baseline = live_tasks()
        seen: list[str] = []
        with anyio.fail_after(5):
            async with agent.stream("Tell") as run:
                async for event in run:
                    seen.append(event.type)
                    if event.type == "text.delta":
                        break

        assert seen[-1] == "text.delta"
        assert await eventually(lambda: server.open_connections == 0)
        assert await eventually(lambda: live_tasks() <= baseline)
        assert (await agent.run("Again")).text == "again"


async def test_leaving_a_stream_early_while_a_tool_runs_cancels_the_tool() -> None:
    blocker = Blocker()
    script = [tool_call_response([("wait_forever", {"label": "a"})]), text_response("again")]
    async with scripted_agent(script, tools=blocker.registry) as (agent, server):
        baseline = live_tasks()
        with anyio.fail_after(5):
            async with agent.stream("Go") as run:
                async for event in run:
                    if event.type == "custom":  # the tool is running
                        break

        assert blocker.finalized == ["a"]
        assert await eventually(lambda: live_tasks() <= baseline)
        assert server.open_connections <= 1
        assert (await agent.run("Again")).text == "again"


async def test_leaving_a_stream_without_iterating_cancels_the_run() -> None:
    blocker = Blocker()
    script = [tool_call_response([("wait_forever", {"label": "a"})]), text_response("again")]
    async with scripted_agent(script, tools=blocker.registry) as (agent, _server):
        with anyio.fail_after(5):
            async with agent.stream("Go"):
                await blocker.started.wait()
        assert blocker.finalized == ["a"]


async def test_an_error_in_the_stream_body_propagates_as_is_and_cancels_the_run() -> None:
    blocker = Blocker()
    script = [tool_call_response([("wait_forever", {"label": "a"})])]

    async def crash_while_the_tool_runs(agent: Any) -> None:
        async with agent.stream("Go"):
            await blocker.started.wait()
            raise LookupError("UI crashed")

    async with scripted_agent(script, tools=blocker.registry) as (agent, _server):
        with anyio.fail_after(5), pytest.raises(LookupError, match="UI crashed"):
            await crash_while_the_tool_runs(agent)
    assert blocker.finalized == ["a"]


async def test_a_stream_consumer_that_falls_behind_still_gets_every_event() -> None:
    # Backpressure: the run waits for a slow consumer instead of dropping.
    script = [text_response(" ".join(f"w{i}" for i in range(100)), chunk_delay=0)]
    recorder = Recorder()
    async with scripted_agent(script) as (agent, _server):
        async with agent.stream("Many words") as run:
            async for event in run:
                recorder(event)
                await anyio.lowlevel.checkpoint()
        result = run.result

    assert recorder.types.count("text.delta") == 100
    assert "".join(e.text for e in recorder.of_type("text.delta")) == result.text


# --------------------------------------------------- backend-specific


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_no_asyncio_task_outlives_a_cancelled_run() -> None:
    blocker = Blocker()
    steps = [role(), *call_steps(0, "c0", "wait_forever", {"label": "a"})]
    steps += [*call_steps(1, "c1", "wait_forever", {"label": "b"})[:1], Pause(None)]
    async with scripted_agent([response(*steps)], tools=blocker.registry) as (agent, _server):
        before = set(asyncio.all_tasks())
        await cancel_when(blocker.started, lambda: agent.run("Go"))
        await eventually(lambda: set(asyncio.all_tasks()) <= before)
        left = set(asyncio.all_tasks()) - before
        assert not left, [task.get_name() for task in left]


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_no_trio_task_outlives_a_cancelled_run() -> None:
    import trio

    blocker = Blocker()
    steps = [role(), *call_steps(0, "c0", "wait_forever", {"label": "a"})]
    steps += [*call_steps(1, "c1", "wait_forever", {"label": "b"})[:1], Pause(None)]
    async with scripted_agent([response(*steps)], tools=blocker.registry) as (agent, _server):
        before = trio.lowlevel.current_statistics().tasks_living
        await cancel_when(blocker.started, lambda: agent.run("Go"))
        assert trio.lowlevel.current_statistics().tasks_living == before
        assert trio.lowlevel.current_task().child_nurseries == []
