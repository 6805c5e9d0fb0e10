"""JSON from peers we do not control (a provider's stream, a model's tool
arguments, a browser's request body), with a bounded nesting depth.

Python's parser raises `RecursionError` (not `ValueError`) for a document
nested about a thousand levels deep, fewer when the call stack is already
deep, and code that walks a parsed value recursively has the same limit.
`loads` makes every such document a `JSONNestingError`, a `ValueError`, so
each caller's usual "not valid JSON" path turns it into the typed error of
its place; and what it returns is never deeper than `MAX_DEPTH`, so the code
that walks it afterwards cannot recurse too deep either.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "JSONNestingError",
    "check_depth",
    "loads",
    "nesting_depth",
    "too_deep",
]

MAX_DEPTH = 100
"""Deepest nesting of arrays and objects accepted from a peer. Real chunks,
error bodies and tool arguments stay far below it."""

_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]')
_OPENERS = frozenset("[{")


class JSONNestingError(ValueError):
    """A JSON document nested deeper than `MAX_DEPTH`."""

    def __init__(self) -> None:
        super().__init__(f"JSON nested more than {MAX_DEPTH} levels deep")


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text`` (brackets inside
    strings do not count; the text need not be valid JSON)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif token[0] != '"':
            depth = max(0, depth - 1)
    return deepest


def loads(text: str, *, parse_constant: Callable[[str], Any] | None = None) -> Any:
    """`json.loads`, with a document nested deeper than `MAX_DEPTH` rejected.

    Raises:
        JSONNestingError: Nested too deep (a `ValueError`).
        ValueError: Not valid JSON (``json.JSONDecodeError``).
    """
    check_depth(text)
    try:
        return json.loads(text, parse_constant=parse_constant)
    except RecursionError:
        raise JSONNestingError() from None


def check_depth(text: str) -> None:
    """Raise `JSONNestingError` when ``text`` nests deeper than `MAX_DEPTH`.
    Costs two ``str.count`` calls unless the text has that many brackets."""
    if text.count("[") + text.count("{") > MAX_DEPTH and nesting_depth(text) > MAX_DEPTH:
        raise JSONNestingError()


def too_deep(value: Any) -> bool:
    """Whether a parsed value (dicts and lists) nests deeper than
    `MAX_DEPTH`. Iterative: safe on any depth."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(item, dict):
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
    return False
