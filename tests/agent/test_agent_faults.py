"""Faults during a run: streams cut or stalled mid-turn (keep what was
complete, retry what was not, never run a call twice), retries before the
stream, HTTP errors and provider errors mid-stream."""

from __future__ import annotations

from typing import Any

import pytest
from _agent_helpers import Recorder, scripted_agent
from _common import ASYNC_TESTS, eventually
from _streams import byte_length, call_args, call_start, call_steps, finish, response, role, text

from agentkit import (
    AuthenticationError,
    BadRequestError,
    IncompleteStreamError,
    MalformedChunkError,
    ProviderStreamError,
    Retry,
    StreamTimeoutError,
    Timeouts,
    ToolRegistry,
)
from agentkit.testing import (
    Disconnect,
    Pause,
    error_response,
    text_chunks,
    text_response,
    tool_call_response,
    usage_chunk,
)

pytestmark = ASYNC_TESTS

STALL_TIMEOUTS = Timeouts(connect=1.0, first_chunk=1.0, chunk_gap=0.1)


def recording_tools() -> tuple[ToolRegistry, list[str]]:
    """A ``lookup`` tool that logs each call's key."""
    calls: list[str] = []
    registry = ToolRegistry()

    @registry.tool
    async def lookup(key: str) -> str:
        """Look a key up."""
        calls.append(key)
        return f"value of {key}"

    @registry.tool(eager=False)
    async def lookup_later(key: str) -> str:
        """Look a key up, after the model's turn."""
        calls.append(key)
        return f"later value of {key}"

    return registry, calls


def retries(recorder: Recorder) -> list[Retry]:
    return recorder.of_type("retry")


# ------------------------------------------------- cut after complete calls


async def test_a_cut_after_a_sealed_call_keeps_it_and_drops_the_unsealed_one() -> None:
    registry, calls = recording_tools()
    steps = [
        role(),
        text("Checking."),
        *call_steps(0, "k0", "lookup", {"key": "a"}),
        call_start(1, "k1", "lookup"),
        call_args(1, '{"key": "b'),
        Disconnect(),
    ]
    script = [response(*steps, done=False), text_response("a is known")]
    recorder = Recorder()
    async with scripted_agent(script, tools=registry) as (agent, server):
        result = await agent.run("Look up a and b", on_event=recorder)

    assert calls == ["a"]
    assert result.text == "a is known"
    assert result.turns == 2
    sent = server.requests[1].json()["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": "Checking.",
        "tool_calls": [
            {
                "id": "k0",
                "type": "function",
                "function": {"name": "lookup", "arguments": '{"key": "a"}'},
            }
        ],
    }
    assert sent[2] == {"role": "tool", "tool_call_id": "k0", "content": "value of a"}
    assert len(sent) == 3
    assert retries(recorder) == []  # nothing to retry: the turn's outcome was kept
    first_turn_end = recorder.of_type("turn.finished")[0]
    assert first_turn_end.finish_reason is None


async def test_close_after_bytes_mid_call_keeps_the_complete_calls() -> None:
    registry, calls = recording_tools()
    steps = [
        role(),
        *call_steps(0, "k0", "lookup", {"key": "a"}),
        *call_steps(1, "k1", "lookup", {"key": "b"}),
        call_start(2, "k2", "lookup"),
        call_args(2, '{"key": '),
        call_args(2, '"c"}'),
        finish("tool_calls"),
    ]
    # Cut in the middle of call 2's second fragment.
    cut = byte_length(steps[:-2]) + 12
    script = [response(*steps, close_after_bytes=cut), text_response("a and b")]
    async with scripted_agent(script, tools=registry) as (agent, server):
        result = await agent.run("Look up a, b and c")

    assert sorted(calls) == ["a", "b"]
    sent = server.requests[1].json()["messages"]
    assert [c["id"] for c in sent[1]["tool_calls"]] == ["k0", "k1"]
    assert [m["tool_call_id"] for m in sent[2:]] == ["k0", "k1"]
    assert [r.id for r in result.tool_calls] == ["k0", "k1"]
    assert result.text == "a and b"


async def test_a_stall_after_a_sealed_call_keeps_it() -> None:
    registry, calls = recording_tools()
    steps = [
        role(),
        *call_steps(0, "k0", "lookup", {"key": "a"}),
        call_start(1, "k1", "lookup"),
        Pause(None),
    ]
    script = [response(*steps), text_response("done")]
    async with scripted_agent(script, tools=registry, timeout=STALL_TIMEOUTS) as (agent, server):
        result = await agent.run("Go")

    assert calls == ["a"]
    assert result.text == "done"
    assert [c["id"] for c in server.requests[1].json()["messages"][1]["tool_calls"]] == ["k0"]
    # The stalled connection was closed, not left open.
    assert await eventually(lambda: server.open_connections <= 1)
    assert server.connections_opened == 2


# ------------------------------------------- cut before anything complete


