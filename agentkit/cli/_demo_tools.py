"""The demo's tools: a safe calculator, the current time, a file search;
and for the REPL, a note writer that asks before it writes."""

from __future__ import annotations

import ast
import math
import operator
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agentkit import RunContext, ToolRegistry

__all__ = ["DemoDeps", "chat_tools", "demo_tools"]

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt,
    "log": math.log,
    "sin": math.sin,
    "cos": math.cos,
    "abs": abs,
    "round": round,
}
_MAX_EXPONENT = 10_000
_MAX_FILE_BYTES = 1_000_000
_MAX_FILES = 5_000


@dataclass(frozen=True, slots=True)
class DemoDeps:
    """What the demo tools may touch: files under ``root`` only."""

    root: Path


def demo_tools() -> ToolRegistry:
    """A registry with the three demo tools."""
    registry = ToolRegistry()
    registry.add(calculate)
    registry.add(current_time)
    registry.add(search_files)
    return registry


def chat_tools() -> ToolRegistry:
    """The demo tools, plus `write_note`, which asks for approval."""
    registry = demo_tools()
    registry.tool(needs_approval=True)(write_note)
    return registry


def write_note(context: RunContext[DemoDeps], text: str, name: str = "note") -> str:
    """Write a short note to a text file (asks you first).

    Args:
        text: What the note says.
        name: The file name, without extension (letters, digits, - and _).
    """
    safe = "".join(char for char in name if char.isalnum() or char in "-_")[:64] or "note"
    path = context.deps.root / f"{safe}.txt"
    path.write_text(text + "\n", encoding="utf-8")
    return f"wrote {path.name} ({len(text)} characters)"


def calculate(expression: str) -> float | int:
    """Evaluate an arithmetic expression exactly as written.

    Supports + - * / // % ** (or ^), parentheses, and sqrt, log, sin, cos,
    abs, round.

    Args:
        expression: For example "17 * 23 + 4" or "sqrt(2) ** 2".
    """
    tree = ast.parse(expression.replace("^", "**"), mode="eval")
    value: float | int = _evaluate(tree.body)
    return value


def _evaluate(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > _MAX_EXPONENT:
            raise ValueError("exponent too large")
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_evaluate(node.operand))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        function = _FUNCTIONS.get(node.func.id)
        if function is not None and not node.keywords:
            return function(*(_evaluate(argument) for argument in node.args))
    raise ValueError(f"unsupported expression: {ast.unparse(node)!r}")


def current_time(timezone: str = "UTC") -> str:
    """The current date and time in a timezone.

    Args:
        timezone: An IANA name such as "Asia/Tokyo" or "Europe/Paris".
    """
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown timezone {timezone!r}; use an IANA name") from error
    return datetime.now(zone).strftime("%A %d %B %Y, %H:%M:%S %Z")


def search_files(
    context: RunContext[DemoDeps], text: str, glob: str = "**/*", max_results: int = 10
) -> list[dict[str, Any]]:
    """Find lines containing a text in the files under the demo's directory.

    Args:
        text: The text to look for (case-insensitive).
        glob: Which files to search, relative to the directory.
        max_results: Most matching lines to return.
    """
    root = context.deps.root.resolve()
    needle = text.lower()
    matches: list[dict[str, Any]] = []
    for scanned, path in enumerate(sorted(root.glob(glob))):
        if len(matches) >= max_results or scanned >= _MAX_FILES:
            break
        if not _searchable(path, root):
            continue
        for number, line in enumerate(_lines(path), start=1):
            if needle in line.lower():
                matches.append(
                    {
                        "path": str(path.relative_to(root)),
                        "line": number,
                        "text": line.strip()[:160],
                    }
                )
                if len(matches) >= max_results:
                    break
    context.emit("search.done", {"text": text, "matches": len(matches)})
    return matches


def _searchable(path: Path, root: Path) -> bool:
    if not path.resolve().is_relative_to(root):
        return False
    relative = path.relative_to(root)
    if any(
        part.startswith(".") or part in ("node_modules", "__pycache__") for part in relative.parts
    ):
        return False
    return path.is_file() and path.stat().st_size <= _MAX_FILE_BYTES and os.access(path, os.R_OK)


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (UnicodeDecodeError, OSError):
        return []
