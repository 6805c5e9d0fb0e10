"""Random cancellations and a long soak, with what they must not leave
behind: tasks, sockets (file descriptors, server-side connections),
threads, memory. Used by ``test_fault_campaign.py`` and
``benchmarks/fault_campaign.py``."""

from __future__ import annotations

import dataclasses
import gc
import os
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

import anyio
from _agent_helpers import live_tasks
from _common import eventually

from agentkit import Agent, OpenAIChatModel, RetryPolicy, Timeouts, ToolRegistry
from agentkit.testing import (
    RecordedRequest,
    ScriptedResponse,
    ScriptedServer,
    text_response,
    tool_call_response,
)

SETTLE_SECONDS = 3.0
THREAD_SLACK = 16
"""Idle worker threads the thread pools may keep (they expire on their own)."""


@dataclass
class LeakReport:
    """What random cancellations left behind."""

    runs: int
    cancelled: int
    tasks_left: int
    connections_left: int
    descriptors_left: int
    threads_left: int
    seconds: float

    def table(self) -> str:
        return (
            f"{self.runs} runs cancelled at random ({self.cancelled} mid-run): "
            f"{self.tasks_left} tasks, {self.connections_left} connections, "
            f"{self.descriptors_left} file descriptors, {self.threads_left} threads "
            f"left behind ({self.seconds:.1f} s)"
        )


@dataclass
class SoakReport:
    """Memory over a long series of turns in one process."""

    turns: int
    rss_after_warmup_mb: float
    rss_at_end_mb: float
    seconds: float

    @property
    def growth_mb(self) -> float:
        return self.rss_at_end_mb - self.rss_after_warmup_mb

    def table(self) -> str:
        return (
            f"soak: {self.turns} turns in {self.seconds:.1f} s, RSS "
            f"{self.rss_after_warmup_mb:.1f} MB after warm-up -> {self.rss_at_end_mb:.1f} MB "
            f"({self.growth_mb:+.2f} MB)"
        )


def two_turns(
    request: RecordedRequest, *, chunk_delay: float = 0.0, tool_ms: int = 0
) -> ScriptedResponse:
    """Tool calls (an async and a sync tool), then, once their results are
    in, the answer."""
    messages = request.json()["messages"]
    if messages[-1]["role"] == "tool":
        return text_response("All done, every value is known.", chunk_delay=chunk_delay)
    calls = [
        ("wait", {"ms": tool_ms}),
        ("wait_sync", {"ms": tool_ms}),
        ("wait", {"ms": 4 * tool_ms}),
    ]
    return tool_call_response(calls, fragments=3, chunk_delay=chunk_delay)


def tools() -> ToolRegistry:
    registry = ToolRegistry()

    @registry.tool
    async def wait(ms: int) -> str:
        """Wait, asynchronously."""
        await anyio.sleep(ms / 1000)
        return f"waited {ms} ms"

    @registry.tool
    def wait_sync(ms: int) -> str:
        """Wait in a worker thread."""
        time.sleep(ms / 1000)
        return f"waited {ms} ms"

    return registry


def agent_on(server: ScriptedServer) -> Agent[Any]:
    model = OpenAIChatModel(
        "campaign",
        base_url=server.base_url,
        api_key="sk-campaign",
        timeout=Timeouts(connect=2.0, first_chunk=2.0, chunk_gap=1.0),
        retry_policy=RetryPolicy(initial_delay=0.001, max_delay=0.002),
    )
    agent: Agent[Any] = Agent(model, tools=tools())
    agent.settings = dataclasses.replace(agent.settings, turn_retry_delay=0.001)
    return agent


async def random_cancellations(runs: int, seed: int = 0) -> LeakReport:
    """``runs`` runs, each cancelled after a random delay (some finish first);
    after each, no task of it may remain and its connection must be closed
    or back in the pool."""
    rng = random.Random(seed)
    started = time.monotonic()
    descriptors, threads = _descriptors(), threading.active_count()

    def slow_turns(request: RecordedRequest) -> ScriptedResponse:
        return two_turns(request, chunk_delay=0.002, tool_ms=5)

    async with ScriptedServer(responder=slow_turns) as server:
        tasks = live_tasks()
        agent = agent_on(server)
        cancelled = 0
        async with agent.model:  # type: ignore[attr-defined]
            for _ in range(runs):
                with anyio.move_on_after(rng.uniform(0.0, 0.12)) as scope:
                    await agent.run("Wait for three things")
                cancelled += scope.cancelled_caught
                await _settle(lambda: live_tasks() <= tasks and server.open_connections <= 1)
                if live_tasks() > tasks:
                    break  # reported below
            tasks_left = max(0, live_tasks() - tasks)
        await _settle(lambda: server.open_connections == 0)
        connections_left = server.open_connections
    await _settle(lambda: _descriptors() <= descriptors)
    await _settle(lambda: threading.active_count() <= threads + THREAD_SLACK)
    return LeakReport(
        runs=runs,
        cancelled=cancelled,
        tasks_left=tasks_left,
        connections_left=connections_left,
        descriptors_left=max(0, _descriptors() - descriptors),
        threads_left=max(0, threading.active_count() - threads - THREAD_SLACK),
        seconds=time.monotonic() - started,
    )


async def soak(turns: int, warmup: int = 500) -> SoakReport:
    """``turns`` model turns (tool call + answer runs) in one process; RSS
    measured after ``warmup`` turns and at the end."""
    started = time.monotonic()
    warmup = min(warmup, max(1, turns // 10))
    async with ScriptedServer(responder=two_turns) as server:
        agent = agent_on(server)
        async with agent.model:  # type: ignore[attr-defined]
            done = 0
            after_warmup = 0.0
            while done < turns:
                result = await agent.run("Wait for three things")
                done += result.turns
                server.requests.clear()  # the server's record is not the client's memory
                if not after_warmup and done >= warmup:
                    after_warmup = _rss_mb()
    return SoakReport(done, after_warmup, _rss_mb(), time.monotonic() - started)


async def _settle(condition: Any) -> None:
    await eventually(condition, SETTLE_SECONDS)


def _descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def _rss_mb() -> float:
    gc.collect()
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20
