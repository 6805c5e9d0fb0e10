"""The OpenTelemetry `Tracer` of agentkit's tracing hooks: an
``invoke_agent`` span per run, a ``chat {model}`` span per model turn and an
``execute_tool {name}`` span per tool call, with the GenAI conventions'
attributes, and the ``gen_ai.client.*`` histograms.

Tool spans are children of the run span, not of the turn's ``chat`` span,
although their tasks start inside the turn (and so inherit its context): a
tool's work is the agent's, not the model request's, and an eager tool's
span overlaps its turn's. Each span is the current span while its work runs,
so spans of instrumented libraries (httpx in the model request, a database
inside a tool) nest under it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from ._attributes import (
    CHAT,
    EXECUTE_TOOL,
    INVOKE_AGENT,
    error_type,
    model_attributes,
    request_parameter_attributes,
)
from ._content import input_messages_json, output_messages_json
from ._settings import InstrumentationSettings

if TYPE_CHECKING:
    from .._events import Retry
    from .._messages import AssistantMessage, ToolCall, Usage
    from .._result import RunResult, ToolCallRecord

__all__ = ["OTelTracer"]


class OTelTracer:
    """Makes the spans of each run from ``settings``."""

    __slots__ = ("settings",)

    def __init__(self, settings: InstrumentationSettings) -> None:
        self.settings = settings

    def run(self, run_id: str, model: Any) -> _RunSpan:
        return _RunSpan(self.settings, run_id, model)


class _Operation:
    """One span, current while its work runs, and its duration histogram."""

    __slots__ = ("_metric_attributes", "_settings", "_started", "_token", "span")

    def __init__(self, settings: InstrumentationSettings) -> None:
        self._settings = settings
        self._metric_attributes: dict[str, AttributeValue] = {}
        self._started = 0.0
        self._token: Any = None  # a context token (its type differs across API versions)
        self.span: trace.Span = trace.INVALID_SPAN

    def _open(
        self,
        name: str,
        kind: SpanKind,
        attributes: dict[str, AttributeValue],
        parent: otel_context.Context | None,
    ) -> None:
        self.span = self._settings.tracer.start_span(
            name, context=parent, kind=kind, attributes=attributes
        )
        self._token = otel_context.attach(trace.set_span_in_context(self.span, parent))
        self._started = time.perf_counter()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._close(error)

    def _close(self, error: BaseException | None) -> None:
        duration = time.perf_counter() - self._started
        otel_context.detach(self._token)
        if error is not None:
            self._end_with(error)
        self._settings.operation_duration.record(duration, self._metric_attributes)
        self.span.end()

    def _end_with(self, error: BaseException) -> None:
        if not isinstance(error, Exception):  # a cancellation, not an error
            self.span.set_attribute("agentkit.cancelled", True)
        elif "error.type" not in self._metric_attributes:
            self._set_error(error_type(error), str(error))

    def _set_error(self, kind: str, description: str) -> None:
        self._metric_attributes["error.type"] = kind
        self.span.set_attribute("error.type", kind)
        self.span.set_status(Status(StatusCode.ERROR, description))


class _RunSpan(_Operation):
    """``invoke_agent``: the run's span, and its `RunTrace` hooks."""

    __slots__ = ("_common", "_context", "_params", "_run_id", "turn_span")

    def __init__(self, settings: InstrumentationSettings, run_id: str, model: Any) -> None:
        super().__init__(settings)
        self._run_id = run_id
        self._common = model_attributes(model, settings.provider_name)
        self._params = request_parameter_attributes(getattr(model, "default_params", None) or {})
        self._context: otel_context.Context | None = None
        self.turn_span: _TurnSpan | None = None

    def __enter__(self) -> _RunSpan:
        attributes = {
            "gen_ai.operation.name": INVOKE_AGENT,
            **self._common,
            "agentkit.run.id": self._run_id,
        }
        self._metric_attributes = {"gen_ai.operation.name": INVOKE_AGENT, **self._common}
        self._open(INVOKE_AGENT, SpanKind.INTERNAL, attributes, None)
        self._context = trace.set_span_in_context(self.span)
        return self

    # ------------------------------------------------------ RunTrace hooks

    def turn(self, turn: int, messages: Sequence[Mapping[str, Any]]) -> _TurnSpan:
        return _TurnSpan(self, turn, messages)

    def tool(self, call: ToolCall, turn: int) -> _ToolSpan:
        return _ToolSpan(self, call, turn)

    def retry(self, retry: Retry) -> None:
        """A span event on the turn's span (a request resent within the
        turn) or on the run's (a turn streamed again)."""
        target = self.turn_span.span if self.turn_span is not None else self.span
        target.add_event(
            "agentkit.retry",
            {
                "agentkit.retry.kind": retry.kind,
                "agentkit.retry.attempt": retry.attempt,
                "agentkit.retry.delay": retry.delay,
                "agentkit.retry.reason": retry.reason,
                "agentkit.retry.discard_partial": retry.discard_partial,
            },
        )

    def finished(self, result: RunResult) -> None:
        span = self.span
        span.set_attributes(usage_attributes(result.usage))
        if result.finish_reason is not None:
            span.set_attribute("gen_ai.response.finish_reasons", [result.finish_reason])
        if result.last_message.response_model:
            span.set_attribute("gen_ai.response.model", result.last_message.response_model)
        span.set_attribute("agentkit.turns", result.turns)
        if self._settings.capture_content:
            span.set_attribute("gen_ai.output.messages", output_messages_json(result.last_message))

    def failed(self, error: BaseException) -> None:
        self._set_error(error_type(error), str(error))
        self.span.record_exception(error)

    # ------------------------------------------------------------ for children

    def child_attributes(self, operation: str) -> dict[str, AttributeValue]:
        return {"gen_ai.operation.name": operation, **self._common}

    @property
    def context(self) -> otel_context.Context | None:
        return self._context

    @property
    def params(self) -> dict[str, AttributeValue]:
        return self._params


