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
6. A call to a tool with ``needs_approval`` is validated, then waits for its
   decision (the approver's, or a resume's) before it may start; it never
   holds up the other calls. Without an approver it stays *pending*: it is
   part of the turn's message but has no result, and the run pauses.
7. After `stop` (the run has its final result) no further call starts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.abc

from ._approval import Approval, ApprovalGate, ApprovalRequest, denied_output
from ._context import RunContext
from ._delivery import EventSink
from ._errors import ApproverError, ToolError, ToolExecutionError
from ._events import ApprovalRequested, ApprovalResolved, Event, ToolResult
from ._logging import get_logger
from ._messages import ToolCall
from ._result import ToolCallRecord
from ._slots import ToolSlots
from ._tracing import NO_TRACE, RunTrace
from .tools import Tool, ToolOutcome, ToolRegistry

__all__ = ["CallEnvironment", "TurnToolCalls"]


@dataclass(frozen=True, slots=True)
class CallEnvironment:
    """What every tool call of a run shares."""

    registry: ToolRegistry
    task_group: anyio.abc.TaskGroup
    """The run's task group: every call runs in a task of it."""
    limiter: ToolSlots
    sink: EventSink
    abort: Callable[[Exception], None]
    """Stops the whole run with an error (a callback or the approver failed)."""
    flush_events: Callable[[], Awaitable[None]]
    gate: ApprovalGate
    eager: bool = True
    trace: RunTrace = NO_TRACE


@dataclass(slots=True)
class _Started:
    call: ToolCall
    record: ToolCallRecord | None = None
    pending: bool = False


