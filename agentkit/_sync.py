"""Blocking wrappers: drive the async core from plain code and threads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import anyio.lowlevel

from ._errors import UsageError

__all__ = ["close_model_pool", "run_blocking"]

T = TypeVar("T")


def run_blocking(function: Callable[[], Awaitable[T]], *, model: Any = None) -> T:
    """Run ``function()`` in a fresh event loop and return its result.

    ``model``'s pooled connections belong to that loop, so they are closed
    before it ends (the next call opens new ones).

    Raises:
        UsageError: An event loop is already running in this thread.
    """
    library = _running_event_loop()
    if library is not None:
        raise UsageError(
            f"run_sync() was called inside a running {library} event loop, which it would "
            "block. Use `await agent.run(...)` there instead (or call run_sync from a thread)."
        )

    async def main() -> T:
        try:
            return await function()
        finally:
            await close_model_pool(model)

    return anyio.run(main)


async def close_model_pool(model: Any) -> None:
    """Close ``model``'s connections of the running event loop (they cannot
    outlive it), even while the caller is being cancelled."""
    close = getattr(model, "aclose", None)
    if close is not None:
        with anyio.CancelScope(shield=True):
            await close()


def _running_event_loop() -> str | None:
    """The event loop library running in this thread ("asyncio", "trio"), or None."""
    try:
        token = anyio.lowlevel.current_token()
    except RuntimeError:
        return None
    return token.backend_class.__name__.removesuffix("Backend").lower()
