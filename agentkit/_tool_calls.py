"""The tool calls of one turn: started eagerly when sealed, or after the turn,
run under a concurrency limit, never twice, their results kept in call order.

Rules (see docs/streaming.md "Eager tool execution"):

1. A call may start only after the accumulator reported it *ready* (sealed
   by structure: a later call began and its arguments are a complete JSON
   object, or the turn finished normally). Never on "the JSON parses" alone.
2. An eager call (the default) starts at once, while the model streams on.
3. A call to a tool declared ``eager=False`` (or every call when the agent
   has ``eager_tools=False``) starts only after the turn finished normally.
4. If the turn does not finish normally (``length``, ``content_filter``, a
   broken stream), calls already started run to completion and are kept;
   deferred calls are dropped, never run.
5. A call id is executed at most once per turn, and a turn is streamed again
   only when none of its calls started, so no call ever runs twice. The same
   id in a later turn is a new call: many servers number calls per turn
   (``call_0``, ``call_1``...).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.abc

from ._context import RunContext
from ._delivery import EventSink
from ._errors import ToolExecutionError
from ._events import ToolResult
from ._logging import get_logger
from ._messages import ToolCall
from ._result import ToolCallRecord
from ._tracing import NO_TRACE, RunTrace
from .tools import ToolOutcome, ToolRegistry

__all__ = ["TurnToolCalls"]


@dataclass(slots=True)
class _Started:
    call: ToolCall
    record: ToolCallRecord | None = None


class TurnToolCalls:
    """Schedules the calls of one turn inside ``task_group``."""

    def __init__(
        self,
        *,
        task_group: anyio.abc.TaskGroup,
        registry: ToolRegistry,
        context: RunContext[Any],
        limiter: anyio.CapacityLimiter,
        sink: EventSink,
        on_sink_error: Any,
        eager: bool,
        turn: int,
        flush_events: Callable[[], Awaitable[None]],
        trace: RunTrace = NO_TRACE,
    ) -> None:
        self._task_group = task_group
        self._registry = registry
        self._context = context
        self._limiter = limiter
        self._sink = sink
        self._on_sink_error = on_sink_error
        self._eager = eager
        self._turn = turn
        self._flush_events = flush_events
        self._trace = trace
        self._started: dict[str, _Started] = {}
        self._deferred: list[ToolCall] = []

    def on_ready(self, call: ToolCall) -> None:
        """A call was sealed: start it now, or defer it to the turn's end."""
        if self._eager and self._is_eager_tool(call.name):
            self._start(call)
        else:
            self._deferred.append(call)

    def start_deferred(self) -> None:
        """The turn finished normally: start every deferred call."""
        deferred, self._deferred = self._deferred, []
        for call in deferred:
            self._start(call)

    def records(self) -> list[ToolCallRecord]:
        """Results of the calls that ran, in call (index) order."""
        done = [started for started in self._started.values() if started.record is not None]
        done.sort(key=lambda started: started.call.index)
        return [started.record for started in done if started.record is not None]

    def executed_calls(self) -> list[ToolCall]:
        """The calls that were started, in call order."""
        return sorted((s.call for s in self._started.values()), key=lambda call: call.index)

    def _is_eager_tool(self, name: str) -> bool:
        tool = self._registry.get(name)
        return tool is None or tool.eager

    def _start(self, call: ToolCall) -> None:
        if call.id in self._started:  # the provider sent the same call twice
            return
        self._started[call.id] = _Started(call)
        self._task_group.start_soon(self._execute, call, name=f"agentkit tool {call.name}")

    async def _execute(self, call: ToolCall) -> None:
        async with self._limiter:
            with self._trace.tool(call, self._turn) as tool_trace:
                record = await self._run_call(call)
                tool_trace.finished(record)
        self._started[call.id].record = record
        await self._flush_events()  # what the tool emitted comes before its result
        try:
            await self._sink(
                ToolResult(call.id, call.name, record.output, record.is_error, record.duration)
            )
        except Exception as error:  # a callback failed: the run stops, not this task group
            self._on_sink_error(error)

    async def _run_call(self, call: ToolCall) -> ToolCallRecord:
        logger = get_logger(
            "agentkit.run", run_id=self._context.run_id, turn=self._turn, tool=call.name
        )
        logger.debug("tool.start", tool_call_id=call.id)
        started_at = time.monotonic()
        context = self._context.for_call(call.id, call.name)
        try:
            outcome = await self._registry.execute(call.name, call.arguments, context)
        except Exception as error:  # a bug below the tool's own handling: fail the call only
            logger.error("tool.failed", tool_call_id=call.id, exc_info=error)
            outcome = ToolOutcome.failure(_unexpected(call.name, error))
        duration = time.monotonic() - started_at
        logger.info(
            "tool.end", tool_call_id=call.id, duration=round(duration, 4), is_error=outcome.is_error
        )
        return ToolCallRecord(
            id=call.id,
            name=call.name,
            arguments=call.arguments,
            output=outcome.output,
            is_error=outcome.is_error,
            duration=duration,
            turn=self._turn,
            error=outcome.error,
            value=outcome.value,
        )


def _unexpected(name: str, error: Exception) -> ToolExecutionError:
    failure = ToolExecutionError(
        f"Tool {name!r} failed unexpectedly ({type(error).__name__}).", tool_name=name
    )
    failure.__cause__ = error
    return failure
