"""Typed errors of a turn over real loopback HTTP: non-2xx answers, streams
that break or end early (with what was received kept on the error), bad
payloads and errors sent mid-stream."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from _common import ASYNC_TESTS, make_model
from _streams import call, calls, chunk, failed_turn, finish, sse, text, watch_logs_for_key

from agentkit import (
    AgentkitError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    IncompleteStreamError,
    MalformedChunkError,
    ModelError,
    NotFoundError,
    PermissionDeniedError,
    ProviderStreamError,
    RateLimitError,
    RequestTooLargeError,
    ServerError,
    StreamError,
    TextDelta,
    ToolCall,
    ToolCallReady,
    UnprocessableEntityError,
)
from agentkit.testing import (
    Disconnect,
    ScriptedResponse,
    ScriptedServer,
    error_response,
    raw_response,
    text_response,
)

pytestmark = ASYNC_TESTS


@pytest.fixture(autouse=True)
def _no_key_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield from watch_logs_for_key(caplog)


# ------------------------------------------------------------ status codes


@pytest.mark.parametrize(
    ("status", "error_type", "advice"),
    [
        (400, BadRequestError, None),
        (401, AuthenticationError, "API key"),
        (403, PermissionDeniedError, "not allowed"),
        (404, NotFoundError, "base_url"),
        (413, RequestTooLargeError, "fewer or shorter"),
        (422, UnprocessableEntityError, None),
        (418, APIStatusError, None),
    ],
)
async def test_status_errors_are_typed(
    status: int, error_type: type[APIStatusError], advice: str | None
) -> None:
    async with ScriptedServer([error_response(status, f"problem {status}")]) as server:
        url = f"{server.base_url}/chat/completions"
        async with make_model(server) as model:
            events, error = await failed_turn(model, error_type)
    assert type(error) is error_type
    assert isinstance(error, ModelError)
    assert isinstance(error, AgentkitError)
    assert events == []
    assert error.status_code == status
    assert json.loads(error.body)["error"]["message"] == f"problem {status}"
    assert error.headers["content-type"] == "application/json"
    message = str(error)
    assert f"HTTP {status}" in message
    assert f"problem {status}" in message
    assert url in message
    if advice:
        assert advice in message


async def test_rate_limit_error_is_an_api_status_error() -> None:
    script = [error_response(429, headers={"Retry-After": "999"})]
    async with ScriptedServer(script) as server, make_model(server) as model:
        _, error = await failed_turn(model, APIStatusError)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 999.0


async def test_5xx_error_is_a_server_error() -> None:
    async with (
        ScriptedServer([error_response(500)]) as server,
        make_model(server, max_retries=0) as model,
    ):
        _, error = await failed_turn(model, ServerError)
    assert error.status_code == 500


async def test_non_json_error_body_is_kept() -> None:
    script = ScriptedResponse(status=502, body=b"<html>Bad gateway</html>")
    async with ScriptedServer([script]) as server, make_model(server, max_retries=0) as model:
        _, error = await failed_turn(model, ServerError)
    assert error.body == "<html>Bad gateway</html>"
    assert "Bad gateway" in str(error)


async def test_error_body_with_detail_field() -> None:
    script = ScriptedResponse(status=422, body=b'{"detail": "temperature must be <= 2"}')
    async with ScriptedServer([script]) as server, make_model(server) as model:
        _, error = await failed_turn(model, UnprocessableEntityError)
    assert "temperature must be <= 2" in str(error)


async def test_huge_error_body_is_truncated() -> None:
    body = json.dumps({"error": {"message": "x" * 200_000}}).encode()
    script = ScriptedResponse(status=400, body=body)
    async with ScriptedServer([script, text_response("ok")]) as server, make_model(server) as model:
        _, error = await failed_turn(model, BadRequestError)
    assert 64 * 1024 <= len(error.body) <= 128 * 1024
    assert len(str(error)) < 1000


async def test_error_status_on_a_streamed_body() -> None:
    # Some servers answer an error with an SSE body.
    script = ScriptedResponse([{"error": {"message": "model overloaded"}}], status=400)
    async with ScriptedServer([script]) as server, make_model(server) as model:
        _, error = await failed_turn(model, BadRequestError)
    assert "model overloaded" in error.body


# ------------------------------------------------------- broken mid-stream


async def test_connection_closed_mid_stream_keeps_the_text() -> None:
    first = sse(text("Hello"), text(" wor"), done=False)
    steps = [text("Hello"), text(" wor"), text("ld, and more"), finish("stop")]
    script = ScriptedResponse(steps, close_after_bytes=len(first) + 20)
    async with ScriptedServer([script]) as server, make_model(server) as model:
        events, error = await failed_turn(model, IncompleteStreamError)
    assert events == [TextDelta("Hello"), TextDelta(" wor")]
    assert error.message.content == "Hello wor"
    assert error.message.finish_reason is None
    assert error.message.tool_calls == ()
    assert error.dropped_tool_calls == ()
    assert isinstance(error, StreamError)
    assert "interrupted" in str(error)
    assert len(server.requests) == 1  # not retried: events were already delivered


async def test_disconnect_step_mid_stream() -> None:
    script = ScriptedResponse([chunk({"reasoning_content": "thinking"}), text("Hi"), Disconnect()])
    async with ScriptedServer([script]) as server, make_model(server) as model:
        _, error = await failed_turn(model, IncompleteStreamError)
    assert error.message.content == "Hi"
    assert error.message.reasoning == "thinking"


async def test_cut_keeps_sealed_calls_and_drops_unsealed_ones() -> None:
    steps = [
        text("Checking."),
        calls(call(0, id="a", name="f", arguments='{"x": 1}')),
        calls(call(1, id="b", name="g", arguments='{"y": ')),
        Disconnect(),
    ]
    async with ScriptedServer([ScriptedResponse(steps)]) as server, make_model(server) as model:
        events, error = await failed_turn(model, IncompleteStreamError)
    assert [e for e in events if isinstance(e, ToolCallReady)] == [
        ToolCallReady(ToolCall("a", "f", '{"x": 1}', 0))
    ]
    assert error.message.content == "Checking."
    assert error.message.tool_calls == (ToolCall("a", "f", '{"x": 1}', 0),)
    assert error.dropped_tool_calls == (ToolCall("b", "g", '{"y": ', 1),)
    assert "1 complete tool call" in str(error)


async def test_cut_before_a_complete_call_is_sealed() -> None:
    steps = [calls(call(0, id="a", name="f", arguments='{"x": 1}')), Disconnect()]
    async with ScriptedServer([ScriptedResponse(steps)]) as server, make_model(server) as model:
        events, error = await failed_turn(model, IncompleteStreamError)
    # Complete JSON alone never seals: the call is dropped, not run.
    assert not any(isinstance(e, ToolCallReady) for e in events)
    assert error.message.tool_calls == ()
    assert error.dropped_tool_calls == (ToolCall("a", "f", '{"x": 1}', 0),)


async def test_clean_end_without_done_or_finish_reason_is_incomplete() -> None:
    script = ScriptedResponse([text("Once upon"), text(" a time")], done=False)
    async with ScriptedServer([script]) as server, make_model(server) as model:
        _, error = await failed_turn(model, IncompleteStreamError)
    assert error.message.content == "Once upon a time"
    assert "without [DONE]" in str(error)


async def test_clean_end_delivers_the_last_unterminated_event_before_failing() -> None:
    data = (
        sse(text("one"), done=False) + b'data: {"choices":[{"index":0,"delta":{"content":" two"}}]}'
    )
    async with ScriptedServer([raw_response(data)]) as server, make_model(server) as model:
        events, error = await failed_turn(model, IncompleteStreamError)
    assert events == [TextDelta("one"), TextDelta(" two")]
    assert error.message.content == "one two"


async def test_unterminated_last_event_is_still_read() -> None:
    data = (
        sse(text("all"), done=False)
        + b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}'
    )
    async with (
        ScriptedServer([raw_response(data)]) as server,
        make_model(server) as model,
        model.stream([]) as turn,
    ):
        events = [event async for event in turn]
    assert events == [TextDelta("all")]
    assert turn.message.finish_reason == "stop"


async def test_abnormal_finish_then_cut_is_not_an_error() -> None:
    steps = [text("trunc"), finish("length")]
    async with (
        ScriptedServer([ScriptedResponse(steps, done=False)]) as server,
        make_model(server) as model,
        model.stream([]) as turn,
    ):
        await turn.collect()
    assert turn.message.finish_reason == "length"


# ------------------------------------------------------------ bad payloads


async def test_malformed_chunk_mid_stream() -> None:
    steps = [text("fine"), b"data: {not json at all\n\n", text("never")]
    async with ScriptedServer([ScriptedResponse(steps)]) as server, make_model(server) as model:
        events, error = await failed_turn(model, MalformedChunkError)
    assert events == [TextDelta("fine")]
    assert error.payload == "{not json at all"
    assert "{not json at all" in str(error)


async def test_chunks_read_with_a_bad_payload_are_delivered_before_the_error() -> None:
    # One network read carries good chunks and then a bad payload.
    data = sse(text("a"), done=False) + sse(text("b"), text("c"), done=False) + b"data: {oops\n\n"
    first = len(sse(text("a"), done=False))
    async with (
        ScriptedServer([raw_response(data, pieces=[first])]) as server,
        make_model(server) as model,
    ):
        events, _ = await failed_turn(model, MalformedChunkError)
    assert events == [TextDelta("a"), TextDelta("b"), TextDelta("c")]


async def test_malformed_first_chunk_is_not_retried() -> None:
    steps = [b"data: <html>oops</html>\n\n"]
    async with (
        ScriptedServer([ScriptedResponse(steps), text_response("x")]) as server,
        make_model(server) as model,
    ):
        events, error = await failed_turn(model, MalformedChunkError)
    assert events == []
    assert "<html>oops</html>" in str(error)
    assert len(server.requests) == 1


async def test_provider_error_object_mid_stream() -> None:
    steps = [
        text("Partial"),
        {"error": {"message": "Upstream overloaded", "type": "server_error", "code": 529}},
    ]
    async with ScriptedServer([ScriptedResponse(steps)]) as server, make_model(server) as model:
        events, error = await failed_turn(model, ProviderStreamError)
    assert events == [TextDelta("Partial")]
    assert error.error == {"message": "Upstream overloaded", "type": "server_error", "code": 529}
    assert "Upstream overloaded" in str(error)


async def test_error_event_mid_stream() -> None:
    steps = [text("Partial"), b'event: error\ndata: {"message": "stream aborted"}\n\n']
    async with ScriptedServer([ScriptedResponse(steps)]) as server, make_model(server) as model:
        _, error = await failed_turn(model, ProviderStreamError)
    assert error.error == {"message": "stream aborted"}


async def test_errors_after_done_are_ignored() -> None:
    steps = [text("ok"), finish("stop"), b"data: [DONE]\n\n", b"data: {broken\n\n"]
    async with (
        ScriptedServer([ScriptedResponse(steps, done=False)]) as server,
        make_model(server) as model,
        model.stream([]) as turn,
    ):
        message = await turn.collect()
    assert message.content == "ok"
