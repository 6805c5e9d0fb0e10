"""What a hand-written streaming loop does with a turn: the part the
baselines of `wire.py` and `concurrency.py` share."""

from __future__ import annotations

import json
from typing import Any


class HandAccumulator:
    """Text, tool calls by index, usage and the finish reason of one
    streamed turn (and its chunk count), accumulated the way people write it
    by hand."""

    def __init__(self) -> None:
        self.content: list[str] = []
        self.calls: dict[int, dict[str, Any]] = {}
        self.usage: Any = None
        self.finish_reason: Any = None
        self.chunks = 0

    def add(self, chunk: dict[str, Any]) -> None:
        self.chunks += 1
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        choices = chunk.get("choices")
        if not choices:
            return
        delta = choices[0].get("delta") or {}
        if delta.get("content"):
            self.content.append(delta["content"])
        for call in delta.get("tool_calls") or []:
            entry = self.calls.setdefault(call["index"], {"id": "", "name": "", "arguments": []})
            function = call.get("function") or {}
            entry["id"] = entry["id"] or call.get("id") or ""
            entry["name"] = entry["name"] or function.get("name") or ""
            if function.get("arguments"):
                entry["arguments"].append(function["arguments"])
        self.finish_reason = choices[0].get("finish_reason") or self.finish_reason

    def arguments(self) -> list[str]:
        """Each call's arguments, in index order."""
        return ["".join(entry["arguments"]) for _, entry in sorted(self.calls.items())]

    def assistant_message(self) -> dict[str, Any]:
        """The turn as the assistant message sent back with the next request."""
        message: dict[str, Any] = {"role": "assistant", "content": "".join(self.content) or None}
        if self.calls:
            message["tool_calls"] = [
                {
                    "id": entry["id"],
                    "type": "function",
                    "function": {"name": entry["name"], "arguments": arguments},
                }
                for (_, entry), arguments in zip(
                    sorted(self.calls.items()), self.arguments(), strict=True
                )
            ]
        return message


async def read_by_bytes(response: Any, accumulator: HandAccumulator) -> None:
    """Read a streamed body the fast hand-written way: the raw bytes split on
    blank lines, ``json.loads`` on each ``data: {...}`` payload."""
    pending = b""
    async for piece in response.aiter_bytes():
        blocks = (pending + piece).split(b"\n\n")
        pending = blocks.pop()
        for block in blocks:
            if block[:6] == b"data: " and block[6:7] == b"{":
                accumulator.add(json.loads(block[6:]))
