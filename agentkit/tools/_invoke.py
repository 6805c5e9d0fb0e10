"""Calling a tool function: which values go where, and where it runs.

Async functions are awaited on the event loop. Sync functions run in a worker
thread (``anyio.to_thread.run_sync``) so a slow or blocking tool never stalls
the stream of other calls; when the caller is cancelled (a timeout, the run
being stopped) the thread is abandoned, because threads cannot be killed: the
function runs to its end in the background and its result is dropped.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from .._context import RunContext

__all__ = ["CallPlan", "call_function", "is_async_callable"]


@dataclass(frozen=True, slots=True)
class CallPlan:
    """How to turn validated arguments into a call.

    Attributes:
        positional: Names of the positional-only parameters, in order (they
            cannot be passed by keyword).
        context: Names of the parameters that receive the `RunContext`.
    """

    positional: tuple[str, ...] = ()
    context: tuple[str, ...] = ()

    def bind(
        self, arguments: Mapping[str, Any], context: RunContext[Any]
    ) -> tuple[list[Any], dict[str, Any]]:
        """The ``(args, kwargs)`` to call the function with."""
        kwargs = dict(arguments)
        for name in self.context:
            kwargs[name] = context
        args = [kwargs.pop(name) for name in self.positional if name in kwargs]
        return args, kwargs


def is_async_callable(function: Callable[..., Any]) -> bool:
    """True for ``async def`` functions, partials of them and objects whose
    ``__call__`` is ``async def``."""
    while isinstance(function, functools.partial):
        function = function.func
    if inspect.iscoroutinefunction(function):
        return True
    call = getattr(type(function), "__call__", None)  # noqa: B004 - the method, not callable()
    return not inspect.isfunction(function) and inspect.iscoroutinefunction(call)


async def call_function(
    function: Callable[..., Any], is_async: bool, args: list[Any], kwargs: dict[str, Any]
) -> Any:
    """Await ``function`` if it is async, else run it in a worker thread."""
    if is_async:
        return await function(*args, **kwargs)
    call = functools.partial(function, *args, **kwargs)
    result = await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
    if inspect.isawaitable(result):  # a sync wrapper that returned a coroutine
        return await result
    return result
