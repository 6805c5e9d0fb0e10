"""The errors a streamed turn raises, worded for the person reading them."""

from __future__ import annotations

import httpx

from .._accumulate import StreamAccumulator
from .._errors import APITimeoutError, IncompleteStreamError, StreamTimeoutError
from ._policy import Timeouts

__all__ = ["interrupted", "stalled", "timed_out_before_stream", "too_late_for_first_chunk"]


def timed_out_before_stream(
    error: httpx.TimeoutException, chat_url: str, timeouts: Timeouts
) -> APITimeoutError:
    """An httpx timeout before the first chunk (retried by the caller)."""
    if isinstance(error, httpx.PoolTimeout):
        return APITimeoutError(
            f"Waited {timeouts.pool} s for a free connection to {chat_url} (pool timeout): "
            "every connection of the model's pool was busy with other turns. Raise "
            "OpenAIChatModel(max_connections=...) (or the limits of your own http_client), "
            "or Timeouts(pool=...).",
            phase="pool",
            seconds=timeouts.pool or 0.0,
        )
    if isinstance(error, httpx.ConnectTimeout):
        return APITimeoutError(
            f"Timed out connecting to {chat_url} (connect timeout {timeouts.connect} s).",
            phase="connect",
            seconds=timeouts.connect or 0.0,
        )
    if isinstance(error, httpx.WriteTimeout):
        return APITimeoutError(
            f"Timed out sending the request to {chat_url} (it is bounded by the connect "
            f"timeout, {timeouts.connect} s).",
            phase="write",
            seconds=timeouts.connect or 0.0,
        )
    return APITimeoutError(
        f"{chat_url} sent nothing for {timeouts.chunk_gap} s before the first chunk "
        "(chunk_gap timeout).",
        phase="chunk_gap",
        seconds=timeouts.chunk_gap or 0.0,
    )


def too_late_for_first_chunk(
    timeouts: Timeouts, *, total_expired: bool, waiting_for_connection: bool = False
) -> APITimeoutError:
    """The first chunk did not come in time (``first_chunk``, or ``total``),
    possibly because no pooled connection became free."""
    if total_expired:
        message = (
            f"The turn exceeded its total timeout of {timeouts.total} s before the first "
            "chunk arrived."
        )
        phase, seconds = "total", timeouts.total or 0.0
    else:
        message = (
            f"No chunk arrived within {timeouts.first_chunk} s of sending the request "
            "(first_chunk timeout)."
        )
        phase, seconds = "first_chunk", timeouts.first_chunk or 0.0
    if waiting_for_connection:
        message += (
            " The request was still waiting for a free connection: every connection of the "
            "model's pool was busy with other turns. Raise OpenAIChatModel(max_connections=...) "
            "(or the limits of your own http_client), or bound that wait with Timeouts(pool=...)."
        )
    return APITimeoutError(message, phase=phase, seconds=seconds)


def interrupted(accumulator: StreamAccumulator, what: str) -> IncompleteStreamError:
    """The stream broke after it started; everything received rides along."""
    partial = accumulator.message
    return IncompleteStreamError(
        f"The model stream was interrupted: {what}. "
        f"Received {len(partial.content)} characters of text and "
        f"{len(partial.tool_calls)} complete tool call(s) before the break; "
        "they are on this error's .message.",
        partial=partial,
        dropped_tool_calls=accumulator.pending_tool_calls,
    )


def stalled(
    accumulator: StreamAccumulator, timeouts: Timeouts, *, total_expired: bool
) -> StreamTimeoutError:
    """A timeout after the stream started: a stall, or the whole turn."""
    if total_expired:
        phase, seconds = "total", timeouts.total or 0.0
        what = f"the turn exceeded its total timeout of {seconds} s"
    else:
        phase, seconds = "chunk_gap", timeouts.chunk_gap or 0.0
        what = f"no chunk for {seconds} s (chunk_gap timeout); the stream stalled"
    return StreamTimeoutError(
        f"The model stream was interrupted: {what}. The partial message is on .message.",
        phase=phase,
        seconds=seconds,
        partial=accumulator.message,
        dropped_tool_calls=accumulator.pending_tool_calls,
    )
