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
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ._events import Retry
    from ._messages import AssistantMessage, ToolCall
    from ._result import RunResult, ToolCallRecord

__all__ = ["NO_TRACE", "RunTrace", "ToolTrace", "Tracer", "TurnTrace"]


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
    """The hooks of an untraced run: nothing happens."""

    __slots__ = ()

    def finished(self, outcome: Any, /) -> None:
        pass

    @contextmanager
    def turn(self, turn: int, messages: Sequence[Mapping[str, Any]]) -> Iterator[_NoTrace]:
        yield self

    @contextmanager
    def tool(self, call: ToolCall, turn: int) -> Iterator[_NoTrace]:
        yield self

    def retry(self, retry: Retry) -> None:
        pass

    def failed(self, error: BaseException) -> None:
        pass


NO_TRACE: RunTrace = _NoTrace()
"""The `RunTrace` of a run without a tracer."""
