"""Events and callbacks: the sequence of a run, immutable typed events,
sync/async/list callbacks, callbacks that fail, events emitted by tools, deps,
and the async-iterator form ``agent.stream()``."""

from __future__ import annotations

import dataclasses
import json
import socket
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
from _agent_helpers import Recorder, drain, scripted_agent, squash
from _common import API_KEY, ASYNC_TESTS
from _streams import call_steps, chunk, finish, response, role

from agentkit import (
    Agent,
    APIConnectionError,
    AuthenticationError,
    CallbackError,
    CustomEvent,
    Event,
    MaxTurnsExceeded,
    OpenAIChatModel,
    RetryPolicy,
    RunContext,
    RunFailed,
    RunFinished,
    ToolRegistry,
    UsageError,
    tool,
)
from agentkit.testing import error_response, text_response, tool_call_response, usage_chunk

pytestmark = ASYNC_TESTS

TOOL_TURN_THEN_ANSWER = [
    "run.started",
    "turn.started",
    "tool_call.started",
    "tool_call.arguments.delta",
    "tool_call.ready",
    "tool.result",
    "turn.finished",
    "turn.started",
    "text.delta",
    "turn.finished",
    "run.finished",
]


@tool
def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"31°C in {city}"


def weather_script() -> list[Any]:
    return [
        tool_call_response([("get_weather", {"city": "Hanoi"})], fragments=3),
        text_response("It is 31°C in Hanoi."),
    ]


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def offline_model() -> OpenAIChatModel:
    """A model whose endpoint refuses connections, with no retries."""
    return OpenAIChatModel(
        "offline",
        base_url=f"http://127.0.0.1:{closed_port()}/v1",
        api_key=API_KEY,
        retry_policy=RetryPolicy(max_retries=0),
    )


# ---------------------------------------------------------------- sequence


async def test_the_event_sequence_of_a_tool_turn_and_an_answer() -> None:
    recorder = Recorder()
    async with scripted_agent(weather_script(), tools=[get_weather]) as (agent, _server):
        result = await agent.run("Weather in Hanoi?", on_event=recorder)

    assert squash(recorder.types) == TOOL_TURN_THEN_ANSWER
    assert recorder.types.count("tool_call.arguments.delta") == 3
    assert recorder.types.count("text.delta") == len(["It", "is", "31°C", "in", "Hanoi."])
    events = recorder.events
    assert events[0].run_id == result.run_id
    started = recorder.of_type("tool_call.started")[0]
    assert (started.index, started.id, started.name) == (0, "call_0", "get_weather")
    ready = recorder.of_type("tool_call.ready")[0]
    assert ready.arguments == '{"city": "Hanoi"}'
    tool_result = recorder.of_type("tool.result")[0]
    assert (tool_result.id, tool_result.name, tool_result.output) == (
        "call_0",
        "get_weather",
        "31°C in Hanoi",
    )
    assert tool_result.is_error is False
    assert tool_result.duration >= 0
    first_end, second_end = recorder.of_type("turn.finished")
    assert (first_end.turn, first_end.finish_reason) == (1, "tool_calls")
    assert (second_end.turn, second_end.finish_reason) == (2, "stop")
    assert first_end.usage.total_tokens == 15
    assert [e.turn for e in recorder.of_type("turn.started")] == [1, 2]
    assert "".join(e.text for e in recorder.of_type("text.delta")) == result.text
    assert events[-1].result is result


async def test_reasoning_deltas_are_events_and_stay_out_of_the_messages() -> None:
    steps = [
        role(),
        chunk({"reasoning_content": "The user greets. "}),
        chunk({"reasoning_content": "Greet back."}),
        chunk({"content": "Hello!"}),
        finish("stop"),
    ]
    recorder = Recorder()
    async with scripted_agent([response(*steps)]) as (agent, _server):
        result = await agent.run("Hi", on_event=recorder)

    assert squash(recorder.types) == [
        "run.started",
        "turn.started",
        "reasoning.delta",
        "text.delta",
        "turn.finished",
        "run.finished",
    ]
    assert result.last_message.reasoning == "The user greets. Greet back."
    assert result.messages[-1] == {"role": "assistant", "content": "Hello!"}


