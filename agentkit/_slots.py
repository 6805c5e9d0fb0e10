"""`ToolSlots`: how many tool calls of a run may run at once."""

from __future__ import annotations

from collections import deque

import anyio

__all__ = ["ToolSlots"]


class ToolSlots:
    """At most ``limit`` holders at once (``async with slots:``); the others
    wait in arrival order.

    Unlike ``anyio.CapacityLimiter``, taking a free slot and giving it back
    do not yield to the event loop: most runs never have ``limit`` calls at
    once, and two event-loop iterations per tool call add up when thousands
    of runs share a loop.
    """

    __slots__ = ("_free", "_waiters")

    def __init__(self, limit: int) -> None:
        self._free = limit
        # Made with the first wait: an empty deque costs ~600 bytes, per run.
        self._waiters: deque[anyio.Event] | None = None

    async def __aenter__(self) -> None:
        if self._free and not self._waiters:
            self._free -= 1
            return
        handed_over = anyio.Event()
        if self._waiters is None:
            self._waiters = deque()
        self._waiters.append(handed_over)
        try:
            await handed_over.wait()
        except BaseException:
            if handed_over.is_set():  # the slot came with the cancellation: pass it on
                self._release()
            else:
                self._waiters.remove(handed_over)
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._release()

    def _release(self) -> None:
        if self._waiters:
            self._waiters.popleft().set()  # the slot goes straight to the next in line
        else:
            self._free += 1
