"""The function-calling loop of one run: stream a turn, run its tool calls,
append the results, stream again, until the model answers without calls."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Any, Protocol

import anyio
import anyio.abc

from ._context import RunContext
from ._delivery import EventSink, ToolEventPump
from ._errors import (
    ContentFilterError,
    MaxTurnsExceeded,
    OutputLengthError,
    ProviderStreamError,
    StreamError,
    ToolFailureLimitExceeded,
    attach_result,
)
from ._events import (
    Retry,
    RunFailed,
    RunFinished,
    RunStarted,
    ToolCallReady,
    TurnFinished,
    TurnStarted,
)
from ._logging import get_logger
from ._messages import AssistantMessage, Usage
from ._result import RunResult, ToolCallRecord
from ._tool_calls import TurnToolCalls
from ._tracing import NO_TRACE, RunTrace, Tracer
from .tools import ToolRegistry

__all__ = ["ChatModel", "Run", "RunSettings"]


class ChatModel(Protocol):
    """What the runner needs from a model (`OpenAIChatModel` is one)."""

    def stream(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        **params: Any,
    ) -> Any: ...


@dataclass(frozen=True, slots=True)
class RunSettings:
    """The loop's limits and policies (see `Agent` for each)."""

    max_turns: int = 10
    max_tool_failures: int = 3
    turn_retries: int = 2
    turn_retry_delay: float = 0.5
    eager_tools: bool = True
    max_parallel_tools: int = 8
    raise_on_truncation: bool = False
    model_params: Mapping[str, Any] = dataclasses.field(default_factory=dict)


class BrokenTurn(Enum):
    """What a turn whose stream broke (a `StreamError`) still gives."""

    TAIL_LOST = "tail_lost"
    """The finish chunk arrived; only the tail (usage, ``[DONE]``) was lost.
    The turn is complete: streaming it again would pay for the answer twice
    and could change it."""
    RETRY = "retry"
    """Nothing complete arrived and no call started: stream the turn again."""
    KEEP_CALLS = "keep_calls"
    """Calls already started: keep them and their results (a call never runs
    twice); the turn ends there, with no finish reason."""


def classify_broken_turn(partial: AssistantMessage, *, calls_started: bool) -> BrokenTurn:
    """Decide what a broken turn keeps from its partial message and whether
    any of its tool calls started."""
    if partial.finish_reason not in (None, "error"):
        return BrokenTurn.TAIL_LOST
    if not calls_started:
        return BrokenTurn.RETRY
    return BrokenTurn.KEEP_CALLS


