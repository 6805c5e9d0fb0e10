"""The spans of a run, read from the OpenTelemetry SDK's in-memory exporter:
the tree, the GenAI attributes, an eager tool overlapping its turn, errors,
retries, cancellation, and that user code sees the right current span."""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest
from _agent_helpers import Recorder
from _common import ASYNC_TESTS, make_model
from _telemetry import Telemetry, attributes, end, parent_id, span_id, start
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from agentkit import Agent, AgentkitError, OpenAIChatModel, ToolRegistry
from agentkit.testing import (
    Disconnect,
    ScriptedResponse,
    ScriptedServer,
    error_response,
    text_response,
    tool_call_chunks,
    tool_call_response,
)

pytestmark = ASYNC_TESTS

CHUNK_DELAY = 0.02


def waiting_tools(seen: dict[str, Any] | None = None) -> ToolRegistry:
    """``wait`` (async) and ``wait_in_thread`` (sync); each notes the span
    that was current while it ran."""
    registry = ToolRegistry()
    seen = {} if seen is None else seen

    @registry.tool
    async def wait(label: str, ms: int = 0) -> str:
        """Wait ``ms`` milliseconds."""
        seen[label] = trace.get_current_span()
        await anyio.sleep(ms / 1000)
        return f"waited for {label}"

    @registry.tool
    def wait_in_thread(label: str, ms: int = 0) -> str:
        """Wait ``ms`` milliseconds in a worker thread."""
        seen[label] = trace.get_current_span()
        time.sleep(ms / 1000)
        return f"waited in a thread for {label}"

    @registry.tool
    def explode(label: str) -> str:
        """Always fails."""
        raise ValueError(f"no {label} today")

    return registry


def agent_on(
    server: ScriptedServer, tools: ToolRegistry, **options: Any
) -> tuple[Agent[Any], OpenAIChatModel]:
    model = make_model(server, model="gpt-test", temperature=0.3, max_tokens=200)
    return Agent(model, tools=tools, turn_retry_delay=0.01, **options), model


def two_parallel_calls() -> ScriptedResponse:
    """Call 0 is sealed when call 1 starts, half-way through the stream."""
    calls = [("wait", {"label": "first", "ms": 400}), ("wait", {"label": "second", "ms": 50})]
    return tool_call_response(calls, fragments=6, chunk_delay=CHUNK_DELAY, usage=(30, 12))


async def test_a_two_turn_run_with_two_eager_tools_makes_the_span_tree() -> None:
    telemetry = Telemetry()
    script = [two_parallel_calls(), text_response("Both done.", usage=(60, 4))]
    async with ScriptedServer(script) as server:
        agent, model = agent_on(server, waiting_tools(), instrument=telemetry.settings())
        result = await agent.run("Wait twice")
        await model.aclose()
        port = int(server.base_url.split(":")[-1].split("/")[0])

    run = telemetry.one("invoke_agent")
    chats = telemetry.named("chat")
    tools = telemetry.named("execute_tool")
    assert [span.name for span in telemetry.spans] == [
        "invoke_agent",
        "chat gpt-test",
        "execute_tool wait",
        "execute_tool wait",
        "chat gpt-test",
    ]
    assert run.kind is SpanKind.INTERNAL
    assert run.parent is None
    assert all(chat.kind is SpanKind.CLIENT for chat in chats)
    assert all(tool.kind is SpanKind.INTERNAL for tool in tools)
    # Tools are the run's children, not the chat's, although they start inside the turn.
    assert {parent_id(span) for span in chats + tools} == {span_id(run)}
    assert len({span.context.trace_id for span in telemetry.spans if span.context}) == 1

    first_turn, second_turn = chats
    first, second = tools
    # The eager call started while its turn was still streaming...
    assert start(first_turn) < start(first) < end(first_turn)
    # ... and ran beside the second call; the next turn waited for both.
    assert start(second) < end(first)
    assert start(second_turn) >= max(end(first), end(second))
    assert start(run) <= start(first_turn)
    assert end(second_turn) <= end(run)
    assert all(span.status.status_code is StatusCode.UNSET for span in telemetry.spans)

    common = {
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-test",
        "server.address": "127.0.0.1",
        "server.port": port,
    }
    assert dict(run.attributes or {}) == {
        **common,
        "gen_ai.operation.name": "invoke_agent",
        "agentkit.run.id": result.run_id,
        "agentkit.turns": 2,
        "gen_ai.response.model": "scripted",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 90,
        "gen_ai.usage.output_tokens": 16,
    }
    assert dict(first_turn.attributes or {}) == {
        **common,
        "gen_ai.operation.name": "chat",
        "gen_ai.request.stream": True,
        "gen_ai.request.temperature": 0.3,
        "gen_ai.request.max_tokens": 200,
        "agentkit.turn": 1,
        "gen_ai.response.model": "scripted",
        "gen_ai.response.id": "chatcmpl-scripted",
        "gen_ai.response.finish_reasons": ("tool_calls",),
        "gen_ai.usage.input_tokens": 30,
        "gen_ai.usage.output_tokens": 12,
    }
    assert attributes(second_turn)["gen_ai.response.finish_reasons"] == ("stop",)
    assert [dict(tool.attributes or {}) for tool in tools] == [
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "wait",
            "gen_ai.tool.call.id": f"call_{index}",
            "gen_ai.tool.type": "function",
            "agentkit.turn": 1,
        }
        for index in (0, 1)
    ]
    assert telemetry.open_spans.open == {}


