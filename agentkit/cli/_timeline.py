"""``agentkit demo --timeline``: the run drawn as bars on one time axis, each
model turn's stream and each tool call, so the eager tools that start while
the model is still streaming show.

`Timeline` is a tracer on agentkit's tracing hooks (``Agent(instrument=...)``)
that keeps the times; `render` draws them with plain characters.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentkit import AssistantMessage, Retry, RunResult, ToolCall, ToolCallRecord

__all__ = ["Bar", "Timeline", "render"]

_MODEL, _TOOL, _FAILED = "█", "▓", "✗"
_CYAN, _GREEN, _RED, _DIM = "36", "32", "31", "2"
_EPSILON = 1e-6  # a bar that ends exactly on a column's edge does not spill into the next


@dataclass(slots=True)
class Bar:
    """One bar: a model turn's stream or a tool call, in seconds from the run's start."""

    label: str
    start: float
    end: float
    turn: int
    is_tool: bool
    failed: bool = False


class Timeline:
    """Records when each model turn streamed and each tool call ran (the
    ``Tracer`` of agentkit's tracing hooks, given as ``Agent(instrument=...)``)."""

    def __init__(self) -> None:
        self.bars: list[Bar] = []
        self._origin: float | None = None

    def run(self, run_id: str, model: Any) -> _Recording:
        if self._origin is None:
            self._origin = time.monotonic()
        return _Recording(self)

    def now(self) -> float:
        return time.monotonic() - (self._origin or 0.0)


class _Recording:
    """The `RunTrace` of one run (also its context manager)."""

    def __init__(self, timeline: Timeline) -> None:
        self._timeline = timeline

    def __enter__(self) -> _Recording:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass

    def turn(self, turn: int, messages: Sequence[Mapping[str, Any]]) -> _Span:
        return _Span(self._timeline, Bar(f"turn {turn}  model", 0.0, 0.0, turn, is_tool=False))

    def tool(self, call: ToolCall, turn: int) -> _Span:
        return _Span(self._timeline, Bar(call.name, 0.0, 0.0, turn, is_tool=True))

    def retry(self, retry: Retry) -> None:
        pass

    def finished(self, result: RunResult) -> None:
        pass

    def failed(self, error: BaseException) -> None:
        pass


class _Span:
    """Around one turn or tool call: its bar starts on entry and ends on exit."""

    def __init__(self, timeline: Timeline, bar: Bar) -> None:
        self._timeline = timeline
        self._bar = bar

    def __enter__(self) -> _Span:
        self._bar.start = self._timeline.now()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._bar.end = self._timeline.now()
        self._bar.failed = self._bar.failed or error is not None
        self._timeline.bars.append(self._bar)

    def finished(self, outcome: AssistantMessage | ToolCallRecord) -> None:
        self._bar.failed = bool(getattr(outcome, "is_error", False))


def render(bars: Sequence[Bar], *, width: int = 60, color: bool | None = None) -> str:
    """The bars as lines of text: a time axis, one line per model turn with
    its tool calls under it, a legend, and how many tools started while the
    model was still streaming. ``color`` defaults to whether standard output
    is a terminal (and ``NO_COLOR`` is unset)."""
    if color is None:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    if not bars:
        return "timeline: nothing ran"
    origin = min(bar.start for bar in bars)
    ordered = [
        replace(bar, start=bar.start - origin, end=bar.end - origin)
        for bar in sorted(bars, key=lambda bar: (bar.turn, bar.is_tool, bar.start))
    ]
    total = max(max(bar.end for bar in ordered), 1e-3)
    scale = total / width
    labels = [_label(bar) for bar in ordered]
    label_width = max(len(label) for label in labels)

    def paint(text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if color and text.strip() else text

    lines = [
        f"timeline: {total:.2f} s from the first model request "
        f"({origin:.2f} s into the run), one column = {scale * 1000:.0f} ms"
    ]
    lines.append(" " * (label_width + 2) + _axis(total, width))
    for bar, label in zip(ordered, labels, strict=True):
        first = min(int(bar.start / scale + _EPSILON), width - 1)
        last = max(first + 1, min(width, math.ceil(bar.end / scale - _EPSILON)))
        mark = _FAILED if bar.failed else _TOOL if bar.is_tool else _MODEL
        code = _RED if bar.failed else _GREEN if bar.is_tool else _CYAN
        row = " " * first + paint(mark * (last - first), code) + " " * (width - last)
        lines.append(f"{label:<{label_width}}  {row}  {bar.start:.2f}–{bar.end:.2f} s")
    lines.append(paint(f"{_MODEL} model streaming  {_TOOL} tool running  {_FAILED} failed", _DIM))
    lines.append(_overlap_note(bars))
    return "\n".join(lines)


def _label(bar: Bar) -> str:
    return f"  {bar.label}" if bar.is_tool else bar.label


def _axis(total: float, width: int) -> str:
    """Tick labels at round steps of the time axis."""
    step = _round_step(total / 4)
    axis = [" "] * (width + 8)
    tick = 0.0
    while tick <= total + 1e-9:
        text = f"{tick:g}s"
        column = round(tick / total * width)
        if column + len(text) <= len(axis):
            axis[column : column + len(text)] = text
        tick += step
    return "".join(axis).rstrip()


def _round_step(rough: float) -> float:
    magnitude = 10 ** math.floor(math.log10(rough)) if rough > 0 else 1.0
    for factor in (1, 2, 5, 10):
        if rough <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _overlap_note(bars: Sequence[Bar]) -> str:
    """How many tool calls started before their turn's stream ended."""
    stream_ends = {bar.turn: bar.end for bar in bars if not bar.is_tool}
    tools = [bar for bar in bars if bar.is_tool]
    early = [bar for bar in tools if bar.start < stream_ends.get(bar.turn, 0.0)]
    return f"{len(early)} of {len(tools)} tool call(s) started while the model was still streaming"
