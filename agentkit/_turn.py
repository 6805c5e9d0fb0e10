"""One model turn of a run: stream it while its tool calls run, keep what a
broken stream leaves, stream it again when nothing was kept.

The turn hands each ready call to `TurnToolCalls` (eager execution,
approval), routes the structured-output call (``final_result``) to the
output instead, and reports the output as it forms (``output.partial``).
All calls are done when the turn returns.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

import anyio

from ._approval import ApprovalRequest
from ._context import RunContext
from ._delivery import EventSink
from ._errors import ProviderStreamError, StreamError
from ._events import Retry, ToolCallReady
from ._messages import AssistantMessage, ToolCall
from ._output import OutputInvalid, OutputSchema
from ._output_stream import OutputWatcher
from ._result import ToolCallRecord
from ._tool_calls import CallEnvironment, TurnToolCalls

__all__ = [
    "BrokenTurn",
    "ChatModel",
    "OutputCall",
    "TurnOutcome",
    "TurnRequest",
    "TurnRunner",
    "classify_broken_turn",
]


class ChatModel(Protocol):
    """What the runner needs from a model (`OpenAIChatModel` is one)."""

    def stream(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        **params: Any,
    ) -> Any: ...


_OUTPUT_ACCEPTED = "Final result accepted."
_OUTPUT_NOT_USED = "Not used: an earlier call gave the final result."


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


@dataclass(frozen=True, slots=True)
class TurnRequest:
    """What a turn sends (the messages, tools and parameters) and the context
    its tool calls get."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    params: Mapping[str, Any]
    context: RunContext[Any]


@dataclass(frozen=True, slots=True)
class OutputCall:
    """A structured-output call of the turn, with its verdict."""

    call: ToolCall
    value: Any = None
    invalid: OutputInvalid | None = None


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    """What a turn leaves: its message (with every call it processed, the
    output calls included), the results of the calls that ran, the calls
    waiting for approval, and the output calls in call order."""

    message: AssistantMessage
    records: list[ToolCallRecord]
    pending: list[ApprovalRequest]
    output_calls: list[OutputCall]
    sent_messages: Sequence[Mapping[str, Any]]

    @property
    def output(self) -> OutputCall | None:
        """The first valid output call, if any."""
        return next((call for call in self.output_calls if call.invalid is None), None)

    def output_answers(self) -> dict[str, str]:
        """The tool message answering each output call: accepted (the first
        valid one), its problems (an invalid one), or not used (later ones)."""
        answers: dict[str, str] = {}
        accepted = self.output
        for item in self.output_calls:
            if item is accepted:
                answers[item.call.id] = _OUTPUT_ACCEPTED
            elif item.invalid is not None and (
                accepted is None or item.call.index < accepted.call.index
            ):
                answers[item.call.id] = item.invalid.feedback
            else:
                answers[item.call.id] = _OUTPUT_NOT_USED
        return answers


