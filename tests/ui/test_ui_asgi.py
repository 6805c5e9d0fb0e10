"""Serving runs over ASGI (agentkit/ui/_asgi.py), over real HTTP: uvicorn on
loopback in front, a ScriptedServer as the model behind."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from _common import wait_until
from _support import closing_model, serve_asgi
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Mount, Route

from agentkit import Agent, OpenAIChatModel, RetryPolicy, tool
from agentkit.testing import (
    Pause,
    ScriptedResponse,
    ScriptedServer,
    error_response,
    text_chunks,
    text_response,
    tool_call_chunks,
    tool_call_response,
)
from agentkit.ui import EventStreamResponse, chat_app


def _data_payloads(body: str) -> list[str]:
    return [line[len("data: ") :] for line in body.split("\n") if line.startswith("data: ")]


def _events(body: str) -> list[dict[str, Any]]:
    payloads = _data_payloads(body)
    assert payloads[-1] == "[DONE]"
    return [json.loads(payload) for payload in payloads[:-1]]


def _agent(server: ScriptedServer, *tools: Any) -> Agent[Any]:
    model = OpenAIChatModel(
        "m", base_url=server.base_url, api_key="k", retry_policy=RetryPolicy(max_retries=0)
    )
    return Agent(model, tools=list(tools))


class SlowTool:
    """A tool that runs until cancelled, and says so."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.cancelled = threading.Event()

        @tool(name="slow")
        async def slow(seconds: float) -> str:
            """Wait.

            Args:
                seconds: How long.
            """
            self.started.set()
            try:
                await anyio.sleep(seconds)
            except anyio.get_cancelled_exc_class():
                self.cancelled.set()
                raise
            return "finished"

        self.tool = slow


def test_agentkit_protocol_streams_every_event_then_done() -> None:
    with ScriptedServer([text_response("Hello there")]) as model_server:
        agent = _agent(model_server)

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await EventStreamResponse(agent, "hi")(scope, receive, send)

        with serve_asgi(closing_model(app, agent.model)) as url:
            response = httpx.get(url, timeout=10)
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    types = [event["type"] for event in _events(response.text)]
    assert types == [
        "run.started",
        "turn.started",
        "text.delta",
        "text.delta",
        "turn.finished",
        "run.finished",
    ]
    assert _events(response.text)[-1]["result"]["text"] == "Hello there"


def test_keep_alive_comments_while_the_run_is_quiet() -> None:
    quiet = ScriptedResponse([*text_chunks("a")[:2], Pause(0.4), *text_chunks("a")[2:]])
    with ScriptedServer([quiet]) as model_server:
        agent = _agent(model_server)

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await EventStreamResponse(agent, "hi", heartbeat=0.05)(scope, receive, send)

        with serve_asgi(closing_model(app, agent.model)) as url:
            body = httpx.get(url, timeout=10).text
    assert body.count(": keep-alive\n\n") >= 2
    assert _data_payloads(body)[-1] == "[DONE]"


def test_a_failed_run_ends_with_its_error_event_then_done() -> None:
    with ScriptedServer([error_response(401, "bad key")]) as model_server:
        agent = _agent(model_server)

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await EventStreamResponse(agent, "hi")(scope, receive, send)

        with serve_asgi(closing_model(app, agent.model)) as url:
            events = _events(httpx.get(url, timeout=10).text)
    assert events[-1]["type"] == "run.failed"
    assert events[-1]["error"]["error"] == "AuthenticationError"
    assert "bad key" in events[-1]["error"]["message"]


@pytest.fixture
def slow_tool() -> SlowTool:
    return SlowTool()


def _read_until(response: httpx.Response, marker: str) -> None:
    for line in response.iter_lines():
        if marker in line:
            return
    raise AssertionError(f"{marker!r} never arrived")


