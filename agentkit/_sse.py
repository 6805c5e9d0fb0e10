"""Server-Sent Events decoding: bytes in, events out. Knows nothing of OpenAI.

Follows the WHATWG SSE parsing rules: UTF-8 with an optional BOM, lines ended
by CRLF, LF or CR, ``field: value`` lines (one optional space after the
colon), comment lines starting with ``:``, multi-line ``data`` joined with
``\\n``, ``event``/``id``/``retry`` fields, and an event dispatched at each
blank line. Input may be split at any byte, including inside a multi-byte
character or between the CR and LF of a line ending.

The work is done on bytes: `SSEDecoder.blocks` cuts the input into complete
blocks (line endings normalised to LF; a UTF-8 sequence never contains a LF
byte, so no character is ever cut), and `SSEDecoder.parse_block` reads one.
A caller that only needs the ``data:`` payload of the common one-line block
(the chunk decoder does) can take it from the bytes without building an
event; `feed` does both steps for everyone else.

One deliberate leniency: at the end of the stream a pending event that lacks
its final blank line is still dispatched (the spec drops it), because losing
a provider's last chunk is worse than accepting it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SSEDecoder", "ServerSentEvent"]

_BOM = b"\xef\xbb\xbf"


@dataclass(slots=True)
class ServerSentEvent:
    """One dispatched event: ``event`` defaults to ``"message"``; ``id`` is the
    last event id seen so far (it persists across events, as the spec says)."""

    data: str
    event: str = "message"
    id: str | None = None


class SSEDecoder:
    """Incremental decoder; feed it bytes as they arrive, then call `flush`."""

    __slots__ = ("_pending", "_started", "last_event_id", "retry")

    def __init__(self) -> None:
        self._pending = b""
        self._started = False
        self.last_event_id: str | None = None
        self.retry: int | None = None

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        """Decode ``data`` and return the events completed by it."""
        return self._events(self.blocks(data))

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: return the last event if it was left unterminated."""
        return self._events(self.flush_blocks())

    def blocks(self, data: bytes) -> list[bytes]:
        """The blocks (the lines between two blank lines, LF-separated)
        that ``data`` completed."""
        buffer = self._pending + data if self._pending else data
        if not self._started:
            if len(buffer) < len(_BOM) and _BOM.startswith(buffer):
                self._pending = buffer  # maybe a BOM cut in two: wait
                return []
            self._started = True
            if buffer[:3] == _BOM:
                buffer = buffer[3:]
        if b"\r" in buffer:
            buffer = self._normalise(buffer, final=False)
        blocks = buffer.split(b"\n\n")
        self._pending = blocks.pop()
        return blocks

    def flush_blocks(self) -> list[bytes]:
        """End of stream: the last block if it was left unterminated."""
        buffer, self._pending = self._pending, b""
        if not self._started and buffer.startswith(_BOM):
            buffer = buffer[3:]
        if b"\r" in buffer:
            buffer = self._normalise(buffer, final=True)
        return [block for block in buffer.split(b"\n\n") if block]

    def parse_block(self, block: bytes) -> ServerSentEvent | None:
        """The event of one block; None when it dispatches nothing (comments,
        fields without ``data``)."""
        if block[:6] == b"data: " and b"\n" not in block:
            return ServerSentEvent(
                block[6:].decode("utf-8", "replace"), "message", self.last_event_id
            )
        data_lines: list[str] = []
        event_type = "message"
        for line in block.decode("utf-8", "replace").split("\n"):
            if not line or line[0] == ":":
                continue
            name, colon, value = line.partition(":")
            if colon and value[:1] == " ":
                value = value[1:]
            if name == "data":
                data_lines.append(value)
            elif name == "event":
                event_type = value or "message"
            elif name == "id" and "\0" not in value:
                self.last_event_id = value
            elif name == "retry" and value.isascii() and value.isdigit():
                self.retry = int(value)
        if not data_lines:
            return None
        return ServerSentEvent("\n".join(data_lines), event_type, self.last_event_id)

    def _events(self, blocks: list[bytes]) -> list[ServerSentEvent]:
        events = []
        for block in blocks:
            event = self.parse_block(block)
            if event is not None:
                events.append(event)
        return events

    def _normalise(self, buffer: bytes, *, final: bool) -> bytes:
        """CRLF and CR line endings as LF. A CR at the very end may be the
        first half of a CRLF: it is kept back until more arrives."""
        held_back = b"\r" if buffer[-1:] == b"\r" and not final else b""
        if held_back:
            buffer = buffer[:-1]
        return buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n") + held_back
