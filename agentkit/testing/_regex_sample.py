"""A string that matches a regular expression, for the ``pattern`` keyword
of a JSON schema: literals, classes, repeats, groups, alternatives and back
references (lookarounds are ignored; the caller checks the result)."""

from __future__ import annotations

import importlib
import random
from typing import Any

__all__ = ["sample_matching"]

# The parser behind `re`: `re._parser` since Python 3.11, `sre_parse` before
# (importing the old name warns on 3.11+).
try:
    _parser: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - Python 3.10
    _parser = importlib.import_module("sre_parse")
_constants: Any = _parser

_CATEGORY_CHARS = {
    "CATEGORY_DIGIT": "0123456789",
    "CATEGORY_NOT_DIGIT": "abcxyz",
    "CATEGORY_WORD": "abcxyz0123_",
    "CATEGORY_NOT_WORD": " -.",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "abcxyz0123",
}
_ANY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
_NEGATED_POOL = "abcxyzABCXYZ0123456789 -_.,:@"


def sample_matching(pattern: str, rng: random.Random) -> str | None:
    """A string matched by ``pattern`` (``re.search`` semantics: anchors are
    honoured by generating only the matched part), or None when the pattern
    uses something this sampler cannot invert."""
    try:
        parsed = _parser.parse(pattern)
        return _sample(list(parsed), rng, {})
    except (Exception, RecursionError):  # any parser or shape surprise: give up
        return None


def _sample(tokens: list[tuple[Any, Any]], rng: random.Random, groups: dict[int, str]) -> str:
    return "".join(_sample_token(op, value, rng, groups) for op, value in tokens)


def _sample_token(op: Any, value: Any, rng: random.Random, groups: dict[int, str]) -> str:
    name = str(op)
    if name == "LITERAL":
        return chr(value)
    if name == "NOT_LITERAL":
        return next(c for c in _NEGATED_POOL if ord(c) != value)
    if name == "ANY":
        return rng.choice(_ANY_CHARS)
    if name == "IN":
        return _sample_class(value, rng)
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, high, sub = value
        count = low if low > 0 else min(1, high)
        return "".join(_sample(list(sub), rng, groups) for _ in range(count))
    if name == "SUBPATTERN":
        group, sub = value[0], value[-1]
        text = _sample(list(sub), rng, groups)
        if group is not None:
            groups[group] = text
        return text
    if name == "BRANCH":
        return _sample(list(value[1][0]), rng, groups)
    if name == "GROUPREF":
        return groups.get(value, "")
    if name in ("AT", "ASSERT", "ASSERT_NOT"):
        return ""
    raise ValueError(f"unsupported regex construct {name}")


def _sample_class(items: list[tuple[Any, Any]], rng: random.Random) -> str:
    negated = any(str(op) == "NEGATE" for op, _ in items)
    members = [(str(op), value) for op, value in items if str(op) != "NEGATE"]
    if negated:
        outside = [c for c in _NEGATED_POOL if not any(_in_item(c, m) for m in members)]
        if not outside:
            raise ValueError("no sample for a negated character class")
        return rng.choice(outside)
    name, value = rng.choice(members)
    if name == "LITERAL":
        return chr(value)
    if name == "RANGE":
        low, high = value
        readable = [c for c in _NEGATED_POOL if low <= ord(c) <= high]
        return rng.choice(readable) if readable else chr(rng.randint(low, high))
    if name == "CATEGORY":
        return rng.choice(_CATEGORY_CHARS[str(value)])
    raise ValueError(f"unsupported character class item {name}")


def _in_item(char: str, item: tuple[str, Any]) -> bool:
    name, value = item
    if name == "LITERAL":
        return bool(ord(char) == value)
    if name == "RANGE":
        return bool(value[0] <= ord(char) <= value[1])
    if name == "CATEGORY":
        return char in _CATEGORY_CHARS[str(value)] or _category_holds(str(value), char)
    raise ValueError(f"unsupported character class item {name}")


def _category_holds(category: str, char: str) -> bool:
    tests = {
        "CATEGORY_DIGIT": char.isdigit(),
        "CATEGORY_WORD": char.isalnum() or char == "_",
        "CATEGORY_SPACE": char.isspace(),
    }
    positive = category.replace("_NOT", "")
    holds = tests.get(positive, False)
    return not holds if "_NOT_" in category else holds