class _TurnSpan(_Operation):
    """``chat {model}``: one model turn (a CLIENT span: the request goes out)."""

    __slots__ = ("_messages", "_run", "_turn")

    def __init__(self, run: _RunSpan, turn: int, messages: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(run._settings)
        self._run = run
        self._turn = turn
        self._messages = messages

    def __enter__(self) -> _TurnSpan:
        run = self._run
        self._metric_attributes = run.child_attributes(CHAT)
        attributes = {
            **self._metric_attributes,
            **run.params,
            "gen_ai.request.stream": True,
            "agentkit.turn": self._turn,
        }
        if self._settings.capture_content:
            attributes["gen_ai.input.messages"] = input_messages_json(self._messages)
        model = self._metric_attributes.get("gen_ai.request.model")
        name = f"{CHAT} {model}" if model else CHAT
        self._open(name, SpanKind.CLIENT, attributes, run.context)
        run.turn_span = self
        return self

    def _close(self, error: BaseException | None) -> None:
        self._run.turn_span = None
        super()._close(error)

    def finished(self, message: AssistantMessage) -> None:
        span = self.span
        if message.response_model:
            self._metric_attributes["gen_ai.response.model"] = message.response_model
        attributes: dict[str, AttributeValue] = {}
        if message.response_model:
            attributes["gen_ai.response.model"] = message.response_model
        if message.response_id:
            attributes["gen_ai.response.id"] = message.response_id
        if message.finish_reason is not None:
            attributes["gen_ai.response.finish_reasons"] = [message.finish_reason]
        if message.usage is not None:
            attributes.update(usage_attributes(message.usage))
            self._record_tokens(message.usage)
        if self._settings.capture_content:
            attributes["gen_ai.output.messages"] = output_messages_json(message)
        span.set_attributes(attributes)
        if message.finish_reason == "error":
            self._set_error("ProviderStreamError", "the provider ended the turn with 'error'")

    def _record_tokens(self, usage: Usage) -> None:
        histogram = self._settings.token_usage
        for kind, count in (("input", usage.prompt_tokens), ("output", usage.completion_tokens)):
            histogram.record(count, {**self._metric_attributes, "gen_ai.token.type": kind})


class _ToolSpan(_Operation):
    """``execute_tool {name}``: one tool call, a child of the run's span."""

    __slots__ = ("_call", "_run", "_turn")

    def __init__(self, run: _RunSpan, call: ToolCall, turn: int) -> None:
        super().__init__(run._settings)
        self._run = run
        self._call = call
        self._turn = turn

    def __enter__(self) -> _ToolSpan:
        call = self._call
        self._metric_attributes = self._run.child_attributes(EXECUTE_TOOL)
        attributes: dict[str, AttributeValue] = {
            "gen_ai.operation.name": EXECUTE_TOOL,
            "gen_ai.tool.name": call.name,
            "gen_ai.tool.call.id": call.id,
            "gen_ai.tool.type": "function",
            "agentkit.turn": self._turn,
        }
        if self._settings.capture_content:
            attributes["gen_ai.tool.call.arguments"] = call.arguments
        self._open(f"{EXECUTE_TOOL} {call.name}", SpanKind.INTERNAL, attributes, self._run.context)
        return self

    def finished(self, record: ToolCallRecord) -> None:
        if record.is_error:
            error = record.error
            kind = type(error).__qualname__ if error is not None else "ToolError"
            self._set_error(kind, str(error) if error is not None else record.output)
        if self._settings.capture_content and not record.is_error:
            self.span.set_attribute("gen_ai.tool.call.result", record.output)


def usage_attributes(usage: Usage) -> dict[str, AttributeValue]:
    """``gen_ai.usage.*`` of a turn, or summed over a run."""
    attributes: dict[str, AttributeValue] = {
        "gen_ai.usage.input_tokens": usage.prompt_tokens,
        "gen_ai.usage.output_tokens": usage.completion_tokens,
    }
    details = usage.details
    cached = _detail(details, "prompt_tokens_details", "cached_tokens")
    if cached is not None:
        attributes["gen_ai.usage.cache_read.input_tokens"] = cached
    reasoning = _detail(details, "completion_tokens_details", "reasoning_tokens")
    if reasoning is not None:
        attributes["gen_ai.usage.reasoning.output_tokens"] = reasoning
    return attributes


def _detail(details: Mapping[str, Any], group: str, name: str) -> int | None:
    inner = details.get(group)
    value = inner.get(name) if isinstance(inner, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
