"""Timeouts of a turn over real loopback HTTP: waiting for the first chunk
(retried), a stream that stalls or only sends keep-alives after it started
(a `StreamTimeoutError` with the partial message), and the total budget."""

from __future__ import annotations

import time
from collections.abc import Iterator

import anyio
import pytest
from _common import ASYNC_TESTS, make_model
from _streams import failed_turn, finish, run_turn, text, watch_logs_for_key

from agentkit import (
    APITimeoutError,
    IncompleteStreamError,
    Retry,
    RetryPolicy,
    ServerError,
    StreamTimeoutError,
    TextDelta,
    Timeouts,
)
from agentkit.testing import (
    Pause,
    ScriptedResponse,
    ScriptedServer,
    error_response,
    text_chunks,
    text_response,
)

pytestmark = ASYNC_TESTS


@pytest.fixture(autouse=True)
def _no_key_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield from watch_logs_for_key(caplog)


def keep_alives(every: float, count: int) -> list[object]:
    """Comment lines sent every ``every`` seconds, ``count`` times."""
    steps: list[object] = []
    for _ in range(count):
        steps += [b": keep-alive\n\n", Pause(every)]
    return steps


# ------------------------------------------------------ before the first chunk


async def test_slow_headers_time_out_as_first_chunk_and_are_retried() -> None:
    slow = ScriptedResponse(text_chunks("late"), headers_delay=1.0)
    timeouts = Timeouts(connect=1, first_chunk=0.2, chunk_gap=0.5)
    async with (
        ScriptedServer([slow, text_response("on time")]) as server,
        make_model(server, timeout=timeouts) as model,
    ):
        events, message = await run_turn(model)
    assert message.content == "on time"
    (retry,) = [event for event in events if isinstance(event, Retry)]
    assert "first_chunk" in retry.reason


async def test_first_chunk_timeout_exhausted() -> None:
    slow = [ScriptedResponse(text_chunks("late"), headers_delay=1.0) for _ in range(2)]
    timeouts = Timeouts(connect=1, first_chunk=0.15, chunk_gap=0.5)
    async with (
        ScriptedServer(slow) as server,
        make_model(server, timeout=timeouts, max_retries=1) as model,
    ):
        started = time.monotonic()
        events, error = await failed_turn(model, APITimeoutError)
        elapsed = time.monotonic() - started
    assert type(error) is APITimeoutError
    assert not isinstance(error, IncompleteStreamError)
    assert error.phase == "first_chunk"
    assert error.seconds == 0.15
    assert "first_chunk" in str(error)
    assert "free connection" not in str(error)  # it had its connection: the server was slow
    assert len([event for event in events if isinstance(event, Retry)]) == 1
    assert len(server.requests) == 2
    assert 0.3 <= elapsed < 2


async def test_keep_alives_do_not_extend_the_first_chunk_limit() -> None:
    # The server keeps the connection busy but never starts the stream.
    busy = ScriptedResponse(keep_alives(0.05, 40), done=False)
    timeouts = Timeouts(connect=1, first_chunk=0.3, chunk_gap=0.2)
    async with (
        ScriptedServer([busy, text_response("ok")]) as server,
        make_model(server, timeout=timeouts) as model,
    ):
        started = time.monotonic()
        events, message = await run_turn(model)
    assert message.content == "ok"
    assert [type(event) for event in events] == [Retry, TextDelta]
    assert "first_chunk" in events[0].reason  # type: ignore[union-attr]
    assert 0.3 <= time.monotonic() - started < 1.8  # long before the keep-alives end (2 s)


async def test_keep_alives_before_the_first_chunk_exhausted() -> None:
    busy = [ScriptedResponse(keep_alives(0.05, 40), done=False) for _ in range(2)]
    timeouts = Timeouts(connect=1, first_chunk=0.2, chunk_gap=0.15)
    async with (
        ScriptedServer(busy) as server,
        make_model(server, timeout=timeouts, max_retries=1) as model,
    ):
        _, error = await failed_turn(model, APITimeoutError)
    assert error.phase == "first_chunk"


