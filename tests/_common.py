"""The constants, marks, model factory and pollers every test module shares."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio
import pytest

from agentkit import OpenAIChatModel, RetryPolicy, Timeouts
from agentkit.testing import ScriptedServer

API_KEY = "sk-test-SECRET-0123456789abcdef"
"""The key the tests use; it must never show up in output, errors or logs."""

FAST_TIMEOUTS = Timeouts(connect=1.0, first_chunk=1.0, chunk_gap=0.5)
"""Small enough that a stalled test fails fast, large enough for a busy CI."""

FAST_RETRIES = RetryPolicy(initial_delay=0.01, max_delay=0.02)

ASYNC_TESTS = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings("ignore:Async generator 'httpx[.]:ResourceWarning"),
    pytest.mark.filterwarnings("ignore:Async generator 'httpcore[.]:ResourceWarning"),
]
"""Marks for a module of async tests (each runs on asyncio and on trio).

Trio warns when an async generator is garbage collected unexhausted. httpx
and httpcore implement response streams as nested async generators that a
reader cannot close from outside (encode/httpx#3686), so leaving a stream
early (a break, a stall, a cut connection, a callback error) makes trio warn
about *their* generators. Only those are ignored: agentkit's own generators
must still be closed properly."""


def make_model(server: ScriptedServer, **options: Any) -> OpenAIChatModel:
    """A model pointed at ``server`` with fast timeouts and retries."""
    options.setdefault("base_url", server.base_url)
    options.setdefault("api_key", API_KEY)
    options.setdefault("timeout", FAST_TIMEOUTS)
    options.setdefault("retry_policy", FAST_RETRIES)
    return OpenAIChatModel(options.pop("model", "test-model"), **options)


async def eventually(predicate: Callable[[], bool], seconds: float = 2.0) -> bool:
    """Poll ``predicate`` for up to ``seconds``; its last value. (The server
    changes its counters in its own thread: there is nothing to await.)"""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        await anyio.sleep(0.01)
    return predicate()


def wait_until(condition: Callable[[], Any], timeout: float = 3.0, interval: float = 0.02) -> bool:
    """`eventually` for synchronous tests."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())
