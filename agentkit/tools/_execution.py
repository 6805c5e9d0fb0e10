"""Running one tool call: calling the function under its timeout, turning its
return value into the tool message, and its failures into a `ToolOutcome`.

Async functions are awaited on the event loop. Sync functions run in a worker
thread (``anyio.to_thread.run_sync``) so a slow or blocking tool never stalls
the stream of other calls; when the caller is cancelled (a timeout, the run
being stopped) the thread is abandoned, because threads cannot be killed: the
function runs to its end in the background and its result is dropped.

Exceptions from the function become `ToolExecutionError` (the original is its
``__cause__``, and the full traceback goes to the ``agentkit.tools`` log);
running past the timeout becomes `ToolTimeoutError`. Cancellation
(``BaseException``) is never caught: it propagates unchanged.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread

from .._context import RunContext
from .._errors import ToolError, ToolExecutionError, ToolTimeoutError
from .._json import loads
from .._logging import get_logger

__all__ = ["ToolOutcome", "format_output", "log_failure", "run_function"]

_MESSAGE_LIMIT = 500
_JSON_SCALARS = (bool, int, float, type(None))
_JSON_CONTAINERS = (dict, list, tuple)


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """The result of executing one tool call; never an exception.

    Attributes:
        output: The content of the tool message sent back to the model: the
            formatted return value, or the error message written for the model.
        is_error: Whether the call failed (bad arguments, unknown tool, the
            function raised or timed out, or its value could not be formatted).
        error: The typed error when ``is_error`` (`ToolArgumentsError`,
            `UnknownToolError`, `ToolExecutionError`, `ToolTimeoutError`), else None.
        value: The function's raw return value on success, else None.
    """

    output: str
    is_error: bool = False
    error: ToolError | None = None
    value: Any = None

    @classmethod
    def failure(cls, error: ToolError) -> ToolOutcome:
        """The outcome of a failed call: the model reads ``str(error)``."""
        return cls(output=str(error), is_error=True, error=error)


async def run_function(
    function: Callable[..., Any],
    args: list[Any],
    kwargs: dict[str, Any],
    *,
    is_async: bool,
    tool_name: str,
    limit: float | None,
) -> Any:
    """Call ``function(*args, **kwargs)`` within ``limit`` seconds.

    Raises:
        ToolTimeoutError: ``limit`` expired (a sync function keeps running
            in its worker thread; its result is dropped).
        ToolExecutionError: The function raised.
    """
    if limit is None:
        return await _call(function, args, kwargs, is_async=is_async, tool_name=tool_name)
    # move_on_after, not fail_after: a TimeoutError raised by the tool itself
    # is the tool's failure, not our timeout.
    with anyio.move_on_after(limit):
        return await _call(function, args, kwargs, is_async=is_async, tool_name=tool_name)
    raise ToolTimeoutError(
        f"Tool {tool_name!r} did not finish within its {limit:g} s timeout; "
        "its result is discarded.",
        tool_name=tool_name,
        seconds=limit,
    )


def format_output(value: Any, tool_name: str) -> str:
    """``str`` as it is; pydantic models, dataclasses, dicts, lists, tuples,
    numbers, booleans and None as compact JSON (UTF-8, not escaped). Values
    inside containers may also be datetimes, UUIDs, enums, sets, nested
    models...: whatever pydantic serialises. NaN and infinite floats, which
    JSON cannot express, become ``null`` (as in JavaScript's
    ``JSON.stringify`` and pydantic's JSON mode).

    Raises:
        ToolExecutionError: Any other type, or a container holding a value
            that has no JSON form.
    """
    if isinstance(value, str):
        return value
    if not _is_json_like(value):
        raise _unsupported(value, tool_name)
    import pydantic_core  # on first use: import cost

    try:
        output = pydantic_core.to_json(value, inf_nan_mode="null")
        if b"NaN" in output or b"Infinity" in output:
            output = _finite_json(output)
        return output.decode()
    except (pydantic_core.PydanticSerializationError, ValueError, TypeError) as exc:
        raise ToolExecutionError(
            f"Tool {tool_name!r} returned a {type(value).__name__} that cannot be sent to the "
            f"model: {exc}",
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


async def _call(
    function: Callable[..., Any],
    args: list[Any],
    kwargs: dict[str, Any],
    *,
    is_async: bool,
    tool_name: str,
) -> Any:
    try:
        if is_async:
            return await function(*args, **kwargs)
        return await _call_in_thread(functools.partial(function, *args, **kwargs))
    except Exception as exc:
        raise ToolExecutionError(
            f"Tool {tool_name!r} failed: {type(exc).__name__}: {_short(exc)}",
            tool_name=tool_name,
        ) from exc


async def _call_in_thread(call: Callable[[], Any]) -> Any:
    result = await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
    if inspect.isawaitable(result):  # a sync wrapper that returned a coroutine
        return await result
    return result


def _short(exc: Exception) -> str:
    """The exception's message on one line, cut to a length a model can use
    (a placeholder when its ``__str__`` itself raises)."""
    try:
        text = " ".join(str(exc).split())
    except Exception:
        return "(its message could not be read)"
    if len(text) <= _MESSAGE_LIMIT:
        return text
    return f"{text[:_MESSAGE_LIMIT]}…"


def _finite_json(output: bytes) -> bytes:
    """``output`` with NaN and infinities as null. Only needed when a pydantic
    model's own config (``ser_json_inf_nan="constants"``) overrode ours.

    Raises:
        ValueError: The JSON is nested too deep to rewrite.
    """
    return json.dumps(
        _finite(loads(output.decode())), ensure_ascii=False, separators=(",", ":")
    ).encode()


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def _is_json_like(value: Any) -> bool:
    if isinstance(value, (*_JSON_SCALARS, *_JSON_CONTAINERS)) or _is_pydantic_model(value):
        return True
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _is_pydantic_model(value: Any) -> bool:
    # Without pydantic loaded, no value can be a model: no need to import it.
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(value, pydantic.BaseModel)


def _unsupported(value: Any, tool_name: str) -> ToolExecutionError:
    return ToolExecutionError(
        f"Tool {tool_name!r} returned a {type(value).__name__}, which cannot be sent to the "
        "model. Return a str, a pydantic model, a dataclass, or JSON data (dict, list, "
        "number, bool, None).",
        tool_name=tool_name,
    )
