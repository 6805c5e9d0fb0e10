"""The model's connection pool over real loopback HTTP: a turn that finds
every connection busy waits for one (that wait is not a connect timeout), the
wait has its own bound (``Timeouts(pool=...)``) and message, and idle
connections are kept for the next turns."""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest
from _common import ASYNC_TESTS, eventually, make_model
from _streams import failed_turn, run_turn

from agentkit import APITimeoutError, OpenAIChatModel, Retry, Timeouts, UsageError
from agentkit.testing import (
    Pause,
    RecordedRequest,
    ScriptedResponse,
    ScriptedServer,
    text_chunks,
    text_response,
)

pytestmark = ASYNC_TESTS

HOLD = [{"role": "user", "content": "hold"}]
"""A turn whose stream keeps its connection busy for a while."""

ASK = [{"role": "user", "content": "ask"}]


def holding_server(seconds: float) -> ScriptedServer:
    """Streams that answer ``HOLD`` pause ``seconds`` mid-stream; others
    answer at once."""

    def respond(request: RecordedRequest) -> ScriptedResponse:
        if request.json()["messages"][0]["content"] == "hold":
            steps = text_chunks("busy")
            return ScriptedResponse([*steps[:2], Pause(seconds), *steps[2:]])
        return text_response("free")

    return ScriptedServer(responder=respond)


async def hold(model: OpenAIChatModel) -> None:
    _, message = await run_turn(model, HOLD)
    assert message.content == "busy"


async def test_waiting_for_a_busy_pool_is_not_a_connect_timeout() -> None:
    # The case, small: every connection streams for longer than the
    # connect timeout, and one more turn comes.
    timeouts = Timeouts(connect=0.2, first_chunk=5, chunk_gap=5)
    async with (
        holding_server(0.7) as server,
        make_model(server, timeout=timeouts, max_connections=2, max_retries=0) as model,
    ):
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(hold, model)
            task_group.start_soon(hold, model)
            assert await eventually(lambda: len(server.requests) == 2)
            started = time.monotonic()
            events, message = await run_turn(model, ASK)
            waited = time.monotonic() - started
        assert message.content == "free"
        assert not [event for event in events if isinstance(event, Retry)]
        assert waited > 0.3  # it did wait, longer than the connect timeout
        assert server.connections_opened == 2  # the cap held; the third reused one


async def test_the_pool_wait_has_its_own_bound_and_message() -> None:
    timeouts = Timeouts(connect=1, first_chunk=5, chunk_gap=5, pool=0.2)
    async with (
        holding_server(1.2) as server,
        make_model(server, timeout=timeouts, max_connections=2, max_retries=1) as model,
        anyio.create_task_group() as task_group,
    ):
        task_group.start_soon(hold, model)
        task_group.start_soon(hold, model)
        assert await eventually(lambda: len(server.requests) == 2)
        events, error = await failed_turn(model, APITimeoutError, ASK)
        task_group.cancel_scope.cancel()
    assert error.phase == "pool"
    assert error.seconds == 0.2
    message = str(error)
    assert "Waited 0.2 s for a free connection" in message
    assert "max_connections" in message
    assert "Timeouts(pool=...)" in message
    assert "connecting" not in message
    (retry,) = [event for event in events if isinstance(event, Retry)]
    assert "free connection" in retry.reason
    assert len(server.requests) == 2  # the third request never got a connection


async def test_first_chunk_bounds_the_pool_wait_when_it_has_no_bound() -> None:
    timeouts = Timeouts(connect=1, first_chunk=0.3, chunk_gap=5)
    async with (
        holding_server(1.2) as server,
        make_model(server, timeout=timeouts, max_connections=1, max_retries=0) as model,
        anyio.create_task_group() as task_group,
    ):
        task_group.start_soon(hold, model)
        assert await eventually(lambda: len(server.requests) == 1)
        _, error = await failed_turn(model, APITimeoutError, ASK)
        task_group.cancel_scope.cancel()
    assert error.phase == "first_chunk"
    assert "still waiting for a free connection" in str(error)
    assert "max_connections" in str(error)


async def test_idle_connections_are_kept_for_the_next_turns() -> None:
    # More turns at once than the old keep-alive count (20): a second wave
    # reuses every connection the first opened.
    turns = 30
    async with holding_server(0.2) as server, make_model(server) as model:
        for _wave in range(2):
            async with anyio.create_task_group() as task_group:
                for _ in range(turns):
                    task_group.start_soon(hold, model)
        assert len(server.requests) == 2 * turns
        assert server.connections_opened == turns


@pytest.mark.parametrize("value", [0, -1])
def test_max_connections_must_be_positive(value: Any) -> None:
    with pytest.raises(UsageError, match="max_connections"):
        OpenAIChatModel("m", max_connections=value)


def test_max_connections_defaults_to_a_thousand() -> None:
    assert OpenAIChatModel("m").max_connections == 1000
    assert OpenAIChatModel("m", max_connections=None).max_connections is None