class _RetryTurn(Exception):
    """The stream broke before anything complete arrived: stream the turn again."""

    def __init__(self, error: StreamError, *, discard_partial: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.discard_partial = discard_partial


@dataclass(frozen=True, slots=True)
class TurnRunner:
    """Streams the turns of one run."""

    model: ChatModel
    calls: CallEnvironment
    sink: EventSink
    log: Any
    retries: int
    retry_delay: float
    output: OutputSchema[Any] | None = None

    async def run(self, turn: int, request: TurnRequest) -> TurnOutcome:
        """Stream turn ``turn`` (streamed again after a break that kept
        nothing, up to ``retries`` times)."""
        attempt = 0
        while True:
            try:
                return await self._attempt(turn, request)
            except _RetryTurn as retry:
                attempt += 1
                if attempt > self.retries:
                    raise retry.error from retry.error.__cause__
                delay = self.retry_delay * 2 ** (attempt - 1)
                self.log.info("turn.retry", turn=turn, attempt=attempt, reason=str(retry.error))
                event = Retry(attempt, str(retry.error), delay, retry.discard_partial, "turn")
                self.calls.trace.retry(event)
                await self.sink(event)
                await anyio.sleep(delay)

    async def _attempt(self, turn: int, request: TurnRequest) -> TurnOutcome:
        messages = request.messages
        started_at = time.monotonic()
        failure: Exception | None = None
        message = AssistantMessage()
        sent: Sequence[Mapping[str, Any]] = messages
        output_calls: list[OutputCall] = []
        calls = TurnToolCalls(self.calls, request.context, turn)
        model_turn = self.model.stream(messages, request.tools, **request.params)
        try:
            message = await self._stream(model_turn, calls, output_calls, turn, messages)
        except StreamError as error:
            salvaged = self._salvage(error, calls, bool(output_calls), turn)
            if salvaged is None:
                partial = error.partial or AssistantMessage()
                shown = bool(partial.content or partial.reasoning)
                failure = _RetryTurn(error, discard_partial=shown)
            else:
                message = salvaged
        except Exception as error:
            failure = error
        sent = getattr(model_turn, "sent_messages", messages)
        if failure is not None:
            raise failure  # the run cancels the calls still running (none on a retry)
        await calls.settle()
        self.log.info(
            "turn.end",
            turn=turn,
            finish_reason=message.finish_reason,
            duration=round(time.monotonic() - started_at, 4),
            total_tokens=message.usage.total_tokens if message.usage else None,
        )
        processed = calls.executed_calls() + [item.call for item in output_calls]
        pending = calls.pending()
        output_given = any(item.invalid is None for item in output_calls)
        if (message.is_truncated or output_given) and pending:
            # Truncation, or the final output, wins: a call still waiting for
            # approval never ran, so it is dropped like the calls that never
            # started.
            waiting = {request.id for request in pending}
            processed = [call for call in processed if call.id not in waiting]
            pending = []
        processed.sort(key=lambda call: call.index)
        return TurnOutcome(
            dataclasses.replace(message, tool_calls=tuple(processed)),
            calls.records(),
            pending,
            output_calls,
            sent,
        )

    async def _stream(
        self,
        model_turn: Any,
        calls: TurnToolCalls,
        output_calls: list[OutputCall],
        turn: int,
        messages: list[dict[str, Any]],
    ) -> AssistantMessage:
        """Stream the model's turn, handing each ready call to ``calls`` (the
        output's to the output)."""
        sink = self.sink
        trace = self.calls.trace
        output = self.output
        output_name = output.tool_name if output is not None and output.mode == "tool" else None
        watch = OutputWatcher(output).observe if output is not None else None
        with trace.turn(turn, messages) as turn_trace:
            async with model_turn:
                async for event in model_turn:
                    await sink(event)
                    if event.__class__ is ToolCallReady:
                        if event.call.name == output_name:
                            if self._offer_output(event.call, calls, output_calls):
                                watch = None  # later output calls are not used: not shown
                        else:
                            calls.on_ready(event.call)
                    elif event.__class__ is Retry:
                        trace.retry(event)
                    if watch is not None:
                        partial = watch(event)
                        if partial is not None:
                            await sink(partial)
            message: AssistantMessage = model_turn.message
            turn_trace.finished(message)
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

    def _offer_output(
        self, call: ToolCall, calls: TurnToolCalls, output_calls: list[OutputCall]
    ) -> bool:
        """A structured-output call: validate it; the first valid one stops
        further tool calls from starting (the run ends with it). True when
        ``call`` is that first valid one."""
        assert self.output is not None
        try:
            value = self.output.parse_arguments(call.arguments)
        except OutputInvalid as invalid:
            output_calls.append(OutputCall(call, invalid=invalid))
            return False
        first = not any(item.invalid is None for item in output_calls)
        if first:
            calls.stop()
        output_calls.append(OutputCall(call, value))
        return first

    def _salvage(
        self, error: StreamError, calls: TurnToolCalls, output_given: bool, turn: int
    ) -> AssistantMessage | None:
        """What a broken turn keeps: its message, or None when it must be
        streamed again (see `classify_broken_turn`)."""
        partial = error.partial or AssistantMessage()
        started = bool(calls.executed_calls()) or output_given
        kind = classify_broken_turn(partial, calls_started=started)
        if kind is BrokenTurn.TAIL_LOST:
            self.log.warning("turn.tail_lost", turn=turn, error=str(error))
            if partial.ended_normally:
                calls.start_deferred()
            return partial
        if kind is BrokenTurn.RETRY:
            return None
        self.log.warning(
            "turn.interrupted",
            turn=turn,
            error=str(error),
            kept_calls=len(calls.executed_calls()),
        )
        return dataclasses.replace(partial, finish_reason=None)
