"""A chat request's body -> the conversation to run, or `Rejected` (400/413).

A browser sends the whole conversation with every request, so everything in
it is what the client says. What cannot be right is refused before any model
is called: a malformed body, wrong shapes, unknown roles or part types,
``system`` messages (the agent's instructions come from the server), tool
results for calls no assistant message made, calls to tools this agent does
not have, calls left without a result (except the calls of a paused reply
that carry the approval id this server signed for them), too many messages.
What agentkit cannot check is whether an earlier tool result is the one the
server sent: tools must take their authority from ``deps`` (the
authenticated user), never from the conversation.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._json import loads
from ._approval_answers import ApprovalAnswers, approval_answers
from ._approval_ids import ApprovalIds
from ._guard import ChatLimits, Rejected
from ._vercel_messages import ui_messages_to_openai

__all__ = ["ChatInput", "conversation_from_body"]

_UI_ROLES = ("user", "assistant")
_OPENAI_ROLES = ("user", "assistant", "tool")
_SYSTEM_ROLES = ("system", "developer")
_PLAIN_PARTS = frozenset(
    {"text", "reasoning", "step-start", "file", "source-url", "source-document"}
)
_TOOL_STATES = frozenset(
    {
        "input-streaming",
        "input-available",
        "output-available",
        "output-error",
        "approval-requested",
        "approval-responded",
        "output-denied",
    }
)
_CONTENT_PARTS = frozenset({"text", "image_url"})
_KEPT_KEYS = ("role", "content", "name", "tool_calls", "tool_call_id", "refusal")


@dataclass(frozen=True, slots=True)
class ChatInput:
    """What a request asks to run.

    Attributes:
        payload: The parsed JSON body.
        messages: The OpenAI-format conversation (a paused one when
            ``answers`` has decisions).
        answers: The verified answers to the server's approval requests.
    """

    payload: Any
    messages: list[dict[str, Any]]
    answers: ApprovalAnswers


def conversation_from_body(
    body: bytes,
    limits: ChatLimits,
    tool_names: Collection[str] | None,
    approval_ids: ApprovalIds,
) -> ChatInput:
    """The parsed body, the OpenAI-format conversation it asks to run, and
    its answers to approval requests.

    Args:
        body: The raw request body.
        limits: The endpoint's limits (``max_messages``).
        tool_names: The agent's tools, or None when they are only known at
            run time (tool sources such as MCP servers).
        approval_ids: What verifies the approval ids of waiting calls.

    Raises:
        Rejected: 400 for anything malformed or impossible, 413 for too many
            messages; the message says which message and what is wrong.
    """
    try:
        payload = loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise Rejected(400, f"The body is not JSON ({error}).") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("messages"), list):
        raise Rejected(400, "Expected a JSON object with a 'messages' list.")
    messages: list[Any] = payload["messages"]
    if not messages:
        raise Rejected(400, "'messages' is empty.")
    if len(messages) > limits.max_messages:
        raise Rejected(413, f"Too many messages ({len(messages)}); at most {limits.max_messages}.")
    for position, message in enumerate(messages):
        _check_message(message, f"messages[{position}]")
    conversation = [_kept(m) for m in ui_messages_to_openai(messages)]
    answers = approval_answers(messages, conversation, approval_ids)
    _check_history(conversation, tool_names, answers.waiting)
    return ChatInput(payload, conversation, answers)


# ----------------------------------------------------------------- shapes


def _check_message(message: Any, where: str) -> None:
    if not isinstance(message, dict):
        raise Rejected(400, f"{where} is not an object.")
    role = message.get("role")
    if role in _SYSTEM_ROLES:
        raise Rejected(
            400,
            f"{where}: {role} messages are not accepted from clients (the agent's "
            "instructions are set on the server).",
        )
    if "parts" in message:
        if role not in _UI_ROLES:
            raise Rejected(400, f"{where}: unknown role {role!r} (expected user or assistant).")
        parts = message["parts"]
        if not isinstance(parts, list):
            raise Rejected(400, f"{where}.parts is not a list.")
        for position, part in enumerate(parts):
            _check_part(part, role, f"{where}.parts[{position}]")
        return
    if role not in _OPENAI_ROLES:
        raise Rejected(400, f"{where}: unknown role {role!r} (expected user, assistant or tool).")
    _check_openai_message(message, role, where)


def _check_part(part: Any, role: str, where: str) -> None:
    if not isinstance(part, dict) or not isinstance(part.get("type"), str):
        raise Rejected(400, f"{where} is not an object with a 'type'.")
    kind = part["type"]
    if kind in ("text", "reasoning") and not isinstance(part.get("text", ""), str):
        raise Rejected(400, f"{where}.text is not a string.")
    if kind == "dynamic-tool" or kind.startswith("tool-"):
        _check_tool_part(part, role, where)
    elif kind not in _PLAIN_PARTS and not kind.startswith("data-"):
        raise Rejected(400, f"{where}: unknown part type {kind!r}.")


def _check_tool_part(part: Mapping[str, Any], role: str, where: str) -> None:
    if role != "assistant":
        raise Rejected(400, f"{where}: tool parts belong to assistant messages.")
    if not isinstance(part.get("toolCallId"), str) or not part["toolCallId"]:
        raise Rejected(400, f"{where}.toolCallId is not a non-empty string.")
    if part.get("type") == "dynamic-tool" and not isinstance(part.get("toolName"), str):
        raise Rejected(400, f"{where}.toolName is not a string.")
    if part.get("state") not in _TOOL_STATES:
        raise Rejected(400, f"{where}: unknown tool state {part.get('state')!r}.")
    if "errorText" in part and not isinstance(part["errorText"], str):
        raise Rejected(400, f"{where}.errorText is not a string.")
    if part.get("approval") is not None and not isinstance(part["approval"], dict):
        raise Rejected(400, f"{where}.approval is not an object.")


def _check_openai_message(message: Mapping[str, Any], role: str, where: str) -> None:
    content = message.get("content")
    if not (isinstance(content, str) or (content is None and role == "assistant")):
        _check_content_parts(content, where)
    if role == "tool" and not isinstance(message.get("tool_call_id"), str):
        raise Rejected(400, f"{where}.tool_call_id is not a string.")
    calls = message.get("tool_calls")
    if calls is None:
        return
    if role != "assistant" or not isinstance(calls, list):
        raise Rejected(400, f"{where}.tool_calls must be a list, on an assistant message.")
    for position, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not (
            isinstance(call, dict)
            and isinstance(call.get("id"), str)
            and call["id"]
            and isinstance(function, dict)
            and isinstance(function.get("name"), str)
            and isinstance(function.get("arguments"), str)
        ):
            raise Rejected(
                400,
                f"{where}.tool_calls[{position}] must be "
                '{"id", "type": "function", "function": {"name", "arguments"}} with strings.',
            )


def _check_content_parts(content: Any, where: str) -> None:
    if not isinstance(content, list) or not content:
        raise Rejected(400, f"{where}.content must be a string or a list of parts.")
    for position, part in enumerate(content):
        if not isinstance(part, dict) or part.get("type") not in _CONTENT_PARTS:
            raise Rejected(400, f"{where}.content[{position}] is not a text or image_url part.")


def _kept(message: Mapping[str, Any]) -> dict[str, Any]:
    """The fields a request may carry to the model (no client-chosen extras)."""
    return {key: message[key] for key in _KEPT_KEYS if key in message}


# ---------------------------------------------------------------- history


def _check_history(
    messages: Sequence[Mapping[str, Any]],
    tool_names: Collection[str] | None,
    paused: Collection[str],
) -> None:
    """Every tool result answers a call the assistant message before it made,
    every call is answered, ids are unique, tools exist, a user speaks last;
    or the conversation ends with a paused reply whose ``paused`` calls
    (verified approvals) have no result yet."""
    waiting: dict[str, str] = {}
    made: set[str] = set()
    for message in messages:
        if message["role"] == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in waiting:
                raise Rejected(
                    400, f"A tool result for a call that was never made (id {call_id!r})."
                )
            del waiting[call_id]
            continue
        if waiting:
            raise Rejected(400, f"The tool call {next(iter(waiting))!r} has no result.")
        for call in message.get("tool_calls") or []:
            call_id, name = call["id"], call["function"]["name"]
            if call_id in made:
                raise Rejected(400, f"Two tool calls have the id {call_id!r}.")
            if tool_names is not None and name not in tool_names:
                raise Rejected(400, f"A call to {name!r}, which is not a tool of this agent.")
            made.add(call_id)
            waiting[call_id] = name
    unanswered = [call_id for call_id in waiting if call_id not in paused]
    if unanswered:
        raise Rejected(400, f"The tool call {unanswered[0]!r} has no result.")
    if not waiting and messages[-1]["role"] != "user":
        raise Rejected(
            400,
            "The conversation must end with a user message (or with answers to the "
            "approvals this server asked for).",
        )
