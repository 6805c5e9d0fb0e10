"""Retries over real loopback HTTP: which failures are retried, how long the
model waits (backoff, ``Retry-After``), the `Retry` events, and the typed
error once retries run out. Plus the `RetryPolicy` arithmetic itself."""

from __future__ import annotations

import email.utils
import socket
import time
from collections.abc import Iterator

import pytest
from _common import ASYNC_TESTS, make_model
from _streams import failed_turn, run_turn, text, watch_logs_for_key

from agentkit import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    RateLimitError,
    Retry,
    RetryPolicy,
    ServerError,
    TextDelta,
)
from agentkit.models._policy import RETRYABLE_STATUS_CODES, parse_retry_after
from agentkit.testing import (
    Disconnect,
    ScriptedResponse,
    ScriptedServer,
    error_response,
    text_response,
)

pytestmark = ASYNC_TESTS


@pytest.fixture(autouse=True)
def _no_key_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield from watch_logs_for_key(caplog)


def retries(events: list[object]) -> list[Retry]:
    return [event for event in events if isinstance(event, Retry)]


# --------------------------------------------------------------- the anchor


async def test_503_503_then_a_stream_succeeds_with_two_retry_events() -> None:
    script = [error_response(503), error_response(503), text_response("Hello there")]
    async with ScriptedServer(script) as server, make_model(server) as model:
        events, message = await run_turn(model)
    assert message.content == "Hello there"
    assert message.finish_reason == "stop"
    retry_events = retries(events)
    assert [event.attempt for event in retry_events] == [1, 2]
    assert all("503" in event.reason for event in retry_events)
    assert all(0 <= event.delay <= 0.02 for event in retry_events)
    assert not any(event.discard_partial for event in retry_events)
    # The retries come first, then the text.
    assert events[:2] == retry_events
    assert isinstance(events[2], TextDelta)
    assert len(server.requests) == 3
    # Every attempt sends the same request.
    assert len({request.body for request in server.requests}) == 1


async def test_429_with_retry_after_waits_at_least_that_long() -> None:
    script = [error_response(429, "slow down", headers={"Retry-After": "1"}), text_response("ok")]
    async with ScriptedServer(script) as server, make_model(server) as model:
        started = time.monotonic()
        events, message = await run_turn(model)
        elapsed = time.monotonic() - started
    assert message.content == "ok"
    (retry,) = retries(events)
    assert retry.delay == 1.0
    assert "429" in retry.reason
    assert elapsed >= 1.0


async def test_retry_after_ms_is_preferred() -> None:
    headers = {"retry-after-ms": "50", "Retry-After": "30"}
    script = [error_response(429, headers=headers), text_response("ok")]
    async with ScriptedServer(script) as server, make_model(server) as model:
        started = time.monotonic()
        events, _ = await run_turn(model)
    assert retries(events)[0].delay == pytest.approx(0.05)
    assert 0.05 <= time.monotonic() - started < 5


async def test_retry_after_on_a_503_is_honoured() -> None:
    script = [error_response(503, headers={"Retry-After": "0.3"}), text_response("ok")]
    async with ScriptedServer(script) as server, make_model(server) as model:
        started = time.monotonic()
        events, _ = await run_turn(model)
    assert [event.delay for event in retries(events)] == [0.3]
    assert time.monotonic() - started >= 0.3


async def test_retry_after_above_the_limit_on_a_503_is_raised_at_once() -> None:
    script = [error_response(503, headers={"Retry-After": "3600"}), text_response("never")]
    async with ScriptedServer(script) as server, make_model(server) as model:
        events, error = await failed_turn(model, ServerError)
    assert events == []
    assert error.headers["retry-after"] == "3600"


@pytest.mark.parametrize("status", sorted(RETRYABLE_STATUS_CODES | {500, 502, 504, 529}))
async def test_retryable_statuses(status: int) -> None:
    async with (
        ScriptedServer([error_response(status), text_response("ok")]) as server,
        make_model(server) as model,
    ):
        events, message = await run_turn(model)
    assert message.content == "ok"
    assert len(retries(events)) == 1
    assert str(status) in retries(events)[0].reason


