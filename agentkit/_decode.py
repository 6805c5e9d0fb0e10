"""One streamed turn's bytes -> events and the assistant message, with no I/O.

The pipeline is three steps of one shape, composed: `SSEDecoder` (bytes ->
server-sent events), `chunk_from_event` (event -> chunk dict, ``[DONE]`` or a
typed error) and `StreamAccumulator` (chunk -> events + message). The model
layer feeds it what the network delivers; tests and benchmarks feed it bytes
directly, so all of them exercise the same code.

A turn is *complete* when ``[DONE]`` arrived, or when a finish reason arrived
and the body then ended cleanly (Cerebras, for one, sends no ``[DONE]``).
"""

from __future__ import annotations

from typing import Any

from . import _chunks
from ._accumulate import StreamAccumulator
from ._chunks import DONE, chunk_from_event
from ._errors import MalformedChunkError, StreamError, excerpt
from ._events import Event
from ._messages import AssistantMessage
from ._sse import SSEDecoder

__all__ = ["TurnDecoder"]


class TurnDecoder:
    """Decodes the body of one streamed turn.

    Call `feed` with each piece of the body, then `end` when the body ended
    (not needed after ``[DONE]``). Both return the events the piece completed.
    A bad or error payload stops decoding: the events of the chunks before
    it are still returned, and the error is kept in `error` for the caller
    to raise once those events are delivered.

    Attributes:
        accumulator: The accumulator (message, pending calls, chunk count).
        done: ``[DONE]`` arrived.
        error: The payload error that stopped decoding, or None.
    """

    __slots__ = ("_sse", "accumulator", "done", "ended", "error")

    def __init__(self) -> None:
        self._sse = SSEDecoder()
        self.accumulator = StreamAccumulator()
        self.done = False
        self.ended = False
        self.error: StreamError | None = None

    @property
    def stopped(self) -> bool:
        """Nothing more will be decoded: ``[DONE]`` arrived or a payload failed."""
        return self.done or self.error is not None

    @property
    def complete(self) -> bool:
        """The turn arrived whole: ``[DONE]``, or a finish reason and a clean end."""
        return self.error is None and (
            self.done or (self.ended and self.accumulator.finish_reason is not None)
        )

    @property
    def message(self) -> AssistantMessage:
        """The assistant message so far (complete once the turn is)."""
        return self.accumulator.message

    def feed(self, data: bytes) -> list[Event]:
        """Decode a piece of the body; return the events it completed."""
        if self.done or self.error is not None:
            return []
        return self._apply(self._sse.blocks(data))

    def end(self) -> list[Event]:
        """The body ended: decode a last unterminated event and, when a finish
        reason arrived, seal the calls still open (the turn is complete)."""
        if self.done or self.error is not None:
            return []
        self.ended = True
        events = self._apply(self._sse.flush_blocks())
        if not self.done and self.error is None and self.accumulator.finish_reason is not None:
            events += self.accumulator.close()
        return events

    def _apply(self, blocks: list[bytes]) -> list[Event]:
        events: list[Event] = []
        add_into = self.accumulator.add_into
        loads = _chunks.fast_loads
        chunk: Any = None
        try:
            for block in blocks:
                if block[:6] == b"data: " and b"\n" not in block:  # the common block
                    # Parsed straight from the bytes, inline: a chunk costs a
                    # few microseconds, a call a tenth of one.
                    try:
                        chunk = loads(block[6:])
                    except (ValueError, StopIteration, RecursionError):
                        chunk = None
                    if chunk.__class__ is dict and not chunk.get("error"):
                        add_into(chunk, events)
                        continue
                    # [DONE], an error payload, not a JSON object: the general path
                elif block[:1] == b":" and b"\n" not in block:
                    continue  # a comment: a keep-alive
                server_event = self._sse.parse_block(block)
                if server_event is None:
                    continue
                chunk = chunk_from_event(server_event)
                if chunk.__class__ is dict:
                    add_into(chunk, events)
                elif chunk is DONE:
                    self.done = True
                    events += self.accumulator.close()
                    break
        except StreamError as error:
            self.error = error
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as error:
            self.error = _unexpected_shape(chunk, error)
        return events


def _unexpected_shape(chunk: Any, error: Exception) -> MalformedChunkError:
    """A JSON object whose fields have shapes no chunk has (``"choices": "x"``)."""
    payload = excerpt(repr(chunk))
    return MalformedChunkError(
        f"The stream sent a chunk of an unexpected shape ({type(error).__name__}: {error}): "
        f"{payload}",
        payload=payload,
    )
