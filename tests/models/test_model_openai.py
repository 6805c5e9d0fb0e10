"""`OpenAIChatModel` over real loopback HTTP: the request it sends, its
configuration, the events and message of a turn, connection reuse, closing,
leaving a turn early and cancellation."""

from __future__ import annotations

import time
from collections.abc import Iterator

import anyio
import httpx
import pytest
from _common import API_KEY, ASYNC_TESTS, FAST_TIMEOUTS, eventually, make_model
from _streams import MESSAGES, call, calls, finish, run_turn, text, usage_only, watch_logs_for_key
from structlog.testing import capture_logs

from agentkit import (
    AgentkitError,
    AssistantMessage,
    OpenAIChatModel,
    ReasoningDelta,
    Retry,
    RetryPolicy,
    StreamAccumulator,
    StreamedTurn,
    TextDelta,
    Timeouts,
    ToolCall,
    ToolCallArgumentsDelta,
    ToolCallReady,
    ToolCallStarted,
    Usage,
    UsageError,
)
from agentkit.testing import (
    Pause,
    ScriptedResponse,
    ScriptedServer,
    error_response,
    text_chunks,
    text_response,
    tool_call_response,
)

pytestmark = ASYNC_TESTS

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


@pytest.fixture(autouse=True)
def _no_key_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test here also checks that the API key never reaches a log."""
    yield from watch_logs_for_key(caplog)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AGENTKIT_BASE_URL", "AGENTKIT_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


async def wait_until_closed(server: ScriptedServer) -> None:
    """The server notices a closed connection in its own thread."""
    assert await eventually(lambda: server.open_connections == 0)


# ------------------------------------------------------------------ request


async def test_request_line_headers_and_body() -> None:
    async with (
        ScriptedServer([text_response("Hi there")]) as server,
        make_model(server, headers={"X-Team": "blue"}) as model,
    ):
        await run_turn(model, MESSAGES, tools=TOOLS, temperature=0.2)
    (request,) = server.requests
    assert request.method == "POST"
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["x-team"] == "blue"
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "model": "test-model",
        "messages": MESSAGES,
        "temperature": 0.2,
        "tools": TOOLS,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


async def test_tools_omitted_when_empty() -> None:
    async with (
        ScriptedServer([text_response("a"), text_response("b")]) as server,
        make_model(server) as model,
    ):
        await run_turn(model, tools=[])
        await run_turn(model, tools=None)
    assert all("tools" not in request.json() for request in server.requests)


async def test_default_params_and_per_turn_overrides() -> None:
    async with (
        ScriptedServer([text_response("a"), text_response("b")]) as server,
        make_model(server, temperature=0.5, max_tokens=100, tool_choice="auto") as model,
    ):
        await run_turn(model)
        await run_turn(model, temperature=0.0, seed=7)
    first, second = (request.json() for request in server.requests)
    assert (first["temperature"], first["max_tokens"], first["tool_choice"]) == (0.5, 100, "auto")
    assert "seed" not in first
    assert (second["temperature"], second["max_tokens"], second["seed"]) == (0.0, 100, 7)


async def test_stream_cannot_be_turned_off_by_params() -> None:
    async with ScriptedServer([text_response("a")]) as server, make_model(server) as model:
        await run_turn(model, stream=False)
    assert server.requests[0].json()["stream"] is True


async def test_include_usage_false_omits_stream_options() -> None:
    async with (
        ScriptedServer([text_response("a")]) as server,
        make_model(server, include_usage=False) as model,
    ):
        await run_turn(model)
    assert "stream_options" not in server.requests[0].json()


async def test_per_turn_stream_options_are_kept() -> None:
    options = {"include_usage": True, "continuous_usage_stats": True}
    async with ScriptedServer([text_response("a")]) as server, make_model(server) as model:
        await run_turn(model, stream_options=options)
    assert server.requests[0].json()["stream_options"] == options


async def test_no_api_key_sends_no_authorization() -> None:
    async with (
        ScriptedServer([text_response("a")]) as server,
        make_model(server, api_key=None) as model,
    ):
        await run_turn(model)
    assert "authorization" not in server.requests[0].headers


async def test_messages_are_not_mutated() -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    snapshot = [dict(m) for m in messages]
    async with ScriptedServer([text_response("a")]) as server, make_model(server) as model:
        await run_turn(model, messages)
    assert messages == snapshot
    assert server.requests[0].json()["messages"] == snapshot


# ------------------------------------------------------------ configuration


async def test_base_url_and_key_from_agentkit_env(monkeypatch: pytest.MonkeyPatch) -> None:
    async with ScriptedServer([text_response("a")]) as server:
        monkeypatch.setenv("AGENTKIT_BASE_URL", server.base_url + "/")
        monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
        monkeypatch.setenv("AGENTKIT_API_KEY", "sk-agentkit")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
        async with OpenAIChatModel("m", timeout=FAST_TIMEOUTS) as model:
            assert model.base_url == server.base_url  # trailing slash dropped
            assert model.chat_url == server.base_url + "/chat/completions"
            await run_turn(model)
    assert server.requests[0].headers["authorization"] == "Bearer sk-agentkit"


async def test_base_url_and_key_from_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    async with ScriptedServer([text_response("a")]) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
        async with OpenAIChatModel("m", timeout=FAST_TIMEOUTS) as model:
            await run_turn(model)
    assert server.requests[0].headers["authorization"] == "Bearer sk-openai"


async def test_explicit_arguments_win_over_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTKIT_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("AGENTKIT_API_KEY", "sk-agentkit")
    async with ScriptedServer([text_response("a")]) as server:
        model = OpenAIChatModel("m", base_url=server.base_url, api_key="sk-explicit")
        async with model:
            await run_turn(model)
    assert server.requests[0].headers["authorization"] == "Bearer sk-explicit"


def test_default_base_url_is_openai() -> None:
    assert OpenAIChatModel("m").base_url == "https://api.openai.com/v1"


def test_repr_hides_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    model = OpenAIChatModel("gpt-x", base_url="http://h/v1", api_key=API_KEY)
    assert API_KEY not in repr(model)
    assert API_KEY not in str(model)
    assert "gpt-x" in repr(model)
    assert "api_key=<set>" in repr(model)
    assert "api_key=<none>" in repr(OpenAIChatModel("m", api_key=None, base_url="http://h"))
    monkeypatch.setenv("AGENTKIT_API_KEY", API_KEY)
    assert API_KEY not in repr(OpenAIChatModel("m"))


def test_timeout_and_retry_configuration() -> None:
    assert OpenAIChatModel("m").timeouts == Timeouts()
    model = OpenAIChatModel("m", timeout=30)
    assert model.timeouts == Timeouts(connect=10.0, first_chunk=30.0, chunk_gap=30.0)
    assert OpenAIChatModel("m", timeout=3).timeouts.connect == 3.0
    custom = Timeouts(connect=1, first_chunk=2, chunk_gap=3, total=4)
    assert OpenAIChatModel("m", timeout=custom).timeouts is custom
    policy = RetryPolicy(max_retries=5, initial_delay=0.1)
    assert OpenAIChatModel("m", retry_policy=policy).retry_policy is policy
    overridden = OpenAIChatModel("m", retry_policy=policy, max_retries=0).retry_policy
    assert (overridden.max_retries, overridden.initial_delay) == (0, 0.1)
    assert OpenAIChatModel("m", max_retries=7).retry_policy.max_retries == 7


# ------------------------------------------------------------------- a turn


async def test_text_turn_events_and_message() -> None:
    script = ScriptedResponse(
        [
            {"choices": [], "id": "", "model": "", "object": ""},  # placeholder first chunk
            text("Hel"),
            {"choices": [{"index": 0, "delta": {"reasoning_content": "hmm"}}]},
            text("lo!"),
            finish("stop"),
            usage_only(9, 3),
        ]
    )
    async with ScriptedServer([script]) as server, make_model(server) as model:
        events, message = await run_turn(model)
    assert events == [TextDelta("Hel"), ReasoningDelta("hmm"), TextDelta("lo!")]
    assert message == AssistantMessage(
        content="Hello!",
        reasoning="hmm",
        finish_reason="stop",
        usage=Usage.from_dict({"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}),
        reasoning_content="hmm",
        response_id="chatcmpl-test",  # the placeholder chunk's empty id is skipped
        response_model="test",
    )


async def test_tool_call_turn() -> None:
    response = tool_call_response(
        [("get_weather", {"city": "Hanoi"}), ("get_weather", {"city": "Paris"})], fragments=4
    )
    async with ScriptedServer([response]) as server, make_model(server) as model:
        events, message = await run_turn(model, tools=TOOLS)
    assert [type(e) for e in events if not isinstance(e, ToolCallArgumentsDelta)] == [
        ToolCallStarted,
        ToolCallReady,
        ToolCallStarted,
        ToolCallReady,
    ]
    assert message.tool_calls == (
        ToolCall("call_0", "get_weather", '{"city": "Hanoi"}', 0),
        ToolCall("call_1", "get_weather", '{"city": "Paris"}', 1),
    )
    assert message.finish_reason == "tool_calls"


async def test_turn_properties_and_collect() -> None:
    async with (
        ScriptedServer([text_response("one two three")]) as server,
        make_model(server) as model,
    ):
        turn = model.stream(MESSAGES)
        assert isinstance(turn, StreamedTurn)
        async with turn:
            message = await turn.collect()
    assert message.content == "one two three"
    assert turn.message == message
    assert isinstance(turn.accumulator, StreamAccumulator)
    assert turn.accumulator.chunk_count == 6  # role, 3 words, finish, usage


async def test_message_before_iteration_is_empty() -> None:
    async with (
        ScriptedServer([text_response("x")]) as server,
        make_model(server) as model,
        model.stream(MESSAGES) as turn,
    ):
        assert turn.message == AssistantMessage()
    assert server.requests == []  # nothing is sent until iteration starts


async def test_done_without_finish_reason_is_a_success() -> None:
    script = ScriptedResponse([text("partial?")])
    async with ScriptedServer([script]) as server, make_model(server) as model:
        _, message = await run_turn(model)
    assert message.content == "partial?"
    assert message.finish_reason is None


async def test_finish_reason_without_done_is_a_success() -> None:
    script = ScriptedResponse([text("complete"), finish("stop")], done=False)
    async with ScriptedServer([script]) as server, make_model(server) as model:
        _, message = await run_turn(model)
    assert (message.content, message.finish_reason) == ("complete", "stop")


async def test_tool_call_sealed_by_finish_without_done() -> None:
    script = ScriptedResponse(
        [calls(call(0, id="c", name="f", arguments='{"a": 1}')), finish("tool_calls")], done=False
    )
    async with ScriptedServer([script]) as server, make_model(server) as model:
        events, message = await run_turn(model)
    assert message.tool_calls == (ToolCall("c", "f", '{"a": 1}', 0),)
    assert isinstance(events[-1], ToolCallReady)


async def test_tool_call_sealed_by_done_without_finish() -> None:
    script = ScriptedResponse([calls(call(0, id="c", name="f", arguments='{"a": 1}'))])
    async with ScriptedServer([script]) as server, make_model(server) as model:
        events, message = await run_turn(model)
    assert message.tool_calls == (ToolCall("c", "f", '{"a": 1}', 0),)
    assert events[-1] == ToolCallReady(ToolCall("c", "f", '{"a": 1}', 0))


async def test_length_finish_keeps_unsealed_calls_out() -> None:
    script = ScriptedResponse(
        [calls(call(0, id="c", name="f", arguments='{"a": "trunc')), finish("length")]
    )
    async with (
        ScriptedServer([script]) as server,
        make_model(server) as model,
        model.stream(MESSAGES) as turn,
    ):
        events = [event async for event in turn]
    assert not any(isinstance(e, ToolCallReady) for e in events)
    assert turn.message.tool_calls == ()
    assert turn.message.finish_reason == "length"
    assert turn.accumulator.pending_tool_calls == (ToolCall("c", "f", '{"a": "trunc', 0),)


async def test_data_after_done_is_ignored() -> None:
    script = ScriptedResponse(
        [text("a"), b"data: [DONE]\n\n", text("never"), b"data: not json\n\n"], done=False
    )
    async with ScriptedServer([script]) as server, make_model(server) as model:
        _, message = await run_turn(model)
    assert message.content == "a"


# -------------------------------------------------------- connection reuse


async def test_one_pooled_connection_for_several_turns() -> None:
    script = [text_response(f"turn {n}") for n in range(4)]
    async with ScriptedServer(script) as server, make_model(server) as model:
        for n in range(4):
            _, message = await run_turn(model)
            assert message.content == f"turn {n}"
        assert server.connections_opened == 1


async def test_a_body_held_open_after_done_costs_at_most_a_second() -> None:
    # The turn is complete at [DONE]; what follows is only read to give the
    # connection back to the pool, for a second at most. A server that
    # holds the body open longer loses the connection, not the turn.
    held = ScriptedResponse([*text_chunks("held"), "data: [DONE]\n\n", Pause(5)], done=False)
    script = [held, text_response("next")]
    async with ScriptedServer(script) as server, make_model(server) as model:
        started = time.monotonic()
        _, message = await run_turn(model)
        assert time.monotonic() - started < 3
        assert message.content == "held"
        assert message.finish_reason == "stop"
        _, message = await run_turn(model)
        assert message.content == "next"
        assert server.connections_opened == 2


async def test_connection_reused_after_an_error_status() -> None:
    async with ScriptedServer([error_response(400), text_response("ok")]) as server:
        async with make_model(server) as model:
            with pytest.raises(AgentkitError):
                await run_turn(model)
            _, message = await run_turn(model)
        assert message.content == "ok"
        assert server.connections_opened == 1


async def test_async_with_model_closes_its_client() -> None:
    async with ScriptedServer([text_response("a")]) as server:
        async with make_model(server) as model:
            client = model.client
            assert model.client is client  # one client per model
            await run_turn(model)
        assert client.is_closed
        await wait_until_closed(server)
    await model.aclose()  # closing twice is harmless


async def test_aclose_without_use_is_harmless() -> None:
    model = OpenAIChatModel("m", base_url="http://127.0.0.1:1/v1")
    await model.aclose()


async def test_a_client_passed_in_is_used_and_left_open() -> None:
    async with ScriptedServer([text_response("a")]) as server, httpx.AsyncClient() as client:
        async with make_model(server, http_client=client) as model:
            assert model.client is client
            _, message = await run_turn(model)
        assert not client.is_closed
        assert message.content == "a"


# ----------------------------------------------------- leaving a turn early


def _stalling(*chunks: dict[str, object]) -> ScriptedResponse:
    return ScriptedResponse([*chunks, Pause(None)], done=False)


async def test_break_after_the_first_event_closes_the_response() -> None:
    script = [_stalling(text("first"), text("second")), text_response("next turn")]
    async with ScriptedServer(script) as server, make_model(server) as model:
        async with model.stream(MESSAGES) as turn:
            async for event in turn:
                assert event == TextDelta("first")
                break
        await wait_until_closed(server)
        assert turn.message.content == "first"
        _, message = await run_turn(model)
        assert message.content == "next turn"


async def test_leaving_without_iterating_sends_nothing() -> None:
    async with (
        ScriptedServer([text_response("a")]) as server,
        make_model(server) as model,
        model.stream(MESSAGES),
    ):
        pass
    assert server.requests == []


async def test_break_at_a_retry_event() -> None:
    script = [error_response(503), _stalling(text("x"))]
    async with (
        ScriptedServer(script) as server,
        make_model(server) as model,
        model.stream(MESSAGES) as turn,
    ):
        async for event in turn:
            assert isinstance(event, Retry)
            break
    assert len(server.requests) == 1  # the retry was never made


async def fail_while_consuming(model: OpenAIChatModel) -> None:
    async with model.stream(MESSAGES) as turn:
        async for _ in turn:
            raise ValueError("consumer failed")


async def test_exception_in_the_consumer_closes_the_response() -> None:
    script = [_stalling(text("first")), text_response("again")]
    async with ScriptedServer(script) as server, make_model(server) as model:
        with pytest.raises(ValueError, match="consumer"):
            await fail_while_consuming(model)
        await wait_until_closed(server)
        _, message = await run_turn(model)
    assert message.content == "again"


async def test_cancelling_the_consumer_closes_the_response() -> None:
    script = [_stalling(text("first")), text_response("after cancel")]
    async with (
        ScriptedServer(script) as server,
        make_model(server, timeout=Timeouts(connect=1, first_chunk=5, chunk_gap=5)) as model,
    ):
        seen = []
        with anyio.CancelScope() as scope:
            async with model.stream(MESSAGES) as turn:
                async for event in turn:
                    seen.append(event)
                    scope.cancel()
        assert scope.cancelled_caught
        assert seen == [TextDelta("first")]
        await wait_until_closed(server)
        _, message = await run_turn(model)
    assert message.content == "after cancel"


async def test_timeout_around_a_stalled_turn_cancels_cleanly() -> None:
    async with (
        ScriptedServer([_stalling(text("a"))]) as server,
        make_model(server, timeout=Timeouts(connect=1, first_chunk=5, chunk_gap=5)) as model,
    ):
        with anyio.move_on_after(0.2) as scope:
            await run_turn(model)
        assert scope.cancelled_caught
        await wait_until_closed(server)


# ---------------------------------------------------------------- secrecy


async def test_key_never_in_structlog_events() -> None:
    script = [error_response(503), error_response(500), text_response("ok"), error_response(401)]
    async with ScriptedServer(script) as server, make_model(server) as model:
        with capture_logs() as logs:
            events, _ = await run_turn(model)
            with pytest.raises(AgentkitError) as caught:
                await run_turn(model)
    assert sum(isinstance(e, Retry) for e in events) == 2
    assert any(log["event"] == "model.retry" for log in logs)
    assert API_KEY not in repr(logs)
    assert API_KEY not in str(caught.value)


async def test_key_never_in_stdlib_logs(caplog: pytest.LogCaptureFixture) -> None:
    script = [error_response(503), text_response("ok")]
    async with ScriptedServer(script) as server, make_model(server) as model:
        await run_turn(model)
    assert "model.retry" in caplog.text  # agentkit's events do reach stdlib logging
    assert API_KEY not in caplog.text


def test_the_client_outside_an_event_loop_is_a_usage_error() -> None:
    model = OpenAIChatModel("m", base_url="http://127.0.0.1:9/v1", api_key="k")
    with pytest.raises(UsageError, match="belong to an event loop"):
        model.client  # noqa: B018