def test_client_disconnect_while_the_model_streams_cancels_tool_and_model_stream(
    slow_tool: SlowTool,
) -> None:
    # The call is sealed (a later call begins) and starts eagerly; the model
    # stream then stalls with the connection open.
    chunks = tool_call_chunks(
        [("slow", {"seconds": 30}), ("slow", {"seconds": 30})], finish_reason=None, usage=None
    )
    stalled = ScriptedResponse([*chunks[:-2], Pause(None)], done=False)
    with ScriptedServer([stalled]) as model_server:
        agent = _agent(model_server, slow_tool.tool)
        with serve_asgi(chat_app(agent, protocol="agentkit")) as url:
            body = {"messages": [{"role": "user", "content": "go"}]}
            with httpx.stream("POST", url, json=body, timeout=10) as response:
                _read_until(response, "tool_call.ready")
                assert slow_tool.started.wait(5)
                assert model_server.open_connections == 1, model_server.connection_endings
            # The client is gone: the run must be cancelled.
            assert slow_tool.cancelled.wait(5), "the running tool was not cancelled"
            assert wait_until(lambda: model_server.open_connections == 0), (
                "the model connection was left open"
            )


def test_client_disconnect_while_tools_run_cancels_them(slow_tool: SlowTool) -> None:
    with ScriptedServer([tool_call_response([("slow", {"seconds": 30})])]) as model_server:
        agent = _agent(model_server, slow_tool.tool)
        with serve_asgi(chat_app(agent, protocol="vercel")) as url:
            body = {
                "messages": [{"id": "1", "role": "user", "parts": [{"type": "text", "text": "go"}]}]
            }
            with httpx.stream("POST", url, json=body, timeout=10) as response:
                assert response.headers["x-vercel-ai-ui-message-stream"] == "v1"
                _read_until(response, "tool-input-available")
                assert slow_tool.started.wait(5)
            assert slow_tool.cancelled.wait(5)


@pytest.mark.parametrize(
    ("method", "body", "status", "message"),
    [
        ("GET", None, 405, "Use POST"),
        ("POST", b"not json", 400, "not JSON"),
        ("POST", b'{"no": "messages"}', 400, "'messages' list"),
        ("POST", b'{"messages": "text"}', 400, "'messages' list"),
    ],
)
def test_chat_app_rejects_bad_requests(
    method: str, body: bytes | None, status: int, message: str
) -> None:
    with ScriptedServer() as model_server, serve_asgi(chat_app(_agent(model_server))) as url:
        headers = {"content-type": "application/json"}
        response = httpx.request(method, url, content=body, headers=headers, timeout=10)
        assert model_server.requests == []
    assert response.status_code == status
    assert message in response.json()["error"]["message"]


def test_chat_app_passes_deps_and_converts_ui_messages() -> None:
    seen: list[Any] = []

    @tool
    def whoami(context: Any) -> str:
        """Who is asking."""
        return "?"

    with ScriptedServer([text_response("ok")]) as model_server:
        app = chat_app(_agent(model_server), deps=lambda payload: seen.append(payload["id"]))
        with serve_asgi(app) as url:
            body = {
                "id": "chat-7",
                "messages": [
                    {"id": "1", "role": "user", "parts": [{"type": "text", "text": "hello"}]}
                ],
            }
            httpx.post(url, json=body, timeout=10).raise_for_status()
        sent = model_server.requests[0].json()["messages"]
    assert seen == ["chat-7"]
    assert sent == [{"role": "user", "content": "hello"}]


def test_works_inside_a_starlette_app() -> None:
    with ScriptedServer([text_response("from a route"), text_response("from a mount")]) as model:
        agent = _agent(model)

        async def run(request: Request) -> EventStreamResponse:
            return EventStreamResponse(agent, request.query_params["q"])

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            yield
            await agent.model.aclose()  # type: ignore[attr-defined]

        chat = chat_app(agent)
        routes = [Route("/run", run), Route("/chat", chat, methods=["POST"]), Mount("/m", chat)]
        with serve_asgi(Starlette(routes=routes, lifespan=lifespan)) as url:
            routed = _events(httpx.get(f"{url}/run", params={"q": "hi"}, timeout=10).text)
            body = {"messages": [{"role": "user", "content": "hi"}]}
            mounted = httpx.post(f"{url}/chat", json=body, timeout=10).text
            model.add(text_response("from a mount"))
            also_mounted = httpx.post(f"{url}/m/", json=body, timeout=10).text
    assert routed[-1]["result"]["text"] == "from a route"
    for body_text in (mounted, also_mounted):
        parts = [json.loads(p) for p in _data_payloads(body_text)[:-1]]
        assert "".join(p["delta"] for p in parts if p["type"] == "text-delta") == "from a mount"
