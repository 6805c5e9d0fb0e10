"""A small live terminal UI, built from ``on_event`` callbacks.

``LiveRenderer`` is an ``on_event`` callback that matches on the event
classes: answer text is written as it streams, tool calls appear when they
are ready and their results when they finish, retries and the final usage
get a line each. In a terminal, a status line shows each call's arguments
while they stream (``partial_arguments``), rewritten in place; when the
output is not a terminal, that line is left out.

Run it with ``python examples/terminal_ui.py ["your question"]``. It uses
the endpoint in ``AGENTKIT_BASE_URL`` (with ``AGENTKIT_MODEL`` and
``AGENTKIT_API_KEY``) if set; otherwise it runs offline against
agentkit's ``OfflineAssistant``, a rule-based model served by a local
``ScriptedServer``.
"""

from __future__ import annotations

import ast
import json
import operator
import os
import shutil
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from agentkit import (
    Agent,
    Event,
    ReasoningDelta,
    Retry,
    RunFailed,
    RunFinished,
    TextDelta,
    ToolCallArgumentsDelta,
    ToolCallReady,
    ToolCallStarted,
    ToolResult,
    tool,
)
from agentkit.testing import OfflineAssistant, open_endpoint

QUESTION = "What is 17 * 23 + 4, and what time is it in Tokyo?"
DIM, RED, GREEN, YELLOW, CYAN = "2", "31", "32", "33", "36"


class LiveRenderer:
    """Writes a run to a terminal as it happens."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.live = out.isatty()
        self.color = self.live and "NO_COLOR" not in os.environ
        self.names: dict[int, str] = {}  # tool call index -> tool name
        self.mid_line = False  # streamed text left the cursor mid-line
        self.status_shown = False

    def __call__(self, event: Event) -> None:
        match event:
            case TextDelta(text=text):
                self.write(text)
            case ReasoningDelta(text=text):
                self.write(self.paint(text, DIM))
            case ToolCallStarted(index=index, name=name):
                self.names[index] = name
            case ToolCallArgumentsDelta(index=index) if self.live:
                arguments = json.dumps(event.partial_arguments, ensure_ascii=False)
                self.status(f"… {self.names.get(index, '?')} {arguments}")
            case ToolCallReady(name=name, arguments=arguments):
                self.line(self.paint(f"→ {name}({arguments})", CYAN))
            case ToolResult(name=name, output=output, is_error=is_error, duration=duration):
                mark, color = ("✗", RED) if is_error else ("✓", GREEN)
                self.line(self.paint(f"{mark} {name} ({duration:.2f} s): {output}", color))
            case Retry(attempt=attempt, delay=delay, reason=reason, discard_partial=discard):
                note = " (the partial answer above is discarded)" if discard else ""
                self.line(self.paint(f"↻ retry {attempt} in {delay:.1f} s: {reason}{note}", YELLOW))
            case RunFinished(result=result):
                usage = result.usage
                tokens = (
                    f"{usage.total_tokens} tokens ({usage.prompt_tokens} in, "
                    f"{usage.completion_tokens} out)"
                    if usage.reported  # a server that sends no usage: say so, not "0"
                    else "usage not reported"
                )
                summary = (
                    f"— {result.turns} turn(s), {len(result.tool_calls)} tool call(s), {tokens}"
                )
                self.line(self.paint(summary, DIM))
            case RunFailed(error=error):
                self.line(self.paint(f"✗ {type(error).__name__}: {error}", RED))
        self.out.flush()

    def write(self, text: str) -> None:
        """Streamed text, continuing the current line."""
        self.clear_status()
        self.out.write(text)
        self.mid_line = not text.endswith("\n")

    def line(self, text: str) -> None:
        """A line of its own."""
        self.clear_status()
        if self.mid_line:
            self.out.write("\n")
        self.out.write(text + "\n")
        self.mid_line = False

    def status(self, text: str) -> None:
        """The live status line at the bottom, rewritten in place."""
        if self.mid_line:
            self.out.write("\n")
            self.mid_line = False
        width = shutil.get_terminal_size().columns - 1
        self.out.write("\r\033[K" + self.paint(text[:width], DIM))
        self.status_shown = True

    def clear_status(self) -> None:
        if self.status_shown:
            self.out.write("\r\033[K")
            self.status_shown = False

    def paint(self, text: str, color: str) -> str:
        return f"\033[{color}m{text}\033[0m" if self.color else text


# Two real tools. The OfflineAssistant calls tools with these names.

_OPERATORS: dict[type[ast.AST], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


@tool
def calculate(expression: str) -> float:
    """Evaluate an arithmetic expression with + - * / and parentheses.

    Args:
        expression: For example "17 * 23 + 4".
    """

    def evaluate(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](evaluate(node.left), evaluate(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -evaluate(node.operand)
        raise ValueError(f"unsupported expression: {ast.unparse(node)}")

    value: float = evaluate(ast.parse(expression, mode="eval").body)
    return value


@tool
def current_time(timezone: str = "UTC") -> str:
    """The current date and time in a timezone.

    Args:
        timezone: An IANA name such as "Asia/Tokyo".
    """
    return datetime.now(ZoneInfo(timezone)).strftime("%A %H:%M %Z")


if __name__ == "__main__":
    question = sys.argv[1] if len(sys.argv) > 1 else QUESTION
    with open_endpoint(OfflineAssistant()) as endpoint:
        print(f"Using {endpoint.description}")
        model = endpoint.model
        agent = Agent(model, tools=[calculate, current_time], instructions="Use the tools.")
        print(f"you> {question}")
        agent.run_sync(question, on_event=LiveRenderer())