async def test_keep_alives_then_the_stream_starts_in_time() -> None:
    steps = [*keep_alives(0.05, 3), text("finally"), finish("stop")]
    timeouts = Timeouts(connect=1, first_chunk=0.5, chunk_gap=0.2)
    async with (
        ScriptedServer([ScriptedResponse(steps)]) as server,
        make_model(server, timeout=timeouts) as model,
    ):
        events, message = await run_turn(model)
    assert events == [TextDelta("finally")]
    assert message.finish_reason == "stop"


async def test_silence_before_the_first_chunk_is_cut_by_chunk_gap() -> None:
    # chunk_gap bounds every silence, the wait for the headers included.
    slow = ScriptedResponse(text_chunks("late"), headers_delay=1.0)
    timeouts = Timeouts(connect=1, first_chunk=0.5, chunk_gap=0.1)
    async with (
        ScriptedServer([slow, text_response("ok")]) as server,
        make_model(server, timeout=timeouts) as model,
    ):
        events, message = await run_turn(model)
    assert message.content == "ok"
    (retry,) = [event for event in events if isinstance(event, Retry)]
    assert "chunk_gap" in retry.reason


async def test_silence_after_headers_before_the_first_chunk() -> None:
    silent = [ScriptedResponse([Pause(1.0), text("late")]) for _ in range(2)]
    timeouts = Timeouts(connect=1, first_chunk=0.5, chunk_gap=0.1)
    async with (
        ScriptedServer(silent) as server,
        make_model(server, timeout=timeouts, max_retries=1) as model,
    ):
        _, error = await failed_turn(model, APITimeoutError)
    assert not isinstance(error, StreamTimeoutError)
    assert error.phase == "chunk_gap"
    assert len(server.requests) == 2


# ------------------------------------------------------- after it started


async def test_stall_mid_stream_raises_stream_timeout_with_partial_text() -> None:
    steps = [text("Hello"), text(" world"), Pause(None), text("never")]
    timeouts = Timeouts(connect=1, first_chunk=0.5, chunk_gap=0.2)
    async with (
        ScriptedServer([ScriptedResponse(steps), text_response("x")]) as server,
        make_model(server, timeout=timeouts) as model,
    ):
        started = time.monotonic()
        events, error = await failed_turn(model, StreamTimeoutError)
        elapsed = time.monotonic() - started
    assert events == [TextDelta("Hello"), TextDelta(" world")]
    assert isinstance(error, IncompleteStreamError)
    assert isinstance(error, APITimeoutError)
    assert error.phase == "chunk_gap"
    assert error.seconds == 0.2
    assert error.message.content == "Hello world"
    assert error.message.finish_reason is None
    assert "chunk_gap" in str(error)
    # The server kept the connection open: the stall was noticed by the client.
    assert 0.2 <= elapsed < 2
    assert len(server.requests) == 1  # not retried


async def test_only_keep_alives_after_the_start_is_a_stall() -> None:
    steps = [text("started"), *keep_alives(0.04, 50)]
    timeouts = Timeouts(connect=1, first_chunk=0.5, chunk_gap=0.2)
    async with (
        ScriptedServer([ScriptedResponse(steps, done=False)]) as server,
        make_model(server, timeout=timeouts) as model,
    ):
        started = time.monotonic()
        events, error = await failed_turn(model, StreamTimeoutError)
        elapsed = time.monotonic() - started
    assert events == [TextDelta("started")]
    assert error.phase == "chunk_gap"
    assert error.message.content == "started"
    assert 0.2 <= elapsed < 1.8  # long before the keep-alives end (2 s)


async def test_slow_but_steady_stream_is_fine() -> None:
    steps = text_chunks("one two three four five six")
    timeouts = Timeouts(connect=1, first_chunk=0.5, chunk_gap=0.2)
    script = ScriptedResponse(steps, chunk_delay=0.05)  # ~0.45 s in total
    async with ScriptedServer([script]) as server, make_model(server, timeout=timeouts) as model:
        _, message = await run_turn(model)
    assert message.content == "one two three four five six"


