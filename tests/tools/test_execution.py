"""Running tools: sync functions in worker threads, async ones on the loop,
timeouts, exceptions, cancellation, the run context, and return values as
tool message content."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.lowlevel
import pytest
import structlog
from pydantic import BaseModel
from structlog.testing import capture_logs

from agentkit import CustomEvent, ToolDefinitionError, ToolExecutionError, ToolTimeoutError
from agentkit.tools import RunContext, Tool, ToolOutcome, tool

CONTEXT: RunContext[None] = RunContext(deps=None, run_id="run-1")


@pytest.fixture
def unconfigured_structlog() -> Iterator[None]:
    """structlog as an application that never configured it (capture_logs
    leaves it marked as configured)."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


# ------------------------------------------------------------ where tools run


@pytest.mark.anyio
async def test_a_sync_tool_runs_in_a_worker_thread_while_the_loop_keeps_serving() -> None:
    loop_thread = threading.get_ident()
    tool_threads: list[int] = []

    @tool
    def blocking(seconds: float) -> str:
        tool_threads.append(threading.get_ident())
        time.sleep(seconds)
        return "done"

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await anyio.sleep(0.01)

    async with anyio.create_task_group() as group:
        group.start_soon(ticker)
        outcome = await blocking.execute('{"seconds": 0.2}', CONTEXT)
        group.cancel_scope.cancel()

    assert outcome == ToolOutcome(output="done", value="done")
    assert tool_threads
    assert tool_threads[0] != loop_thread
    assert ticks >= 5  # the loop ran the ticker while the tool slept in its thread


@pytest.mark.anyio
async def test_an_async_tool_is_awaited_on_the_loop() -> None:
    loop_thread = threading.get_ident()

    @tool
    async def fetch(city: str) -> str:
        await anyio.lowlevel.checkpoint()
        return f"{city}: {threading.get_ident() == loop_thread}"

    assert (await fetch.execute('{"city": "Hue"}', CONTEXT)).output == "Hue: True"


@pytest.mark.anyio
async def test_an_object_with_an_async_call_method_is_awaited() -> None:
    class Lookup:
        __name__ = "lookup"

        async def __call__(self, key: str) -> str:
            return key.upper()

    assert (await Tool(Lookup()).execute('{"key": "a"}', CONTEXT)).output == "A"


# ------------------------------------------------------------------ timeouts


@pytest.mark.anyio
async def test_an_async_tool_that_runs_too_long_times_out() -> None:
    finished = False

    @tool(timeout=0.05)
    async def slow() -> str:
        nonlocal finished
        await anyio.sleep(5)
        finished = True
        return "late"

    started = time.monotonic()
    outcome = await slow.execute("{}", CONTEXT)

    assert time.monotonic() - started < 1
    assert outcome.is_error
    assert not finished
    assert isinstance(outcome.error, ToolTimeoutError)
    assert outcome.error.seconds == 0.05
    assert outcome.output == (
        "Tool 'slow' did not finish within its 0.05 s timeout; its result is discarded."
    )


@pytest.mark.anyio
async def test_a_sync_tool_that_runs_too_long_times_out_without_blocking_the_run() -> None:
    release = threading.Event()

    @tool(timeout=0.05)
    def stuck() -> str:
        release.wait(2)  # threads cannot be killed: it finishes in the background
        return "late"

    started = time.monotonic()
    outcome = await stuck.execute("{}", CONTEXT)
    release.set()

    assert time.monotonic() - started < 1
    assert isinstance(outcome.error, ToolTimeoutError)


@pytest.mark.anyio
async def test_a_timeout_error_raised_by_the_tool_is_its_own_failure() -> None:
    @tool(timeout=5)
    async def upstream() -> str:
        raise TimeoutError("upstream API timed out")

    outcome = await upstream.execute("{}", CONTEXT)
    assert type(outcome.error) is ToolExecutionError
    assert outcome.output == "Tool 'upstream' failed: TimeoutError: upstream API timed out"


@pytest.mark.parametrize("timeout", [0, -1, float("inf"), float("nan"), "5", True])
def test_a_timeout_must_be_a_positive_number(timeout: Any) -> None:
    with pytest.raises(ToolDefinitionError, match="timeout"):
        Tool(lambda: None, name="x", timeout=timeout)