async def test_user_code_in_a_tool_sees_the_tool_span_as_current() -> None:
    telemetry = Telemetry()
    seen: dict[str, Any] = {}
    calls = [("wait", {"label": "async"}), ("wait_in_thread", {"label": "sync"})]
    script = [tool_call_response(calls), text_response("ok")]
    async with ScriptedServer(script) as server:
        agent, model = agent_on(server, waiting_tools(seen), instrument=telemetry.settings())
        await agent.run("Go")
        await model.aclose()

    by_call = {
        attributes(span)["gen_ai.tool.call.id"]: span for span in telemetry.named("execute_tool")
    }
    assert seen["async"].get_span_context().span_id == span_id(by_call["call_0"])
    assert seen["sync"].get_span_context().span_id == span_id(by_call["call_1"])


async def test_the_run_span_is_a_child_of_the_callers_span() -> None:
    telemetry = Telemetry()
    outer_tracer = telemetry.tracer_provider.get_tracer("app")
    async with ScriptedServer([text_response("hi")]) as server:
        agent, model = agent_on(server, ToolRegistry(), instrument=telemetry.settings())
        with outer_tracer.start_as_current_span("request handler") as outer:
            await agent.run("Hi")
        await model.aclose()
    assert parent_id(telemetry.one("invoke_agent")) == outer.get_span_context().span_id


async def test_a_failed_tool_has_an_error_status_and_the_run_goes_on() -> None:
    telemetry = Telemetry()
    calls = [("explode", {"label": "luck"}), ("wait", {"label": "fine"})]
    script = [tool_call_response(calls), text_response("One failed.")]
    async with ScriptedServer(script) as server:
        agent, model = agent_on(server, waiting_tools(), instrument=telemetry.settings())
        result = await agent.run("Try")
        await model.aclose()

    assert result.tool_calls[0].is_error
    failed, fine = telemetry.one("execute_tool explode"), telemetry.one("execute_tool wait")
    assert failed.status.status_code is StatusCode.ERROR
    assert attributes(failed)["error.type"] == "ToolExecutionError"
    assert "no luck today" in (failed.status.description or "")
    assert fine.status.status_code is StatusCode.UNSET
    assert "error.type" not in (fine.attributes or {})
    # The model read the error and answered: the run did not fail.
    assert telemetry.one("invoke_agent").status.status_code is StatusCode.UNSET


async def test_an_unknown_tool_is_an_error_span_too() -> None:
    telemetry = Telemetry()
    script = [tool_call_response([("nowhere", {})]), text_response("Sorry.")]
    async with ScriptedServer(script) as server:
        agent, model = agent_on(server, waiting_tools(), instrument=telemetry.settings())
        await agent.run("Try")
        await model.aclose()
    span = telemetry.one("execute_tool nowhere")
    assert attributes(span)["error.type"] == "UnknownToolError"


