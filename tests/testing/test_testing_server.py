"""`agentkit.testing`: the loopback `ScriptedServer` and its response helpers,
checked with a plain httpx client over real HTTP."""

from __future__ import annotations

import json
import time

import anyio
import httpx
import pytest
from _common import ASYNC_TESTS, eventually
from _streams import read_into

from agentkit.testing import (
    Disconnect,
    Pause,
    RecordedRequest,
    ScriptedResponse,
    ScriptedServer,
    error_response,
    raw_response,
    sse_bytes,
    text_chunks,
    text_response,
    tool_call_chunks,
    tool_call_response,
    usage_chunk,
)

pytestmark = ASYNC_TESTS


async def post(server: ScriptedServer, body: object = None, **options: object) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5) as client:
        return await client.post(
            f"{server.base_url}/chat/completions", json=body or {"model": "m"}, **options
        )


def sse_datas(body: bytes) -> list[str]:
    return [line[6:] for line in body.decode().split("\n") if line.startswith("data: ")]


# ---------------------------------------------------------------- lifecycle


async def test_async_with_starts_and_stops() -> None:
    server = ScriptedServer([text_response("hi")])
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url
    async with server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.base_url.endswith("/v1")
        response = await post(server)
        assert response.status_code == 200
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url


def test_sync_with_starts_and_stops() -> None:
    with ScriptedServer([text_response("hi")]) as server:
        response = httpx.post(f"{server.base_url}/chat/completions", json={}, timeout=5)
        assert "hi" in response.text
    server.stop()  # stopping twice is harmless


def test_stop_right_after_start_never_hangs() -> None:
    # stop() used to miss the serving task when it had not started yet, and
    # then waited for it forever.
    for _ in range(30):
        with ScriptedServer():
            pass


async def test_async_stop_right_after_start_never_hangs() -> None:
    with anyio.fail_after(10):
        for _ in range(10):
            async with ScriptedServer():
                pass


async def test_two_servers_get_different_ports() -> None:
    async with ScriptedServer() as first, ScriptedServer() as second:
        assert first.base_url != second.base_url


# ---------------------------------------------------------------- recording


async def test_requests_are_recorded() -> None:
    async with ScriptedServer([text_response("a")]) as server:
        await post(
            server,
            {"model": "m", "messages": [{"role": "user", "content": "é"}]},
            headers={"Authorization": "Bearer k", "X-Custom": "v"},
        )
    (request,) = server.requests
    assert isinstance(request, RecordedRequest)
    assert request.method == "POST"
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer k"
    assert request.headers["x-custom"] == "v"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"model": "m", "messages": [{"role": "user", "content": "é"}]}
    assert json.loads(request.body) == request.json()


async def test_get_request_without_body() -> None:
    async with ScriptedServer([text_response("a")]) as server, httpx.AsyncClient() as client:
        await client.get(f"{server.base_url}/models")
    assert server.requests[0].method == "GET"
    assert server.requests[0].path == "/v1/models"
    assert server.requests[0].body == b""


# ------------------------------------------------------------------ scripts


async def test_responses_are_played_in_order_then_500() -> None:
    async with ScriptedServer([text_response("one"), text_response("two")]) as server:
        first, second, third = [await post(server) for _ in range(3)]
    assert "one" in first.text
    assert "two" in second.text
    assert third.status_code == 500
    error = third.json()["error"]
    assert error["type"] == "script_exhausted"
    assert "no scripted response left for request #3" in error["message"]
    assert "POST /v1/chat/completions" in error["message"]


async def test_add_queues_more_responses() -> None:
    async with ScriptedServer() as server:
        server.add(text_response("late"), error_response(418))
        assert "late" in (await post(server)).text
        assert (await post(server)).status_code == 418


async def test_responder_callable() -> None:
    def responder(request: RecordedRequest) -> ScriptedResponse:
        return text_response(f"you asked for {request.json()['model']}")

    async with ScriptedServer(responder=responder) as server:
        first = await post(server, {"model": "alpha"})
        second = await post(server, {"model": "beta"})
    assert ["you", "asked", "for", "alpha"][-1] in first.text
    assert "beta" in second.text
    assert len(server.requests) == 2