# ---------------------------------------------------------------- exceptions


def explode(city: str) -> str:
    raise LookupError(f"city {city!r} not found\n(checked 3 sources)")


@pytest.mark.anyio
async def test_an_exception_becomes_a_short_error_for_the_model() -> None:
    outcome = await tool(explode).execute('{"city": "Atlantis"}', CONTEXT)

    assert outcome.is_error
    assert isinstance(outcome.error, ToolExecutionError)
    assert isinstance(outcome.error.__cause__, LookupError)
    assert outcome.output == (
        "Tool 'explode' failed: LookupError: city 'Atlantis' not found (checked 3 sources)"
    )
    assert "Traceback" not in outcome.output


@pytest.mark.anyio
@pytest.mark.usefixtures("unconfigured_structlog")
async def test_the_traceback_goes_to_the_structlog_log() -> None:
    with capture_logs() as logs:
        await tool(explode).execute('{"city": "Atlantis"}', CONTEXT.for_call("call_1", "explode"))

    [entry] = logs
    assert entry["event"] == "tool.failed"
    assert entry["log_level"] == "error"
    assert entry["tool"] == "explode"
    assert entry["run_id"] == "run-1"
    assert entry["tool_call_id"] == "call_1"
    assert isinstance(entry["exc_info"], LookupError)
    assert entry["exc_info"].__traceback__ is not None


@pytest.mark.anyio
@pytest.mark.usefixtures("unconfigured_structlog")
async def test_without_structlog_configured_failures_reach_stdlib_logging(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="agentkit.tools"):
        await tool(explode).execute('{"city": "Atlantis"}', CONTEXT)
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert "tool.failed" in record.getMessage()
    assert "LookupError" in record.getMessage()


@pytest.mark.anyio
async def test_an_exception_in_an_async_tool_is_caught_too() -> None:
    @tool
    async def broken() -> None:
        raise RuntimeError("boom")

    outcome = await broken.execute("{}", CONTEXT)
    assert outcome.output == "Tool 'broken' failed: RuntimeError: boom"


@pytest.mark.anyio
async def test_a_very_long_exception_message_is_cut() -> None:
    @tool
    async def verbose() -> None:
        raise ValueError("x" * 5000)

    outcome = await verbose.execute("{}", CONTEXT)
    assert len(outcome.output) < 600
    assert outcome.output.endswith("…")


# -------------------------------------------------------------- cancellation


@pytest.mark.anyio
async def test_cancellation_propagates_into_an_async_tool() -> None:
    cleaned_up = False

    @tool
    async def waits() -> str:
        nonlocal cleaned_up
        try:
            await anyio.sleep(5)
        finally:
            cleaned_up = True
        return "never"

    outcomes: list[ToolOutcome] = []
    with anyio.move_on_after(0.05) as scope:
        outcomes.append(await waits.execute("{}", CONTEXT))

    assert scope.cancelled_caught
    assert outcomes == []
    assert cleaned_up


@pytest.mark.anyio
async def test_cancellation_does_not_wait_for_a_sync_tool() -> None:
    release = threading.Event()

    @tool
    def stuck() -> None:
        release.wait(2)

    started = time.monotonic()
    with anyio.move_on_after(0.05) as scope:
        await stuck.execute("{}", CONTEXT)
    release.set()

    assert scope.cancelled_caught
    assert time.monotonic() - started < 1


# --------------------------------------------------------------- run context


class Deps:
    def __init__(self) -> None:
        self.user = "lan"


@pytest.mark.anyio
async def test_the_run_context_is_injected() -> None:
    events: list[CustomEvent] = []
    context = RunContext(deps=Deps(), run_id="run-7", _emitter=events.append)

    @tool
    async def whoami(ctx: RunContext[Deps], greeting: str) -> str:
        ctx.emit("progress", {"step": 1})
        return f"{greeting} {ctx.deps.user} in {ctx.run_id} ({ctx.tool_call_id})"

    outcome = await whoami.execute('{"greeting": "hi"}', context.for_call("call_9", "whoami"))

    assert outcome.output == "hi lan in run-7 (call_9)"
    assert events == [CustomEvent("progress", {"step": 1})]


