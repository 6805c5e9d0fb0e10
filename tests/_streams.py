"""Helpers shared by the wire-layer tests: chunk builders, the shared recorded
streams, an in-process reader that mirrors `StreamedTurn`, and fast model
settings for tests over loopback HTTP."""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
import structlog

from agentkit import (
    AgentkitError,
    AssistantMessage,
    Event,
    OpenAIChatModel,
    RetryPolicy,
    StreamAccumulator,
    Timeouts,
)
from agentkit._chunks import DONE, chunk_from_event
from agentkit._sse import SSEDecoder
from agentkit.testing import ScriptedServer

SHARED_STREAMS_ENV = "AGENTKIT_SHARED_STREAMS"
"""Environment variable that overrides where the shared recorded streams live."""

API_KEY = "sk-test-SECRET-0123456789abcdef"
"""The key the model tests use; it must never show up in output."""

FAST_TIMEOUTS = Timeouts(connect=1, first_chunk=0.5, chunk_gap=0.2)
FAST_RETRIES = RetryPolicy(initial_delay=0.01, max_delay=0.02)

MESSAGES = [{"role": "user", "content": "Hi"}]

HTTPX_GENERATOR_WARNINGS = [
    pytest.mark.filterwarnings("ignore:Async generator 'httpx[.]:ResourceWarning"),
    pytest.mark.filterwarnings("ignore:Async generator 'httpcore[.]:ResourceWarning"),
]
"""Trio warns when an async generator is garbage collected unexhausted.
httpx and httpcore implement response streams as nested async generators that
a reader cannot close from outside (encode/httpx#3686), so leaving a stream
early (a break, a stall, a cut connection) makes trio warn about *their*
generators. Only those are ignored: agentkit's own generators must still be
closed properly."""