async def test_streamed_response_format() -> None:
    async with ScriptedServer([text_response("Hello big world")]) as server:
        response = await post(server)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["transfer-encoding"] == "chunked"
    payloads = sse_datas(response.content)
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]) == (
        "Hello big world"
    )
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


async def test_done_can_be_omitted() -> None:
    response_script = ScriptedResponse([usage_chunk()], done=False)
    async with ScriptedServer([response_script]) as server:
        response = await post(server)
    assert "[DONE]" not in response.text


async def test_steps_of_every_kind() -> None:
    steps = [{"a": 1}, b"data: raw\n\n", ": comment\n\n", Pause(0.01)]
    async with ScriptedServer([ScriptedResponse(steps, done=False)]) as server:
        response = await post(server)
    assert response.content == b'data: {"a":1}\n\ndata: raw\n\n: comment\n\n'


async def test_raw_bytes_are_sent_exactly() -> None:
    data = b'\xef\xbb\xbfdata: {"x": "\xc3\xa9"}\r\n\r\n: ping\r\rdata: [DONE]\n\n'
    async with ScriptedServer([raw_response(data, pieces=[1, 2, 9, 10, 30])]) as server:
        response = await post(server)
    assert response.content == data


async def test_raw_response_pieces_arrive_separately() -> None:
    data = b"data: one\n\ndata: two\n\n"
    received: list[bytes] = []
    async with (
        ScriptedServer([raw_response(data, pieces=[11], delay=0.05)]) as server,
        httpx.AsyncClient() as client,
        client.stream("POST", f"{server.base_url}/chat/completions", json={}) as response,
    ):
        async for piece in response.aiter_raw():
            received.append(piece)
    assert received == [b"data: one\n\n", b"data: two\n\n"]


async def test_error_response() -> None:
    script = error_response(429, "slow down", headers={"Retry-After": "3"})
    async with ScriptedServer([script]) as server:
        response = await post(server)
    assert response.status_code == 429
    assert response.reason_phrase == "Too Many Requests"
    assert response.headers["retry-after"] == "3"
    assert response.json() == {"error": {"message": "slow down", "type": "scripted", "code": 429}}


async def test_unusual_status_code() -> None:
    async with ScriptedServer([error_response(599)]) as server:
        response = await post(server)
    assert response.status_code == 599


async def test_custom_headers_on_a_stream() -> None:
    script = ScriptedResponse(text_chunks("x"), headers={"X-Request-Id": "abc"})
    async with ScriptedServer([script]) as server:
        response = await post(server)
    assert response.headers["x-request-id"] == "abc"


# ----------------------------------------------------------- delays, faults


async def test_chunk_delay() -> None:
    chunks = text_chunks("a b c", usage=None)  # role + 3 words + finish = 5, plus [DONE]
    async with ScriptedServer([ScriptedResponse(chunks, chunk_delay=0.04)]) as server:
        started = time.monotonic()
        response = await post(server)
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed >= 6 * 0.04 * 0.9


async def test_headers_delay() -> None:
    async with ScriptedServer([ScriptedResponse(text_chunks("a"), headers_delay=0.2)]) as server:
        started = time.monotonic()
        await post(server)
    assert time.monotonic() - started >= 0.18


async def test_pause_step() -> None:
    steps = [{"n": 1}, Pause(0.2), {"n": 2}]
    async with ScriptedServer([ScriptedResponse(steps)]) as server:
        started = time.monotonic()
        response = await post(server)
    assert time.monotonic() - started >= 0.18
    assert sse_datas(response.content) == ['{"n":1}', '{"n":2}', "[DONE]"]


async def test_close_after_bytes_cuts_mid_chunk() -> None:
    data = b"data: first\n\ndata: second\n\n"
    script = ScriptedResponse([data[:13], data[13:]], done=False, close_after_bytes=20)
    received = bytearray()
    async with ScriptedServer([script]) as server:
        async with (
            httpx.AsyncClient() as client,
            client.stream("POST", f"{server.base_url}/chat/completions", json={}) as response,
        ):
            with pytest.raises(httpx.RemoteProtocolError):
                await read_into(received, response.aiter_bytes())
        assert await eventually(lambda: server.open_connections == 0)
    assert received == data[:20]


