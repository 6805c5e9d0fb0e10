"""Faults `ScriptedServer` injects into its answers, so that a test can check
what an agent does when the network or the provider misbehaves: a connection
reset mid-stream, a body cut short, garbage or invalid UTF-8 in the stream, a
chunk sent twice, a stall, an HTTP 429/500/503 instead of the answer.

A `Fault` says what happens and where (a byte offset into the streamed
body); `Faults` draws them at random from a seed, so a failing case can be
replayed exactly. Byte faults apply to streamed answers; an answer with a
fixed body (an error response) can only be replaced by a status fault.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from ._script import Disconnect, Pause, RecordedRequest, ScriptedResponse, sse_bytes

__all__ = ["FAULT_KINDS", "Fault", "FaultKind", "FaultPlan", "Faults", "streamed_bytes"]

FaultKind = Literal["reset", "truncate", "garbage", "invalid_utf8", "duplicate", "stall", "status"]
"""What a `Fault` does (see `Fault`)."""

FAULT_KINDS: tuple[FaultKind, ...] = (
    "reset",
    "truncate",
    "garbage",
    "invalid_utf8",
    "duplicate",
    "stall",
    "status",
)
"""Every kind of fault, in a fixed order (the default of `Faults`)."""

GARBAGE = b"\x00\x1b[garbage\x07"
"""The bytes a garbage fault inserts by default: control characters, which
no JSON text may hold raw."""

INVALID_UTF8 = b"\xff\xfe"
"""The bytes an invalid-UTF-8 fault inserts (never valid in UTF-8)."""

_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")

FaultPlan = Callable[[RecordedRequest, ScriptedResponse], Sequence["Fault"]]
"""Decides the faults of one answer from the request and the scripted answer
(`Faults` is one; ``ScriptedServer(faults=...)`` also takes a mapping)."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault in one answer of `ScriptedServer`.

    Build one with the class methods, for example ``Fault.reset(at=120)``.

    Attributes:
        kind: ``"reset"`` (the connection is closed at ``at``, without ending
            the HTTP body), ``"truncate"`` (the body ends cleanly at ``at``,
            possibly mid-line), ``"garbage"`` (``data`` is inserted at ``at``),
            ``"invalid_utf8"`` (bytes that are never UTF-8 are inserted at
            ``at``), ``"duplicate"`` (the SSE event around ``at`` is sent
            twice), ``"stall"`` (nothing is sent for ``seconds`` from ``at``;
            None: until the client gives up), ``"status"`` (the whole answer
            is an HTTP ``status`` error, with ``Retry-After: retry_after``
            when given).
        at: Byte offset into the streamed body (clamped to its length).
        status: The HTTP status of a status fault.
        retry_after: The ``Retry-After`` seconds of a status fault, or None.
        seconds: How long a stall lasts; None until the client disconnects.
        data: The bytes a garbage fault inserts.
    """

    kind: FaultKind
    at: int = 0
    status: int = 503
    retry_after: float | None = None
    seconds: float | None = None
    data: bytes = GARBAGE

    @classmethod
    def reset(cls, at: int) -> Fault:
        """Close the connection after ``at`` body bytes."""
        return cls("reset", at)

    @classmethod
    def truncate(cls, at: int) -> Fault:
        """End the body cleanly after ``at`` bytes (a stream cut short)."""
        return cls("truncate", at)

    @classmethod
    def garbage(cls, at: int, data: bytes = GARBAGE) -> Fault:
        """Insert ``data`` at byte ``at``."""
        return cls("garbage", at, data=data)

    @classmethod
    def invalid_utf8(cls, at: int) -> Fault:
        """Insert bytes that are not UTF-8 at byte ``at``."""
        return cls("invalid_utf8", at)

    @classmethod
    def duplicate(cls, at: int) -> Fault:
        """Send the SSE event that holds byte ``at`` twice in a row."""
        return cls("duplicate", at)

    @classmethod
    def stall(cls, at: int, seconds: float | None = None) -> Fault:
        """Send nothing for ``seconds`` after ``at`` bytes (None: until the
        client disconnects)."""
        return cls("stall", at, seconds=seconds)

    @classmethod
    def http_status(cls, status: int = 503, retry_after: float | None = None) -> Fault:
        """Answer with HTTP ``status`` instead of the scripted answer."""
        return cls("status", status=status, retry_after=retry_after)

    def apply(self, response: ScriptedResponse) -> ScriptedResponse:
        """The answer ``response`` becomes with this fault (a new object)."""
        if self.kind == "status":
            return _status_answer(self.status, self.retry_after)
        if response.body is not None:
            return response  # a fixed body has no stream to spoil
        steps = _pieces(response)
        at = max(0, min(self.at, _length(steps)))
        inserted: bytes | Pause
        if self.kind == "duplicate":
            start, at = _event_around(_joined(steps), at)
            inserted = _joined(steps)[start:at]
        elif self.kind == "stall":
            inserted = Pause(self.seconds)
        else:
            inserted = INVALID_UTF8 if self.kind == "invalid_utf8" else self.data
        before, after = _split(steps, at)
        if self.kind == "reset":
            return replace(response, steps=[*before, Disconnect()], done=False)
        if self.kind == "truncate":
            return replace(response, steps=before, done=False)
        return replace(response, steps=[*before, inserted, *after], done=False)


class Faults:
    """Seeded random faults: give it to ``ScriptedServer(faults=...)``.

    Each answer gets, with probability ``rate``, one fault of a kind drawn
    from ``kinds`` at a random byte offset (or a status drawn from
    ``statuses``). The same seed gives the same faults for the same sequence
    of answers, so a failure found once can be replayed.

    ```python
    with ScriptedServer(script, faults=Faults(seed=7, rate=0.5)) as server:
        ...  # run the agent; server.injected_faults says what happened
    ```

    Args:
        seed: The random seed.
        rate: Probability that an answer gets a fault (0..1).
        kinds: The kinds to draw from (see `Fault`).
        statuses: The statuses of status faults.
        stall_seconds: How long stalls last (None: until the client gives up).
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        rate: float = 1.0,
        kinds: Sequence[FaultKind] = FAULT_KINDS,
        statuses: Sequence[int] = (429, 500, 503),
        stall_seconds: float | None = None,
    ) -> None:
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown or not kinds:
            raise ValueError(f"kinds must be among {FAULT_KINDS}, got {list(kinds)}")
        self._random = random.Random(seed)
        self.rate = rate
        self.kinds = tuple(kinds)
        self.statuses = tuple(statuses)
        self.stall_seconds = stall_seconds

    def __call__(self, request: RecordedRequest, response: ScriptedResponse) -> list[Fault]:
        """The faults of one answer (none, or one)."""
        draw = self._random
        if draw.random() >= self.rate:
            return []
        kind = draw.choice(self.kinds)
        if kind == "status":
            return [Fault.http_status(draw.choice(self.statuses))]
        at = draw.randrange(max(1, len(streamed_bytes(response))))
        return [Fault(kind, at, seconds=self.stall_seconds)]