# ------------------------------------------------------ retries exhausted


async def test_5xx_exhausted_raises_server_error() -> None:
    script = [error_response(500, "kaput"), error_response(502), error_response(503, "last")]
    async with ScriptedServer(script) as server, make_model(server) as model:
        events, error = await failed_turn(model, ServerError)
    assert len(retries(events)) == 2
    assert len(server.requests) == 3
    assert error.status_code == 503
    assert "last" in error.body
    assert "503" in str(error)


async def test_429_exhausted_raises_rate_limit_error_with_retry_after() -> None:
    script = [error_response(429, headers={"retry-after-ms": "10"}) for _ in range(3)]
    async with ScriptedServer(script) as server, make_model(server) as model:
        events, error = await failed_turn(model, RateLimitError)
    assert len(retries(events)) == 2
    assert error.status_code == 429
    assert error.retry_after == pytest.approx(0.01)
    assert error.headers["retry-after-ms"] == "10"


async def test_retry_after_above_the_limit_is_raised_without_waiting() -> None:
    script = [error_response(429, "come back later", headers={"Retry-After": "120"})]
    async with ScriptedServer(script) as server, make_model(server) as model:
        started = time.monotonic()
        events, error = await failed_turn(model, RateLimitError)
        elapsed = time.monotonic() - started
    assert events == []
    assert error.retry_after == 120.0
    assert len(server.requests) == 1
    assert elapsed < 5  # far less than the 120 s asked for


async def test_max_retries_zero_raises_at_once() -> None:
    async with (
        ScriptedServer([error_response(503), text_response("never")]) as server,
        make_model(server, max_retries=0) as model,
    ):
        events, _ = await failed_turn(model, ServerError)
    assert events == []
    assert len(server.requests) == 1


async def test_more_retries_than_the_default() -> None:
    script = [*(error_response(503) for _ in range(4)), text_response("finally")]
    async with ScriptedServer(script) as server, make_model(server, max_retries=4) as model:
        events, message = await run_turn(model)
    assert [event.attempt for event in retries(events)] == [1, 2, 3, 4]
    assert message.content == "finally"


# ------------------------------------------------------------ not retried


async def test_401_raises_authentication_error_at_once() -> None:
    script = [error_response(401, "Invalid API key"), text_response("never")]
    async with ScriptedServer(script) as server, make_model(server) as model:
        started = time.monotonic()
        events, error = await failed_turn(model, AuthenticationError)
    assert time.monotonic() - started < 2
    assert events == []
    assert len(server.requests) == 1
    assert error.status_code == 401
    assert "Invalid API key" in error.body
    assert "Invalid API key" in str(error)
    assert "AGENTKIT_API_KEY" in str(error)  # says what to do


@pytest.mark.parametrize("status", [400, 403, 404, 413, 422])
async def test_client_errors_are_not_retried(status: int) -> None:
    async with (
        ScriptedServer([error_response(status), text_response("never")]) as server,
        make_model(server) as model,
    ):
        events, error = await failed_turn(model, APIStatusError)
    assert events == []
    assert error.status_code == status
    assert len(server.requests) == 1


# -------------------------------------------------------- stream_options


async def test_400_about_stream_options_is_retried_without_them() -> None:
    rejection = error_response(400, "Unrecognized request argument supplied: stream_options")
    script = [rejection, text_response("first"), text_response("second")]
    async with ScriptedServer(script) as server, make_model(server) as model:
        _, first = await run_turn(model)
        _, second = await run_turn(model)
        assert model.include_usage is False
    assert (first.content, second.content) == ("first", "second")
    bodies = [request.json() for request in server.requests]
    assert "stream_options" in bodies[0]
    assert all("stream_options" not in body for body in bodies[1:])


async def test_stream_options_retry_does_not_need_a_retry_budget() -> None:
    rejection = error_response(400, "stream_options is not supported")
    async with (
        ScriptedServer([rejection, text_response("ok")]) as server,
        make_model(server, max_retries=0) as model,
    ):
        _, message = await run_turn(model)
    assert message.content == "ok"


