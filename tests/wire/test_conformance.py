"""Conformance: recorded provider streams, served over real HTTP by
`ScriptedServer` and read through `OpenAIChatModel.stream`, accumulate to
their ``.expected.json``; re-splitting their bytes anywhere changes nothing.
Inline streams cover dialects the recordings lack.

The recordings live in the shared streams directory (``../shared/streams``
next to the repository, or ``$AGENTKIT_SHARED_STREAMS``). If it is missing,
these tests fail: they never skip.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _common import ASYNC_TESTS, make_model
from _streams import (
    SHARED_STREAMS_ENV,
    Reading,
    call,
    calls,
    chunk,
    failed_turn,
    finish,
    load_expected,
    read_in_process,
    run_turn,
    shared_stream_files,
    shared_streams_dir,
    sse,
    summary,
    text,
    usage_only,
    watch_logs_for_key,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentkit import AssistantMessage, Event, ProviderStreamError, _chunks
from agentkit.testing import ScriptedServer, raw_response

pytestmark = ASYNC_TESTS

MINIMUM_SHARED_STREAMS = 14

STREAM_FILES = shared_stream_files()


@pytest.fixture(autouse=True)
def _no_key_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield from watch_logs_for_key(caplog)


def _missing_message() -> str:
    return (
        f"No shared recorded streams in {shared_streams_dir()}: the conformance "
        f"tests need the *.sse files and their .expected.json. Put the shared "
        f"directory next to the repository (../shared/streams) or point "
        f"{SHARED_STREAMS_ENV} at it."
    )


def stream_params() -> list[Any]:
    """One parameter per recording; a single failing one if there are none
    (an empty parameter list would make pytest skip, silently)."""
    if not STREAM_FILES:
        return [pytest.param(None, id="shared-streams-missing")]
    return [pytest.param(path, id=path.name) for path in STREAM_FILES]


def require(path: Path | None) -> Path:
    if path is None:
        pytest.fail(_missing_message())
    return path


_SYNTHETIC_ID = re.compile(r"call_[0-9a-f]{24}")


def comparable(events: list[Event], data: bytes) -> list[dict[str, Any]]:
    """Events as dicts, with ids agentkit made up (for providers that send
    none) replaced by their order of appearance, so two readings compare."""
    names: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        found = match.group(0)
        if found.encode() in data:
            return found
        return names.setdefault(found, f"synthetic-{len(names)}")

    encoded = json.dumps([event.to_dict() for event in events])
    return list(json.loads(_SYNTHETIC_ID.sub(rename, encoded)))


async def read_over_http(data: bytes, cuts: list[int] | None = None) -> Reading:
    async with (
        ScriptedServer([raw_response(data, pieces=cuts or [])]) as server,
        make_model(server) as model,
        model.stream([{"role": "user", "content": "Hi"}]) as turn,
    ):
        events = [event async for event in turn]
    return Reading(events, turn.message, True, turn.accumulator)


# ------------------------------------------------------- shared recordings


def test_shared_streams_directory_has_the_recordings() -> None:
    assert STREAM_FILES, _missing_message()
    assert len(STREAM_FILES) >= MINIMUM_SHARED_STREAMS, (
        f"Expected at least {MINIMUM_SHARED_STREAMS} *.sse files in {shared_streams_dir()}, "
        f"found {len(STREAM_FILES)}."
    )
    for path in STREAM_FILES:
        expected = path.with_name(path.name[: -len(".sse")] + ".expected.json")
        assert expected.is_file(), f"{path.name} has no {expected.name}"


@pytest.mark.parametrize("path", stream_params())
async def test_recorded_stream_over_http(path: Path | None) -> None:
    path = require(path)
    data = path.read_bytes()
    reading = await read_over_http(data)
    assert summary(reading.message) == load_expected(path)
    # Nothing left half-done: every call the message holds was announced ready.
    assert reading.accumulator.pending_tool_calls == ()
    ready = [e for e in reading.events if e.type == "tool_call.ready"]
    assert len(ready) == len(reading.message.tool_calls)
    # Events and message agree.
    texts = "".join(e.text for e in reading.events if e.type == "text.delta")  # type: ignore[union-attr]
    assert texts == reading.message.content
    thoughts = "".join(e.text for e in reading.events if e.type == "reasoning.delta")  # type: ignore[union-attr]
    assert thoughts == reading.message.reasoning
    # And the HTTP path matches the in-process decoder + accumulator.
    assert comparable(reading.events, data) == comparable(read_in_process(data).events, data)


@pytest.mark.parametrize("path", stream_params())
def test_recorded_stream_in_process(path: Path | None) -> None:
    path = require(path)
    reading = read_in_process(path.read_bytes())
    assert reading.complete
    assert summary(reading.message) == load_expected(path)


def _json_parsers() -> list[Any]:
    parsers = [pytest.param(_chunks.scan_loads, id="stdlib")]
    try:
        import orjson
    except ImportError:
        return parsers
    return [*parsers, pytest.param(orjson.loads, id="orjson")]


@pytest.mark.parametrize("loads", _json_parsers())
@pytest.mark.parametrize("path", stream_params())
def test_recorded_stream_with_each_json_parser(
    path: Path | None, loads: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fast path parses with orjson when it is installed, else with the
    # standard library's scanner: both read every stream the same.
    path = require(path)
    monkeypatch.setattr(_chunks, "fast_loads", loads)
    reading = read_in_process(path.read_bytes())
    assert reading.complete
    assert summary(reading.message) == load_expected(path)


@pytest.mark.parametrize("path", stream_params())
def test_recorded_stream_with_crlf_and_no_space(path: Path | None) -> None:
    # The same stream with CRLF line endings and no space after "data:".
    path = require(path)
    data = path.read_bytes().replace(b"data: ", b"data:").replace(b"\n", b"\r\n")
    assert summary(read_in_process(data).message) == load_expected(path)


# -------------------------------------------------------------- properties

# None stands for "no recordings": the test body then fails with the reason.
_files = st.sampled_from(STREAM_FILES) if STREAM_FILES else st.just(None)
_REFERENCE: dict[Path, tuple[list[dict[str, Any]], AssistantMessage]] = {}


def reference(path: Path) -> tuple[list[dict[str, Any]], AssistantMessage]:
    """The unsplit reading of a recording (in process; the HTTP reading is
    checked against it by `test_recorded_stream_over_http`)."""
    if path not in _REFERENCE:
        data = path.read_bytes()
        reading = read_in_process(data)
        _REFERENCE[path] = (comparable(reading.events, data), reading.message)
    return _REFERENCE[path]


@st.composite
def split_recordings(draw: st.DrawFn, max_cuts: int) -> tuple[Path | None, bytes, list[int]]:
    path = draw(_files)
    if path is None:
        return None, b"", []
    data = path.read_bytes()
    cuts = draw(st.lists(st.integers(1, len(data) - 1), max_size=max_cuts))
    # Cuts near event boundaries and inside multi-byte characters are the
    # interesting ones: aim some at them.
    boundaries = [m.start() for m in re.finditer(rb"\n\n|[\xc0-\xff]", data)]
    if boundaries:
        near = draw(st.lists(st.sampled_from(boundaries), max_size=4))
        cuts += [min(len(data) - 1, b + draw(st.integers(0, 2))) for b in near]
    return path, data, sorted(set(cuts))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=split_recordings(max_cuts=12))
async def test_resplit_over_http_changes_nothing(
    case: tuple[Path | None, bytes, list[int]], anyio_backend: str
) -> None:
    path, data, cuts = require(case[0]), case[1], case[2]
    expected_events, expected_message = reference(path)
    reading = await read_over_http(data, cuts)
    assert comparable(reading.events, data) == expected_events
    assert reading.message == expected_message or summary(reading.message) == summary(
        expected_message
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=split_recordings(max_cuts=60))
def test_resplit_in_process_changes_nothing(case: tuple[Path | None, bytes, list[int]]) -> None:
    path, data, cuts = require(case[0]), case[1], case[2]
    expected_events, expected_message = reference(path)
    reading = read_in_process(data, cuts)
    assert comparable(reading.events, data) == expected_events
    assert summary(reading.message) == summary(expected_message)


def test_missing_directory_fails_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(SHARED_STREAMS_ENV, str(tmp_path / "nowhere"))
    assert shared_streams_dir() == tmp_path / "nowhere"
    assert shared_stream_files() == []
    assert "AGENTKIT_SHARED_STREAMS" in _missing_message()
    with pytest.raises(pytest.fail.Exception, match="No shared recorded streams"):
        require(None)


# ------------------------------------------------------- inline dialects


def _mistral_thinking() -> bytes:
    def part(kind: str, value: str) -> dict[str, Any]:
        if kind == "thinking":
            return {"type": "thinking", "thinking": [{"type": "text", "text": value}]}
        return {"type": "text", "text": value}

    return sse(
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": ""}, p="abcdef"),
        chunk({"content": [part("thinking", "17 * 23")]}, p="ab"),
        chunk({"content": [part("thinking", " = 391.")]}),
        chunk({"content": [part("thinking", " Sure."), part("text", "3")]}),
        chunk(
            {"content": "91"},
            "stop",
            usage={"prompt_tokens": 28, "completion_tokens": 139, "total_tokens": 167},
        ),
    )


DIALECTS: list[tuple[str, bytes, dict[str, Any]]] = [
    (
        "mistral-content-parts-with-thinking",
        _mistral_thinking(),
        {
            "content": "391",
            "reasoning": "17 * 23 = 391. Sure.",
            "tool_calls": [],
            "finish_reason": "stop",
            "usage": {"prompt_tokens": 28, "completion_tokens": 139, "total_tokens": 167},
        },
    ),
    (
        "no-index-calls-keyed-by-id",
        sse(
            chunk({"role": "assistant", "content": ""}),
            calls(
                call(None, id="gSIMJiOkT", name="weather", arguments='{"location": "Paris"}'),
                call(None, id="hTJNKjPlU", name="time", arguments='{"tz": "CET"}'),
                finish_reason="tool_calls",
            )
            | {"usage": {"prompt_tokens": 124, "total_tokens": 146, "completion_tokens": 22}},
        ),
        {
            "content": "",
            "reasoning": "",
            "tool_calls": [
                {"id": "gSIMJiOkT", "name": "weather", "arguments": {"location": "Paris"}},
                {"id": "hTJNKjPlU", "name": "time", "arguments": {"tz": "CET"}},
            ],
            "finish_reason": "tool_calls",
            "usage": {"prompt_tokens": 124, "total_tokens": 146, "completion_tokens": 22},
        },
    ),
    (
        "arguments-as-an-object",
        sse(
            calls(call(0, id="call_obj", name="search", arguments={"q": "café", "n": 3})),
            finish("tool_calls"),
            usage_only(5, 6),
        ),
        {
            "content": "",
            "reasoning": "",
            "tool_calls": [
                {"id": "call_obj", "name": "search", "arguments": {"q": "café", "n": 3}}
            ],
            "finish_reason": "tool_calls",
            "usage": {"prompt_tokens": 5, "completion_tokens": 6, "total_tokens": 11},
        },
    ),
    (
        "usage-only-on-the-finish-chunk-and-null-elsewhere",
        sse(
            chunk({"role": "assistant", "content": None, "reasoning_content": ""}, usage=None),
            chunk({"content": None, "reasoning_content": "Think."}, usage=None),
            chunk({"content": "Answer."}, usage=None),
            chunk(
                {"content": "", "reasoning_content": None},
                "stop",
                usage={"prompt_tokens": 87, "completion_tokens": 2, "total_tokens": 89},
            ),
        ),
        {
            "content": "Answer.",
            "reasoning": "Think.",
            "tool_calls": [],
            "finish_reason": "stop",
            "usage": {"prompt_tokens": 87, "completion_tokens": 2, "total_tokens": 89},
        },
    ),
    (
        "placeholder-first-chunk",
        sse(
            {
                "choices": [],
                "created": 0,
                "id": "",
                "model": "",
                "object": "",
                "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
            },
            {
                "choices": [
                    {
                        "delta": {"content": "Hello", "role": "assistant"},
                        "finish_reason": None,
                        "index": 0,
                        "content_filter_results": {},
                    }
                ],
                "id": "chatcmpl-123",
                "model": "actual-model",
                "object": "chat.completion.chunk",
            },
            {"choices": [{"delta": {}, "finish_reason": "stop", "index": 0}], "id": "chatcmpl-123"},
            {
                "choices": [],
                "id": "chatcmpl-123",
                "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11},
            },
        ),
        {
            "content": "Hello",
            "reasoning": "",
            "tool_calls": [],
            "finish_reason": "stop",
            "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11},
        },
    ),
    (
        "anthropic-tool-calls-from-index-1",
        sse(
            chunk({"role": "assistant"}),
            text("Reading"),
            text(" it."),
            calls(call(1, id="toolu_01", name="read_file", arguments="")),
            calls(call(1, arguments="")),
            calls(call(1, arguments='{"pa')),
            calls(call(1, arguments='th": "a.txt"}')),
            finish("tool_calls"),
        ),
        {
            "content": "Reading it.",
            "reasoning": "",
            "tool_calls": [{"id": "toolu_01", "name": "read_file", "arguments": {"path": "a.txt"}}],
            "finish_reason": "tool_calls",
            "usage": None,
        },
    ),
    (
        "crlf-line-endings",
        sse(text("line one\n"), text("line two"), finish("stop"), eol="\r\n"),
        {
            "content": "line one\nline two",
            "reasoning": "",
            "tool_calls": [],
            "finish_reason": "stop",
            "usage": None,
        },
    ),
    (
        "cr-only-line-endings-and-bom",
        b"\xef\xbb\xbf" + sse(text("a"), text("b"), finish("stop"), eol="\r"),
        {
            "content": "ab",
            "reasoning": "",
            "tool_calls": [],
            "finish_reason": "stop",
            "usage": None,
        },
    ),
    (
        "data-without-space",
        sse(text("x"), finish("stop")).replace(b"data: ", b"data:"),
        {"content": "x", "reasoning": "", "tool_calls": [], "finish_reason": "stop", "usage": None},
    ),
    (
        "comments-keep-alives-and-other-fields",
        b": OPENROUTER PROCESSING\n\n"
        + b": ping\n\n"
        + b"id: 1\nevent: message\nretry: 3000\n"
        + sse(text("Hi"), done=False)
        + b": ping - 2025-01-01 00:00:00\n\n"
        + b"event: ping\ndata: {}\n\n"
        + sse(chunk({"reasoning": "r"}), finish("stop"), done=False)
        + b"data: [DONE]   \n\n",
        {
            "content": "Hi",
            "reasoning": "r",
            "tool_calls": [],
            "finish_reason": "stop",
            "usage": None,
        },
    ),
    (
        "groq-usage-only-in-x-groq",
        sse(
            text("fast"),
            finish(
                "stop",
                x_groq={
                    "id": "req_1",
                    "usage": {
                        "queue_time": 0.01,
                        "prompt_tokens": 3,
                        "completion_tokens": 1,
                        "total_tokens": 4,
                    },
                },
            ),
        ),
        {
            "content": "fast",
            "reasoning": "",
            "tool_calls": [],
            "finish_reason": "stop",
            "usage": {
                "queue_time": 0.01,
                "prompt_tokens": 3,
                "completion_tokens": 1,
                "total_tokens": 4,
            },
        },
    ),
    (
        "id-and-name-on-every-fragment",
        sse(
            calls(call(0, id="c1", name="lookup", arguments='{"order"')),
            calls(call(0, id="c1", name="lookup", arguments=': "A-1"}')),
            calls(call(1, id="c2", name="lookup", arguments='{"order": "B-2"}')),
            finish("tool_calls"),
        ),
        {
            "content": "",
            "reasoning": "",
            "tool_calls": [
                {"id": "c1", "name": "lookup", "arguments": {"order": "A-1"}},
                {"id": "c2", "name": "lookup", "arguments": {"order": "B-2"}},
            ],
            "finish_reason": "tool_calls",
            "usage": None,
        },
    ),
    (
        "finish-reason-without-done",
        sse(text("ok"), finish("stop"), done=False),
        {
            "content": "ok",
            "reasoning": "",
            "tool_calls": [],
            "finish_reason": "stop",
            "usage": None,
        },
    ),
    (
        "reasoning-sent-twice-under-two-names",
        sse(chunk({"reasoning": "same", "reasoning_content": "same"}), text("x"), finish("stop")),
        {
            "content": "x",
            "reasoning": "same",
            "tool_calls": [],
            "finish_reason": "stop",
            "usage": None,
        },
    ),
    (
        "other-choices-first",
        sse(
            {
                "choices": [
                    {"index": 1, "delta": {"content": "B"}},
                    {"index": 0, "delta": {"content": "A"}},
                ]
            },
            {"choices": [{"index": 1, "delta": {}, "finish_reason": "length"}]},
            finish("stop"),
        ),
        {"content": "A", "reasoning": "", "tool_calls": [], "finish_reason": "stop", "usage": None},
    ),
]


@pytest.mark.parametrize(("name", "data", "expected"), DIALECTS, ids=[d[0] for d in DIALECTS])
async def test_dialect_over_http(name: str, data: bytes, expected: dict[str, Any]) -> None:
    reading = await read_over_http(data)
    assert summary(reading.message) == expected
    assert comparable(reading.events, data) == comparable(read_in_process(data).events, data)


@pytest.mark.parametrize(("name", "data", "expected"), DIALECTS, ids=[d[0] for d in DIALECTS])
def test_dialect_split_one_byte_at_a_time(name: str, data: bytes, expected: dict[str, Any]) -> None:
    whole = read_in_process(data)
    split = read_in_process(data, range(1, len(data)))
    assert summary(split.message) == expected
    assert comparable(split.events, data) == comparable(whole.events, data)


async def test_error_event_mid_stream() -> None:
    data = (
        sse(text("Partial "), text("answer"), done=False)
        + b"event: error\n"
        + b'data: {"error": {"message": "Overloaded", "type": "overloaded_error"}}\n\n'
        + sse(text("never"))
    )
    async with (
        ScriptedServer([raw_response(data, pieces=[7, 50])]) as server,
        make_model(server) as model,
    ):
        events, error = await failed_turn(model, ProviderStreamError)
    assert [e.to_dict() for e in events] == [
        {"type": "text.delta", "text": "Partial "},
        {"type": "text.delta", "text": "answer"},
    ]
    assert error.error == {"message": "Overloaded", "type": "overloaded_error"}
    assert "Overloaded" in str(error)


async def test_tool_calls_without_any_id() -> None:
    data = sse(
        calls(call(0, name="f", arguments='{"a": 1}')),
        calls(call(1, name="g", arguments="{}")),
        finish("tool_calls"),
    )
    async with ScriptedServer([raw_response(data)]) as server, make_model(server) as model:
        events, message = await run_turn(model)
    ids = [c.id for c in message.tool_calls]
    assert len(set(ids)) == 2
    assert all(_SYNTHETIC_ID.fullmatch(i) for i in ids)
    for event in events:
        if event.type.startswith("tool_call."):
            assert event.id == ids[event.index]  # type: ignore[union-attr]
