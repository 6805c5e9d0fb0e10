"""Streams for the tests: chunk builders for hand-written streams, the shared
recorded streams with their expected results, the in-process reader (the
real decode pipeline), and one-turn helpers over loopback HTTP."""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog
from _common import API_KEY

from agentkit import AgentkitError, AssistantMessage, Event, OpenAIChatModel, StreamAccumulator
from agentkit._decode import TurnDecoder
from agentkit.testing import ScriptedResponse, Step, sse_bytes

SHARED_STREAMS_ENV = "AGENTKIT_SHARED_STREAMS"
"""Environment variable that overrides where the shared recorded streams live."""

MESSAGES = [{"role": "user", "content": "Hi"}]


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


def role() -> dict[str, Any]:
    """The first chunk of a turn: the assistant role, no content."""
    return chunk({"role": "assistant", "content": None})


def call_start(index: int, call_id: str, name: str, arguments: str = "") -> dict[str, Any]:
    """The first fragment of a tool call: index, id, name (and maybe arguments)."""
    return calls(call(index, id=call_id, name=name, arguments=arguments))


def call_args(index: int, arguments: str) -> dict[str, Any]:
    """A later fragment of a tool call's arguments."""
    return calls(call(index, arguments=arguments))


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
    complete: bool
    accumulator: StreamAccumulator

    @property
    def event_dicts(self) -> list[dict[str, Any]]:
        return [event.to_dict() for event in self.events]


def read_in_process(data: bytes, cuts: Iterable[int] = ()) -> Reading:
    """Feed ``data`` to the turn decoder in pieces cut at ``cuts``, then end
    the body, exactly as `StreamedTurn` does."""
    bounds = [0, *sorted(set(cuts)), len(data)]
    decoder = TurnDecoder()
    events: list[Event] = []
    for start, end in itertools.pairwise(bounds):
        if end > start:
            events += decoder.feed(data[start:end])
    events += decoder.end()
    return Reading(events, decoder.message, decoder.complete, decoder.accumulator)


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


async def read_into(received: bytearray, pieces: AsyncIterator[bytes]) -> None:
    """Append every piece to ``received`` (kept when reading fails midway)."""
    async for piece in pieces:
        received += piece
