"""Every event a run emits, in one place.

Events are small immutable objects. Each has a ``type`` string (what UIs and
adapters key on) and a class (for ``match`` and ``isinstance`` in Python).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar

from ._messages import ToolCall
from ._partial_json import parse_partial_json

if TYPE_CHECKING:
    from ._messages import Usage

__all__ = [
    "ApprovalRequested",
    "ApprovalResolved",
    "CustomEvent",
    "Event",
    "OutputPartial",
    "ReasoningDelta",
    "RefusalDelta",
    "Retry",
    "RunFailed",
    "RunFinished",
    "RunStarted",
    "TextDelta",
    "ToolCallArgumentsDelta",
    "ToolCallReady",
    "ToolCallStarted",
    "ToolResult",
    "TurnFinished",
    "TurnStarted",
]


@dataclass(frozen=True, slots=True)
class _EventBase:
    type: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-ready dict with its ``type`` first."""
        data: dict[str, Any] = {"type": self.type}
        for item in fields(self):
            if item.repr:
                data[item.name] = _jsonable(getattr(self, item.name))
        return data


@dataclass(frozen=True, slots=True)
class RunStarted(_EventBase):
    """A run began."""

    type: ClassVar[str] = "run.started"
    run_id: str


@dataclass(frozen=True, slots=True)
class TurnStarted(_EventBase):
    """A model turn began (``turn`` is 1-based)."""

    type: ClassVar[str] = "turn.started"
    turn: int


@dataclass(frozen=True, slots=True, init=False)
class TextDelta(_EventBase):
    """A piece of the answer text."""

    type: ClassVar[str] = "text.delta"
    text: str

    def __init__(self, text: str) -> None:
        _set_text(self, text)


@dataclass(frozen=True, slots=True, init=False)
class ReasoningDelta(_EventBase):
    """A piece of the model's reasoning (``reasoning_content``, ``reasoning``
    or ``thinking`` parts, depending on the provider)."""

    type: ClassVar[str] = "reasoning.delta"
    text: str

    def __init__(self, text: str) -> None:
        _set_reasoning(self, text)


@dataclass(frozen=True, slots=True)
class RefusalDelta(_EventBase):
    """A piece of a refusal message."""

    type: ClassVar[str] = "refusal.delta"
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallStarted(_EventBase):
    """The model began a tool call: its id and function name are known."""

    type: ClassVar[str] = "tool_call.started"
    index: int
    id: str
    name: str


@dataclass(frozen=True, slots=True, init=False)
class ToolCallArgumentsDelta(_EventBase):
    """A fragment of a tool call's JSON arguments.

    ``arguments_so_far`` and ``partial_arguments`` are computed only when read,
    so streaming pays nothing for them unless a UI asks.
    """

    type: ClassVar[str] = "tool_call.arguments.delta"
    index: int
    id: str
    delta: str
    _fragments: list[str] = field(repr=False, compare=False)
    _count: int = field(repr=False, compare=False)

    def __init__(
        self,
        index: int,
        id: str,
        delta: str,
        _fragments: list[str] | None = None,
        _count: int = 0,
    ) -> None:
        _set_index(self, index)
        _set_id(self, id)
        _set_delta(self, delta)
        _set_fragments(self, [] if _fragments is None else _fragments)
        _set_count(self, _count)

    @property
    def arguments_so_far(self) -> str:
        """The arguments string received up to and including this fragment."""
        return "".join(self._fragments[: self._count])

    @property
    def partial_arguments(self) -> Any:
        """Best-effort parse of `arguments_so_far` (open strings, arrays and
        objects closed; an unfinished key dropped); None when nothing parses.
        For display only: a call is complete only on `ToolCallReady`."""
        return parse_partial_json(self.arguments_so_far)