async def test_stall_keeps_sealed_calls_and_drops_the_open_one() -> None:
    steps = [
        {
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [
                            {"index": 0, "id": "a", "function": {"name": "f", "arguments": "{}"}},
                            {
                                "index": 1,
                                "id": "b",
                                "function": {"name": "g", "arguments": '{"q": "x'},
                            },
                        ]
                    },
                }
            ]
        },
        Pause(None),
    ]
    timeouts = Timeouts(connect=1, first_chunk=0.5, chunk_gap=0.15)
    async with (
        ScriptedServer([ScriptedResponse(steps)]) as server,
        make_model(server, timeout=timeouts) as model,
    ):
        _, error = await failed_turn(model, StreamTimeoutError)
    assert [call.id for call in error.message.tool_calls] == ["a"]
    assert [call.id for call in error.dropped_tool_calls] == ["b"]


# ------------------------------------------------------------------- total


async def test_total_timeout_mid_stream() -> None:
    steps = text_chunks("a b c d e f g h i j k l")
    timeouts = Timeouts(connect=1, first_chunk=0.5, chunk_gap=0.5, total=0.3)
    script = ScriptedResponse(steps, chunk_delay=0.05)
    async with ScriptedServer([script]) as server, make_model(server, timeout=timeouts) as model:
        started = time.monotonic()
        events, error = await failed_turn(model, StreamTimeoutError)
        elapsed = time.monotonic() - started
    assert error.phase == "total"
    assert error.seconds == 0.3
    assert events
    assert error.message.content == "".join(e.text for e in events if isinstance(e, TextDelta))
    assert 0.3 <= elapsed < 2


async def test_total_timeout_during_a_stall() -> None:
    steps = [text("a"), Pause(None)]
    timeouts = Timeouts(connect=1, first_chunk=1, chunk_gap=1, total=0.25)
    async with (
        ScriptedServer([ScriptedResponse(steps)]) as server,
        make_model(server, timeout=timeouts) as model,
    ):
        started = time.monotonic()
        _, error = await failed_turn(model, StreamTimeoutError)
    assert error.phase == "total"
    assert time.monotonic() - started < 0.9  # before chunk_gap (1 s) could fire


async def test_total_timeout_before_the_first_chunk_is_not_retried() -> None:
    slow = ScriptedResponse(text_chunks("late"), headers_delay=1.0)
    timeouts = Timeouts(connect=1, first_chunk=0.5, chunk_gap=0.5, total=0.2)
    async with (
        ScriptedServer([slow, text_response("never")]) as server,
        make_model(server, timeout=timeouts) as model,
    ):
        events, error = await failed_turn(model, APITimeoutError)
    assert error.phase == "total"
    assert not isinstance(error, StreamTimeoutError)
    assert events == []
    assert len(server.requests) == 1


async def test_total_budget_bounds_the_retries() -> None:
    script = [error_response(503) for _ in range(5)]
    timeouts = Timeouts(connect=1, first_chunk=0.5, chunk_gap=0.5, total=0.3)
    policy = RetryPolicy(max_retries=5, initial_delay=0.2, jitter=0.0)
    async with (
        ScriptedServer(script) as server,
        make_model(server, timeout=timeouts, retry_policy=policy) as model,
    ):
        started = time.monotonic()
        _, error = await failed_turn(model, ServerError)
    # 0.2 s, then a 0.4 s wait that would pass the budget: raised instead.
    assert time.monotonic() - started < 1.5  # a third attempt would come after 0.6 s of waits
    assert len(server.requests) == 2
    assert error.status_code == 503


# ----------------------------------------------------------------- limits off


async def test_every_limit_disabled() -> None:
    timeouts = Timeouts(connect=None, first_chunk=None, chunk_gap=None, total=None)
    steps = text_chunks("no limits")
    async with (
        ScriptedServer([ScriptedResponse(steps, headers_delay=0.05)]) as server,
        make_model(server, timeout=timeouts) as model,
    ):
        with anyio.fail_after(2):
            _, message = await run_turn(model)
    assert message.content == "no limits"


def test_timeouts_coerce() -> None:
    assert Timeouts.coerce(None) == Timeouts()
    custom = Timeouts(connect=2)
    assert Timeouts.coerce(custom) is custom
    assert Timeouts.coerce(5) == Timeouts(connect=5.0, first_chunk=5.0, chunk_gap=5.0)
    assert Timeouts.coerce(50.0) == Timeouts(connect=10.0, first_chunk=50.0, chunk_gap=50.0)
    assert Timeouts.coerce(50).total is None