async def test_every_event_is_immutable_typed_and_serializable() -> None:
    registry = ToolRegistry()

    @registry.tool
    async def report(ctx: RunContext[None], step: int) -> str:
        """Report progress."""
        ctx.emit("progress", {"step": step})
        return "reported"

    script = [error_response(503), tool_call_response([("report", {"step": 1})])]
    script.append(text_response("Done."))
    recorder = Recorder()
    async with scripted_agent(script, tools=registry) as (agent, _server):
        await agent.run("Go", on_event=recorder)

    kinds = set(recorder.types)
    assert {"retry", "custom", "tool.result", "run.finished"} <= kinds
    for event in recorder.events:
        assert isinstance(event.type, str)
        assert dataclasses.is_dataclass(event)
        first_field = dataclasses.fields(event)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(event, first_field, None)
        # ``type`` is a class constant: assigning it fails too (with a
        # TypeError on Python < 3.12, a CPython bug with frozen slots classes).
        with pytest.raises((AttributeError, TypeError)):
            event.type = "changed"  # type: ignore[misc]
        assert event.type == type(event).type
        data = event.to_dict()
        assert next(iter(data)) == "type"
        assert data["type"] == event.type
        json.dumps(data)  # JSON-ready, for SSE and logs
    finished = recorder.events[-1].to_dict()
    assert finished["result"]["text"] == "Done."
    custom = recorder.of_type("custom")[0]
    assert custom.to_dict() == {"type": "custom", "name": "progress", "data": {"step": 1}}


async def test_a_failed_run_event_serializes_its_error() -> None:
    recorder = Recorder()
    async with scripted_agent([error_response(401, "bad key")]) as (agent, _server):
        with pytest.raises(AuthenticationError):
            await agent.run("Hi", on_event=recorder)

    failed = recorder.events[-1]
    assert isinstance(failed, RunFailed)
    data = failed.to_dict()
    assert data["type"] == "run.failed"
    assert data["error"]["error"] == "AuthenticationError"
    assert API_KEY not in json.dumps(data)


# --------------------------------------------------------------- callbacks


async def test_sync_async_and_lists_of_callbacks_all_see_every_event_in_order() -> None:
    sync_seen: list[str] = []
    async_seen: list[str] = []

    def on_sync(event: Event) -> None:
        sync_seen.append(event.type)

    async def on_async(event: Event) -> None:
        await anyio.lowlevel.checkpoint()
        async_seen.append(event.type)

    async with scripted_agent(weather_script(), tools=[get_weather]) as (agent, _server):
        await agent.run("Weather?", on_event=[on_sync, on_async])
    single: list[str] = []
    async with scripted_agent(weather_script(), tools=[get_weather]) as (agent, _server):
        await agent.run("Weather?", on_event=lambda event: single.append(event.type))

    assert squash(sync_seen) == TOOL_TURN_THEN_ANSWER
    assert async_seen == sync_seen
    assert single == sync_seen


async def test_an_async_callback_is_never_re_entered_while_it_awaits() -> None:
    registry = ToolRegistry()

    @registry.tool
    async def quick(n: int) -> int:
        """Return n at once."""
        return n

    active = 0
    most = 0
    seen: list[str] = []

    async def slow_callback(event: Event) -> None:
        nonlocal active, most
        active += 1
        most = max(most, active)
        await anyio.sleep(0.01)
        seen.append(event.type)
        active -= 1

    calls = [("quick", {"n": n}) for n in range(3)]
    script = [tool_call_response(calls, chunk_delay=0.005), text_response("ok")]
    async with scripted_agent(script, tools=registry) as (agent, _server):
        await agent.run("Go", on_event=slow_callback)

    assert most == 1
    assert seen.count("tool.result") == 3
    assert seen[-1] == "run.finished"


