"""`OfflineAssistant`: a small rule-based model behind `ScriptedServer`, so the
demo and the REPL work with no API key and no network.

It reads each request like a model would: when the last message is the
user's, it calls the tools the question asks for (arithmetic → ``calculate``,
time → ``current_time``, files → ``search_files``, "research X" →
``research``), when the request offers them, as parallel streamed tool
calls; when tool results came back, it streams an answer built from them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ._script import ScriptedResponse, text_chunks, tool_call_chunks
from ._server import RecordedRequest

__all__ = ["OfflineAssistant"]

_ARITHMETIC = re.compile(r"[-+(]*\d[\d.\s]*(?:[-+*/%^][\s(]*[-+]?\d[\d.\s)]*)+")
_QUOTED = re.compile(r"[\"'‘“]([^\"'’”]{1,80})[\"'’”]")
_RESEARCH = re.compile(r"\b(?:research|investigate)\b\s*(.*)", re.IGNORECASE)
_TIME_WORDS = ("time", "date", "clock", "today", "day is it")
_FILE_WORDS = ("file", "search", "find", "mention", "grep", "where")
_ZONES = {
    "tokyo": "Asia/Tokyo",
    "hanoi": "Asia/Ho_Chi_Minh",
    "london": "Europe/London",
    "paris": "Europe/Paris",
    "berlin": "Europe/Berlin",
    "new york": "America/New_York",
    "san francisco": "America/Los_Angeles",
    "sydney": "Australia/Sydney",
}


class OfflineAssistant:
    """A `Responder` for `ScriptedServer` that behaves like a small tool-using model.

    Args:
        chunk_delay: Seconds between streamed chunks (a live feel in terminals).
    """

    def __init__(self, chunk_delay: float = 0.02) -> None:
        self.chunk_delay = chunk_delay

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        body = request.json()
        messages: list[dict[str, Any]] = body.get("messages", [])
        tools = {t["function"]["name"] for t in body.get("tools") or [] if "function" in t}
        last = messages[-1] if messages else {}
        if last.get("role") == "tool":
            return self._stream(text_chunks(_summarize(messages), usage=_usage(messages)))
        calls = _plan_calls(_text_of(last.get("content")), tools)
        if calls:
            return self._stream(tool_call_chunks(calls, fragments=4, usage=_usage(messages)))
        return self._stream(text_chunks(_small_talk(tools), usage=_usage(messages)))

    def _stream(self, chunks: list[dict[str, Any]]) -> ScriptedResponse:
        return ScriptedResponse(chunks, chunk_delay=self.chunk_delay)


def _plan_calls(question: str, tools: set[str]) -> list[tuple[str, dict[str, Any]]]:
    lowered = question.lower()
    calls: list[tuple[str, dict[str, Any]]] = []
    expression = _ARITHMETIC.search(question)
    if "calculate" in tools and expression:
        calls.append(("calculate", {"expression": expression.group().strip()}))
    if "current_time" in tools and any(word in lowered for word in _TIME_WORDS):
        zone = next((zone for city, zone in _ZONES.items() if city in lowered), "UTC")
        calls.append(("current_time", {"timezone": zone}))
    quoted = _QUOTED.search(question)
    if "search_files" in tools and quoted and any(word in lowered for word in _FILE_WORDS):
        calls.append(("search_files", {"text": quoted.group(1)}))
    research = _RESEARCH.search(question)
    if "research" in tools and research:
        calls.append(("research", {"topic": research.group(1).strip(" ?.!") or "it"}))
    return calls


def _summarize(messages: list[dict[str, Any]]) -> str:
    """An answer built from the tool results since the last user message."""
    names = _call_names(messages)
    lines = ["Here is what I found:"]
    for message in _since_last_user(messages):
        if message.get("role") != "tool":
            continue
        name = names.get(message.get("tool_call_id", ""), "tool")
        lines.append(f"- {name}: {_describe(_text_of(message.get('content')))}")
    return "\n".join(lines)


def _describe(output: str) -> str:
    try:
        value = json.loads(output)
    except ValueError:
        return output if len(output) <= 200 else output[:200] + "…"
    if isinstance(value, list):
        if not value:
            return "nothing matched"
        first = value[0]
        where = f"{first.get('path')}:{first.get('line')}" if isinstance(first, dict) else first
        return f"{len(value)} match(es), the first in {where}"
    return json.dumps(value) if not isinstance(value, str) else value


def _small_talk(tools: set[str]) -> str:
    skills = []
    if "calculate" in tools:
        skills.append("arithmetic (try: what is 12 * (3 + 4)?)")
    if "current_time" in tools:
        skills.append("the current time (try: what time is it in Tokyo?)")
    if "search_files" in tools:
        skills.append("searching files (try: which files mention 'agent'?)")
    offer = "; ".join(skills) if skills else "echoing your questions"
    return (
        "I am agentkit's offline scripted model: no API key or network needed. "
        f"I can help with {offer}. Point AGENTKIT_BASE_URL at a real endpoint for a real model."
    )


def _call_names(messages: list[dict[str, Any]]) -> dict[str, str]:
    names = {}
    for message in messages:
        for call in message.get("tool_calls") or []:
            names[call.get("id", "")] = call.get("function", {}).get("name", "tool")
    return names


def _since_last_user(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for position in range(len(messages) - 1, -1, -1):
        if messages[position].get("role") == "user":
            return messages[position + 1 :]
    return messages


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    return ""


def _usage(messages: list[dict[str, Any]]) -> tuple[int, int]:
    prompt = sum(len(_text_of(m.get("content")).split()) for m in messages) + 20
    return prompt, 30