async def test_a_request_retry_is_an_event_on_the_chat_span() -> None:
    telemetry = Telemetry()
    script = [error_response(503, "busy"), text_response("Hello")]
    async with ScriptedServer(script) as server:
        agent, model = agent_on(server, ToolRegistry(), instrument=telemetry.settings())
        await agent.run("Hi")
        await model.aclose()

    chat = telemetry.one("chat")
    (event,) = chat.events
    assert event.name == "agentkit.retry"
    attributes = dict(event.attributes or {})
    assert attributes["agentkit.retry.kind"] == "request"
    assert attributes["agentkit.retry.attempt"] == 1
    assert "503" in str(attributes["agentkit.retry.reason"])
    assert chat.status.status_code is StatusCode.UNSET  # the retried request succeeded
    assert not telemetry.one("invoke_agent").events


async def test_a_turn_retry_is_an_event_on_the_run_span_between_two_chat_spans() -> None:
    telemetry = Telemetry()
    broken = ScriptedResponse([*tool_call_chunks([("wait", {"label": "x"})])[:1], Disconnect()])
    script = [broken, text_response("Second try.")]
    async with ScriptedServer(script) as server:
        agent, model = agent_on(server, ToolRegistry(), instrument=telemetry.settings())
        result = await agent.run("Hi")
        await model.aclose()

    assert result.text == "Second try."
    run = telemetry.one("invoke_agent")
    (event,) = run.events
    assert event.name == "agentkit.retry"
    assert dict(event.attributes or {})["agentkit.retry.kind"] == "turn"
    broken_turn, retried_turn = telemetry.named("chat")
    assert broken_turn.status.status_code is StatusCode.ERROR
    assert attributes(broken_turn)["error.type"] == "IncompleteStreamError"
    assert end(broken_turn) <= event.timestamp <= start(retried_turn)
    assert retried_turn.status.status_code is StatusCode.UNSET
    assert run.status.status_code is StatusCode.UNSET


async def test_a_failed_run_records_its_error_once() -> None:
    telemetry = Telemetry()
    async with ScriptedServer([error_response(400, "bad request")]) as server:
        agent, model = agent_on(server, ToolRegistry(), instrument=telemetry.settings())
        with pytest.raises(AgentkitError):
            await agent.run("Hi")
        await model.aclose()

    run, chat = telemetry.one("invoke_agent"), telemetry.one("chat")
    for span in (run, chat):
        assert span.status.status_code is StatusCode.ERROR
        assert attributes(span)["error.type"] == "BadRequestError"
    assert [event.name for event in run.events] == ["exception"]
    assert str(dict(run.events[0].attributes or {})["exception.type"]).endswith("BadRequestError")
    assert not chat.events


async def test_a_cancelled_run_ends_every_span() -> None:
    telemetry = Telemetry()
    calls = [("wait", {"label": "forever", "ms": 60_000}), ("wait", {"label": "too", "ms": 60_000})]
    script = [tool_call_response(calls, fragments=4, chunk_delay=CHUNK_DELAY)]
    recorder = Recorder()
    async with ScriptedServer(script) as server:
        agent, model = agent_on(server, waiting_tools(), instrument=telemetry.settings())
        with anyio.move_on_after(5):  # a safety net: the loop below breaks first
            async with agent.stream("Wait forever") as run:
                async for event in run:
                    recorder(event)
                    if event.type == "tool_call.ready":
                        await anyio.sleep(0.05)  # the first tool is running now
                        break
        await model.aclose()

    assert telemetry.open_spans.open == {}
    names = [span.name for span in telemetry.spans]
    assert names[:3] == ["invoke_agent", "chat gpt-test", "execute_tool wait"]
    for span in telemetry.spans:
        assert attributes(span)["agentkit.cancelled"] is True
        assert span.status.status_code is StatusCode.UNSET  # a cancellation is not an error
        assert span.end_time is not None


async def test_without_instrument_nothing_is_traced() -> None:
    telemetry = Telemetry()
    trace_before = trace.get_current_span()
    async with ScriptedServer([text_response("hi")]) as server:
        agent, model = agent_on(server, ToolRegistry())
        await agent.run("Hi")
        await model.aclose()
    assert telemetry.spans == []
    assert trace.get_current_span() is trace_before


async def test_a_tracer_provider_is_enough() -> None:
    telemetry = Telemetry()
    async with ScriptedServer([text_response("hi"), text_response("hi again")]) as server:
        agent, model = agent_on(server, ToolRegistry(), instrument=telemetry.tracer_provider)
        await agent.run("Hi")
        await agent.run("Again")  # the second run reuses the first one's tracer
        await model.aclose()
    assert [span.name for span in telemetry.spans].count("invoke_agent") == 2
