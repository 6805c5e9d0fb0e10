"""The seam between a run and a tracer: the hooks a run calls at each step.

A `Tracer` (the OpenTelemetry one lives in `agentkit.otel`, imported only
when tracing is turned on) gives a `RunTrace` per run, which opens a
`TurnTrace` around each model turn and a `ToolTrace` around each tool call.
Without a tracer the run uses `NO_TRACE`, whose hooks do nothing: a few
method calls per turn and per call, never per chunk.

The run calls, in order: ``Tracer.run`` (a context manager around the whole
run), then per turn ``RunTrace.turn`` (around streaming it) and
``TurnTrace.finished``; per tool call ``RunTrace.tool`` (around executing
it, in the call's own task) and ``ToolTrace.finished``; ``RunTrace.retry``
for each retry (request or turn); at the end ``RunTrace.finished`` or
``RunTrace.failed``. A cancelled run leaves its context managers with the
cancellation exception.

Which tracer a run gets is decided when it starts (`resolve_tracer`): the
agent's own ``instrument`` setting, else the default set by `instrument`.
`agentkit.otel` is imported only then, so without tracing turned on
OpenTelemetry is never imported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, cast

from ._errors import UsageError

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

    from ._events import Retry
    from ._messages import AssistantMessage, ToolCall
    from ._result import RunResult, ToolCallRecord
    from .otel import InstrumentationSettings

__all__ = [
    "NO_TRACE",
    "InstrumentSetting",
    "RunTrace",
    "ToolTrace",
    "Tracer",
    "TurnTrace",
    "instrument",
    "resolve_tracer",
]


class TurnTrace(Protocol):
    """One model turn being traced."""

    def finished(self, message: AssistantMessage, /) -> None:
        """The turn's stream ended with ``message`` (usage, finish reason)."""


class ToolTrace(Protocol):
    """One tool call being traced."""

    def finished(self, record: ToolCallRecord, /) -> None:
        """The call ended with ``record`` (``is_error``, output, duration)."""


class RunTrace(Protocol):
    """One run being traced."""

    def turn(
        self, turn: int, messages: Sequence[Mapping[str, Any]]
    ) -> AbstractContextManager[TurnTrace]:
        """Around streaming model turn ``turn`` (1-based) sent ``messages``."""

    def tool(self, call: ToolCall, turn: int) -> AbstractContextManager[ToolTrace]:
        """Around executing ``call`` (entered in the call's own task)."""

    def retry(self, retry: Retry) -> None:
        """A request or a turn is retried."""

    def finished(self, result: RunResult, /) -> None:
        """The run ended with ``result``."""

    def failed(self, error: BaseException) -> None:
        """The run failed with ``error`` (it is raised next)."""


class Tracer(Protocol):
    """Makes the `RunTrace` of each run."""

    def run(self, run_id: str, model: Any) -> AbstractContextManager[RunTrace]:
        """Around one run of an agent whose model is ``model``."""


class _NoTrace:
    """The hooks of an untraced run: nothing happens. It is its own (shared,
    stateless) context manager, so a turn or a call allocates nothing."""

    __slots__ = ()

    def finished(self, outcome: Any, /) -> None:
        pass

    def turn(
        self, turn: int, messages: Sequence[Mapping[str, Any]]
    ) -> AbstractContextManager[_NoTrace]:
        return self

    def tool(self, call: ToolCall, turn: int) -> AbstractContextManager[_NoTrace]:
        return self

    def __enter__(self) -> _NoTrace:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass

    def retry(self, retry: Retry) -> None:
        pass

    def failed(self, error: BaseException) -> None:
        pass


NO_TRACE: RunTrace = _NoTrace()
"""The `RunTrace` of a run without a tracer."""


# ------------------------------------------------------- which tracer a run uses

InstrumentSetting: TypeAlias = "bool | TracerProvider | InstrumentationSettings | Tracer | None"
"""What ``Agent(instrument=...)`` and `instrument` take."""

_default_tracer: Tracer | None = None
"""The tracer of agents without their own ``instrument`` (set by `instrument`)."""


def instrument(setting: InstrumentSetting = True, /, **options: Any) -> None:
    """Trace every agent that has no ``instrument`` setting of its own.

    ```python
    import agentkit

    agentkit.instrument()                      # the global providers
    agentkit.instrument(capture_content=True)  # ... and messages
    agentkit.instrument(tracer_provider)       # a provider of yours
    agentkit.instrument(False)                 # off again
    ```

    Needs ``pip install "agentkit[otel]"``. Runs that already started keep
    the tracer they started with. See the docs page "Tracing".

    Args:
        setting: True (the global OpenTelemetry tracer and meter providers),
            an OpenTelemetry ``TracerProvider``, an
            `agentkit.otel.InstrumentationSettings`, or False to stop.
        **options: Passed to `InstrumentationSettings` with True or a
            ``TracerProvider`` (``meter_provider``, ``capture_content``,
            ``provider_name``).

    Raises:
        UsageError: OpenTelemetry is not installed, ``setting`` is not one of
            the above, or options came with False or with settings.
    """
    global _default_tracer
    if setting is False or setting is None:
        if options:
            raise UsageError(f"instrument({setting!r}) turns tracing off and takes no options.")
        _default_tracer = None
        return
    _default_tracer = _make_tracer(setting, options)


def resolve_tracer(setting: InstrumentSetting) -> Tracer | None:
    """The tracer of a run of an agent whose ``instrument`` is ``setting``:
    None follows `instrument`'s default, False is off, an object with a
    ``run`` method is a `Tracer` already, anything else goes to OpenTelemetry."""
    if setting is None:
        return _default_tracer
    if setting is False:
        return None
    if callable(getattr(setting, "run", None)):
        return cast("Tracer", setting)
    return _make_tracer(setting, {})


def _make_tracer(setting: Any, options: dict[str, Any]) -> Tracer:
    try:
        from .otel._tracer import make_tracer
    except ImportError as error:
        if not (error.name or "").startswith("opentelemetry"):
            raise
        raise UsageError(
            'Tracing needs OpenTelemetry: pip install "agentkit[otel]" '
            "(the opentelemetry-api package)."
        ) from error
    return make_tracer(setting, **options)
