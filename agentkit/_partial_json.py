"""Best-effort parsing of a JSON document that is still streaming in.

``parse_partial_json('{"city": "Han')`` gives ``{"city": "Han"}``: open
strings, arrays and objects are closed, and a trailing key without a value or
a half-written literal is dropped. Used by progressive UIs to show tool
arguments while the model is still writing them; never used to decide that a
call is complete.

Over a stream, use `PartialJSONParser` (in ``_partial_json_stream``): it gives
the same value after every fragment without parsing the prefix again. The two
must agree on every prefix of a JSON document (a property test holds them to
it), so a change to the rules here goes there too.

It never raises: text nested more than 100 levels deep gives None, and so
does text that stays unreadable after a few members are dropped (the cost
stays linear in the length of the text).
"""

from __future__ import annotations

from typing import Any

from ._json import JSONNestingError, loads
from ._partial_json_stream import PartialJSONParser, PartialJSONStop

__all__ = ["PartialJSONParser", "PartialJSONStop", "parse_partial_json"]

_LITERAL_PREFIXES = ("t", "tr", "tru", "f", "fa", "fal", "fals", "n", "nu", "nul")
_MAX_DROPS = 8


def parse_partial_json(text: str) -> Any:
    """Parse the longest meaningful prefix of ``text``; None when nothing is usable."""
    try:
        return loads(text)
    except JSONNestingError:
        return None
    except ValueError:
        pass
    completed = _complete(text)
    for _ in range(_MAX_DROPS):
        if not completed:
            break
        try:
            return loads(completed)
        except JSONNestingError:
            return None
        except ValueError:
            completed = _drop_last_member(completed)
    return None


def _complete(text: str) -> str:
    """Close every string, array and object left open at the end of ``text``."""
    closers: list[str] = []
    in_string = escaped = False
    escape_at = -1
    for position, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped, escape_at = True, position
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "{":
            closers.append("}")
        elif char == "[":
            closers.append("]")
        elif char in "}]" and closers:
            closers.pop()
    if in_string:
        unfinished_escape = escaped or (
            text[escape_at + 1 : escape_at + 2] == "u" and len(text) - escape_at < 6
        )
        body = (text[:escape_at] if unfinished_escape else text) + '"'
    else:
        body = _trim_dangling(text)
    return body + "".join(reversed(closers))


def _trim_dangling(body: str) -> str:
    """Remove what cannot end a value: a comma, a colon, a half literal."""
    body = body.rstrip()
    for prefix in _LITERAL_PREFIXES:
        if body.endswith(prefix) and body[: -len(prefix)].rstrip()[-1:] in (":", ",", "["):
            body = body[: -len(prefix)].rstrip()
            break
    while True:
        if body.endswith((",", ":", "-", "+", ".")):
            body = body[:-1].rstrip()
        elif body[-1:] in ("e", "E") and body[-2:-1].isdigit():
            body = body[:-1]  # an exponent without its digits
        else:
            return body


def _drop_last_member(completed: str) -> str:
    """Fallback: cut back to the last comma or opening bracket and close again."""
    cut = _last_separator(completed)
    if cut < 0:
        return ""
    head = completed[:cut] if completed[cut] == "," else completed[: cut + 1]
    shorter = _complete(head)
    return shorter if len(shorter) < len(completed) else ""


def _last_separator(text: str) -> int:
    """Position of the last ``,``, ``{`` or ``[`` outside strings, or -1."""
    last = -1
    in_string = escaped = False
    for position, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in ",{[":
            last = position
    return last
