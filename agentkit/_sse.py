"""Server-Sent Events decoding: bytes in, events out. Knows nothing of OpenAI.

Follows the WHATWG SSE parsing rules: UTF-8 with an optional BOM, lines ended
by CRLF, LF or CR, ``field: value`` lines (one optional space after the
colon), comment lines starting with ``:``, multi-line ``data`` joined with
``\\n``, ``event``/``id``/``retry`` fields, and an event dispatched at each
blank line. Input may be split at any byte, including inside a multi-byte
character or between the CR and LF of a line ending.

One deliberate leniency: at the end of the stream a pending event that lacks
its final blank line is still dispatched (the spec drops it), because losing
a provider's last chunk is worse than accepting it.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

__all__ = ["SSEDecoder", "ServerSentEvent"]

_BOM = "\ufeff"


@dataclass(slots=True)
class ServerSentEvent:
    """One dispatched event: ``event`` defaults to ``"message"``; ``id`` is the
    last event id seen so far (it persists across events, as the spec says)."""

    data: str
    event: str = "message"
    id: str | None = None


class SSEDecoder:
    """Incremental decoder; feed it bytes as they arrive, then call `flush`.

    The common block (one ``data: ...`` line) takes a fast path; everything
    else goes through the general field parser.
    """

    def __init__(self) -> None:
        self._text_decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._started = False
        self.last_event_id: str | None = None
        self.retry: int | None = None

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        """Decode ``data`` and return the events completed by it."""
        text = self._text_decoder.decode(data)
        if not self._started:
            if not text:
                return []
            self._started = True
            if text[0] == _BOM:
                text = text[1:]
        return self._events_from(self._pending + text, final=False)

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: return the last event if it was left unterminated."""
        text = self._pending + self._text_decoder.decode(b"", final=True)
        self._pending = ""
        if not self._started and text.startswith(_BOM):
            text = text[1:]
        return self._events_from(text + "\n\n", final=True)

    def _events_from(self, text: str, *, final: bool) -> list[ServerSentEvent]:
        if "\r" in text:
            # A CR at the very end may be the first half of a CRLF: keep it back.
            held_back = "\r" if text[-1] == "\r" and not final else ""
            if held_back:
                text = text[:-1]
            text = text.replace("\r\n", "\n").replace("\r", "\n") + held_back
        blocks = text.split("\n\n")
        self._pending = blocks.pop()
        events: list[ServerSentEvent] = []
        for block in blocks:
            if block[:6] == "data: " and "\n" not in block:
                events.append(ServerSentEvent(block[6:], "message", self.last_event_id))
            elif block:
                event = self._parse_block(block)
                if event is not None:
                    events.append(event)
        return events

    def _parse_block(self, block: str) -> ServerSentEvent | None:
        data_lines: list[str] = []
        event_type = "message"
        for line in block.split("\n"):
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