class TurnToolCalls:
    """Schedules the calls of one turn in the run's task group; `settle`
    waits for them. (One task group per run, not per turn: entering one
    costs about as much as streaming a few chunks.)"""

    def __init__(
        self,
        environment: CallEnvironment,
        context: RunContext[Any],
        turn: int,
    ) -> None:
        self._env = environment
        self._context = context
        self._turn = turn
        self._started: dict[str, _Started] = {}
        self._deferred: list[ToolCall] = []
        self._stopped = False
        self._running = 0
        self._settled: anyio.Event | None = None
        # Approval requests are made in the order the calls became ready:
        # each waits for the previous one's turn (tasks start in any order).
        self._last_in_line: anyio.Event | None = None

    def on_ready(self, call: ToolCall) -> None:
        """A call was sealed: start it now, or defer it to the turn's end."""
        if self._env.eager and self._is_eager_tool(call.name):
            self._start(call)
        else:
            self._deferred.append(call)

    def start_deferred(self) -> None:
        """The turn finished normally: start every deferred call."""
        deferred, self._deferred = self._deferred, []
        for call in deferred:
            self._start(call)

    def start_decided(self, call: ToolCall, approval: Approval) -> None:
        """Start a call that waited for approval, with its decision."""
        self._start(call, approval)

    async def settle(self) -> None:
        """Wait until every call started so far has finished."""
        while self._running:
            self._settled = anyio.Event()
            await self._settled.wait()

    def stop(self) -> None:
        """Start no further call (those already started finish)."""
        self._stopped = True
        self._deferred.clear()

    def records(self) -> list[ToolCallRecord]:
        """Results of the calls that ran, in call (index) order."""
        done = [started for started in self._started.values() if started.record is not None]
        done.sort(key=lambda started: started.call.index)
        return [started.record for started in done if started.record is not None]

    def executed_calls(self) -> list[ToolCall]:
        """The calls that were started (pending ones included), in call order."""
        return sorted((s.call for s in self._started.values()), key=lambda call: call.index)

    def pending(self) -> list[ApprovalRequest]:
        """The calls waiting for a decision (the run pauses), in call order."""
        waiting = sorted(
            (s.call for s in self._started.values() if s.pending), key=lambda call: call.index
        )
        return [ApprovalRequest(call.id, call.name, call.arguments) for call in waiting]

    def _is_eager_tool(self, name: str) -> bool:
        tool = self._env.registry.get(name)
        return tool is None or tool.eager

    def _start(self, call: ToolCall, approval: Approval | None = None) -> None:
        if self._stopped or call.id in self._started:  # the same call sent twice
            return
        self._started[call.id] = _Started(call)
        tool = self._env.registry.get(call.name)
        line: tuple[anyio.Event | None, anyio.Event] | None = None
        if approval is None and tool is not None and tool.needs_approval is not False:
            line = (self._last_in_line, anyio.Event())
            self._last_in_line = line[1]
        self._running += 1
        self._env.task_group.start_soon(
            self._execute, call, approval, line, name=f"agentkit tool {call.name}"
        )

    async def _execute(
        self,
        call: ToolCall,
        approval: Approval | None,
        line: tuple[anyio.Event | None, anyio.Event] | None,
    ) -> None:
        try:
            await self._decide_and_run(call, approval, line)
        finally:
            self._running -= 1
            if not self._running and self._settled is not None:
                self._settled.set()

    async def _decide_and_run(
        self,
        call: ToolCall,
        approval: Approval | None,
        line: tuple[anyio.Event | None, anyio.Event] | None,
    ) -> None:
        tool = self._env.registry.get(call.name)
        if line is not None and tool is not None:
            previous, mine = line
            try:
                if previous is not None:
                    await previous.wait()
                decision = await self._approval(call, tool)
            finally:
                mine.set()
            if decision is None:
                self._started[call.id].pending = True
                return
            if isinstance(decision, ToolOutcome):  # deciding failed: never run it
                await self._finish(call, self._record(call, decision, 0.0))
                return
            approval = decision
        if approval is not None and not approval.approved:
            record = self._record(call, ToolOutcome(denied_output(approval)), 0.0)
        else:
            async with self._env.limiter:
                with self._env.trace.tool(call, self._turn) as tool_trace:
                    record = await self._run_call(call)
                    tool_trace.finished(record)
        await self._finish(call, record)

    async def _finish(self, call: ToolCall, record: ToolCallRecord) -> None:
        self._started[call.id].record = record
        await self._env.flush_events()  # what the tool emitted comes before its result
        await self._emit(
            ToolResult(call.id, call.name, record.output, record.is_error, record.duration)
        )

    async def _approval(
        self, call: ToolCall, tool: Tool[..., Any]
    ) -> Approval | ToolOutcome | None:
        """The decision about ``call``: approved when it needs none (or when
        its arguments are invalid: running it reports them without calling
        the tool), an error outcome when deciding failed, None while it waits
        for a resume."""
        context = self._context.for_call(call.id, call.name)
        try:
            tool.parse_arguments(call.arguments)
        except ToolError:
            return Approval(True)
        try:
            if not await tool.requires_approval(context, json.loads(call.arguments or "{}")):
                return Approval(True)
        except ToolError as error:
            return ToolOutcome.failure(error)
        request = ApprovalRequest(call.id, call.name, call.arguments)
        await self._emit(ApprovalRequested(call.id, call.name, call.arguments))
        if self._env.gate.pauses:
            return None
        try:
            decision = await self._env.gate.ask(request)
        except ApproverError as error:
            self._env.abort(error)
            return None
        await self._emit(ApprovalResolved(call.id, decision.approved, decision.reason))
        return decision

    async def _emit(self, event: Event) -> None:
        try:
            await self._env.sink(event)
        except Exception as error:  # a callback failed: the run stops, not this task group
            self._env.abort(error)

    async def _run_call(self, call: ToolCall) -> ToolCallRecord:
        logger = get_logger(
            "agentkit.run", run_id=self._context.run_id, turn=self._turn, tool=call.name
        )
        logger.debug("tool.start", tool_call_id=call.id)
        started_at = time.monotonic()
        context = self._context.for_call(call.id, call.name)
        try:
            outcome = await self._env.registry.execute(call.name, call.arguments, context)
        except Exception as error:  # a bug below the tool's own handling: fail the call only
            logger.error("tool.failed", tool_call_id=call.id, exc_info=error)
            outcome = ToolOutcome.failure(_unexpected(call.name, error))
        duration = time.monotonic() - started_at
        logger.info(
            "tool.end", tool_call_id=call.id, duration=round(duration, 4), is_error=outcome.is_error
        )
        return self._record(call, outcome, duration)

    def _record(self, call: ToolCall, outcome: ToolOutcome, duration: float) -> ToolCallRecord:
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