@pytest.mark.anyio
async def test_a_sync_tool_can_emit_from_its_thread() -> None:
    events: list[CustomEvent] = []

    @tool
    def work(ctx: RunContext[None], /, steps: int) -> int:
        for step in range(steps):
            ctx.emit("step", step)
        return steps

    outcome = await work.execute('{"steps": 2}', RunContext(deps=None, _emitter=events.append))
    assert outcome.output == "2"
    assert events == [CustomEvent("step", 0), CustomEvent("step", 1)]


# ------------------------------------------------------------- return values


class Color(enum.Enum):
    RED = "red"


class Weather(BaseModel):
    city: str
    celsius: float


@dataclasses.dataclass
class Reading:
    station: str
    values: list[int]


OUTPUTS: list[Any] = [
    pytest.param("31°C, humid", "31°C, humid", id="str as is"),
    pytest.param("", "", id="empty str"),
    pytest.param({"a": 1, "b": [True, None]}, '{"a":1,"b":[true,null]}', id="dict"),
    pytest.param([1, "two", 3.5], '[1,"two",3.5]', id="list"),
    pytest.param((1, 2), "[1,2]", id="tuple"),
    pytest.param(42, "42", id="int"),
    pytest.param(2.5, "2.5", id="float"),
    pytest.param(True, "true", id="bool"),
    pytest.param(None, "null", id="None"),
    pytest.param(
        Weather(city="Hà Nội", celsius=31), '{"city":"Hà Nội","celsius":31.0}', id="model"
    ),
    pytest.param(Reading("north", [1, 2]), '{"station":"north","values":[1,2]}', id="dataclass"),
    pytest.param(
        {
            "when": datetime.date(2024, 5, 1),
            "id": uuid.UUID(int=1),
            "color": Color.RED,
            "tags": {"x"},
            "nested": [Weather(city="Hue", celsius=30)],
        },
        '{"when":"2024-05-01","id":"00000000-0000-0000-0000-000000000001","color":"red",'
        '"tags":["x"],"nested":[{"city":"Hue","celsius":30.0}]}',
        id="JSON-friendly values inside containers",
    ),
]


@pytest.mark.parametrize(("value", "expected"), OUTPUTS)
def test_return_values_become_tool_message_content(value: Any, expected: str) -> None:
    assert tool(explode).format_output(value) == expected


@pytest.mark.parametrize(
    "value",
    [object(), b"bytes", explode, {"handle": object()}, Weather, iter([1])],
    ids=["object", "bytes", "function", "object in a dict", "class", "iterator"],
)
def test_other_return_values_are_a_clear_error(value: Any) -> None:
    with pytest.raises(ToolExecutionError, match="cannot be sent to the model") as caught:
        tool(explode).format_output(value)
    assert caught.value.tool_name == "explode"


@pytest.mark.anyio
async def test_an_unsupported_return_value_is_an_error_outcome() -> None:
    @tool
    def handle() -> object:
        return object()

    outcome = await handle.execute("{}", CONTEXT)
    assert outcome.is_error
    assert outcome.output.startswith("Tool 'handle' returned a object, which cannot be sent")


@pytest.mark.anyio
async def test_a_successful_outcome_keeps_the_raw_value() -> None:
    @tool
    def weather(city: str) -> Weather:
        return Weather(city=city, celsius=31)

    outcome = await weather.execute('{"city": "Hue"}', CONTEXT)
    assert outcome == ToolOutcome(
        output='{"city":"Hue","celsius":31.0}', value=Weather(city="Hue", celsius=31)
    )
    assert outcome.error is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        outcome.output = "changed"  # type: ignore[misc]


# ------------------------------------------------------------ direct calls


@pytest.mark.anyio
async def test_run_takes_parsed_arguments() -> None:
    @tool
    def add(a: int, b: int = 1) -> int:
        return a + b

    assert await add.run(add.parse_arguments('{"a": 2}'), CONTEXT) == 3
    assert await add.run({"a": 2, "b": 5}, CONTEXT) == 7
