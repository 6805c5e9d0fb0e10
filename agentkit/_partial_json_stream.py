"""Incremental partial JSON: the value so far after each streamed fragment.

`PartialJSONParser.feed` returns, after every fragment, what
`parse_partial_json` returns for everything fed so far (open strings, arrays
and objects closed; a key without a value, a half literal, a dangling sign,
point or exponent and an unfinished escape dropped), at a cost proportional to
the fragment rather than to the whole prefix.

How: a state machine over the characters (runs of string, number and
whitespace characters are taken with one regex each), building the value in
place. A container is linked into its parent as soon as it opens and is never
touched again once closed, so a snapshot shares closed containers and copies
only the open path from the root to the current position (shallow copies).
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["PartialJSONParser", "PartialJSONStop"]

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_STRING_RUN = re.compile(r'[^"\\\x00-\x1f]+')
_NUMBER_RUN = re.compile(r"[-+0-9.eE]*")
_NUMBER = re.compile(r"(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_DIGIT = re.compile(r"[0-9]")
_HEX = re.compile(r"[0-9a-fA-F]*")
_CONTAINER_START = re.compile(r"[{\[]")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}
# json.loads accepts these too, and so parse_partial_json does.
_LITERALS |= {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_CLOSERS = {"]": list, "}": dict}


def _run_end(pattern: re.Pattern[str], text: str, position: int, limit: int = sys.maxsize) -> int:
    """Where the run of ``pattern`` starting at ``position`` (and ending by ``limit``) ends."""
    run = pattern.match(text, position, limit)
    return run.end() if run else position


def _is_number_prefix(token: str) -> bool:
    """``token`` starts a JSON number (every unfinished one can take a digit)."""
    return bool(_NUMBER.fullmatch(token) or _NUMBER.fullmatch(token + "0"))


# What the parser expects next.
_PREFIX, _VALUE, _FIRST_ITEM, _FIRST_KEY, _KEY, _COLON, _AFTER_VALUE = range(7)
_STRING, _NUMBER_TOKEN, _LITERAL, _DONE = range(7, 11)


@dataclass(frozen=True, slots=True)
class PartialJSONStop:
    """Why a `PartialJSONParser` stopped reading (it keeps its last value).

    Attributes:
        reason: ``"invalid"`` (the text cannot continue a JSON document) or
            ``"too_deep"`` (more nested containers than ``max_depth``).
        offset: Position, in everything fed so far, of the character refused.
        message: What happened, for logs.
    """

    reason: Literal["invalid", "too_deep"]
    offset: int
    message: str


class PartialJSONParser:
    """Parse a JSON document fragment by fragment, giving the value so far.

    ``parser.feed(fragment)`` returns what ``parse_partial_json`` returns for
    all the text fed so far (for any prefix of a JSON document: a property
    test holds them to it), in time proportional to the fragment plus the
    size of the containers and the string still open (which are copied).
    When a fragment changes nothing visible (whitespace, a key still without
    a value, a comma) ``feed`` returns the very object it returned before, so
    ``value is previous`` tells a caller it can skip an update.

    Returned values are never modified afterwards: each holds fresh copies of
    the open containers and shares only values already complete, which the
    parser never touches again (callers must not mutate them either).

    Args:
        skip_prefix: Ignore everything before the first ``{`` or ``[`` (a
            Markdown fence such as "```json", or "Here it is: ") and
            everything after the end of that top-level object or array (a
            closing fence, a remark). Without it the document may be any JSON
            value, and only whitespace may surround it.
        max_depth: Most containers open at once; one more stops the parser
            with reason ``"too_deep"``. ``None`` for no limit: parsing never
            recurses, but ``json.loads``, ``json.dumps`` and ``==`` do, and
            fail near 1,000 levels.

    After a character that cannot continue the document (or one container
    too many) the parser stops: `stopped` tells why and where, and ``feed``
    keeps returning the last value. A JSON error is left to whoever parses
    the complete text.
    """

    def __init__(self, *, skip_prefix: bool = False, max_depth: int | None = 500) -> None:
        self._skip_prefix = skip_prefix
        self._max_depth = max_depth
        self._mode = _PREFIX if skip_prefix else _VALUE
        self._open: list[Any] = []  # open containers, outermost first
        self._keys: list[Any] = []  # per open container: its current key (None in arrays)
        self._root: Any = None  # the top-level value, once started
        self._parts: list[str] = []  # decoded characters of the open string
        self._in_key = False  # the open string is an object key
        self._escape = ""  # an unfinished escape: "\\", "\\u", "\\u0"...
        self._high_surrogate = False  # the string ends with an escaped high surrogate
        self._token = ""  # the open number or literal
        self._number: Any = None  # the longest valid number in _token, or None
        self._fed = 0  # characters fed before the current fragment
        self._start = self._end = 0  # where the document lies in all that was fed
        self._dirty = False  # the value changed since the last snapshot
        self._value: Any = None
        self.stopped: PartialJSONStop | None = None
        """Why the parser stopped reading, or None while it reads."""

    @property
    def value(self) -> Any:
        """The value returned by the last `feed` (None before any)."""
        return self._value

    @property
    def done(self) -> bool:
        """The top-level value is complete (a bare number: once followed by a space)."""
        return self._mode == _DONE

    @property
    def span(self) -> tuple[int, int] | None:
        """Where the document lies in all the text fed, once `done`: with
        ``skip_prefix``, ``text[start:end]`` is the JSON to validate."""
        return (self._start, self._end) if self._mode == _DONE else None

    def feed(self, fragment: str) -> Any:
        """Read ``fragment``; return the value parsed so far (None if none yet)."""
        position, end = 0, len(fragment)
        while position < end and self.stopped is None:
            mode = self._mode
            if mode == _STRING:
                position = self._read_string(fragment, position)
            elif mode == _NUMBER_TOKEN:
                position = self._read_number(fragment, position)
            elif mode == _LITERAL:
                position = self._read_literal(fragment, position)
            elif mode == _PREFIX:
                start = _CONTAINER_START.search(fragment, position)
                position, self._mode = (start.start(), _VALUE) if start else (end, _PREFIX)
            elif mode == _DONE and self._skip_prefix:
                position = end
            else:
                position = _run_end(_WHITESPACE, fragment, position)
                if position < end:
                    position = self._read_structure(fragment, position)
        self._fed += end
        if self._dirty:
            self._dirty = False
            self._value = self._snapshot()
        return self._value

    # Structure: values starting, commas, colons, brackets.

    def _read_structure(self, text: str, position: int) -> int:
        char, mode = text[position], self._mode
        if mode in (_VALUE, _FIRST_ITEM) and (char in '{["-tfnNI' or "0" <= char <= "9"):
            return self._start_value(char, position)
        if char == '"' and mode in (_FIRST_KEY, _KEY):
            self._parts, self._in_key, self._mode = [], True, _STRING
        elif char == ":" and mode == _COLON:
            self._mode = _VALUE
        elif char == "," and mode == _AFTER_VALUE:
            self._mode = _VALUE if self._keys[-1] is None else _KEY
        elif char in _CLOSERS and self._may_close(char):
            self._open.pop()
            self._keys.pop()
            self._value_ended(position + 1)
        else:
            return self._stop("invalid", position, f"unexpected {char!r}")
        return position + 1

    def _may_close(self, char: str) -> bool:
        empty = _FIRST_ITEM if char == "]" else _FIRST_KEY
        return self._mode in (_AFTER_VALUE, empty) and type(self._open[-1]) is _CLOSERS[char]

    def _start_value(self, char: str, position: int) -> int:
        if not self._open:
            self._start = self._fed + position
        if char in "{[":
            if self._max_depth is not None and len(self._open) >= self._max_depth:
                return self._stop("too_deep", position, f"more than {self._max_depth} levels")
            container: Any = {} if char == "{" else []
            self._add(container)
            self._open.append(container)
            self._keys.append("" if char == "{" else None)
            self._mode = _FIRST_KEY if char == "{" else _FIRST_ITEM
            return position + 1
        if char == '"':
            self._parts, self._in_key, self._mode = [], False, _STRING
            self._dirty = True  # shown at once, empty
            return position + 1
        self._token, self._number = "", None
        self._mode = _NUMBER_TOKEN if char == "-" or "0" <= char <= "9" else _LITERAL
        return position

    def _add(self, value: Any, *, shown: bool = False) -> None:
        """Link a value that has started into the open container (or the root);
        ``shown``: it was in the last snapshot already, as it is now."""
        self._dirty |= not shown
        if not self._open:
            self._root = value
        elif self._keys[-1] is None:
            self._open[-1].append(value)
        else:
            self._open[-1][self._keys[-1]] = value

    def _value_ended(self, end: int) -> None:
        """A value ended just before ``end``, a position in the current fragment."""
        if self._open:
            self._mode = _AFTER_VALUE
        else:
            self._mode, self._end = _DONE, self._fed + end

    # Scalars: strings, numbers, literals (each may span fragments).

    def _read_string(self, text: str, position: int) -> int:
        end, parts = len(text), self._parts
        while position < end and self.stopped is None:
            if self._escape:
                position = self._read_escape(text, position)
                continue
            run = _STRING_RUN.match(text, position)
            if run:
                parts.append(run.group())
                position, self._high_surrogate = run.end(), False
                self._dirty |= not self._in_key
                if position == end:
                    break
            char = text[position]
            if char == "\\":
                self._escape = "\\"
            elif char == '"':
                self._close_string(position + 1)
                return position + 1
            else:
                return self._stop("invalid", position, "control character in a string")
            position += 1
        return position

    def _read_escape(self, text: str, position: int) -> int:
        if self._escape == "\\":
            char = text[position]
            if char != "u":
                if char not in _ESCAPES:
                    return self._stop("invalid", position, f"invalid escape \\{char}")
                self._escape = ""
                self._append_decoded(_ESCAPES[char])
                return position + 1
            self._escape, position = "\\u", position + 1
        hex_end = _run_end(_HEX, text, position, position + 6 - len(self._escape))
        self._escape += text[position:hex_end]
        position = hex_end
        if len(self._escape) < 6:
            if position < len(text):
                return self._stop("invalid", position, "invalid \\u escape")
            return position
        code, self._escape = int(self._escape[2:], 16), ""
        if self._high_surrogate and 0xDC00 <= code <= 0xDFFF:  # join the pair, as json does
            high = ord(self._parts[-1][-1])
            self._parts[-1] = self._parts[-1][:-1]
            code = 0x10000 + ((high - 0xD800) << 10 | (code - 0xDC00))
        self._append_decoded(chr(code))
        self._high_surrogate = 0xD800 <= code <= 0xDBFF
        return position

    def _append_decoded(self, char: str) -> None:
        self._parts.append(char)
        self._high_surrogate = False
        self._dirty |= not self._in_key

    def _close_string(self, end: int) -> None:
        text = "".join(self._parts)
        self._parts, self._high_surrogate = [], False
        if self._in_key:
            self._keys[-1], self._mode = text, _COLON
        else:
            self._add(text, shown=True)
            self._value_ended(end)

    def _read_number(self, text: str, position: int) -> int:
        run_end = _run_end(_NUMBER_RUN, text, position)
        if run_end > position:
            added = text[position:run_end]
            self._token += added
            if not _is_number_prefix(self._token):
                return self._refuse_number(run_end)
            if _DIGIT.search(added) and not self._convert_number():
                return self._stop("invalid", run_end - 1, "number too long")
        if run_end < len(text):
            if self._token == "-" and text[run_end] == "I":
                self._mode = _LITERAL  # -Infinity
            elif not _NUMBER.fullmatch(self._token):
                return self._stop("invalid", run_end, f"invalid number {self._token!r}")
            else:
                self._add(self._number, shown=True)
                self._value_ended(run_end)
        return run_end

    def _refuse_number(self, run_end: int) -> int:
        """Stop at the first character that cannot continue the number; show
        the number before it."""
        token = self._token
        valid = max(size for size in range(len(token)) if _is_number_prefix(token[:size]))
        self._token = token[:valid]
        if _DIGIT.search(self._token):
            self._convert_number()
        bad = run_end - len(token) + valid
        return self._stop("invalid", bad, f"invalid number {token[: valid + 1]!r}")

    def _convert_number(self) -> bool:
        """Convert the longest valid number in the token, as json.loads would;
        False for an integer over Python's digit limit, which json.loads refuses."""
        longest = _NUMBER.match(self._token)
        if longest is None:
            return False
        integer, fraction, exponent = longest.groups()
        try:
            self._number = float(longest.group()) if fraction or exponent else int(integer)
        except ValueError:
            return False
        self._dirty = True
        return True

    def _read_literal(self, text: str, position: int) -> int:
        for index in range(position, len(text)):  # one by one: at most 9 characters
            token = self._token + text[index]
            if not any(name.startswith(token) for name in _LITERALS):
                return self._stop("invalid", index, f"invalid literal {token!r}")
            self._token = token
            if token in _LITERALS:
                self._add(_LITERALS[token])
                self._value_ended(index + 1)
                return index + 1
        return len(text)

    # Snapshots and stopping.

    def _snapshot(self) -> Any:
        """Fresh copies of the open containers, the open scalar (if any) last."""
        pending, has_pending = None, False
        if self._mode == _STRING and not self._in_key:
            pending = "".join(self._parts)
            self._parts[:] = [pending]  # later snapshots join from here
            has_pending = True
        elif self._mode == _NUMBER_TOKEN and self._number is not None:
            pending, has_pending = self._number, True
        if not self._open:
            return pending if has_pending else self._root
        innermost = len(self._open) - 1
        for depth in range(innermost, -1, -1):
            copy = self._open[depth].copy()
            if has_pending:
                key = self._keys[depth]
                if key is not None:
                    copy[key] = pending
                elif depth == innermost:
                    copy.append(pending)
                else:
                    copy[-1] = pending
            pending, has_pending = copy, True
        return pending

    def _stop(self, reason: Literal["invalid", "too_deep"], position: int, what: str) -> int:
        offset = self._fed + position
        self.stopped = PartialJSONStop(reason, offset, f"{what} at offset {offset}")
        return position