async def test_other_400s_are_raised_and_stream_options_kept() -> None:
    script = [error_response(400, "messages: too long"), text_response("ok")]
    async with ScriptedServer(script) as server, make_model(server) as model:
        await failed_turn(model, BadRequestError)
        await run_turn(model)
        assert model.include_usage is True
    assert "stream_options" in server.requests[1].json()


async def test_stream_options_rejected_twice_is_raised() -> None:
    rejection = error_response(400, "stream_options: unknown field")
    async with ScriptedServer([rejection, rejection]) as server, make_model(server) as model:
        await failed_turn(model, BadRequestError)
    assert len(server.requests) == 2


# ------------------------------------------------------ connection failures


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_connection_refused_is_retried_then_raised() -> None:
    url = f"http://127.0.0.1:{_unused_port()}/v1"
    async with ScriptedServer() as server:
        model = make_model(server, base_url=url)
    async with model:
        events, error = await failed_turn(model, APIConnectionError)
    assert len(retries(events)) == 2
    assert url in str(error)
    assert isinstance(error.__cause__, Exception)


async def test_closed_before_any_chunk_is_retried() -> None:
    script = [
        ScriptedResponse([Disconnect()]),  # headers, then the connection drops
        ScriptedResponse([], done=False),  # an empty body
        text_response("third time"),
    ]
    async with ScriptedServer(script) as server, make_model(server) as model:
        events, message = await run_turn(model)
    assert message.content == "third time"
    assert len(retries(events)) == 2


async def test_comments_only_then_close_is_retried() -> None:
    script = [
        ScriptedResponse([b": keep-alive\n\n", b": ping\n\n"], done=False),
        text_response("ok"),
    ]
    async with ScriptedServer(script) as server, make_model(server) as model:
        events, message = await run_turn(model)
    assert message.content == "ok"
    assert len(retries(events)) == 1


async def test_cut_mid_first_chunk_is_retried() -> None:
    script = [
        ScriptedResponse([text("never seen")], close_after_bytes=12),
        text_response("ok"),
    ]
    async with ScriptedServer(script) as server, make_model(server) as model:
        events, message = await run_turn(model)
    assert message.content == "ok"
    assert [type(event) for event in events] == [Retry, TextDelta]


async def test_exhausted_connection_retries_raise_connection_error() -> None:
    script = [ScriptedResponse([Disconnect()]) for _ in range(3)]
    async with ScriptedServer(script) as server, make_model(server) as model:
        events, error = await failed_turn(model, APIConnectionError)
    assert len(retries(events)) == 2
    assert "127.0.0.1" in str(error)


# ------------------------------------------------------------ RetryPolicy


def test_backoff_doubles_up_to_the_cap_without_jitter() -> None:
    policy = RetryPolicy(max_retries=6, initial_delay=0.5, max_delay=3.0, jitter=0.0)
    assert [policy.delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]
    assert policy.delay(7) is None


def test_jitter_only_shortens_the_delay() -> None:
    policy = RetryPolicy(max_retries=3, initial_delay=1.0, jitter=0.25)
    delays = [policy.delay(2) for _ in range(200)]
    assert all(delay is not None and 1.5 <= delay <= 2.0 for delay in delays)
    assert len(set(delays)) > 1


def test_retry_after_replaces_the_backoff() -> None:
    policy = RetryPolicy(max_retries=2, max_retry_after=10.0)
    assert policy.delay(1, retry_after=7.0) == 7.0
    assert policy.delay(1, retry_after=0.0) == 0.0
    assert policy.delay(1, retry_after=11.0) is None
    assert policy.delay(3, retry_after=1.0) is None


def test_no_retries() -> None:
    assert RetryPolicy(max_retries=0).delay(1) is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "-4"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "junk", "retry-after": "9"}, 9.0),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_http_date() -> None:
    in_ten = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert parse_retry_after({"retry-after": in_ten}) == pytest.approx(10, abs=1.5)
    past = email.utils.formatdate(time.time() - 100, usegmt=True)
    assert parse_retry_after({"retry-after": past}) == 0.0