@dataclass(frozen=True, slots=True)
class ToolCallReady(_EventBase):
    """A tool call is complete (sealed) and safe to execute.

    Emitted only on a structural signal: a later call began and these
    arguments form a complete JSON object, or the turn finished normally.
    Its fields (``index``, ``id``, ``name``, ``arguments``) are those of
    `call`, the complete `ToolCall`.
    """

    type: ClassVar[str] = "tool_call.ready"
    call: ToolCall

    @property
    def index(self) -> int:
        """The call's position in the turn."""
        return self.call.index

    @property
    def id(self) -> str:
        """The call id."""
        return self.call.id

    @property
    def name(self) -> str:
        """The function name."""
        return self.call.name

    @property
    def arguments(self) -> str:
        """The complete arguments JSON string."""
        return self.call.arguments

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-ready dict: ``type``, ``index``, ``id``,
        ``name``, ``arguments``."""
        call = self.call
        return {
            "type": self.type,
            "index": call.index,
            "id": call.id,
            "name": call.name,
            "arguments": call.arguments,
        }


@dataclass(frozen=True, slots=True)
class ToolResult(_EventBase):
    """A tool call finished; ``output`` is what the model will read."""

    type: ClassVar[str] = "tool.result"
    id: str
    name: str
    output: str
    is_error: bool
    duration: float


@dataclass(frozen=True, slots=True)
class ApprovalRequested(_EventBase):
    """A tool call waits for a person's approval (its tool has
    ``needs_approval``). ``arguments`` is the exact JSON string that will
    run if it is approved."""

    type: ClassVar[str] = "approval.requested"
    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class ApprovalResolved(_EventBase):
    """A decision about a call that waited for approval: approved (it runs
    now) or denied (it never runs; the model reads ``reason``)."""

    type: ClassVar[str] = "approval.resolved"
    id: str
    approved: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class OutputPartial(_EventBase):
    """The structured output parsed so far (a dict or a list), while the
    model streams it; for display only (the final output is validated)."""

    type: ClassVar[str] = "output.partial"
    partial: Any


@dataclass(frozen=True, slots=True)
class TurnFinished(_EventBase):
    """A model turn ended."""

    type: ClassVar[str] = "turn.finished"
    turn: int
    finish_reason: str | None
    usage: Usage | None


@dataclass(frozen=True, slots=True)
class Retry(_EventBase):
    """A request or turn is being retried after ``delay`` seconds.

    ``kind`` says which: ``"request"`` (the model layer resends a request
    that failed before its first chunk; nothing was shown yet) or ``"turn"``
    (the runner streams a broken turn again). When ``discard_partial`` is
    true, text already shown for this turn will be streamed again: a UI
    should drop it. ``attempt`` counts per kind, from 1.
    """

    type: ClassVar[str] = "retry"
    attempt: int
    reason: str
    delay: float
    discard_partial: bool = False
    kind: str = "request"


@dataclass(frozen=True, slots=True)
class RunFinished(_EventBase):
    """The run ended normally; ``result`` is its `RunResult`."""

    type: ClassVar[str] = "run.finished"
    result: Any


@dataclass(frozen=True, slots=True)
class RunFailed(_EventBase):
    """The run ended with an error (the same error ``run`` raises)."""

    type: ClassVar[str] = "run.failed"
    error: BaseException


@dataclass(frozen=True, slots=True)
class CustomEvent(_EventBase):
    """An event a tool emitted through its `RunContext`."""

    type: ClassVar[str] = "custom"
    name: str
    data: Any = None


# The three events made per chunk set their slots directly: a frozen
# dataclass's own __init__ goes through object.__setattr__ for each field,
# which costs them twice as much. They stay frozen (assignment raises).
_set_text = TextDelta.__dict__["text"].__set__
_set_reasoning = ReasoningDelta.__dict__["text"].__set__
_set_index = ToolCallArgumentsDelta.__dict__["index"].__set__
_set_id = ToolCallArgumentsDelta.__dict__["id"].__set__
_set_delta = ToolCallArgumentsDelta.__dict__["delta"].__set__
_set_fragments = ToolCallArgumentsDelta.__dict__["_fragments"].__set__
_set_count = ToolCallArgumentsDelta.__dict__["_count"].__set__

Event = (
    RunStarted
    | TurnStarted
    | TextDelta
    | ReasoningDelta
    | RefusalDelta
    | ToolCallStarted
    | ToolCallArgumentsDelta
    | ToolCallReady
    | ToolResult
    | ApprovalRequested
    | ApprovalResolved
    | OutputPartial
    | TurnFinished
    | Retry
    | RunFinished
    | RunFailed
    | CustomEvent
)
"""Any event agentkit emits."""


def _jsonable(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, BaseException):
        return {"error": type(value).__name__, "message": str(value)}
    return value
