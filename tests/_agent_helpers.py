"""Helpers of the runner tests: a scripted server with a fast agent on it, an
event recorder, and checks that a run left no task behind."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.lowlevel
from _common import FAST_TIMEOUTS, make_model

from agentkit import Agent, AgentRun, Event
from agentkit.testing import Responder, ScriptedResponse, ScriptedServer

# --------------------------------------------------------------- the setup


def make_agent(server: ScriptedServer, **options: Any) -> Agent[Any]:
    """An agent on ``server`` with small timeouts and retry delays.

    ``timeout`` goes to the model; every other option to `Agent`.
    """
    model = make_model(server, model="scripted", timeout=options.pop("timeout", FAST_TIMEOUTS))
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
