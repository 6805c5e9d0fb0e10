"""Timeouts and retry policy of a model endpoint: plain configuration values."""

from __future__ import annotations

import email.utils
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "RETRYABLE_STATUS_CODES",
    "RetryPolicy",
    "Timeouts",
    "is_retryable_status",
    "parse_retry_after",
]

_DEFAULT_CONNECT = 10.0

RETRYABLE_STATUS_CODES = frozenset({408, 409, 429})
"""Statuses retried besides every 5xx."""

# A 5xx that blames the request: pydantic's "1 validation error for X"
# (llama-cpp-python answers a request its model rejects with a 500), or an
# OpenAI-style error typed invalid_request_error.
_REQUEST_REJECTED = re.compile(
    r'\b\d+ validation errors? for \w|"type"\s*:\s*"invalid_request_error"'
)


def is_retryable_status(status: int, body: str) -> bool:
    """Whether a non-2xx answer is worth sending again: 408, 409, 429, and
    5xx unless the body says the request itself is invalid (that request
    would be rejected again, the same way)."""
    if status in RETRYABLE_STATUS_CODES:
        return True
    return status >= 500 and _REQUEST_REJECTED.search(body) is None


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long to wait, in seconds, at each phase of a streamed turn.

    None disables a limit. The defaults suit slow reasoning models, which can
    think for minutes before their first token.

    Attributes:
        connect: Establishing a new connection; also bounds sending the
            request. Retried when it expires.
        first_chunk: From sending the request to the first chunk, in total
            (catches a server that keeps the connection busy with keep-alive
            comments but never starts). Retried when it expires.
        chunk_gap: Longest time without a chunk. Silence on the connection is
            cut by the HTTP read timeout, which also applies while waiting for
            the response headers and the first chunk (raise it for models
            that think silently for longer); a stream that sends only
            keep-alives is caught too. Before the first chunk it is retried;
            after, the turn fails with `StreamTimeoutError` (phase
            ``"chunk_gap"``) carrying the partial message.
        total: The whole turn, retries included; checked between reads.
        pool: Waiting for a free connection when all of the model's
            ``max_connections`` are busy. None (the default): no bound of its
            own; the wait still counts towards ``first_chunk`` and ``total``.
            Retried when it expires (`APITimeoutError` with phase ``"pool"``).
    """

    connect: float | None = _DEFAULT_CONNECT
    first_chunk: float | None = 300.0
    chunk_gap: float | None = 120.0
    total: float | None = None
    pool: float | None = None

    @classmethod
    def coerce(cls, value: float | Timeouts | None) -> Timeouts:
        """A `Timeouts` from a number (the read limits: first chunk and chunk
        gap; connect is capped at it), from None (the defaults), or as is."""
        if value is None:
            return cls()
        if isinstance(value, Timeouts):
            return value
        seconds = float(value)
        return cls(connect=min(_DEFAULT_CONNECT, seconds), first_chunk=seconds, chunk_gap=seconds)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When and how long to wait before retrying a request.

    Retried: connection errors, timeouts before the first chunk, and statuses
    408, 409, 429 and 5xx, except a 5xx whose body says the request is
    invalid (a pydantic ``validation error``, or an error of type
    ``invalid_request_error``): that request would fail again. The wait
    doubles from ``initial_delay`` up to ``max_delay``, with random jitter
    (up to ``jitter`` of the delay taken off) so that many clients do not
    retry in step. A ``Retry-After`` (or
    ``retry-after-ms``) header replaces the computed delay; if it asks for
    more than ``max_retry_after`` seconds, the error is raised instead.

    Attributes:
        max_retries: Retries after the first attempt (0 disables retrying).
        initial_delay: Delay before the first retry.
        max_delay: Cap of the computed delay.
        jitter: Fraction of the delay that may be randomly removed (0..1).
        max_retry_after: Longest server-requested wait agentkit accepts.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 60.0

    def delay(self, retry: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait before retry number ``retry`` (1-based), or None
        when no retry should be made."""
        if retry > self.max_retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        delay = min(self.max_delay, self.initial_delay * 2.0 ** (retry - 1))
        return delay * (1 - self.jitter * random.random())


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``retry-after-ms``, or ``Retry-After`` as seconds or an
    HTTP date; None when absent or unreadable."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
