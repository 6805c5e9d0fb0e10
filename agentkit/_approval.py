"""Human approval of tool calls: the decision types, asking an approver, and
finding the calls a paused conversation still waits for.

A call to a tool with ``needs_approval`` never starts before its decision.
With an ``approver`` the run asks it (one request at a time, in the order
the calls became ready) and goes on; without one, the run pauses once every
other call of the turn has finished, and ``RunResult.messages`` (plain JSON)
is the whole state: the assistant message with its calls, and the results
that exist. Resuming with ``approvals={call_id: decision}`` runs approved
calls with the arguments stored in that state, answers denied ones with the
reason, and pauses again while any call still waits.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread

from ._errors import ApproverError, UsageError
from ._messages import ToolCall
from .tools._signature import is_async_callable

__all__ = [
    "Approval",
    "ApprovalGate",
    "ApprovalRequest",
    "Approver",
    "as_approval",
    "checked_decisions",
    "denied_output",
    "pending_tool_calls",
]


@dataclass(frozen=True, slots=True)
class Approval:
    """A decision about a tool call that needs approval.

    Attributes:
        approved: Whether the call may run.
        reason: Why (sent to the model when the call is denied), or None.
        arguments: When set, the arguments JSON string the decision was made
            for: resuming fails with `UsageError` if the stored call's
            arguments differ (a tampered state). None trusts the state.
    """

    approved: bool
    reason: str | None = None
    arguments: str | None = None


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """A tool call waiting for approval.

    Attributes:
        id: The call id (the key of ``approvals={...}`` when resuming).
        name: The tool name.
        arguments: The exact arguments JSON string that runs if approved.
    """

    id: str
    name: str
    arguments: str

    def to_dict(self) -> dict[str, Any]:
        """The request as a JSON-ready dict."""
        return {"id": self.id, "name": self.name, "arguments": self.arguments}


Approver = Callable[[ApprovalRequest], "bool | Approval | Awaitable[bool | Approval]"]
"""Decides an `ApprovalRequest`: returns True/False or an `Approval`; sync
(run in a worker thread, so it may block on input) or async."""


def as_approval(decision: object, where: str) -> Approval:
    """A decision (a bool or an `Approval`) as an `Approval`.

    Raises:
        UsageError: Anything else; ``where`` says whose decision it was.
    """
    if isinstance(decision, Approval):
        return decision
    if isinstance(decision, bool):
        return Approval(decision)
    raise UsageError(f"{where} must be True, False or an Approval, not {decision!r}.")


def denied_output(approval: Approval) -> str:
    """The tool message of a denied call (the model reads it; the call never ran)."""
    text = "Not run: the user denied this tool call."
    return f"{text} Reason: {approval.reason}" if approval.reason else text


class ApprovalGate:
    """Asks a run's approver (the turn's calls line up, so one request is
    asked at a time); without an approver, every request stays pending (the
    run pauses)."""

    def __init__(self, approver: Approver | None) -> None:
        self._approver = approver

    @property
    def pauses(self) -> bool:
        """True when there is no approver: requests wait for a resume."""
        return self._approver is None

    async def ask(self, request: ApprovalRequest) -> Approval:
        """The approver's decision.

        Raises:
            ApproverError: The approver raised, or returned something that
                is not a decision.
        """
        approver = self._approver
        assert approver is not None, "ask() needs an approver; check pauses first"
        name = getattr(approver, "__qualname__", None) or type(approver).__qualname__
        try:
            if is_async_callable(approver):
                decision = await approver(request)  # type: ignore[misc]
            else:
                decision = await anyio.to_thread.run_sync(approver, request, abandon_on_cancel=True)
                if inspect.isawaitable(decision):
                    decision = await decision
            return as_approval(decision, f"The approver {name!r}'s answer")
        except UsageError as error:
            raise ApproverError(str(error), approver=name) from None
        except Exception as error:
            raise ApproverError(
                f"The approver {name!r} raised {type(error).__name__}: {error} (deciding "
                f"call {request.id} of {request.name!r}); the run was stopped.",
                approver=name,
            ) from error


def pending_tool_calls(messages: Sequence[Mapping[str, Any]]) -> list[ToolCall]:
    """The calls a paused conversation waits for: those of its last assistant
    message (followed only by tool messages) that have no tool result yet."""
    index = len(messages) - 1
    answered: set[str] = set()
    while index >= 0 and messages[index].get("role") == "tool":
        answered.add(str(messages[index].get("tool_call_id")))
        index -= 1
    if index < 0 or messages[index].get("role") != "assistant":
        return []
    waiting = []
    for position, call in enumerate(messages[index].get("tool_calls") or ()):
        function = call.get("function") or {}
        call_id = str(call.get("id"))
        if call_id not in answered:
            arguments = function.get("arguments") or ""
            waiting.append(ToolCall(call_id, str(function.get("name")), arguments, position))
    return waiting


def checked_decisions(
    messages: Sequence[Mapping[str, Any]], approvals: Mapping[str, object] | None
) -> dict[str, Approval]:
    """The decisions given to a resumed run, checked against the calls its
    conversation waits for.

    Raises:
        UsageError: A decision is not a bool or an `Approval`; it names a
            call that is not waiting; or its ``arguments`` differ from the
            stored call's (a tampered state).
    """
    if not approvals:
        return {}
    waiting = {call.id: call for call in pending_tool_calls(messages)}
    decisions: dict[str, Approval] = {}
    for call_id, decision in approvals.items():
        approval = as_approval(decision, f"approvals[{call_id!r}]")
        call = waiting.get(call_id)
        if call is None:
            listed = ", ".join(waiting) or "none"
            raise UsageError(
                f"approvals names {call_id!r}, which is not a call waiting for approval in "
                f"these messages (waiting: {listed})."
            )
        if approval.arguments is not None and approval.arguments != call.arguments:
            raise UsageError(
                f"The decision about {call_id!r} was made for the arguments "
                f"{approval.arguments!r}, but the stored call has {call.arguments!r}: the "
                "state was changed after the request was shown. Nothing was run."
            )
        decisions[call_id] = approval
    return decisions