async def test_close_after_zero_bytes() -> None:
    async with (
        ScriptedServer([ScriptedResponse(text_chunks("x"), close_after_bytes=0)]) as server,
        httpx.AsyncClient() as client,
        client.stream("POST", f"{server.base_url}/chat/completions", json={}) as response,
    ):
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            await response.aread()


async def test_disconnect_step() -> None:
    async with (
        ScriptedServer([ScriptedResponse([{"n": 1}, Disconnect(), {"n": 2}])]) as server,
        httpx.AsyncClient() as client,
        client.stream("POST", f"{server.base_url}/chat/completions", json={}) as response,
    ):
        received = bytearray()
        with pytest.raises(httpx.RemoteProtocolError):
            await read_into(received, response.aiter_bytes())
    assert received == b'data: {"n":1}\n\n'


async def test_endless_pause_ends_when_the_client_leaves() -> None:
    script = ScriptedResponse([{"n": 1}, Pause(None), {"n": 2}])
    async with (
        ScriptedServer([script, text_response("next")]) as server,
        httpx.AsyncClient() as client,
    ):
        async with client.stream(
            "POST", f"{server.base_url}/chat/completions", json={}
        ) as response:
            async for piece in response.aiter_bytes():
                assert piece == b'data: {"n":1}\n\n'
                break
        assert await eventually(lambda: server.open_connections == 0)
        # The server is still fine for the next request.
        assert "next" in (await client.post(f"{server.base_url}/chat/completions")).text


async def test_stop_ends_an_endless_pause() -> None:
    server = ScriptedServer([ScriptedResponse([Pause(None)])])
    async with (
        server,
        httpx.AsyncClient() as client,
        client.stream("POST", f"{server.base_url}/chat/completions", json={}),
    ):
        pass
    assert server.open_connections == 0


async def test_keep_alive_reuses_the_connection() -> None:
    async with ScriptedServer(
        [text_response("a"), error_response(400), text_response("b")]
    ) as server:
        async with httpx.AsyncClient() as client:
            for _ in range(3):
                await client.post(f"{server.base_url}/chat/completions", json={})
        assert server.connections_opened == 1
        assert await eventually(lambda: server.open_connections == 0)


# ----------------------------------------------------------------- helpers


def test_sse_bytes() -> None:
    assert sse_bytes({"a": [1, 2]}) == b'data: {"a":[1,2]}\n\n'
    assert sse_bytes("[DONE]") == b"data: [DONE]\n\n"


def test_text_chunks_pieces_and_options() -> None:
    chunks = text_chunks("abcdef", pieces=3, finish_reason="length", usage=(1, 2))
    contents = [c["choices"][0]["delta"].get("content") for c in chunks if c["choices"]]
    assert contents == ["", "ab", "cd", "ef", None]
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["usage"]["total_tokens"] == 3
    no_end = text_chunks("x y", finish_reason=None, usage=None)
    assert all(c["choices"][0]["finish_reason"] is None for c in no_end)


def test_tool_call_chunks() -> None:
    chunks = tool_call_chunks(
        [("get_weather", {"city": "Hanoi"}), ("get_time", '{"tz": "UTC"}')],
        fragments=2,
        text="Checking.",
    )
    fragments = [
        fragment
        for c in chunks
        if c["choices"]
        for fragment in c["choices"][0]["delta"].get("tool_calls") or []
    ]
    starts = [f for f in fragments if "id" in f]
    assert [(f["index"], f["id"], f["function"]["name"]) for f in starts] == [
        (0, "call_0", "get_weather"),
        (1, "call_1", "get_time"),
    ]
    arguments = {0: "", 1: ""}
    for fragment in fragments:
        arguments[fragment["index"]] += fragment["function"]["arguments"]
    assert json.loads(arguments[0]) == {"city": "Hanoi"}
    assert arguments[1] == '{"tz": "UTC"}'
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    content = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert content == "Checking."


def test_tool_call_response_passes_chunk_delay() -> None:
    script = tool_call_response([("f", {})], chunk_delay=0.5, id_prefix="toolu_")
    assert script.chunk_delay == 0.5
    assert any("toolu_0" in json.dumps(step) for step in script.steps)


def test_raw_response_pieces() -> None:
    script = raw_response(b"abcdef", pieces=[4, 2, 2, 0, 6, 99, -1])
    assert list(script.steps) == [b"ab", b"cd", b"ef"]
    assert script.done is False
