"""Chunk dicts in, events and one assistant message out.

`StreamAccumulator` applies the accumulation rules every provider dialect
needs: choice 0 only; ``content`` as a string or as a list of typed parts;
reasoning from ``reasoning_content``, ``reasoning`` or ``thinking`` parts
(``reasoning_content``, ``reasoning_details`` and each call's
``extra_content`` are also kept as the provider sent them, to go back with
the tool calls: see `agentkit._round_trip`);
tool calls keyed by ``index`` (by ``id`` when ``index`` is missing), with
``id`` and ``name`` taken once and never concatenated (a call that comes
without an id gets a ``call_...`` one from its first event on); arguments as
string fragments or as a whole JSON object; usage from any chunk, the last
one wins (``x_groq.usage`` counts only when no chunk has a top-level
``usage``).

A tool call is *ready* (sealed) only on a structural signal: another call has
begun and this call's arguments parse as a complete JSON object, or the turn
finished normally. A call still open when the stream ends abnormally
(``length``, ``content_filter``, an error, a cut connection) is never ready.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ._errors import MalformedChunkError
from ._events import (
    Event,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCallArgumentsDelta,
    ToolCallReady,
    ToolCallStarted,
)
from ._json import MAX_DEPTH, too_deep
from ._json import loads as loads_bounded
from ._messages import AssistantMessage, ToolCall, Usage, is_abnormal_finish
from ._round_trip import merge_reasoning_details

__all__ = ["StreamAccumulator"]


class _PendingCall:
    """A tool call being streamed. Arguments are kept as fragments and joined
    once, so a long call costs O(n), and argument events can share the list."""

    __slots__ = ("extra_content", "fragments", "id", "id_is_synthetic", "index", "name", "ready")

    def __init__(self, index: int, call_id: str, name: str) -> None:
        self.index = index
        # A provider that sends no id still gets one from the first event on,
        # so started, arguments and ready events all name the call alike.
        self.id = call_id or f"call_{os.urandom(12).hex()}"
        self.id_is_synthetic = not call_id
        self.name = name
        self.fragments: list[str] = []
        self.ready: ToolCall | None = None
        self.extra_content: dict[str, Any] | None = None

    def snapshot(self) -> ToolCall:
        arguments = "".join(self.fragments)
        return ToolCall(self.id, self.name, arguments, self.index, self.extra_content)

    def seal(self) -> ToolCall:
        self.ready = self.snapshot()
        return self.ready


class StreamAccumulator:
    """Accumulates the chunks of one streamed turn.

    Feed each parsed chunk to `add`, which returns the events it produced;
    read `message` at any time (it is complete once the stream has ended).

    Example:
        >>> acc = StreamAccumulator()
        >>> acc.add({"choices": [{"index": 0, "delta": {"content": "Hi"}}]})
        [TextDelta(text='Hi')]
        >>> acc.add({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        []
        >>> acc.message.content, acc.message.finish_reason
        ('Hi', 'stop')
    """

    def __init__(self) -> None:
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self._reasoning_content: list[str] = []
        self._reasoning_details: list[dict[str, Any]] = []
        self._refusal: list[str] = []
        self._response_id: str | None = None
        self._response_model: str | None = None
        self._calls: list[_PendingCall] = []
        self._calls_by_index: dict[int, _PendingCall] = {}
        self._usage: dict[str, Any] | None = None
        self._groq_usage: dict[str, Any] | None = None
        self.finish_reason: str | None = None
        """The finish reason, once a chunk carried one."""
        self.chunk_count = 0
        """How many chunks were added."""

    # ------------------------------------------------------------------ input

    def add(self, chunk: dict[str, Any]) -> list[Event]:
        """Apply one chunk; return the events it produced, in order."""
        events: list[Event] = []
        self.add_into(chunk, events)
        return events

    def add_into(self, chunk: dict[str, Any], events: list[Event]) -> None:
        """`add`, appending the chunk's events to ``events`` (the decoder's
        list: one list per network read instead of one per chunk)."""
        self.chunk_count += 1
        if self._response_id is None:
            self._note_response(chunk)
        usage = chunk.get("usage")
        if usage and usage.__class__ is dict:
            self._usage = _shallow(usage, "usage")
        elif "x_groq" in chunk:
            self._add_groq_usage(chunk["x_groq"])
        choices = chunk.get("choices")
        if not choices:
            return
        choice = choices[0]
        if choice.get("index", 0) != 0:
            choice = next((c for c in choices if c.get("index", 0) == 0), None)
            if choice is None:
                return
        delta = choice.get("delta")
        if delta:
            if len(delta) != 1:
                self._add_delta(delta, delta.get("content"), events)
            elif (content := delta.get("content")).__class__ is str:  # most chunks: text
                if content:
                    self._content.append(content)
                    events.append(TextDelta(content))
            elif tool_calls := delta.get("tool_calls"):  # or a call fragment
                for tool_call_delta in tool_calls:
                    self._add_tool_call_delta(tool_call_delta, events)
            else:
                self._add_delta(delta, content, events)
        finish_reason = choice.get("finish_reason")
        if finish_reason:
            self._finish(finish_reason, events)

    def _add_delta(self, delta: dict[str, Any], content: Any, events: list[Event]) -> None:
        """Every field of a delta (the text-only one is handled by `add_into`)."""
        if content:
            if content.__class__ is str:
                self._content.append(content)
                events.append(TextDelta(content))
            else:
                self._add_content_parts(_shallow(content, "content"), events)
        tool_calls = delta.get("tool_calls")
        if tool_calls:
            for tool_call_delta in tool_calls:
                self._add_tool_call_delta(tool_call_delta, events)
            if len(delta) == 1:  # a call fragment and nothing else
                return
        reasoning = delta.get("reasoning_content")
        if reasoning and reasoning.__class__ is str:
            self._reasoning_content.append(reasoning)
        else:
            reasoning = delta.get("reasoning")
        if reasoning and reasoning.__class__ is str:
            self._reasoning.append(reasoning)
            events.append(ReasoningDelta(reasoning))
        details = delta.get("reasoning_details")
        if details:
            merge_reasoning_details(self._reasoning_details, _shallow(details, "reasoning_details"))
        refusal = delta.get("refusal")
        if refusal and isinstance(refusal, str):
            self._refusal.append(refusal)
            events.append(RefusalDelta(refusal))

    def _note_response(self, chunk: dict[str, Any]) -> None:
        """The response's id and model, from the first chunk that names them."""
        response_id = chunk.get("id")
        if response_id and isinstance(response_id, str):
            self._response_id = response_id
            model = chunk.get("model")
            self._response_model = model if isinstance(model, str) and model else None

    def _add_groq_usage(self, extra: Any) -> None:
        """Groq repeats usage inside ``x_groq``; Groq compound sends it only
        there. It counts only when no chunk has a top-level ``usage``."""
        usage = extra.get("usage") if isinstance(extra, dict) else None
        if usage and isinstance(usage, dict):
            self._groq_usage = _shallow(usage, "x_groq.usage")

    def _add_content_parts(self, parts: Any, events: list[Event]) -> None:
        """``content`` sent as typed parts: ``text`` parts are answer text,
        ``thinking`` parts (a string or nested text parts) are reasoning."""
        if not isinstance(parts, list):
            return
        for part in parts:
            text, is_reasoning = _classify_part(part)
            if not text:
                continue
            if is_reasoning:
                self._reasoning.append(text)
                events.append(ReasoningDelta(text))
            else:
                self._content.append(text)
                events.append(TextDelta(text))

    def _add_tool_call_delta(self, delta: dict[str, Any], events: list[Event]) -> None:
        function = delta.get("function")
        index = delta.get("index")
        if len(delta) == 2 and index.__class__ is int and function.__class__ is dict:
            # Most fragments: {"index": i, "function": {"arguments": "..."}}.
            call = self._calls_by_index.get(index)
            arguments = function.get("arguments")
            if (
                call is not None
                and call.ready is None
                and len(function) == 1
                and arguments.__class__ is str
            ):
                if arguments:
                    fragments = call.fragments
                    fragments.append(arguments)
                    events.append(
                        ToolCallArgumentsDelta(index, call.id, arguments, fragments, len(fragments))
                    )
                return
        self._add_tool_call_fragment(delta, function or {}, index, events)

    def _add_tool_call_fragment(
        self, delta: dict[str, Any], function: dict[str, Any], index: Any, events: list[Event]
    ) -> None:
        """Any fragment: a call's first one, ids and names, missing ``index``,
        arguments sent as an object, ``extra_content``..."""
        call_id = delta.get("id") or ""
        if index.__class__ is not int:
            index = _as_index(index)
        call = self._find_call(index, call_id, function)
        if call is None:
            self._seal_complete_calls(events)
            call = self._begin_call(index, call_id, function.get("name") or "")
            events.append(ToolCallStarted(call.index, call.id, call.name))
        else:
            if call_id and call.id_is_synthetic and call.ready is None:
                call.id, call.id_is_synthetic = call_id, False
            if not call.name and function.get("name"):
                call.name = function["name"]
        extra_content = delta.get("extra_content")
        if extra_content and isinstance(extra_content, dict) and call.ready is None:
            call.extra_content = _shallow(extra_content, "extra_content")
        arguments = function.get("arguments")
        if arguments is None or arguments == "":
            return
        if not isinstance(arguments, str):
            arguments = json.dumps(_shallow(arguments, "arguments"), ensure_ascii=False)
        if call.ready is not None:
            # A sealed call holds a complete JSON object; anything appended
            # would only make it invalid, so the sealed version stands.
            return
        fragments = call.fragments
        fragments.append(arguments)
        events.append(
            ToolCallArgumentsDelta(call.index, call.id, arguments, fragments, len(fragments))
        )

    def _find_call(
        self, index: int | None, call_id: str, function: dict[str, Any]
    ) -> _PendingCall | None:
        if index is not None:
            return self._calls_by_index.get(index)
        if call_id:
            return next((call for call in self._calls if call.id == call_id), None)
        if not self._calls:
            return None
        # Neither index nor id: a continuation of the last call, unless that
        # call is already a whole object and this fragment names a function
        # and brings arguments (whole calls sent back to back, anonymously).
        last = self._calls[-1]
        if (
            function.get("name")
            and function.get("arguments")
            and _is_complete_object("".join(last.fragments))
        ):
            return None
        return last

    def _begin_call(self, index: int | None, call_id: str, name: str) -> _PendingCall:
        if index is None:
            index = max(self._calls_by_index, default=-1) + 1
        call = _PendingCall(index, call_id, name)
        self._calls.append(call)
        self._calls_by_index[index] = call
        return call

    def _seal_complete_calls(self, events: list[Event]) -> None:
        """Another call is beginning: earlier calls whose arguments form a
        complete JSON object are done."""
        for call in self._calls:
            if call.ready is None and _is_complete_object("".join(call.fragments)):
                self._seal(call, events)

    def _seal(self, call: _PendingCall, events: list[Event]) -> None:
        events.append(ToolCallReady(call.seal()))

    def _finish(self, finish_reason: str, events: list[Event]) -> None:
        self.finish_reason = finish_reason
        if not is_abnormal_finish(finish_reason):
            self._seal_pending(events)

    def _seal_pending(self, events: list[Event]) -> None:
        for call in sorted(self._calls, key=_by_index):
            if call.ready is None:
                self._seal(call, events)

    def close(self) -> list[Event]:
        """The stream ended cleanly (``[DONE]``): every pending call is ready,
        unless the finish reason was abnormal. Returns the events produced."""
        events: list[Event] = []
        if not is_abnormal_finish(self.finish_reason):
            self._seal_pending(events)
        return events

    # ----------------------------------------------------------------- output

    @property
    def finished_normally(self) -> bool:
        """True once a finish reason arrived that is not an abnormal one."""
        return bool(self.finish_reason) and not is_abnormal_finish(self.finish_reason)

    @property
    def message(self) -> AssistantMessage:
        """The message so far. Only ready (sealed) tool calls are included;
        see `pending_tool_calls` for the others."""
        ready = [call.ready for call in sorted(self._calls, key=_by_index) if call.ready]
        return AssistantMessage(
            content="".join(self._content),
            reasoning="".join(self._reasoning),
            refusal="".join(self._refusal) or None,
            tool_calls=tuple(ready),
            finish_reason=self.finish_reason,
            usage=_usage_of(self._usage or self._groq_usage),
            reasoning_content="".join(self._reasoning_content),
            reasoning_details=tuple(dict(detail) for detail in self._reasoning_details),
            response_id=self._response_id,
            response_model=self._response_model,
        )

    @property
    def pending_tool_calls(self) -> tuple[ToolCall, ...]:
        """Tool calls that have begun but are not ready (their arguments may
        be cut off). Never execute these."""
        pending = sorted((c for c in self._calls if c.ready is None), key=_by_index)
        return tuple(call.snapshot() for call in pending)

    @property
    def text(self) -> str:
        """The answer text so far."""
        return "".join(self._content)


def _by_index(call: _PendingCall) -> int:
    return call.index


def _usage_of(usage: dict[str, Any] | None) -> Usage | None:
    return Usage.from_dict(usage) if usage else None


def _classify_part(part: Any) -> tuple[str, bool]:
    """(text, is_reasoning) of one content part; ("", False) for other kinds."""
    if isinstance(part, str):
        return part, False
    if isinstance(part, dict):
        kind = part.get("type")
        if kind == "text":
            return _text_of(part), False
        if kind == "thinking":
            return _text_of(part.get("thinking")), True
    return "", False


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(_text_of(item) for item in value)
    if isinstance(value, dict) and value.get("type") in (None, "text"):
        text = value.get("text")
        return text if isinstance(text, str) else ""
    return ""


def _as_index(value: Any) -> int | None:
    """A wire ``index`` that is not an int: a numeric string, or missing."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _shallow(value: Any, field: str) -> Any:
    """``value`` (a nested field the run keeps and walks later: usage,
    content parts, call arguments sent as objects...), or a
    `MalformedChunkError` when it nests deeper than any real chunk does.
    Checked only on these rare fields, not on every chunk."""
    if too_deep(value):
        raise MalformedChunkError(
            f"The stream sent a chunk whose {field} is nested more than {MAX_DEPTH} levels deep.",
            payload=f"<{field}: a {type(value).__name__} nested too deep to show>",
        )
    return value


def _is_complete_object(arguments: str) -> bool:
    """Arguments that parse as a JSON object. Nested too deep to parse is
    not complete: the call then seals only when the turn finishes, and its
    arguments go back to the model as an error."""
    if not arguments.strip().startswith("{"):
        return False
    try:
        return isinstance(loads_bounded(arguments), dict)
    except ValueError:
        return False
