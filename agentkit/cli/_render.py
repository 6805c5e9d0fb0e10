"""Live rendering of a run's events in a terminal."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from agentkit import (
    CustomEvent,
    Event,
    ReasoningDelta,
    Retry,
    RunFailed,
    RunFinished,
    RunResult,
    TextDelta,
    ToolCallArgumentsDelta,
    ToolCallReady,
    ToolCallStarted,
    ToolResult,
    TurnFinished,
    TurnStarted,
)

__all__ = ["TerminalRenderer"]

_OUTPUT_PREVIEW = 160
_DIM, _RED, _GREEN, _YELLOW, _CYAN = "2", "31", "32", "33", "36"


class TerminalRenderer:
    """An ``on_event`` callback that writes the run as it happens: text as it
    streams, reasoning dimmed, tool calls with their arguments as they
    stream, tool results, retries, and a usage line at the end."""

    def __init__(self, stream: TextIO | None = None, *, color: bool | None = None) -> None:
        self._out = stream or sys.stdout
        if color is None:
            color = self._out.isatty() and "NO_COLOR" not in os.environ
        self._color = color
        self._at_line_start = True
        self._in_reasoning = False
        self._names: dict[int, str] = {}
        self._shown: set[int] = set()  # calls of this turn whose line was started
        self._line_owner: int | None = None  # the call whose arguments end the line

    def __call__(self, event: Event) -> None:
        match event:
            case TextDelta(text=text):
                self._end_reasoning()
                self._write(text)
            case ReasoningDelta(text=text):
                if not self._in_reasoning:
                    self._newline()
                    self._write(self._style("thinking: ", _DIM))
                    self._in_reasoning = True
                self._write(self._style(text, _DIM))
            case TurnStarted():
                self._names.clear()
                self._shown.clear()
            case ToolCallStarted(index=index, name=name):
                # The line starts with the first arguments, so a result
                # printed meanwhile does not leave an empty call line.
                self._end_reasoning()
                self._names[index] = name
            case ToolCallArgumentsDelta(index=index, delta=delta):
                if self._line_owner != index:
                    self._call_line(index)
                self._write(self._style(delta, _DIM))
            case ToolCallReady(index=index):
                self._end_reasoning()
                if index not in self._shown:
                    self._call_line(index)
                self._newline()
            case TurnFinished():
                self._end_reasoning()
                self._newline()
            case ToolResult():
                self._tool_result(event)
            case Retry(attempt=attempt, delay=delay, reason=reason):
                note = " (discarding the partial answer)" if event.discard_partial else ""
                self._line(f"retry {attempt} in {delay:.1f} s: {reason}{note}", _YELLOW)
            case CustomEvent(name=name, data=data):
                self._line(f"· {name}: {data}", _DIM)
            case RunFinished(result=result):
                self._summary(result)
            case RunFailed(error=error):
                self._line(f"run failed: {type(error).__name__}: {error}", _RED)
        self._out.flush()

    def _tool_result(self, event: ToolResult) -> None:
        output = " ".join(event.output.split())
        if len(output) > _OUTPUT_PREVIEW:
            output = output[:_OUTPUT_PREVIEW] + "…"
        mark, color = ("✗", _RED) if event.is_error else ("✓", _GREEN)
        self._line(f"{mark} {event.name} ({event.duration:.2f} s): {output}", color)

    def _summary(self, result: RunResult) -> None:
        self._line(
            f"— {result.turns} turn(s), {len(result.tool_calls)} tool call(s), "
            f"{_usage_summary(result)}, finish: {result.finish_reason}",
            _DIM,
        )

    def _call_line(self, index: int) -> None:
        """Start a line for call ``index``'s arguments (again, marked "…",
        after a result or another call interrupted it)."""
        self._newline()
        resumed = index in self._shown
        prefix = f"→ {self._names.get(index, '?')}" + (" …" if resumed else "")
        self._write(self._style(prefix, _CYAN) + " ")
        self._shown.add(index)
        self._line_owner = index

    def _end_reasoning(self) -> None:
        if self._in_reasoning:
            self._in_reasoning = False
            self._newline()

    def _line(self, text: str, color: str) -> None:
        self._newline()
        self._write(self._style(text, color) + "\n")

    def _newline(self) -> None:
        if not self._at_line_start:
            self._write("\n")

    def _write(self, text: str) -> None:
        if text:
            self._out.write(text)
            self._at_line_start = text.endswith("\n")
            if self._at_line_start:
                self._line_owner = None

    def _style(self, text: str, color: str) -> str:
        return f"\033[{color}m{text}\033[0m" if self._color and text else text


def _usage_summary(result: RunResult) -> str:
    """Tokens used, or that the server reported none (never a made-up 0)."""
    usage = result.usage
    if not usage.reported:
        return "usage not reported"
    text = f"{usage.total_tokens} tokens ({usage.prompt_tokens} in, {usage.completion_tokens} out)"
    if usage.reports < result.turns:
        text += f", reported for {usage.reports} of {result.turns} turns"
    return text
