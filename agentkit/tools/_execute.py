"""Running a tool function under its limits, and reporting failures.

Exceptions from the function become `ToolExecutionError` (the original is its
``__cause__``, and the full traceback goes to the ``agentkit.tools`` log);
running past the timeout becomes `ToolTimeoutError`. Cancellation (``BaseException``)
is never caught: it propagates unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio

from .._context import RunContext
from .._errors import ToolError, ToolExecutionError, ToolTimeoutError
from .._logging import get_logger
from ._invoke import CallPlan, call_function

__all__ = ["log_failure", "run_function"]

_MESSAGE_LIMIT = 500


async def run_function(
    function: Callable[..., Any],
    *,
    is_async: bool,
    plan: CallPlan,
    arguments: dict[str, Any],
    context: RunContext[Any],
    tool_name: str,
    limit: float | None,
) -> Any:
    """Call ``function`` with ``arguments`` and ``context``, within ``limit`` seconds.

    Raises:
        ToolTimeoutError: ``limit`` expired (a sync function keeps running
            in its worker thread; its result is dropped).
        ToolExecutionError: The function raised.
    """
    args, kwargs = plan.bind(arguments, context)
    if limit is None:
        return await _call(function, is_async, args, kwargs, tool_name)
    # move_on_after, not fail_after: a TimeoutError raised by the tool itself
    # is the tool's failure, not our timeout.
    with anyio.move_on_after(limit):
        return await _call(function, is_async, args, kwargs, tool_name)
    raise ToolTimeoutError(
        f"Tool {tool_name!r} did not finish within its {limit:g} s timeout; "
        "its result is discarded.",
        tool_name=tool_name,
        seconds=limit,
    )


async def _call(
    function: Callable[..., Any],
    is_async: bool,
    args: list[Any],
    kwargs: dict[str, Any],
    tool_name: str,
) -> Any:
    try:
        return await call_function(function, is_async, args, kwargs)
    except Exception as exc:
        raise ToolExecutionError(
            f"Tool {tool_name!r} failed: {type(exc).__name__}: {_short(exc)}",
            tool_name=tool_name,
        ) from exc


def log_failure(error: ToolError, tool_name: str, context: RunContext[Any]) -> None:
    """Log a failed call: tracebacks for exceptions, one line otherwise."""
    logger = get_logger(
        "agentkit.tools", tool=tool_name, run_id=context.run_id, tool_call_id=context.tool_call_id
    )
    if isinstance(error, ToolTimeoutError):
        logger.warning("tool.timeout", seconds=error.seconds)
    elif isinstance(error, ToolExecutionError):
        logger.error("tool.failed", error=str(error), exc_info=error.__cause__ or error)
    else:
        logger.info("tool.rejected", error=str(error))


def _short(exc: Exception) -> str:
    """The exception's message on one line, cut to a length a model can use."""
    text = " ".join(str(exc).split())
    if len(text) <= _MESSAGE_LIMIT:
        return text
    return f"{text[:_MESSAGE_LIMIT]}…"