def shared_streams_dir() -> Path:
    """The directory of the shared ``*.sse`` recordings (not checked for existence)."""
    override = os.environ.get(SHARED_STREAMS_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "shared" / "streams"


def shared_stream_files() -> list[Path]:
    """Every ``*.sse`` file of the shared directory, sorted (empty if missing)."""
    directory = shared_streams_dir()
    return sorted(directory.glob("*.sse")) if directory.is_dir() else []


def expected_path(stream: Path) -> Path:
    return stream.with_name(stream.name[: -len(".sse")] + ".expected.json")


# ------------------------------------------------------------------ chunks


def chunk(
    delta: Mapping[str, Any] | None = None,
    finish_reason: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``chat.completion.chunk`` with one choice (index 0)."""
    body: dict[str, Any] = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "test",
        "choices": [{"index": 0, "delta": dict(delta or {}), "finish_reason": finish_reason}],
    }
    body.update(extra)
    return body


def text(content: str, finish_reason: str | None = None) -> dict[str, Any]:
    return chunk({"content": content}, finish_reason)


def finish(reason: str = "stop", **extra: Any) -> dict[str, Any]:
    return chunk({}, reason, **extra)


def usage_only(prompt: int = 10, completion: int = 5, **more: Any) -> dict[str, Any]:
    body = chunk()
    body["choices"] = []
    body["usage"] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        **more,
    }
    return body


def call(
    index: int | None = 0,
    *,
    id: str | None = None,
    name: str | None = None,
    arguments: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    """One ``delta.tool_calls`` fragment; None fields are left out."""
    fragment: dict[str, Any] = {}
    if index is not None:
        fragment["index"] = index
    if id is not None:
        fragment["id"] = id
        fragment["type"] = "function"
    function: dict[str, Any] = {}
    if name is not None:
        function["name"] = name
    if arguments is not None:
        function["arguments"] = arguments
    if function:
        fragment["function"] = function
    fragment.update(extra)
    return fragment


def calls(*fragments: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    """A chunk carrying ``fragments`` as its ``delta.tool_calls``."""
    return chunk({"tool_calls": list(fragments)}, finish_reason)


def sse(*chunks: Mapping[str, Any] | str, done: bool = True, eol: str = "\n") -> bytes:
    """SSE bytes: one ``data:`` event per chunk (dicts as JSON, strings as is)."""
    parts = []
    for item in chunks:
        payload = item if isinstance(item, str) else json.dumps(item, separators=(",", ":"))
        parts.append(f"data: {payload}{eol}{eol}")
    if done:
        parts.append(f"data: [DONE]{eol}{eol}")
    return "".join(parts).encode()


# ---------------------------------------------------------- reading streams


@dataclass
class Reading:
    """What reading a whole stream produced."""

    events: list[Event]
    message: AssistantMessage
    done: bool
    accumulator: StreamAccumulator

    @property
    def event_dicts(self) -> list[dict[str, Any]]:
        return [event.to_dict() for event in self.events]


def read_in_process(data: bytes, cuts: Iterable[int] = ()) -> Reading:
    """Decode ``data`` fed in pieces cut at ``cuts`` and accumulate it the way
    `StreamedTurn` does: stop at ``[DONE]``, flush at the end of the bytes."""
    bounds = [0, *sorted(set(cuts)), len(data)]
    decoder = SSEDecoder()
    accumulator = StreamAccumulator()
    events: list[Event] = []
    done = False

    def apply(server_events: list[Any]) -> None:
        nonlocal done
        for server_event in server_events:
            parsed = chunk_from_event(server_event)
            if parsed is None:
                continue
            if parsed is DONE:
                done = True
                events.extend(accumulator.close())
                return
            events.extend(accumulator.add(parsed))  # type: ignore[arg-type]

    for start, end in itertools.pairwise(bounds):
        if end > start and not done:
            apply(decoder.feed(data[start:end]))
    if not done:
        apply(decoder.flush())
        if not done and accumulator.finish_reason is not None:
            events.extend(accumulator.close())
    return Reading(events, accumulator.message, done, accumulator)


def summary(message: AssistantMessage) -> dict[str, Any]:
    """The message in the shape of a ``.expected.json`` (arguments parsed)."""
    return {
        "content": message.content,
        "reasoning": message.reasoning,
        "tool_calls": [
            {"id": c.id, "name": c.name, "arguments": json.loads(c.arguments)}
            for c in message.tool_calls
        ],
        "finish_reason": message.finish_reason,
        "usage": dict(message.usage.details) if message.usage is not None else None,
    }


def load_expected(stream: Path) -> dict[str, Any]:
    expected = json.loads(expected_path(stream).read_text(encoding="utf-8"))
    expected["tool_calls"] = [
        {**c, "arguments": json.loads(c["arguments"])} for c in expected.get("tool_calls", [])
    ]
    return {key: expected.get(key) for key in summary(AssistantMessage())}


# ------------------------------------------------------------------- models


def make_model(server: ScriptedServer, **options: Any) -> OpenAIChatModel:
    """A model pointed at ``server`` with fast timeouts and retries."""
    options.setdefault("base_url", server.base_url)
    options.setdefault("api_key", API_KEY)
    options.setdefault("timeout", FAST_TIMEOUTS)
    options.setdefault("retry_policy", FAST_RETRIES)
    return OpenAIChatModel("test-model", **options)


async def run_turn(
    model: OpenAIChatModel,
    messages: Sequence[Mapping[str, Any]] = MESSAGES,
    **params: Any,
) -> tuple[list[Event], AssistantMessage]:
    """Stream one turn to the end; return its events and message."""
    events: list[Event] = []
    async with model.stream(messages, **params) as turn:
        async for event in turn:
            events.append(event)
    return events, turn.message


async def failed_turn(
    model: OpenAIChatModel,
    error_type: type[AgentkitError],
    messages: Sequence[Mapping[str, Any]] = MESSAGES,
    **params: Any,
) -> tuple[list[Event], Any]:
    """Stream a turn that must fail with ``error_type``; return the events
    delivered before the failure and the error (checked free of the key)."""
    events: list[Event] = []
    with pytest.raises(error_type) as caught:
        await _collect_into(events, model, messages, params)
    assert_no_key_in_error(caught.value)
    return events, caught.value


async def _collect_into(
    events: list[Event],
    model: OpenAIChatModel,
    messages: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
) -> None:
    async with model.stream(messages, **params) as turn:
        async for event in turn:
            events.append(event)


def assert_no_key_in_error(error: BaseException) -> None:
    """The key is in no message, repr or attribute of the error or its causes."""
    seen: BaseException | None = error
    while seen is not None:
        assert API_KEY not in str(seen)
        assert API_KEY not in repr(seen)
        assert API_KEY not in repr(getattr(seen, "__dict__", {}))
        seen = seen.__cause__ or seen.__context__


@contextmanager
def unconfigured_structlog() -> Iterator[None]:
    """structlog as in an application that never configured it: agentkit's
    events then go to stdlib logging (other test modules may have configured
    structlog, and ``capture_logs`` leaves it marked as configured)."""
    saved = structlog.get_config() if structlog.is_configured() else None
    structlog.reset_defaults()
    try:
        yield
    finally:
        if saved is None:
            structlog.reset_defaults()
        else:
            structlog.configure(**saved)


def watch_logs_for_key(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Body of an autouse fixture: capture every log at DEBUG during the test,
    then check that the API key is nowhere in it."""
    with unconfigured_structlog():
        caplog.set_level(logging.DEBUG)
        yield
    assert API_KEY not in caplog.text
    for record in caplog.records:
        assert API_KEY not in repr(record.__dict__)


async def wait_for_server(condition: Callable[[], bool], limit: float = 2.0) -> None:
    """Wait until ``condition`` holds. The server changes its counters in its
    own thread, so there is nothing to await: poll, within ``limit`` seconds."""
    with anyio.fail_after(limit):
        while not condition():  # noqa: ASYNC110 (nothing to wait on across threads)
            await anyio.sleep(0.01)


async def read_into(received: bytearray, pieces: AsyncIterator[bytes]) -> None:
    """Append every piece to ``received`` (kept when reading fails midway)."""
    async for piece in pieces:
        received += piece
