"""`RunContext`: what a tool can know about the run that called it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ._events import CustomEvent

__all__ = ["RunContext"]

DepsT = TypeVar("DepsT")


@dataclass(slots=True)
class RunContext(Generic[DepsT]):
    """Passed to every tool parameter annotated as ``RunContext`` (that
    parameter is left out of the tool's JSON schema).

    Attributes:
        deps: The ``deps`` object given to ``Agent.run`` (a database handle,
            the current user...), or None.
        run_id: The run's id (also on every log line of the run).
        turn: The model turn (1-based) whose tool calls are running.
        messages: The conversation so far, as OpenAI-format dicts (read-only).
        tool_call_id: The id of the call being executed, when there is one.
        tool_name: The name of the tool being executed, when there is one.
    """

    deps: DepsT
    run_id: str = ""
    turn: int = 0
    messages: Sequence[Mapping[str, Any]] = ()
    tool_call_id: str | None = None
    tool_name: str | None = None
    _emitter: Callable[[CustomEvent], None] | None = field(default=None, repr=False)

    def emit(self, name: str, data: Any = None) -> None:
        """Send a `CustomEvent` to the run's callbacks and event iterator
        (progress of a long tool, a partial result...). Works from async tools
        and from sync tools running in a worker thread; a no-op outside a run."""
        if self._emitter is not None:
            self._emitter(CustomEvent(name, data))

    def for_call(self, tool_call_id: str, tool_name: str) -> RunContext[DepsT]:
        """A copy of this context for one tool call."""
        return RunContext(
            self.deps, self.run_id, self.turn, self.messages, tool_call_id, tool_name, self._emitter
        )
