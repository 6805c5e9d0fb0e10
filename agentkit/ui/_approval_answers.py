"""The answers to approval requests that a ``useChat`` request carries, checked
against what the server asked.

After `addToolApprovalResponse`, ``useChat`` sends the conversation again,
ending with the assistant message whose tool parts are in state
``approval-responded`` (``approval: {id, approved, reason}``). Each call
still without a result must carry the ``approvalId`` this server signed for
that very call (id, tool, arguments), or the request is refused before
anything runs: a client cannot add a call, change its arguments, or move an
approval from one call to another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._approval import Approval, pending_tool_calls
from ._approval_ids import ApprovalIds
from ._guard import Rejected
from ._vercel_messages import WAITING_STATES, tool_part_name

__all__ = ["ApprovalAnswers", "approval_answers"]


@dataclass(frozen=True, slots=True)
class ApprovalAnswers:
    """What a request decides about a paused run.

    Attributes:
        decisions: Call id -> decision, for ``agent.run(approvals=...)``.
        waiting: Ids of the calls that may stay without a result (each one
            verified: answered, or still waiting for its answer).
        message_id: The UI message the resumed run continues.
    """

    decisions: dict[str, Approval] = field(default_factory=dict)
    waiting: frozenset[str] = frozenset()
    message_id: str | None = None


def approval_answers(
    ui_messages: Sequence[Mapping[str, Any]],
    conversation: Sequence[Mapping[str, Any]],
    approval_ids: ApprovalIds,
) -> ApprovalAnswers:
    """The verified decisions of a conversation that ends with a paused
    assistant message (nothing for one that ends with a user message).

    Raises:
        Rejected: 400 when a waiting call's approval id is missing or is not
            the one this server signed for it, an answer is malformed, or
            no call has an answer.
    """
    if not conversation or conversation[-1].get("role") == "user":
        return ApprovalAnswers()
    last = ui_messages[-1]
    waiting = pending_tool_calls(conversation)
    if not waiting or last.get("role") != "assistant" or not isinstance(last.get("parts"), list):
        return ApprovalAnswers()  # the history check refuses the calls without a result
    parts = _waiting_parts(last["parts"])
    decisions: dict[str, Approval] = {}
    for call in waiting:
        part = parts.get(call.id)
        if part is None:  # not a call of this message: the history check refuses it
            return ApprovalAnswers()
        approval = part.get("approval")
        approval_id = approval.get("id") if isinstance(approval, Mapping) else None
        if not approval_ids.verifies(approval_id, call.id, call.name, call.arguments):
            raise Rejected(400, _not_ours(call.id, call.name))
        if part.get("state") == "approval-responded":
            assert isinstance(approval, Mapping)
            decisions[call.id] = _decision(approval, call.id)
    if not decisions:
        raise Rejected(
            400,
            "The conversation ends with tool calls waiting for approval, and none is "
            "answered: answer them (addToolApprovalResponse) or send a user message.",
        )
    message_id = last.get("id")
    return ApprovalAnswers(
        decisions=decisions,
        waiting=frozenset(call.id for call in waiting),
        message_id=message_id if isinstance(message_id, str) and message_id else None,
    )


def _waiting_parts(parts: Sequence[Any]) -> dict[str, Mapping[str, Any]]:
    return {
        str(part.get("toolCallId")): part
        for part in parts
        if isinstance(part, Mapping)
        and tool_part_name(part) is not None
        and part.get("state") in WAITING_STATES
    }


def _decision(approval: Mapping[str, Any], call_id: str) -> Approval:
    approved, reason = approval.get("approved"), approval.get("reason")
    if not isinstance(approved, bool):
        raise Rejected(400, f"The approval of call {call_id!r}: 'approved' is not true or false.")
    if reason is not None and not isinstance(reason, str):
        raise Rejected(400, f"The approval of call {call_id!r}: 'reason' is not a string.")
    return Approval(approved, reason or None)


def _not_ours(call_id: str, name: str) -> str:
    return (
        f"The call {call_id!r} to {name!r} waits for approval, but its approval id is not "
        "the one this server issued for that call: the call, its tool or its arguments "
        "were changed, or the id belongs to another call. Nothing was run. (A server "
        "running in several processes needs the same chat_app(secret=...) in each.)"
    )
