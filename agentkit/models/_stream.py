"""One streamed model turn: the request, retries before the first chunk, then
bytes → SSE events → chunks → accumulator events, under the turn's timeouts.

Timeouts cost nothing per chunk: silence on the connection is cut by httpx's
own read timeout (``chunk_gap``), a stream that only sends keep-alives is
caught by a clock check per network read, and the wait for the first chunk is
bounded by one cancel scope per attempt.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from .._accumulate import StreamAccumulator
from .._chunks import DONE, chunk_from_event
from .._errors import APIConnectionError, ModelError, StreamError
from .._events import Event, Retry
from .._logging import get_logger
from .._messages import AssistantMessage
from .._sse import ServerSentEvent, SSEDecoder
from ._policy import RETRYABLE_STATUS_CODES, parse_retry_after
from ._status import BODY_LIMIT, status_error
from ._stream_errors import interrupted, stalled, timed_out_before_stream, too_late_for_first_chunk

if TYPE_CHECKING:
    from .openai import OpenAIChatModel

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
        # A request corrected on our side (stream_options dropped): sent again
        # at once, whatever the retry budget.
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
        MalformedChunkError, ProviderStreamError: A bad or error payload.
    """

    def __init__(self, model: OpenAIChatModel, body: dict[str, Any]) -> None:
        self._model = model
        self._body = body
        self._accumulator = StreamAccumulator()
        self._events: AsyncIterator[Event] | None = None
        self._response: httpx.Response | None = None
        self._closed = False
        self._done = False
        # A bad payload, raised once the events before it are delivered.
        self._payload_error: StreamError | None = None

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
        return self._accumulator.message

    @property
    def accumulator(self) -> StreamAccumulator:
        """The accumulator behind this turn (pending tool calls, chunk count)."""
        return self._accumulator

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
        deadline = _deadline(self._model.timeouts.total)
        opened: list[tuple[AsyncIterator[bytes], SSEDecoder, list[Event]]] = []
        async with aclosing(self._open_with_retries(deadline, opened)) as retries:
            async for retry in retries:
                yield retry
        byte_stream, decoder, first_events = opened[0]
        try:
            for event in first_events:
                yield event
            if self._payload_error is not None:
                raise self._payload_error
            if not self._done:
                # The read loop lives here rather than in a helper generator:
                # one async-generator layer less per event.
                gap = self._model.timeouts.chunk_gap
                gap = math.inf if gap is None else gap
                accumulator = self._accumulator
                events_from = self._events_from
                clock = time.monotonic
                chunks_seen, last_chunk_at = accumulator.chunk_count, clock()
                try:
                    async for raw in byte_stream:
                        events = events_from(decoder.feed(raw))
                        now = clock()
                        if accumulator.chunk_count != chunks_seen:
                            chunks_seen, last_chunk_at = accumulator.chunk_count, now
                        elif now - last_chunk_at > gap and not self._done:
                            raise stalled(accumulator, self._model.timeouts, total_expired=False)
                        # What arrived is delivered before any timeout is
                        # raised, so the events match the error's message.
                        for event in events:
                            yield event
                        if self._payload_error is not None:
                            raise self._payload_error
                        if self._done:
                            break
                        if now > deadline:
                            raise stalled(accumulator, self._model.timeouts, total_expired=True)
                    else:
                        for event in self._end_without_done(decoder):
                            yield event
                        if self._payload_error is not None:
                            raise self._payload_error
                        if not self._done and accumulator.finish_reason is None:
                            raise interrupted(
                                accumulator,
                                "the stream ended without [DONE] and without a finish_reason",
                            )
                except httpx.ReadTimeout as error:
                    raise stalled(
                        accumulator, self._model.timeouts, total_expired=clock() >= deadline
                    ) from error
                except httpx.TransportError as error:
                    raise interrupted(accumulator, f"the connection broke ({error!r})") from error
            await _drain(byte_stream)
        finally:
            with anyio.CancelScope(shield=True):
                await self._close_response()

    async def _open_with_retries(
        self,
        deadline: float,
        opened: list[tuple[AsyncIterator[bytes], SSEDecoder, list[Event]]],
    ) -> AsyncGenerator[Retry, None]:
        """Open the stream into ``opened``, yielding a `Retry` before each retry."""
        retry = 0
        while True:
            try:
                opened.append(await self._open(deadline))
                return
            except _RetryableError as failure:
                retry += 1
                if failure.resend:
                    delay: float | None = 0.0
                else:
                    delay = self._model.retry_policy.delay(retry, failure.retry_after)
                if delay is None or time.monotonic() + delay >= deadline:
                    raise failure.error from failure.__cause__
                get_logger("agentkit.model").info(
                    "model.retry", retry=retry, delay=round(delay, 3), reason=str(failure)
                )
                yield Retry(retry, str(failure.error), delay)
                await anyio.sleep(delay)

    async def _open(self, deadline: float) -> tuple[AsyncIterator[bytes], SSEDecoder, list[Event]]:
        """Send the request and read up to the first chunk. Every failure in
        here happens before any event was delivered, so it may be retried."""
        timeouts = self._model.timeouts
        first_chunk_deadline = min(_deadline(timeouts.first_chunk), deadline)
        remaining = first_chunk_deadline - time.monotonic()
        with anyio.move_on_after(remaining):
            try:
                return await self._send_and_read_first_chunk(deadline)
            except httpx.TimeoutException as error:
                await self._close_response()
                raise _RetryableError(
                    timed_out_before_stream(error, self._model.chat_url, timeouts)
                ) from error
            except httpx.TransportError as error:
                await self._close_response()
                unreachable = APIConnectionError(
                    f"Could not reach {self._model.chat_url}: {error or type(error).__name__}"
                )
                raise _RetryableError(unreachable) from error
        await self._close_response()
        if deadline <= first_chunk_deadline:
            raise too_late_for_first_chunk(timeouts, total_expired=True)
        raise _RetryableError(too_late_for_first_chunk(timeouts, total_expired=False))

    async def _send_and_read_first_chunk(
        self, deadline: float
    ) -> tuple[AsyncIterator[bytes], SSEDecoder, list[Event]]:
        model = self._model
        request = model.build_request(self._body, read_timeout=self._read_timeout(deadline))
        response = await model.client.send(request, stream=True)
        self._response = response
        if response.status_code >= 300:
            await self._raise_for_status(response)
        byte_stream = response.aiter_bytes()
        decoder = SSEDecoder()
        async for raw in byte_stream:
            events = self._events_from(decoder.feed(raw))
            if self._done or self._accumulator.chunk_count or self._payload_error:
                return byte_stream, decoder, events
        raise _RetryableError(
            APIConnectionError(f"{model.chat_url} closed the stream before sending any chunk.")
        )

    async def _raise_for_status(self, response: httpx.Response) -> None:
        body = b""
        async for piece in response.aiter_bytes():
            body += piece
            if len(body) >= BODY_LIMIT:
                break
        await self._close_response()
        error = status_error(response, body)
        status = response.status_code
        if status in RETRYABLE_STATUS_CODES or status >= 500:
            raise _RetryableError(error, parse_retry_after(response.headers))
        if self._model.drop_stream_options_if_rejected(error):
            raise _RetryableError(error, resend=True)
        raise error

    def _events_from(self, server_events: list[ServerSentEvent]) -> list[Event]:
        """The events of the chunks carried by ``server_events``. A bad or
        error payload stops there and is kept in ``_payload_error``: the
        caller delivers the events of the chunks before it, then raises it."""
        events: list[Event] = []
        add = self._accumulator.add
        try:
            for server_event in server_events:
                chunk = chunk_from_event(server_event)
                if chunk is None:
                    continue
                if chunk is DONE:
                    self._done = True
                    events.extend(self._accumulator.close())
                    break
                events.extend(add(chunk))  # type: ignore[arg-type]
        except StreamError as error:
            self._payload_error = error
        return events

    def _end_without_done(self, decoder: SSEDecoder) -> list[Event]:
        """The body ended without ``[DONE]``: the events of a last,
        unterminated event, and the calls sealed if a finish reason came (the
        caller raises when none did)."""
        events = self._events_from(decoder.flush())
        if self._done or self._accumulator.finish_reason is None:
            return events
        return events + self._accumulator.close()

    def _read_timeout(self, deadline: float) -> float | None:
        gap = self._model.timeouts.chunk_gap
        remaining = deadline - time.monotonic()
        limit = min(math.inf if gap is None else gap, remaining)
        return None if limit == math.inf else max(limit, 0.001)


def _deadline(seconds: float | None) -> float:
    return math.inf if seconds is None else time.monotonic() + seconds


async def _drain(byte_stream: AsyncIterator[bytes]) -> None:
    """Read what follows ``[DONE]`` (normally just the end of the HTTP body)
    so the connection goes back to the pool instead of being closed."""
    with anyio.move_on_after(_DRAIN_SECONDS):
        try:
            async for _ in byte_stream:
                pass
        except httpx.TransportError:
            pass
