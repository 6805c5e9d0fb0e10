"""Helpers shared by the runner tests (``tests/test_agent_*.py``): a scripted
server with a fast agent on it, chunk builders for hand-written streams, an
event recorder, and checks that a run left no task or connection behind."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from agentkit import Agent, AgentRun, Event, OpenAIChatModel, RetryPolicy, Timeouts
from agentkit.testing import (
    Responder,
    ScriptedResponse,
    ScriptedServer,
    Step,
    sse_bytes,
)

API_KEY = "sk-agent-test-SECRET-5f3e9a1c"
"""The key every runner test uses; it must never show up in logs or errors."""

FAST_TIMEOUTS = Timeouts(connect=1.0, first_chunk=1.0, chunk_gap=0.5)
FAST_RETRIES = RetryPolicy(initial_delay=0.01, max_delay=0.02)

ASYNC_TESTS = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings("ignore:Async generator 'httpx[.]:ResourceWarning"),
    pytest.mark.filterwarnings("ignore:Async generator 'httpcore[.]:ResourceWarning"),
]
"""Marks for a module of async runner tests. Trio warns when an async
generator is garbage collected unexhausted; httpx and httpcore implement
response bodies as nested async generators that cannot be closed from outside
(encode/httpx#3686), so a run that stops reading mid-stream (a callback error,
leaving ``agent.stream()`` early) makes trio warn about *their* generators.
Only those are ignored: agentkit's own generators must still be closed."""


# --------------------------------------------------------------- the setup


def make_agent(server: ScriptedServer, **options: Any) -> Agent[Any]:
    """An agent on ``server`` with small timeouts and retry delays.

    ``timeout`` goes to the model; every other option to `Agent`.
    """
    model = OpenAIChatModel(
        "scripted",
        base_url=server.base_url,
        api_key=API_KEY,
        retry_policy=FAST_RETRIES,
        timeout=options.pop("timeout", FAST_TIMEOUTS),
    )
    agent: Agent[Any] = Agent(model, **options)
    # Not a constructor option: turn retries wait 0.5 s by default.
    agent.settings = dataclasses.replace(agent.settings, turn_retry_delay=0.01)
    return agent


@asynccontextmanager
async def scripted_agent(
    responses: Iterable[ScriptedResponse] = (),
    *,
    responder: Responder | None = None,
    **options: Any,
) -> AsyncIterator[tuple[Agent[Any], ScriptedServer]]:
    """A running `ScriptedServer` and an agent on it; the model's client is
    closed and the server stopped on exit."""
    async with ScriptedServer(responses, responder=responder) as server:
        agent = make_agent(server, **options)
        try:
            yield agent, server
        finally:
            await agent.model.aclose()  # type: ignore[attr-defined]


# ------------------------------------------------------------------ chunks


def chunk(delta: Mapping[str, Any] | None = None, finish: str | None = None) -> dict[str, Any]:
    """A ``chat.completion.chunk`` with one choice."""
    return {
        "id": "chatcmpl-agent-test",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "scripted",
        "choices": [{"index": 0, "delta": dict(delta or {}), "finish_reason": finish}],
    }


def role() -> dict[str, Any]:
    return chunk({"role": "assistant", "content": None})


def text(content: str) -> dict[str, Any]:
    return chunk({"content": content})


def finish(reason: str = "stop") -> dict[str, Any]:
    return chunk({}, reason)


def call_start(index: int, call_id: str, name: str, arguments: str = "") -> dict[str, Any]:
    """The first fragment of a tool call: index, id, name (and maybe arguments)."""
    fragment = {
        "index": index,
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }
    return chunk({"tool_calls": [fragment]})


def call_args(index: int, arguments: str) -> dict[str, Any]:
    """A later fragment of a tool call's arguments."""
    return chunk({"tool_calls": [{"index": index, "function": {"arguments": arguments}}]})


def call_steps(index: int, call_id: str, name: str, arguments: Any, pieces: int = 2) -> list[Step]:
    """A whole tool call: the start fragment, then ``arguments`` in ``pieces``."""
    encoded = arguments if isinstance(arguments, str) else json.dumps(arguments)
    size = -(-len(encoded) // pieces)
    parts = [encoded[i : i + size] for i in range(0, len(encoded), size)]
    return [call_start(index, call_id, name), *(call_args(index, part) for part in parts)]


def response(*steps: Step, **options: Any) -> ScriptedResponse:
    """A streamed response of ``steps`` (options as in `ScriptedResponse`)."""
    return ScriptedResponse(list(steps), **options)


def byte_length(steps: Sequence[Step]) -> int:
    """How many body bytes ``steps`` (chunk dicts) take on the wire."""
    return sum(len(sse_bytes(step)) for step in steps)  # type: ignore[arg-type]


# ------------------------------------------------------------------ events


class Recorder:
    """An ``on_event`` callback that keeps every event with its arrival time."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.times: list[float] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        self.times.append(time.monotonic())

    @property
    def types(self) -> list[str]:
        return [event.type for event in self.events]

    def of_type(self, kind: str) -> list[Any]:
        return [event for event in self.events if event.type == kind]

    def times_of(self, kind: str) -> list[float]:
        return [at for event, at in zip(self.events, self.times, strict=True) if event.type == kind]


async def drain(run: AgentRun, into: list[Event]) -> None:
    """Enter ``run`` (from ``agent.stream``) and read its events into ``into``
    (kept even when iteration raises)."""
    async with run:
        async for event in run:
            into.append(event)


def squash(types: Sequence[str]) -> list[str]:
    """Event types with runs of the same delta type collapsed to one entry."""
    squashed: list[str] = []
    for kind in types:
        if kind.endswith(".delta") and squashed and squashed[-1] == kind:
            continue
        squashed.append(kind)
    return squashed


# ---------------------------------------------------- nothing left behind


def live_tasks() -> int:
    """How many tasks the current event loop has (asyncio or trio)."""
    if anyio.lowlevel.current_token().backend_class.__name__ == "TrioBackend":
        import trio

        return int(trio.lowlevel.current_statistics().tasks_living)
    import asyncio

    return len(asyncio.all_tasks())


async def eventually(predicate: Callable[[], bool], seconds: float = 1.0) -> bool:
    """Poll ``predicate`` for up to ``seconds``; its last value."""
    for _ in range(max(1, int(seconds / 0.01))):
        if predicate():
            return True
        await anyio.sleep(0.01)
    return predicate()