async def test_a_raising_callback_stops_the_run_with_callback_error() -> None:
    ran: list[str] = []

    @tool
    def record(key: str) -> str:
        """Record a key."""
        ran.append(key)
        return key

    def fragile(event: Event) -> None:
        if event.type == "tool_call.started":
            raise ValueError("the UI went away")

    witness = Recorder()
    script = [tool_call_response([("record", {"key": "a"})]), text_response("never")]
    async with scripted_agent(script, tools=[record]) as (agent, server):
        with pytest.raises(CallbackError) as caught:
            await agent.run("Go", on_event=[witness, fragile])

    error = caught.value
    assert type(error) is CallbackError
    assert "fragile" in str(error)
    assert "fragile" in error.callback
    assert "tool_call.started" in str(error)
    assert isinstance(error.__cause__, ValueError)
    assert str(error.__cause__) == "the UI went away"
    assert ran == []  # the call never ran
    assert len(server.requests) == 1
    assert witness.types[-1] == "run.failed"  # the other callbacks hear of it
    assert witness.events[-1].error is error
    assert "tool.result" not in witness.types


async def test_a_callback_failing_mid_stream_cancels_the_running_tools() -> None:
    registry = ToolRegistry()
    cancelled: list[str] = []
    started = anyio.Event()

    @registry.tool
    async def slow(key: str) -> str:
        """Take long."""
        started.set()
        try:
            await anyio.sleep(10)
        except BaseException:
            cancelled.append(key)
            raise
        return key

    async def fail_once_the_tool_runs(event: Event) -> None:
        if event.type == "tool_call.arguments.delta" and event.id == "s1":
            await started.wait()
            raise ValueError("renderer crashed")

    steps = [
        role(),
        *call_steps(0, "s0", "slow", {"key": "a"}),
        *call_steps(1, "s1", "slow", {"key": "b"}),
        finish("tool_calls"),
    ]
    script = [response(*steps), text_response("never")]
    with anyio.fail_after(5):
        async with scripted_agent(script, tools=registry) as (agent, server):
            with pytest.raises(CallbackError):
                await agent.run("Go", on_event=fail_once_the_tool_runs)

    assert cancelled == ["a"]  # cancelled, not awaited for 10 s
    assert len(server.requests) == 1


async def test_a_callable_object_is_named_in_the_callback_error() -> None:
    class Forwarder:
        def __call__(self, event: Event) -> None:
            if event.type == "text.delta":
                raise RuntimeError("socket closed")

    async with scripted_agent([text_response("Hi")]) as (agent, _server):
        with pytest.raises(CallbackError) as caught:
            await agent.run("Hi", on_event=Forwarder())

    assert "Forwarder" in str(caught.value)
    assert isinstance(caught.value.__cause__, RuntimeError)


async def test_a_callback_failing_on_run_started_fails_the_run_before_any_request() -> None:
    def fail_at_once(event: Event) -> None:
        if event.type == "run.started":
            raise ValueError("not ready")

    witness = Recorder()
    agent: Agent[None] = Agent(offline_model())
    with pytest.raises(CallbackError) as caught:
        await agent.run("Hi", on_event=[witness, fail_at_once])

    assert isinstance(caught.value.__cause__, ValueError)
    # As documented (docs/streaming.md): no run.failed after a failed run.started.
    assert witness.types == ["run.started"]


async def test_a_callback_failing_on_a_tool_result_stops_the_run_and_cancels_tools() -> None:
    registry = ToolRegistry()
    cancelled: list[str] = []

    @registry.tool
    async def fast(key: str) -> str:
        """Finish at once."""
        return key

    @registry.tool
    async def slow(key: str) -> str:
        """Take long."""
        try:
            await anyio.sleep(10)
        except BaseException:
            cancelled.append(key)
            raise
        return key

    def fail_on_result(event: Event) -> None:
        if event.type == "tool.result":
            raise KeyError("cannot render")

    calls = [("slow", {"key": "s"}), ("fast", {"key": "f"})]
    script = [tool_call_response(calls), text_response("never")]
    with anyio.fail_after(5):
        async with scripted_agent(script, tools=registry) as (agent, server):
            with pytest.raises(CallbackError) as caught:
                await agent.run("Go", on_event=fail_on_result)

    assert type(caught.value) is CallbackError
    assert isinstance(caught.value.__cause__, KeyError)
    assert "tool.result" in str(caught.value)
    assert cancelled == ["s"]
    assert len(server.requests) == 1


