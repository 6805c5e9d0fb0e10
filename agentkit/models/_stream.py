"""One streamed model turn: send the request, retry what failed before the
first chunk, then feed the body to the turn's `TurnDecoder` under the turn's
timeouts.

The turn receives everything it needs (client, request, timeouts, retry
policy) and never calls back into the model. Timeouts cost nothing per chunk:
silence on the connection is cut by httpx's own read timeout (``chunk_gap``),
a stream that only sends keep-alives is caught by a clock check per network
read, and the wait for the first chunk is bounded by one cancel scope per
attempt.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx

from .._accumulate import StreamAccumulator
from .._decode import TurnDecoder
from .._errors import APIConnectionError, BadRequestError, ModelError
from .._events import Event, Retry
from .._logging import get_logger
from .._messages import AssistantMessage
from ._policy import RetryPolicy, Timeouts, is_retryable_status, parse_retry_after
from ._request import ChatRequest
from ._status import BODY_LIMIT, status_error
from ._stream_errors import interrupted, stalled, timed_out_before_stream, too_late_for_first_chunk

__all__ = ["StreamedTurn"]

_DRAIN_SECONDS = 1.0


class _RetryableError(Exception):
    """Internal: a failure before any event was delivered, safe to retry."""

    def __init__(
        self, error: ModelError, retry_after: float | None = None, *, resend: bool = False
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after
        # A request corrected on our side (a rejected part dropped): sent
        # again at once, whatever the retry budget.
        self.resend = resend


class StreamedTurn:
    """One streamed model turn, returned by `OpenAIChatModel.stream`.

    Use it as an async context manager and iterate it for events; afterwards
    `message` holds the accumulated assistant message:

        async with model.stream(messages) as turn:
            async for event in turn:
                ...
        print(turn.message.content)

    Iteration sends the request, retries what is safe to retry before the
    first chunk (announcing each retry with a `Retry` event), then yields
    text, reasoning and tool-call events as chunks arrive. Leaving the
    ``async with`` block closes the response, even mid-stream.

    Raises (while iterating):
        APIStatusError: A non-2xx answer (after retries, for retryable ones).
        APIConnectionError: The endpoint could not be reached (after retries).
        APITimeoutError: Connect, first-chunk or total timeout before the
            stream started (after retries).
        IncompleteStreamError: The stream broke after it started; the
            partial message is on the error.
        StreamTimeoutError: The stream stalled, or the turn took too long.
        MalformedChunkError, ProviderStreamError: A bad or error payload
            (the partial message is on the error's ``partial``).
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        request: ChatRequest,
        *,
        timeouts: Timeouts,
        retry_policy: RetryPolicy,
    ) -> None:
        self._client = client
        self._request = request
        self._timeouts = timeouts
        self._retry_policy = retry_policy
        self._decoder = TurnDecoder()
        self._sent = False  # a request went out (the decoder may hold its bytes)
        self._events: AsyncIterator[Event] | None = None
        self._response: httpx.Response | None = None
        self._closed = False
        self._finished = False

    async def __aenter__(self) -> StreamedTurn:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[Event]:
        if self._events is None:
            self._events = self._stream()
        return self._events

    @property
    def message(self) -> AssistantMessage:
        """The assistant message so far (complete once iteration has ended)."""
        return self._decoder.message

    @property
    def sent_messages(self) -> list[Any]:
        """The messages the request carried as last sent: the ones given,
        with any round-trip field the endpoint rejected left out."""
        return self._request.sent_messages

    @property
    def accumulator(self) -> StreamAccumulator:
        """The accumulator behind this turn (pending tool calls, chunk count)."""
        return self._decoder.accumulator

    async def collect(self) -> AssistantMessage:
        """Consume the remaining events and return the complete message."""
        async for _ in self:
            pass
        return self.message

    async def aclose(self) -> None:
        """Stop the turn and release its connection. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._finished:  # the stream ended and released its connection
            return
        with anyio.CancelScope(shield=True):
            if self._events is not None:
                await self._events.aclose()  # type: ignore[attr-defined]
            await self._close_response()

    async def _close_response(self) -> None:
        response, self._response = self._response, None
        if response is not None:
            await response.aclose()

    # ------------------------------------------------------------ the stream

    async def _stream(self) -> AsyncIterator[Event]:
        deadline = _deadline(self._timeouts.total)
        retry = 0
        while True:
            try:
                byte_stream, first_events = await self._open(deadline)
                break
            except _RetryableError as failure:
                retry += 1
                delay = self._retry_delay(failure, retry, deadline)
                get_logger("agentkit.model").info(
                    "model.retry", retry=retry, delay=round(delay, 3), reason=str(failure)
                )
                yield Retry(retry, str(failure.error), delay)
                await anyio.sleep(delay)
        decoder = self._decoder
        try:
            for event in first_events:
                yield event
            self._raise_payload_error()
            if not decoder.stopped:
                # The read loop lives here rather than in a helper generator:
                # one async-generator layer less per event.
                gap = self._timeouts.chunk_gap
                gap = math.inf if gap is None else gap
                accumulator = decoder.accumulator
                feed = decoder.feed
                clock = time.monotonic
                chunks_seen, last_chunk_at = accumulator.chunk_count, clock()
                try:
                    async for raw in byte_stream:
                        events = feed(raw)
                        now = clock()
                        if accumulator.chunk_count != chunks_seen:
                            chunks_seen, last_chunk_at = accumulator.chunk_count, now
                        elif now - last_chunk_at > gap and not decoder.done:
                            raise stalled(accumulator, self._timeouts, total_expired=False)
                        # What arrived is delivered before any timeout is
                        # raised, so the events match the error's message.
                        for event in events:
                            yield event
                        if decoder.stopped:
                            break
                        if now > deadline:
                            raise stalled(accumulator, self._timeouts, total_expired=True)
                    else:
                        for event in decoder.end():
                            yield event
                except httpx.ReadTimeout as error:
                    raise stalled(
                        accumulator, self._timeouts, total_expired=clock() >= deadline
                    ) from error
                except httpx.TransportError as error:
                    raise interrupted(accumulator, f"the connection broke ({error!r})") from error
                self._raise_payload_error()
                if not decoder.complete:
                    raise interrupted(
                        accumulator, "the stream ended without [DONE] and without a finish_reason"
                    )
            await self._drain(byte_stream)
        finally:
            if self._response is not None and not self._response.is_closed:
                with anyio.CancelScope(shield=True):
                    await self._close_response()
        self._finished = True

    async def _drain(self, byte_stream: AsyncIterator[bytes]) -> None:
        """Read what follows ``[DONE]`` (normally just the end of the HTTP
        body) so the connection goes back to the pool instead of being
        closed; nothing to do when httpx already read the body to its end."""
        response = self._response
        if response is None or response.is_closed:
            return
        with anyio.move_on_after(_DRAIN_SECONDS):
            try:
                async for _ in byte_stream:
                    pass
            except httpx.TransportError:
                pass

    def _raise_payload_error(self) -> None:
        error = self._decoder.error
        if error is not None:
            error.partial = self._decoder.message
            raise error

    def _retry_delay(self, failure: _RetryableError, retry: int, deadline: float) -> float:
        """Seconds before retry number ``retry``; raises the failure's error
        when the budget or the deadline does not allow another try."""
        delay = 0.0 if failure.resend else self._retry_policy.delay(retry, failure.retry_after)
        if delay is None or time.monotonic() + delay >= deadline:
            raise failure.error from failure.__cause__
        return delay

    async def _open(self, deadline: float) -> tuple[AsyncIterator[bytes], list[Event]]:
        """Send the request and read up to the first chunk. Every failure in
        here happens before any event was delivered, so it may be retried."""
        timeouts = self._timeouts
        first_chunk_deadline = min(_deadline(timeouts.first_chunk), deadline)
        remaining = first_chunk_deadline - time.monotonic()
        with anyio.move_on_after(remaining):
            try:
                return await self._send_and_read_first_chunk(deadline)
            except httpx.TimeoutException as error:
                await self._close_response()
                raise _RetryableError(
                    timed_out_before_stream(error, str(self._request.url), timeouts)
                ) from error
            except httpx.TransportError as error:
                await self._close_response()
                unreachable = APIConnectionError(
                    f"Could not reach {self._request.url}: {error or type(error).__name__}"
                )
                raise _RetryableError(unreachable) from error
        await self._close_response()
        waiting = self._request.waiting_for_connection
        if deadline <= first_chunk_deadline:
            raise too_late_for_first_chunk(
                timeouts, total_expired=True, waiting_for_connection=waiting
            )
        raise _RetryableError(
            too_late_for_first_chunk(timeouts, total_expired=False, waiting_for_connection=waiting)
        )

    async def _send_and_read_first_chunk(
        self, deadline: float
    ) -> tuple[AsyncIterator[bytes], list[Event]]:
        request = self._request.build(self._client, read_timeout=self._read_timeout(deadline))
        response = await self._client.send(request, stream=True)
        self._response = response
        if response.status_code >= 300:
            await self._raise_for_status(response)
        byte_stream = _body(response)
        decoder = self._decoder
        if self._sent:  # a retried body starts from nothing
            decoder = self._decoder = TurnDecoder()
        self._sent = True
        async for raw in byte_stream:
            events = decoder.feed(raw)
            if decoder.stopped or decoder.accumulator.chunk_count:
                return byte_stream, events
        raise _RetryableError(
            APIConnectionError(f"{self._request.url} closed the stream before sending any chunk.")
        )

    async def _raise_for_status(self, response: httpx.Response) -> None:
        body = b""
        async for piece in response.aiter_bytes():
            body += piece
            if len(body) >= BODY_LIMIT:
                break
        await self._close_response()
        error = status_error(response, body)
        if is_retryable_status(response.status_code, error.body):
            raise _RetryableError(error, parse_retry_after(response.headers))
        if isinstance(error, BadRequestError) and self._request.adapt_to(error):
            raise _RetryableError(error, resend=True)
        raise error

    def _read_timeout(self, deadline: float) -> float | None:
        gap = self._timeouts.chunk_gap
        remaining = deadline - time.monotonic()
        limit = min(math.inf if gap is None else gap, remaining)
        return None if limit == math.inf else max(limit, 0.001)


def _body(response: httpx.Response) -> AsyncIterator[bytes]:
    """The response body as it arrives: raw when it is not compressed (one
    generator layer and a decoder call less per read), else decoded."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    return response.aiter_raw() if encoding == "identity" else response.aiter_bytes()


def _deadline(seconds: float | None) -> float:
    return math.inf if seconds is None else time.monotonic() + seconds