def plan_from(faults: FaultPlan | Mapping[int, Fault | Sequence[Fault]] | None) -> FaultPlan:
    """A `FaultPlan` from what ``ScriptedServer(faults=...)`` accepts: a plan,
    a mapping from request number (1-based) to faults, or None."""
    if faults is None:
        return _no_faults
    if callable(faults):
        return faults
    by_number = {
        number: [found] if isinstance(found, Fault) else list(found)
        for number, found in faults.items()
    }
    seen = 0

    def planned(request: RecordedRequest, response: ScriptedResponse) -> list[Fault]:
        nonlocal seen
        seen += 1
        return by_number.get(seen, [])

    return planned


def streamed_bytes(response: ScriptedResponse) -> bytes:
    """The body bytes a client receives from ``response`` (a fixed body as
    is; a stream up to its end or its first `Disconnect`, pauses skipped)."""
    if response.body is not None:
        return response.body
    data = b""
    for step in _pieces(response):
        if isinstance(step, Disconnect):
            break
        if isinstance(step, bytes):
            data += step
    if response.close_after_bytes is not None:
        data = data[: response.close_after_bytes]
    return data


# ------------------------------------------------------------------ helpers


def _no_faults(request: RecordedRequest, response: ScriptedResponse) -> list[Fault]:
    return []


def _status_answer(status: int, retry_after: float | None) -> ScriptedResponse:
    body = {"error": {"message": f"injected HTTP {status}", "type": "injected_fault"}}
    headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
    return ScriptedResponse(status=status, headers=headers, body=json.dumps(body).encode())


def _pieces(response: ScriptedResponse) -> list[bytes | Pause | Disconnect]:
    """The steps as bytes (chunk dicts and text encoded), pauses and
    disconnects kept, ``[DONE]`` added when the response sends it."""
    pieces: list[bytes | Pause | Disconnect] = []
    for step in response.steps:
        if isinstance(step, (Pause, Disconnect, bytes)):
            pieces.append(step)
        elif isinstance(step, str):
            pieces.append(step.encode())
        else:
            pieces.append(sse_bytes(step))
    if response.done:
        pieces.append(b"data: [DONE]\n\n")
    return pieces


def _length(pieces: Sequence[bytes | Pause | Disconnect]) -> int:
    return sum(len(piece) for piece in pieces if isinstance(piece, bytes))


def _joined(pieces: Sequence[bytes | Pause | Disconnect]) -> bytes:
    return b"".join(piece for piece in pieces if isinstance(piece, bytes))


def _split(
    pieces: Sequence[bytes | Pause | Disconnect], at: int
) -> tuple[list[bytes | Pause | Disconnect], list[bytes | Pause | Disconnect]]:
    """The pieces before byte ``at`` and from it on (a piece cut in two)."""
    before: list[bytes | Pause | Disconnect] = []
    for position, piece in enumerate(pieces):
        if not isinstance(piece, bytes):
            before.append(piece)
            continue
        if at <= len(piece):
            head, tail = piece[:at], piece[at:]
            rest = list(pieces[position + 1 :])
            return before + ([head] if head else []), ([tail] if tail else []) + rest
        before.append(piece)
        at -= len(piece)
    return before, []


def _event_around(body: bytes, at: int) -> tuple[int, int]:
    """Where the SSE event holding byte ``at`` starts and ends (its blank
    line included)."""
    start = 0
    for match in _EVENT_END.finditer(body):
        if at < match.end():
            return start, match.end()
        start = match.end()
    return start, len(body)
