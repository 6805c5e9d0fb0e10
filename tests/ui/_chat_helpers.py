"""Shared by the chat endpoint tests: one request through the ASGI interface,
as a server makes it, and a `chat_app` on a fresh agent with a scripted model."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
from _common import make_model

from agentkit import Agent, tool
from agentkit.testing import ScriptedResponse, ScriptedServer
from agentkit.ui import chat_app

LOCAL = ("127.0.0.1", 50123)
JSON_HEADERS = {"content-type": "application/json"}


@tool
def get_weather(city: str) -> str:
    """The weather in a city.

    Args:
        city: The city.
    """
    return f"{city}: 31°C"


def user(text: str = "Hi") -> dict[str, Any]:
    return {"id": "u1", "role": "user", "parts": [{"type": "text", "text": text}]}


def body_of(*messages: dict[str, Any]) -> bytes:
    return json.dumps({"messages": list(messages)}).encode()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def error(self) -> str:
        return str(json.loads(self.body)["error"]["message"])

    @property
    def parts(self) -> list[dict[str, Any]]:
        lines = self.body.decode().split("\n")
        payloads = [line[6:] for line in lines if line.startswith("data: ")]
        return [json.loads(p) for p in payloads if p != "[DONE]"]


async def call(
    app: Any,
    body: bytes = b"",
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    client: tuple[str, int] | None = LOCAL,
    stall_after: int | None = None,
) -> Reply:
    """One request to ``app`` through the ASGI interface, as a server makes
    it. With ``stall_after``, ``send`` blocks after that many messages, as a
    server's does when its client stops reading."""
    all_headers = {"host": "127.0.0.1:8000", "content-type": "application/json"}
    all_headers.update(headers or {})
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/api/chat",
        "raw_path": b"/api/chat",
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in all_headers.items() if v is not None],
        "client": client,
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if stall_after is not None and len(sent) >= stall_after:
            await anyio.sleep_forever()
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    return Reply(
        status=start["status"],
        headers={k.decode(): v.decode() for k, v in start["headers"]},
        body=b"".join(m.get("body", b"") for m in sent[1:]),
        messages=sent,
    )


@asynccontextmanager
async def endpoint(
    responses: list[ScriptedResponse] | None = None, **options: Any
) -> AsyncIterator[tuple[Any, ScriptedServer]]:
    """A chat_app on a fresh agent, with a ScriptedServer as its model."""
    async with ScriptedServer(responses or []) as model_server:
        model = make_model(model_server)
        async with model:
            agent = Agent(model, tools=[get_weather], instructions="Be brief.")
            yield chat_app(agent, **options), model_server