async def test_a_cut_before_anything_complete_retries_the_turn_and_discards_its_text() -> None:
    steps = [role(), text("Hello"), text(" wor"), Disconnect()]
    script = [response(*steps, done=False), text_response("Hello world, again.")]
    recorder = Recorder()
    async with scripted_agent(script) as (agent, server):
        result = await agent.run("Hi", on_event=recorder)

    assert result.text == "Hello world, again."
    assert result.turns == 1
    assert result.messages[-1] == {"role": "assistant", "content": "Hello world, again."}
    (retry,) = retries(recorder)
    assert retry.discard_partial is True
    assert retry.attempt == 1
    assert "interrupted" in retry.reason
    types = recorder.types
    assert types.count("turn.started") == 1
    retry_at = types.index("retry")
    assert "text.delta" in types[:retry_at]  # the partial text that must be discarded
    assert "text.delta" in types[retry_at:]
    assert len(server.requests) == 2
    assert server.requests[0].json() == server.requests[1].json()  # the same turn again


async def test_a_cut_inside_the_only_call_retries_and_the_call_runs_once() -> None:
    registry, calls = recording_tools()
    cut_steps = [role(), call_start(0, "k0", "lookup"), call_args(0, '{"key": "a"}'), Disconnect()]
    script = [
        response(*cut_steps, done=False),
        tool_call_response([("lookup", {"key": "a"})], id_prefix="k"),
        text_response("a found"),
    ]
    recorder = Recorder()
    async with scripted_agent(script, tools=registry) as (agent, server):
        result = await agent.run("Go", on_event=recorder)

    assert calls == ["a"]
    (retry,) = retries(recorder)
    assert retry.discard_partial is False  # no text was shown
    assert [r.id for r in result.tool_calls] == ["k0"]
    assert result.text == "a found"
    assert len(server.requests) == 3


async def test_a_deferred_call_cut_off_by_a_break_is_retried_and_runs_once() -> None:
    registry, calls = recording_tools()
    steps = [
        role(),
        *call_steps(0, "k0", "lookup_later", {"key": "a"}),
        call_start(1, "k1", "lookup_later"),
        Disconnect(),
    ]
    script = [
        response(*steps, done=False),
        tool_call_response([("lookup_later", {"key": "a"})], id_prefix="k"),
        text_response("ok"),
    ]
    recorder = Recorder()
    async with scripted_agent(script, tools=registry) as (agent, _server):
        result = await agent.run("Go", on_event=recorder)

    assert calls == ["a"]  # sealed in the broken attempt but never run there
    assert len(retries(recorder)) == 1
    assert [r.output for r in result.tool_calls] == ["later value of a"]


async def test_a_stall_before_anything_complete_is_retried_and_its_connection_closed() -> None:
    steps = [role(), text("Hel"), Pause(None)]
    script = [response(*steps), text_response("Hello")]
    recorder = Recorder()
    async with scripted_agent(script, timeout=STALL_TIMEOUTS) as (agent, server):
        result = await agent.run("Hi", on_event=recorder)

    assert result.text == "Hello"
    (retry,) = retries(recorder)
    assert retry.discard_partial is True
    assert "chunk_gap" in retry.reason
    assert await eventually(lambda: server.open_connections <= 1)


async def test_exhausted_turn_retries_raise_incomplete_stream_error() -> None:
    broken = [role(), text("partial"), Disconnect()]
    script = [response(*broken, done=False) for _ in range(3)]
    recorder = Recorder()
    async with scripted_agent(script, turn_retries=1) as (agent, server):
        with pytest.raises(IncompleteStreamError) as caught:
            await agent.run("Hi", on_event=recorder)

    error = caught.value
    assert type(error) is IncompleteStreamError
    assert error.message.content == "partial"
    assert len(server.requests) == 2  # the first attempt and one retry
    assert len(retries(recorder)) == 1
    assert recorder.types[-1] == "run.failed"
    assert recorder.events[-1].error is error
    assert "run.finished" not in recorder.types


async def test_a_stall_every_time_raises_stream_timeout_error() -> None:
    script = [response(role(), text("x"), Pause(None)) for _ in range(2)]
    recorder = Recorder()
    async with scripted_agent(script, turn_retries=1, timeout=STALL_TIMEOUTS) as (agent, _):
        with pytest.raises(StreamTimeoutError) as caught:
            await agent.run("Hi", on_event=recorder)

    assert caught.value.phase == "chunk_gap"
    assert recorder.types[-1] == "run.failed"


async def test_turn_retries_zero_fails_at_the_first_break() -> None:
    script = [response(role(), text("x"), Disconnect(), done=False), text_response("never")]
    async with scripted_agent(script, turn_retries=0) as (agent, server):
        with pytest.raises(IncompleteStreamError):
            await agent.run("Hi")

    assert len(server.requests) == 1


async def test_a_cut_after_the_finish_chunk_keeps_the_complete_answer() -> None:
    # The finish arrived; only the usage chunk and [DONE] were lost. The
    # answer is complete: streaming it again would pay for it twice.
    steps = [*text_chunks("Complete answer.", usage=None), Disconnect()]
    script = [response(*steps, done=False), text_response("A different answer.")]
    recorder = Recorder()
    async with scripted_agent(script) as (agent, server):
        result = await agent.run("Hi", on_event=recorder)

    assert result.text == "Complete answer."
    assert result.finish_reason == "stop"
    assert retries(recorder) == []
    assert len(server.requests) == 1