class _RetryTurn(Exception):
    """The stream broke before anything complete arrived: stream the turn again."""

    def __init__(self, error: StreamError, *, discard_partial: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.discard_partial = discard_partial


class Run:
    """One run of an agent. Use `execute` once."""

    def __init__(
        self,
        *,
        model: ChatModel,
        registry: ToolRegistry,
        instructions: str | None,
        messages: list[dict[str, Any]],
        deps: Any,
        sink: EventSink,
        settings: RunSettings,
        run_id: str,
        tracer: Tracer | None = None,
    ) -> None:
        self._model = model
        self._tracer = tracer
        self._trace: RunTrace = NO_TRACE
        self._registry = registry
        self._instructions = instructions
        self._messages = messages
        self._deps = deps
        self._sink = sink
        self._settings = settings
        self.run_id = run_id
        self._usage = Usage()
        self._records: list[ToolCallRecord] = []
        self._turns = 0
        self._last = AssistantMessage()
        self._limiter = anyio.CapacityLimiter(settings.max_parallel_tools)
        self._tools = registry  # the run's tools, sources' included, once opened
        self._definitions: list[dict[str, Any]] | None = None
        self._scope: anyio.CancelScope | None = None
        self._abort_error: Exception | None = None
        self._log = get_logger("agentkit.run", run_id=run_id)

    # ----------------------------------------------------------------- public

    async def execute(self) -> RunResult:
        """Run to the end. Emits ``run.started`` ... ``run.finished`` (or
        ``run.failed``, then raises the error)."""
        if self._tracer is None:
            return await self._execute()
        with self._tracer.run(self.run_id, self._model) as self._trace:
            return await self._execute()

    async def _execute(self) -> RunResult:
        started_at = time.monotonic()
        self._log.info("run.start", messages=len(self._messages))
        await self._sink(RunStarted(self.run_id))
        pump = ToolEventPump()
        error: Exception | None = None
        result: RunResult | None = None
        try:
            async with anyio.create_task_group() as task_group:
                task_group.start_soon(pump.pump, self._sink_or_abort)
                with anyio.CancelScope() as self._scope:
                    try:
                        result = await self._loop_with_tools(pump)
                    except Exception as failure:
                        error = failure
                pump.close()
        finally:
            pump.discard()
        error = self._abort_error or error
        duration = round(time.monotonic() - started_at, 4)
        if error is not None or result is None:
            fatal = error or RuntimeError("run ended without a result")
            if self._turns:
                attach_result(fatal, self._result())
            self._log.warning("run.failed", error=str(fatal), duration=duration)
            self._trace.failed(fatal)
            await self._deliver_failure(fatal)
            raise fatal
        self._log.info(
            "run.end", turns=result.turns, duration=duration, total_tokens=result.usage.total_tokens
        )
        self._trace.finished(result)
        await self._sink(RunFinished(result))
        return result

    # ------------------------------------------------------------------- loop

    async def _loop_with_tools(self, pump: ToolEventPump) -> RunResult:
        """The loop, with the tool sources (MCP servers) open around it."""
        async with AsyncExitStack() as stack:
            self._tools = await self._registry.open(stack)
            self._definitions = self._tools.definitions() or None
            return await self._loop(pump)

    async def _loop(self, pump: ToolEventPump) -> RunResult:
        settings = self._settings
        failed_turns = 0
        for turn in range(1, settings.max_turns + 1):
            self._turns = turn
            await self._sink(TurnStarted(turn))
            message, records = await self._turn_with_retries(turn, pump)
            self._record_turn(message, records)
            await pump.flush()
            await self._sink(TurnFinished(turn, message.finish_reason, message.usage))
            if message.is_truncated:
                return self._truncated(message)
            if not message.tool_calls:
                return self._result()
            failed_turns = failed_turns + 1 if all(r.is_error for r in records) else 0
            if failed_turns >= settings.max_tool_failures:
                raise ToolFailureLimitExceeded.after(
                    failed_turns, records[-1].output, self._result()
                )
        raise MaxTurnsExceeded.after(settings.max_turns, self._result())

    async def _turn_with_retries(
        self, turn: int, pump: ToolEventPump
    ) -> tuple[AssistantMessage, list[ToolCallRecord]]:
        attempt = 0
        while True:
            try:
                return await self._turn(turn, pump)
            except _RetryTurn as retry:
                attempt += 1
                if attempt > self._settings.turn_retries:
                    raise retry.error from retry.error.__cause__
                delay = self._settings.turn_retry_delay * 2 ** (attempt - 1)
                self._log.info("turn.retry", turn=turn, attempt=attempt, reason=str(retry.error))
                event = Retry(attempt, str(retry.error), delay, retry.discard_partial, "turn")
                self._trace.retry(event)
                await self._sink(event)
                await anyio.sleep(delay)

    async def _turn(
        self, turn: int, pump: ToolEventPump
    ) -> tuple[AssistantMessage, list[ToolCallRecord]]:
        """Stream one turn while its calls run; all calls are done on return."""
        started_at = time.monotonic()
        failure: Exception | None = None
        message = AssistantMessage()
        # Failures are raised after the task group, not inside it: they then
        # propagate as themselves instead of inside an ExceptionGroup.
        async with anyio.create_task_group() as task_group:
            calls = self._turn_calls(task_group, turn, pump)
            try:
                message = await self._stream(calls, turn)
            except StreamError as error:
                salvaged = self._salvage(error, calls, turn)
                if salvaged is None:
                    partial = error.partial or AssistantMessage()
                    shown = bool(partial.content or partial.reasoning)
                    failure = _RetryTurn(error, discard_partial=shown)
                else:
                    message = salvaged
            except Exception as error:
                failure = error
                task_group.cancel_scope.cancel()
        if failure is not None:
            raise failure
        self._log.info(
            "turn.end",
            turn=turn,
            finish_reason=message.finish_reason,
            duration=round(time.monotonic() - started_at, 4),
            total_tokens=message.usage.total_tokens if message.usage else None,
        )
        executed = tuple(calls.executed_calls())
        return dataclasses.replace(message, tool_calls=executed), calls.records()

    def _turn_calls(
        self, task_group: anyio.abc.TaskGroup, turn: int, pump: ToolEventPump
    ) -> TurnToolCalls:
        """The scheduler of this turn's tool calls, their context included."""
        history = tuple(MappingProxyType(message) for message in self._messages)
        context: RunContext[Any] = RunContext(
            self._deps, self.run_id, turn, history, _emitter=pump.emit
        )
        return TurnToolCalls(
            task_group=task_group,
            registry=self._tools,
            context=context,
            limiter=self._limiter,
            sink=self._sink,
            on_sink_error=self._abort,
            eager=self._settings.eager_tools,
            turn=turn,
            flush_events=pump.flush,
            trace=self._trace,
        )

    async def _stream(self, calls: TurnToolCalls, turn: int) -> AssistantMessage:
        """Stream the model's turn, handing each ready call to ``calls``."""
        sink = self._sink
        messages = self._request_messages()
        model_turn = self._model.stream(messages, self._definitions, **self._settings.model_params)
        with self._trace.turn(turn, messages) as turn_trace:
            async with model_turn:
                async for event in model_turn:
                    await sink(event)
                    if event.__class__ is ToolCallReady:
                        calls.on_ready(event.call)
                    elif event.__class__ is Retry:
                        self._trace.retry(event)
            message: AssistantMessage = model_turn.message
            turn_trace.finished(message)
        self._keep_what_was_sent(messages, getattr(model_turn, "sent_messages", messages))
        if message.finish_reason == "error":
            error = ProviderStreamError(
                "The provider ended the turn with finish_reason 'error'.",
                error={"finish_reason": "error"},
                payload="",
            )
            error.partial = message
            raise error
        if message.ended_normally:
            calls.start_deferred()
        return message

    def _salvage(
        self, error: StreamError, calls: TurnToolCalls, turn: int
    ) -> AssistantMessage | None:
        """What a broken turn keeps: its message, or None when it must be
        streamed again (see `classify_broken_turn`)."""
        partial = error.partial or AssistantMessage()
        kind = classify_broken_turn(partial, calls_started=bool(calls.executed_calls()))
        if kind is BrokenTurn.TAIL_LOST:
            self._log.warning("turn.tail_lost", turn=turn, error=str(error))
            if partial.ended_normally:
                calls.start_deferred()
            return partial
        if kind is BrokenTurn.RETRY:
            return None
        self._log.warning(
            "turn.interrupted",
            turn=turn,
            error=str(error),
            kept_calls=len(calls.executed_calls()),
        )
        return dataclasses.replace(partial, finish_reason=None)

    # ---------------------------------------------------------------- helpers

    def _request_messages(self) -> list[dict[str, Any]]:
        if not self._instructions:
            return self._messages
        return [{"role": "system", "content": self._instructions}, *self._messages]

    def _keep_what_was_sent(
        self, requested: Sequence[Mapping[str, Any]], sent: Sequence[Mapping[str, Any]]
    ) -> None:
        """Keep the conversation equal to what the request carried: a
        reasoning field the endpoint rejected is left out of it too."""
        offset = len(requested) - len(self._messages)
        for index, message in enumerate(self._messages):
            carried = sent[index + offset]
            if carried is not message:
                self._messages[index] = dict(carried)

    def _record_turn(self, message: AssistantMessage, records: list[ToolCallRecord]) -> None:
        self._last = message
        if message.usage is not None:
            self._usage = self._usage + message.usage
        self._messages.append(message.to_dict())
        for record in records:
            self._messages.append(
                {"role": "tool", "tool_call_id": record.id, "content": record.output}
            )
        self._records.extend(records)

    def _result(self) -> RunResult:
        return RunResult(
            text=self._last.content,
            messages=list(self._messages),
            usage=self._usage,
            turns=self._turns,
            finish_reason=self._last.finish_reason,
            tool_calls=tuple(self._records),
            run_id=self.run_id,
            last_message=self._last,
        )

    def _truncated(self, message: AssistantMessage) -> RunResult:
        result = self._result()
        if not self._settings.raise_on_truncation:
            return result
        if message.is_output_limit:
            raise OutputLengthError.at(str(message.finish_reason), result)
        raise ContentFilterError.at(result)

    async def _sink_or_abort(self, event: Any) -> None:
        try:
            await self._sink(event)
        except Exception as error:
            self._abort(error)

    def _abort(self, error: Exception) -> None:
        """A callback failed in a background task: stop the whole run."""
        if self._abort_error is None:
            self._abort_error = error
        if self._scope is not None:
            self._scope.cancel()

    async def _deliver_failure(self, error: Exception) -> None:
        try:
            await self._sink(RunFailed(error))
        except Exception:  # the failing callback may fail again; the error stands
            self._log.debug("run.failed_event_undelivered")
