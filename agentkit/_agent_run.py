"""`AgentRun`: a run whose events are read by async iteration."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Generic

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from typing_extensions import TypeVar

from ._delivery import EventSink
from ._errors import UsageError
from ._events import Event
from ._result import RunResult
from ._run import Run

__all__ = ["AgentRun", "new_run_id"]

OutputT = TypeVar("OutputT", default=str)

_STREAM_BUFFER = 64


def new_run_id() -> str:
    """A fresh run id (``run_`` and 16 hex digits)."""
    return f"run_{os.urandom(8).hex()}"


class AgentRun(Generic[OutputT]):
    """A run whose events are read by iteration; made by `Agent.stream`.

    Attributes:
        run_id: The run's id.
    """

    def __init__(self, make_run: Callable[[EventSink, str], Run]) -> None:
        self._make_run = make_run
        self.run_id = new_run_id()
        # Made on entry: a run that is never entered holds nothing to close.
        self._send: MemoryObjectSendStream[Event] | None = None
        self._receive: MemoryObjectReceiveStream[Event] | None = None
        self._task_group: anyio.abc.TaskGroup | None = None
        self._exit_stack: AsyncExitStack | None = None
        self._result: RunResult[OutputT] | None = None
        self._error: BaseException | None = None

    async def __aenter__(self) -> AgentRun[OutputT]:
        if self._send is not None:
            raise UsageError("This run was already started; call agent.stream() again.")
        self._send, self._receive = anyio.create_memory_object_stream[Event](_STREAM_BUFFER)
        run = self._make_run(self._send.send, self.run_id)
        async with AsyncExitStack() as stack:
            task_group = await stack.enter_async_context(anyio.create_task_group())
            task_group.start_soon(self._execute, run, self._send, name=f"agentkit {self.run_id}")
            self._task_group = task_group
            self._exit_stack = stack.pop_all()
        return self

    async def __aexit__(self, *exc_info: object) -> bool:
        stack, self._exit_stack = self._exit_stack, None
        try:
            if stack is not None and self._task_group is not None:
                self._task_group.cancel_scope.cancel()
                # Closed without the body's exception: it propagates as is
                # instead of inside an ExceptionGroup.
                await stack.aclose()
        finally:
            if self._send is not None and self._receive is not None:
                self._send.close()  # the run task may have been cancelled before it started
                self._receive.close()
        return False

    def __aiter__(self) -> AgentRun[OutputT]:
        return self

    async def __anext__(self) -> Event:
        if self._receive is None:
            # Without `async with` nothing runs: waiting would hang forever.
            raise UsageError(
                "Iterate the run inside `async with agent.stream(...) as run:`; "
                "the block starts the run and stops it when left."
            )
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            pass
        # Raised outside the except block, so the error keeps its own
        # __cause__ (``raise ... from None`` would erase it).
        if self._error is not None:
            raise self._error
        raise StopAsyncIteration

    @property
    def result(self) -> RunResult[OutputT]:
        """The `RunResult`, once the run finished.

        Raises:
            AgentkitError: The run failed (the same error iteration raised).
            UsageError: The run has not finished.
        """
        if self._error is not None:
            raise self._error
        if self._result is None:
            raise UsageError("The run has not finished; iterate it to the end first.")
        return self._result

    async def _execute(self, run: Run, send: MemoryObjectSendStream[Event]) -> None:
        async with send:
            try:
                self._result = await run.execute()
            except Exception as error:
                self._error = error
