"""Getting a run's events to the user: callbacks, or the iterator's channel,
plus the pump that carries events emitted by tools (possibly from threads)."""

from __future__ import annotations

import inspect
import math
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._errors import CallbackError
from ._events import CustomEvent, Event

__all__ = ["EventCallback", "EventSink", "ToolEventPump", "callback_sink"]

EventCallback = Callable[[Event], Awaitable[None] | None]
"""An ``on_event`` callback: sync or async, called with every event in order."""

EventSink = Callable[[Event], Awaitable[None]]
"""Where the run sends its events (internal)."""


def callback_sink(callbacks: EventCallback | Sequence[EventCallback] | None) -> EventSink:
    """An `EventSink` that calls each callback in turn; an exception in one
    becomes a `CallbackError` naming it."""
    if callbacks is None:
        handlers: tuple[EventCallback, ...] = ()
    elif callable(callbacks):
        handlers = (callbacks,)
    else:
        handlers = tuple(callbacks)
    if not handlers:
        return _deliver_nowhere

    # Events come from the stream and from tool tasks at once: one at a
    # time, so an async callback is never re-entered while it awaits.
    lock = anyio.Lock(fast_acquire=True)

    async def deliver(event: Event) -> None:
        async with lock:
            for handler in handlers:
                try:
                    outcome = handler(event)
                    if inspect.isawaitable(outcome):
                        await outcome
                except Exception as error:
                    name = _name_of(handler)
                    raise CallbackError(
                        f"The on_event callback {name} raised {type(error).__name__}: {error} "
                        f"(on a {event.type!r} event); the run was stopped.",
                        callback=name,
                    ) from error

    return deliver


class ToolEventPump:
    """Carries `CustomEvent`s emitted by tools (with ``RunContext.emit``) to
    the run's sink, in order. ``emit`` works on the event loop and from any
    thread (worker threads of sync tools, or a tool's own threads); after the
    run ended it does nothing. Create it on the run's event loop.

    Most runs emit nothing: the queue and the task that delivers it are made
    with the first event (in the task group given to `attach`)."""

    def __init__(self) -> None:
        self._loop_token = anyio.lowlevel.current_token()
        self._loop_thread = threading.get_ident()
        self._task_group: anyio.abc.TaskGroup | None = None
        self._sink: EventSink | None = None
        self._send: MemoryObjectSendStream[CustomEvent] | None = None
        self._receive: MemoryObjectReceiveStream[CustomEvent] | None = None
        self._closed = False
        # Counted on the event loop thread only (emit hops there first).
        self._queued = 0
        self._delivered = 0
        self._progress: anyio.Event | None = None

    def attach(self, task_group: anyio.abc.TaskGroup, sink: EventSink) -> None:
        """Deliver to ``sink`` from a task of ``task_group``, started with the
        first event."""
        self._task_group = task_group
        self._sink = sink

    def emit(self, event: CustomEvent) -> None:
        """Queue ``event`` (sync; callable from any thread)."""
        try:
            if threading.get_ident() == self._loop_thread:
                self._queue(event)
            else:  # the queue's counters live on the loop thread: hop there
                anyio.from_thread.run_sync(self._queue, event, token=self._loop_token)
        except (anyio.ClosedResourceError, RuntimeError):
            pass  # the run is over (or its event loop is gone): nobody is listening

    async def _pump(self, receive: MemoryObjectReceiveStream[CustomEvent]) -> None:
        """Forward queued events until `close` is called and all are sent."""
        assert self._sink is not None
        async with receive:
            async for event in receive:
                try:
                    await self._sink(event)
                finally:
                    self._delivered += 1
                    progress, self._progress = self._progress, None
                    if progress is not None:
                        progress.set()

    async def flush(self) -> None:
        """Wait until every event queued so far has been delivered (so a
        tool's progress events reach the user before its result)."""
        target = self._queued
        while self._delivered < target:
            if self._progress is None:
                self._progress = anyio.Event()
            await self._progress.wait()

    def _queue(self, event: CustomEvent) -> None:
        if self._send is None:
            if self._closed or self._task_group is None:
                raise anyio.ClosedResourceError
            self._send, self._receive = anyio.create_memory_object_stream[CustomEvent](math.inf)
            self._task_group.start_soon(self._pump, self._receive)
        self._send.send_nowait(event)
        self._queued += 1

    def close(self) -> None:
        """No more events: the delivering task ends once the queue is drained."""
        self._closed = True
        if self._send is not None:
            self._send.close()

    def discard(self) -> None:
        """Release both ends (the run is over, or was cancelled)."""
        self.close()
        if self._receive is not None:
            self._receive.close()


async def _deliver_nowhere(event: Event) -> None:
    """The sink of a run without callbacks."""


def _name_of(handler: Any) -> str:
    name = getattr(handler, "__qualname__", None) or getattr(handler, "__name__", None)
    if name is None:  # a callable object
        name = f"{type(handler).__qualname__}.__call__"
    return repr(name)