async def test_a_callback_failing_on_run_finished_fails_the_run() -> None:
    def fail_at_the_end(event: Event) -> None:
        if isinstance(event, RunFinished):
            raise ValueError("cannot store the result")

    async with scripted_agent([text_response("Hi")]) as (agent, _server):
        with pytest.raises(CallbackError) as caught:
            await agent.run("Hi", on_event=fail_at_the_end)

    assert "run.finished" in str(caught.value)


# ------------------------------------------------------- tools and context


async def test_tools_emit_custom_events_from_async_and_sync_tools() -> None:
    registry = ToolRegistry()

    @registry.tool
    async def fetch(ctx: RunContext[Any], url: str) -> str:
        """Fetch a URL."""
        ctx.emit("fetch.progress", {"url": url, "percent": 50})
        await anyio.sleep(0.01)
        ctx.emit("fetch.progress", {"url": url, "percent": 100})
        return "page"

    @registry.tool
    def parse(ctx: RunContext[Any], text: str) -> str:
        """Parse text (in a worker thread)."""
        ctx.emit("parse.progress", {"chars": len(text)})
        return "parsed"

    calls = [("fetch", {"url": "https://x"}), ("parse", {"text": "abc"})]
    script = [tool_call_response(calls), text_response("ok")]
    recorder = Recorder()
    async with scripted_agent(script, tools=registry) as (agent, _server):
        await agent.run("Go", on_event=recorder)

    customs = recorder.of_type("custom")
    assert [(c.name, c.data) for c in customs if c.name == "fetch.progress"] == [
        ("fetch.progress", {"url": "https://x", "percent": 50}),
        ("fetch.progress", {"url": "https://x", "percent": 100}),
    ]
    assert [(c.name, c.data) for c in customs if c.name == "parse.progress"] == [
        ("parse.progress", {"chars": 3}),
    ]
    events = recorder.events
    position = {id(event): i for i, event in enumerate(events)}
    results = {e.name: position[id(e)] for e in recorder.of_type("tool.result")}
    first_turn_end = position[id(recorder.of_type("turn.finished")[0])]
    for custom in customs:
        tool_name = custom.name.split(".")[0]
        # Progress comes before the tool's result, inside its turn.
        assert position[id(custom)] < results[tool_name] < first_turn_end
    assert all(isinstance(c, CustomEvent) for c in customs)


async def test_deps_and_the_run_context_reach_the_tools() -> None:
    registry = ToolRegistry()
    seen: list[dict[str, Any]] = []

    @registry.tool
    async def whoami(ctx: RunContext[dict[str, str]]) -> str:
        """Who is asking."""
        seen.append(
            {
                "deps": ctx.deps,
                "run_id": ctx.run_id,
                "turn": ctx.turn,
                "tool_call_id": ctx.tool_call_id,
                "tool_name": ctx.tool_name,
                "last_role": ctx.messages[-1]["role"],
            }
        )
        return ctx.deps["user"]

    script = [tool_call_response([("whoami", {})]), text_response("You are ada.")]
    deps = {"user": "ada"}
    async with scripted_agent(script, tools=registry) as (agent, server):
        result = await agent.run("Who am I?", deps=deps)

    assert seen == [
        {
            "deps": deps,
            "run_id": result.run_id,
            "turn": 1,
            "tool_call_id": "call_0",
            "tool_name": "whoami",
            "last_role": "user",
        }
    ]
    assert result.tool_calls[0].output == "ada"
    # The tool's context parameter is not part of its published schema.
    assert server.requests[0].json()["tools"][0]["function"]["parameters"]["properties"] == {}


# ---------------------------------------------------------- agent.stream()


async def test_stream_yields_the_same_events_as_callbacks_and_the_result() -> None:
    recorder = Recorder()
    async with scripted_agent(weather_script(), tools=[get_weather]) as (agent, _server):
        expected = await agent.run("Weather?", on_event=recorder)
    async with scripted_agent(weather_script(), tools=[get_weather]) as (agent, _server):
        streamed: list[Event] = []
        async with agent.stream("Weather?") as run:
            async for event in run:
                streamed.append(event)
        result = run.result

    assert [e.type for e in streamed] == recorder.types
    assert result.text == expected.text == "It is 31°C in Hanoi."
    assert result.messages == expected.messages
    assert streamed[0].run_id == run.run_id == result.run_id
    assert isinstance(streamed[-1], RunFinished)
    assert streamed[-1].result is result


