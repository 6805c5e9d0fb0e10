"""The structured output as it forms: ``output.partial`` events from the
stream (the output call's argument fragments in tool mode, the answer text
in native and prompted modes), parsed incrementally."""

from __future__ import annotations

from typing import Any

from ._events import Event, OutputPartial, TextDelta, ToolCallArgumentsDelta, ToolCallStarted
from ._output import OutputSchema
from ._partial_json_stream import PartialJSONParser

__all__ = ["OutputWatcher"]


class OutputWatcher:
    """Watches one turn's events; `observe` returns an `OutputPartial` when
    an event changed the output parsed so far."""

    def __init__(self, output: OutputSchema[Any]) -> None:
        self._output = output
        self._call_id: str | None = None
        self._parser: PartialJSONParser | None = None
        if output.mode != "tool":
            self._parser = PartialJSONParser(skip_prefix=output.mode == "prompted")
        self._last: Any = None

    def observe(self, event: Event) -> OutputPartial | None:
        """The new partial output ``event`` brought, or None."""
        kind = event.__class__
        if kind is TextDelta:
            if self._output.mode == "tool" or self._parser is None:
                return None
            return self._partial(self._parser.feed(event.text))  # type: ignore[union-attr]
        if kind is ToolCallStarted and event.name == self._output.tool_name:  # type: ignore[union-attr]
            self._call_id = event.id  # type: ignore[union-attr]
            self._parser = PartialJSONParser()
            return None
        if kind is ToolCallArgumentsDelta and event.id == self._call_id and self._parser:  # type: ignore[union-attr]
            return self._partial(self._parser.feed(event.delta))  # type: ignore[union-attr]
        return None

    def _partial(self, parsed: Any) -> OutputPartial | None:
        if parsed is None or parsed is self._last:
            return None
        self._last = parsed
        partial = self._output.unwrap_partial(parsed)
        return None if partial is None else OutputPartial(partial)