async def test_a_cut_after_a_tool_calls_finish_runs_every_call_once() -> None:
    registry, calls = recording_tools()
    steps = [
        role(),
        *call_steps(0, "k0", "lookup", {"key": "a"}),
        *call_steps(1, "k1", "lookup_later", {"key": "b"}),
        finish("tool_calls"),
        Disconnect(),
    ]
    script = [response(*steps, done=False), text_response("a and b")]
    async with scripted_agent(script, tools=registry) as (agent, server):
        result = await agent.run("Go")

    assert sorted(calls) == ["a", "b"]
    assert [r.id for r in result.tool_calls] == ["k0", "k1"]
    assert result.text == "a and b"
    assert len(server.requests) == 2


# ---------------------------------------------- errors before the stream


async def test_a_503_is_retried_by_the_model_with_a_retry_event() -> None:
    script = [error_response(503, "overloaded"), text_response("Hello")]
    recorder = Recorder()
    async with scripted_agent(script) as (agent, server):
        result = await agent.run("Hi", on_event=recorder)

    assert result.text == "Hello"
    (retry,) = retries(recorder)
    assert retry.attempt == 1
    assert retry.discard_partial is False
    assert "503" in retry.reason
    assert retry.delay >= 0
    assert recorder.types[:3] == ["run.started", "turn.started", "retry"]
    assert len(server.requests) == 2


async def test_a_401_fails_the_run_with_authentication_error() -> None:
    recorder = Recorder()
    async with scripted_agent([error_response(401, "bad key")]) as (agent, server):
        with pytest.raises(AuthenticationError) as caught:
            await agent.run("Hi", on_event=recorder)

    assert type(caught.value) is AuthenticationError
    assert caught.value.status_code == 401
    assert "bad key" in caught.value.body
    assert recorder.types == ["run.started", "turn.started", "run.failed"]
    assert recorder.events[-1].error is caught.value
    assert len(server.requests) == 1  # never retried


async def test_a_400_is_not_retried() -> None:
    script = [error_response(400, "context too long"), text_response("never")]
    async with scripted_agent(script) as (agent, server):
        with pytest.raises(BadRequestError):
            await agent.run("Hi")

    assert len(server.requests) == 1


async def test_a_failure_in_a_later_turn_fails_the_run_after_the_tools_ran() -> None:
    registry, calls = recording_tools()
    script = [tool_call_response([("lookup", {"key": "a"})]), error_response(401)]
    recorder = Recorder()
    async with scripted_agent(script, tools=registry) as (agent, _server):
        with pytest.raises(AuthenticationError):
            await agent.run("Go", on_event=recorder)

    assert calls == ["a"]
    assert recorder.types.count("turn.started") == 2
    assert recorder.types[-1] == "run.failed"


# ------------------------------------------------ provider errors mid-stream


def provider_error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "server_error"}}


async def test_a_provider_error_mid_stream_fails_the_run_without_turn_retries() -> None:
    steps = [role(), text("Hi"), provider_error("model overloaded")]
    recorder = Recorder()
    async with scripted_agent([response(*steps)], turn_retries=0) as (agent, _server):
        with pytest.raises(ProviderStreamError) as caught:
            await agent.run("Hi", on_event=recorder)

    assert type(caught.value) is ProviderStreamError
    assert "model overloaded" in str(caught.value)
    assert recorder.types[-1] == "run.failed"


async def test_a_transient_provider_error_mid_stream_is_retried_as_a_turn() -> None:
    steps = [role(), text("Hi"), provider_error("model overloaded")]
    script = [response(*steps), text_response("Hello")]
    recorder = Recorder()
    async with scripted_agent(script) as (agent, _server):
        result = await agent.run("Hi", on_event=recorder)

    assert result.text == "Hello"
    (retry,) = retries(recorder)
    assert retry.discard_partial is True
    assert "model overloaded" in retry.reason


async def test_a_malformed_chunk_fails_the_run_without_turn_retries() -> None:
    steps = [role(), text("Hi"), "data: {not json\n\n", usage_chunk()]
    async with scripted_agent([response(*steps)], turn_retries=0) as (agent, _server):
        with pytest.raises(MalformedChunkError):
            await agent.run("Hi")


async def test_a_model_error_in_a_later_turn_carries_the_partial_result() -> None:
    registry = ToolRegistry()

    @registry.tool
    def lookup(key: str) -> str:
        """Look something up."""
        return f"value of {key}"

    script = [tool_call_response([("lookup", {"key": "a"})]), error_response(401, "expired")]
    async with scripted_agent(script, tools=registry) as (agent, _server):
        with pytest.raises(AuthenticationError) as caught:
            await agent.run("go")
    partial = caught.value.result
    assert partial is not None
    assert [call.output for call in partial.tool_calls] == ["value of a"]
    assert [m["role"] for m in partial.messages] == ["user", "assistant", "tool"]
