"""The function-calling loop of one run: stream a turn, run its tool calls,
append the results, stream again, until the model answers without calls,
gives its structured output, or waits for approvals (the run pauses)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import anyio
import anyio.abc

from ._approval import Approval, ApprovalGate, ApprovalRequest, pending_tool_calls
from ._context import RunContext
from ._delivery import EventSink, ToolEventPump
from ._errors import (
    ContentFilterError,
    MaxTurnsExceeded,
    OutputLengthError,
    OutputValidationError,
    ToolFailureLimitExceeded,
    UsageError,
    attach_result,
)
from ._events import (
    ApprovalResolved,
    RunFailed,
    RunFinished,
    RunStarted,
    ToolResult,
    TurnFinished,
    TurnStarted,
)
from ._logging import get_logger
from ._messages import AssistantMessage, Usage
from ._output import OutputInvalid, OutputSchema
from ._result import RunResult, ToolCallRecord
from ._slots import ToolSlots
from ._tool_calls import CallEnvironment, TurnToolCalls
from ._tracing import NO_TRACE, RunTrace, Tracer
from ._turn import ChatModel, TurnOutcome, TurnRequest, TurnRunner
from .tools import ToolRegistry

__all__ = ["ChatModel", "Run", "RunSettings"]

APPROVAL_REQUIRED = "approval_required"
"""The finish reason of a run that paused for approvals."""


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
        output: OutputSchema[Any] | None = None,
        gate: ApprovalGate | None = None,
        approvals: Mapping[str, Approval] | None = None,
    ) -> None:
        self._model = model
        self._tracer = tracer
        self._trace: RunTrace = NO_TRACE
        self._registry = registry
        self._instructions = _joined(instructions, output.instructions() if output else None)
        self._messages = messages
        self._deps = deps
        self._sink = sink
        self._settings = settings
        self._output = output
        self._gate = gate or ApprovalGate(None)
        self._approvals = dict(approvals or {})
        self._params = {**settings.model_params, **(output.request_params() if output else {})}
        self.run_id = run_id
        self._usage = Usage()
        self._records: list[ToolCallRecord] = []
        self._turns = 0
        self._last = AssistantMessage()
        self._limiter = ToolSlots(settings.max_parallel_tools)
        self._tools = registry  # the run's tools, sources' included, once opened
        self._definitions: list[dict[str, Any]] | None = None
        self._scope: anyio.CancelScope | None = None
        self._abort_error: Exception | None = None
        self._log = get_logger("agentkit.run", run_id=run_id)

    # ----------------------------------------------------------------- public

    async def execute(self) -> RunResult[Any]:
        """Run to the end. Emits ``run.started`` ... ``run.finished`` (or
        ``run.failed``, then raises the error)."""
        if self._tracer is None:
            return await self._execute()
        with self._tracer.run(self.run_id, self._model) as self._trace:
            return await self._execute()

    async def _execute(self) -> RunResult[Any]:
        started_at = time.monotonic()
        self._log.info("run.start", messages=len(self._messages))
        await self._sink(RunStarted(self.run_id))
        pump = ToolEventPump()
        error: Exception | None = None
        result: RunResult[Any] | None = None
        try:
            result = await self._loop_with_tools(pump)
        except Exception as failure:
            error = failure
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

    async def _loop_with_tools(self, pump: ToolEventPump) -> RunResult[Any] | None:
        """The loop, with the tool sources (MCP servers) open around it."""
        if not self._registry.sources:  # most runs: no exit stack to keep alive
            return await self._loop_in_task_group(self._registry, pump)
        async with AsyncExitStack() as stack:
            return await self._loop_in_task_group(await self._registry.open(stack), pump)

    async def _loop_in_task_group(
        self, tools: ToolRegistry, pump: ToolEventPump
    ) -> RunResult[Any] | None:
        """The loop, in the run's task group: tool calls and the delivery of
        their events run there. A failure cancels what still runs before it
        propagates (so tool sources close after their calls). None when the
        run was aborted (`_abort`)."""
        result: RunResult[Any] | None = None
        error: Exception | None = None
        async with anyio.create_task_group() as task_group:
            self._scope = task_group.cancel_scope
            pump.attach(task_group, self._sink_or_abort)
            try:
                result = await self._loop(self._prepare(tools, pump, task_group), pump)
            except Exception as failure:
                error = failure
                task_group.cancel_scope.cancel()
            pump.close()
        if error is not None:
            raise error
        return result

    def _prepare(
        self, tools: ToolRegistry, pump: ToolEventPump, task_group: anyio.abc.TaskGroup
    ) -> TurnRunner:
        """The run's tools and definitions, and the runner of its turns."""
        self._tools = tools
        definitions = tools._request_definitions()
        if self._output is not None and self._output.mode == "tool":
            if self._output.tool_name in tools:
                raise UsageError(
                    f"A tool is named {self._output.tool_name!r}, the name of the "
                    "structured-output function: rename the tool, or pass "
                    "Agent(output_tool_name=...)."
                )
            definitions.append(self._output.tool_definition())
        self._definitions = definitions or None
        environment = CallEnvironment(
            registry=tools,
            task_group=task_group,
            limiter=self._limiter,
            sink=self._sink,
            abort=self._abort,
            flush_events=pump.flush,
            gate=self._gate,
            eager=self._settings.eager_tools,
            trace=self._trace,
        )
        return TurnRunner(
            model=self._model,
            calls=environment,
            sink=self._sink,
            log=self._log,
            retries=self._settings.turn_retries,
            retry_delay=self._settings.turn_retry_delay,
            output=self._output,
        )

    async def _loop(self, runner: TurnRunner, pump: ToolEventPump) -> RunResult[Any]:
        paused = await self._resume(runner.calls, pump)
        if paused is not None:
            return paused
        settings = self._settings
        failed_turns = 0
        invalid_outputs = 0
        for turn in range(1, settings.max_turns + 1):
            self._turns = turn
            await self._sink(TurnStarted(turn))
            outcome = await self._turn(runner, turn, pump)
            message = outcome.message
            await pump.flush()
            await self._sink(TurnFinished(turn, message.finish_reason, message.usage))
            if message.is_truncated:
                return self._truncated(message)
            if outcome.pending:
                return self._paused(outcome.pending)
            verdict = self._output_verdict(outcome) if self._output is not None else None
            if verdict is not None:
                if verdict.invalid is None:
                    return self._result(verdict.value)
                invalid_outputs += 1
                self._check_output_retries(invalid_outputs, verdict.invalid)
                continue
            if not message.tool_calls:
                return self._result(message.content)
            failed_turns = failed_turns + 1 if all(r.is_error for r in outcome.records) else 0
            if failed_turns >= settings.max_tool_failures:
                raise ToolFailureLimitExceeded.after(
                    failed_turns, outcome.records[-1].output, self._result()
                )
        raise MaxTurnsExceeded.after(settings.max_turns, self._result())

    async def _turn(self, runner: TurnRunner, turn: int, pump: ToolEventPump) -> TurnOutcome:
        """Stream turn ``turn`` and record it in the conversation."""
        messages = self._request_messages()
        request = TurnRequest(messages, self._definitions, self._params, self._context(turn, pump))
        outcome = await runner.run(turn, request)
        self._keep_what_was_sent(messages, outcome.sent_messages)
        self._record_turn(outcome)
        await self._answer_output_calls(outcome)
        return outcome

    async def _answer_output_calls(self, outcome: TurnOutcome) -> None:
        """A `ToolResult` for each output call, with the answer the
        conversation got, so UIs close the call as they close any other."""
        answers = outcome.output_answers()
        for item in outcome.output_calls:
            invalid = item.invalid is not None
            answer = answers[item.call.id]
            await self._sink(ToolResult(item.call.id, item.call.name, answer, invalid, 0.0))

    # ---------------------------------------------------------------- output

    def _check_output_retries(self, invalid_outputs: int, invalid: OutputInvalid) -> None:
        """Raise `OutputValidationError` once the retries are spent."""
        assert self._output is not None
        if invalid_outputs > self._output.retries:
            raise OutputValidationError.after(
                invalid_outputs, invalid.feedback, invalid.errors, self._result()
            )

    def _output_verdict(self, outcome: TurnOutcome) -> _Verdict | None:
        """What the turn says of the structured output: a value, an invalid
        answer to send back (its feedback already appended), or None (a tool
        turn: go on)."""
        output = self._output
        assert output is not None
        if outcome.output_calls:
            if outcome.output is not None:
                return _Verdict(value=outcome.output.value)
            return _Verdict(invalid=outcome.output_calls[-1].invalid)
        message = outcome.message
        if message.tool_calls:
            return None
        if output.mode == "tool":
            feedback = output.call_it_feedback()
            self._messages.append({"role": "user", "content": feedback})
            return _Verdict(invalid=OutputInvalid(feedback, []))
        try:
            return _Verdict(value=output.parse_text(message.content))
        except OutputInvalid as invalid:
            self._messages.append({"role": "user", "content": invalid.feedback})
            return _Verdict(invalid=invalid)

    # ------------------------------------------------------------- approvals

    async def _resume(
        self, environment: CallEnvironment, pump: ToolEventPump
    ) -> RunResult[Any] | None:
        """Apply the decisions about a paused conversation's waiting calls;
        the paused result while some still wait, else None (the loop goes on)."""
        waiting = pending_tool_calls(self._messages)
        if not waiting:
            return None
        decided = [call for call in waiting if call.id in self._approvals]
        if decided:
            calls = TurnToolCalls(environment, self._context(0, pump), 0)
            for call in decided:
                approval = self._approvals[call.id]
                await self._sink(ApprovalResolved(call.id, approval.approved, approval.reason))
                calls.start_decided(call, approval)
            await calls.settle()
            records = calls.records()
            await pump.flush()
            self._messages.extend(_tool_message(record.id, record.output) for record in records)
            self._records.extend(records)
        still = [call for call in waiting if call.id not in self._approvals]
        if still:
            return self._paused([ApprovalRequest(c.id, c.name, c.arguments) for c in still])
        return None

    def _paused(self, pending: Sequence[ApprovalRequest]) -> RunResult[Any]:
        self._log.info("run.paused", pending=[request.id for request in pending])
        return dataclasses.replace(
            self._result(), finish_reason=APPROVAL_REQUIRED, pending_approvals=tuple(pending)
        )

    # ---------------------------------------------------------------- helpers

    def _context(self, turn: int, pump: ToolEventPump) -> RunContext[Any]:
        history = tuple(MappingProxyType(message) for message in self._messages)
        return RunContext(self._deps, self.run_id, turn, history, _emitter=pump.emit)

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
        for index, message in enumerate(self._messages[: len(sent) - offset]):
            carried = sent[index + offset]
            if carried is not message:
                self._messages[index] = dict(carried)

    def _record_turn(self, outcome: TurnOutcome) -> None:
        """Append the turn's assistant message and a tool message for each
        call that has a result (calls waiting for approval have none yet)."""
        message = outcome.message
        self._last = message
        if message.usage is not None:
            self._usage = self._usage + message.usage
        self._messages.append(message.to_dict())
        answers = {record.id: record.output for record in outcome.records}
        answers.update(outcome.output_answers())
        self._messages.extend(
            _tool_message(call.id, answers[call.id])
            for call in message.tool_calls
            if call.id in answers
        )
        self._records.extend(outcome.records)

    def _result(self, output: Any = None) -> RunResult[Any]:
        return RunResult(
            text=self._last.content,
            messages=list(self._messages),
            usage=self._usage,
            turns=self._turns,
            finish_reason=self._last.finish_reason,
            tool_calls=tuple(self._records),
            run_id=self.run_id,
            last_message=self._last,
            output=output,
        )

    def _truncated(self, message: AssistantMessage) -> RunResult[Any]:
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
        """A callback or the approver failed in a background task: stop the
        whole run with that error."""
        if self._abort_error is None:
            self._abort_error = error
        if self._scope is not None:
            self._scope.cancel()

    async def _deliver_failure(self, error: Exception) -> None:
        try:
            await self._sink(RunFailed(error))
        except Exception:  # the failing callback may fail again; the error stands
            self._log.debug("run.failed_event_undelivered")


@dataclass(frozen=True, slots=True)
class _Verdict:
    """A turn's structured output: a value, or an invalid answer."""

    value: Any = None
    invalid: OutputInvalid | None = None


def _tool_message(call_id: str, content: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def _joined(*parts: str | None) -> str | None:
    text = "\n\n".join(part for part in parts if part)
    return text or None