async def test_stream_carries_tool_events_and_deps() -> None:
    registry = ToolRegistry()

    @registry.tool
    def greet(ctx: RunContext[str]) -> str:
        """Greet the user."""
        ctx.emit("greeting", ctx.deps)
        return f"hello {ctx.deps}"

    script = [tool_call_response([("greet", {})]), text_response("Done")]
    async with scripted_agent(script, tools=registry) as (agent, _server):
        async with agent.stream("Greet me", deps="ada") as run:
            types = [event.type async for event in run]
        result = run.result

    assert "custom" in types
    assert types.index("custom") < types.index("tool.result")
    assert result.tool_calls[0].output == "hello ada"


async def test_a_stream_error_is_raised_from_iteration_after_run_failed() -> None:
    model = offline_model()
    agent: Agent[None] = Agent(model)
    seen: list[Event] = []
    run = agent.stream("Hi")
    with pytest.raises(APIConnectionError) as caught:
        await drain(run, seen)
    await model.aclose()

    error = caught.value
    assert type(error) is APIConnectionError
    assert isinstance(error.__cause__, httpx.ConnectError)  # the cause is kept
    assert [e.type for e in seen] == ["run.started", "turn.started", "run.failed"]
    assert seen[-1].error is error
    with pytest.raises(APIConnectionError) as again:
        _ = run.result
    assert again.value is error


async def test_run_keeps_the_cause_of_its_error_too() -> None:
    model = offline_model()
    agent: Agent[None] = Agent(model)
    with pytest.raises(APIConnectionError) as caught:
        await agent.run("Hi")
    await model.aclose()
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


async def test_a_limit_error_in_stream_mode_carries_the_partial_result() -> None:
    turn = [("get_weather", {"city": "X"})]
    script = [tool_call_response(turn, id_prefix=f"t{i}") for i in range(3)]
    async with scripted_agent(script, tools=[get_weather], max_turns=2) as (agent, _server):
        seen: list[Event] = []
        with pytest.raises(MaxTurnsExceeded) as caught:
            await drain(agent.stream("Loop"), seen)

    assert type(caught.value) is MaxTurnsExceeded
    assert caught.value.result.turns == 2
    assert seen[-1].type == "run.failed"


async def test_the_result_before_the_end_is_a_usage_error() -> None:
    async with scripted_agent([text_response("Hi")]) as (agent, _server):
        async with agent.stream("Hi") as run:
            with pytest.raises(UsageError):
                _ = run.result
            events = [event async for event in run]
        assert run.result.text == "Hi"
    assert events[-1].type == "run.finished"


async def test_iterating_a_stream_without_async_with_is_a_usage_error() -> None:
    async with scripted_agent([text_response("Hi")]) as (agent, server):
        run = agent.stream("Hi")
        with anyio.fail_after(2), pytest.raises(UsageError) as caught:
            async for _ in run:
                pass
        assert "async with" in str(caught.value)
        # The same agent still works (and the server sees a request, then).
        assert (await agent.run("Hi")).text == "Hi"
    assert len(server.requests) == 1


async def test_a_stream_run_cannot_be_entered_twice() -> None:
    async with scripted_agent([text_response("Hi")]) as (agent, _server):
        run = agent.stream("Hi")
        async with run:
            assert [e.type async for e in run][-1] == "run.finished"
        with pytest.raises(UsageError):
            async with run:
                pass


async def test_turn_usage_is_on_turn_finished_events_in_stream_mode() -> None:
    steps = [role(), *call_steps(0, "c0", "get_weather", {"city": "Hue"}), finish("tool_calls")]
    script = [response(*steps, usage_chunk(7, 3)), text_response("ok", usage=(9, 1))]
    seen: list[Event] = []
    async with scripted_agent(script, tools=[get_weather]) as (agent, _server):
        run = agent.stream("Go")
        await drain(run, seen)
    usages = [event.usage for event in seen if event.type == "turn.finished"]
    assert [u.total_tokens for u in usages] == [10, 10]
    assert run.result.usage.total_tokens == 20
