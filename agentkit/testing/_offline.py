"""`OfflineAssistant`: the tool-calling stand-in with a little reading of the
question, so the demo and the REPL feel like a small model with no API key
and no network.

It calls the tools the question asks for, as parallel streamed tool calls:
arithmetic → ``calculate``, time → ``current_time``, a quoted text and
files → ``search_files``, "research X" → ``research`` (each when offered and
its schema takes those arguments), and any other tool whose name the
question mentions ("count the words..." → ``word_count``). Arguments come
from the question where it says them (a quoted text, a number, a city),
the rest is generated from the tool's schema. When the results came back,
it answers from them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ._conversation import Conversation
from ._tool_calling import ToolCall, ToolCallingModel

__all__ = ["OfflineAssistant"]

_OPERATOR = r"(?:\*\*|//|[-+*/%^])"
_ARITHMETIC = re.compile(rf"[-+(]*\d[\d.\s)]*(?:{_OPERATOR}[\s(]*[-+]?\d[\d.\s)]*)+")
_QUOTED = re.compile(r"[\"'‘“]([^\"'’”]{1,80})[\"'’”]")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_RESEARCH = re.compile(r"\b(?:research|investigate)\b\s*(.*)", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")
_TIME_WORDS = ("time", "date", "clock", "today", "day is it")
_FILE_WORDS = ("file", "search", "find", "mention", "grep", "where")
_UNSPECIFIC = {"get", "set", "the", "for", "and", "run", "do", "make", "tool", "fetch", "info"}
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


class OfflineAssistant(ToolCallingModel):
    """A `ToolCallingModel` that reads the question like a small model:
    it calls the tools the question asks for, with the arguments it names.
    `agentkit demo` and `agentkit chat` use it when no endpoint is
    available; also a `Responder` for `ScriptedServer`.

    Args:
        chunk_delay: Seconds between streamed chunks (a live feel in terminals).
        seed: Seeds the arguments the question does not give.
    """

    model_name = "agentkit-offline"

    def __init__(self, chunk_delay: float = 0.02, *, seed: int = 0) -> None:
        super().__init__(chunk_delay=chunk_delay, seed=seed)

    def _plan_calls(self, conversation: Conversation) -> list[ToolCall]:
        """A call for every tool the question asks for."""
        question = conversation.question
        calls = []
        for tool in conversation.tools:
            hints = _hints(tool, question)
            if hints is not None:
                arguments = self._arguments_for(tool, conversation)
                calls.append((str(tool["name"]), {**arguments, **hints}))
        return calls

    def _arguments_for(self, tool: dict[str, Any], conversation: Conversation) -> dict[str, Any]:
        """Generated arguments, with the values the question names (a quoted
        text, numbers, a city) where the schema accepts them."""
        arguments = super()._arguments_for(tool, conversation)
        schema = tool.get("parameters") or {}
        return {**arguments, **_from_question(schema, conversation.question, arguments)}

    def _answer(self, conversation: Conversation) -> str:
        """An answer built from the results, or what it can do."""
        results = conversation.tool_results()
        if results:
            lines = ["Here is what I found:"]
            lines += [f"- {name}: {_describe(output)}" for name, output in results]
            return "\n".join(lines)
        return _small_talk(conversation.tools)


def _hints(tool: Mapping[str, Any], question: str) -> dict[str, Any] | None:
    """The arguments the question gives a tool it asks for, or None when it
    does not ask for it. The demo's tools are recognised by what they do;
    others by their name."""
    name = tool.get("name", "")
    lowered = question.lower()
    properties = (tool.get("parameters") or {}).get("properties") or {}
    if name == "calculate" and "expression" in properties:
        expression = _ARITHMETIC.search(question)
        return {"expression": expression.group().strip()} if expression else None
    if name == "current_time" and any(word in lowered for word in _TIME_WORDS):
        zone = next((zone for city, zone in _ZONES.items() if city in lowered), "UTC")
        return {"timezone": zone} if "timezone" in properties else {}
    if name == "search_files" and "text" in properties:
        quoted = _QUOTED.search(question)
        wanted = quoted and any(word in lowered for word in _FILE_WORDS)
        return {"text": quoted.group(1)} if wanted and quoted else None
    if name == "research" and "topic" in properties:
        research = _RESEARCH.search(question)
        return {"topic": research.group(1).strip(" ?.!") or "it"} if research else None
    return {} if _mentions(question, name) else None


def _mentions(question: str, tool_name: str) -> bool:
    """Whether the question names the tool: one of the words of its name
    (``get_weather`` → "weather"), singular or plural."""
    words = set(_WORD.findall(question.lower()))
    words |= {word.removesuffix("s") for word in words}
    parts = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", tool_name).lower().replace("-", "_").split("_")
    return any(
        part in words or part.removesuffix("s") in words
        for part in parts
        if len(part) > 2 and part not in _UNSPECIFIC
    )


def _from_question(
    schema: Mapping[str, Any], question: str, generated: Mapping[str, Any]
) -> dict[str, Any]:
    """Values the question names, for the generated arguments they fit:
    the quoted text for the first string, numbers in order for numbers, a
    known city (and its timezone) for ``city``/``location``/``timezone``."""
    properties = schema.get("properties") or {}
    quoted = _QUOTED.search(question)
    numbers = [float(n) for n in _NUMBER.findall(question)]
    lowered = question.lower()
    city = next((city for city in _ZONES if city in lowered), None)
    found: dict[str, Any] = {}
    for name in generated:
        kind = properties.get(name, {}).get("type")
        if kind == "string" and name.lower() in ("city", "location", "place") and city:
            found[name] = city.title()
        elif kind == "string" and name.lower() in ("timezone", "tz") and city:
            found[name] = _ZONES[city]
        elif kind == "string" and quoted and "enum" not in properties[name]:
            found[name], quoted = quoted.group(1), None
        elif kind in ("integer", "number") and numbers:
            number = numbers.pop(0)
            if kind == "number" or number.is_integer():
                found[name] = int(number) if kind == "integer" else number
    return {name: value for name, value in found.items() if _fits(properties[name], value)}


def _fits(schema: Mapping[str, Any], value: Any) -> bool:
    from jsonschema import Draft202012Validator  # on first use: import cost

    try:
        return bool(Draft202012Validator(dict(schema)).is_valid(value))
    except Exception:  # a $ref to the root's definitions: not a plain value to hint
        return False


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


def _small_talk(tools: list[dict[str, Any]]) -> str:
    names = {tool.get("name") for tool in tools}
    skills = []
    if "calculate" in names:
        skills.append("arithmetic (try: what is 12 * (3 + 4)?)")
    if "current_time" in names:
        skills.append("the current time (try: what time is it in Tokyo?)")
    if "search_files" in names:
        skills.append("searching files (try: which files mention 'agent'?)")
    others = [str(name) for name in names - {"calculate", "current_time", "search_files"} if name]
    if others:
        listed = ", ".join(sorted(others))
        skills.append(f"calling your tools ({listed}): name one in your question")
    offer = "; ".join(skills) if skills else "echoing your questions (no tools are loaded)"
    return (
        "I am agentkit's offline scripted model: no API key or network needed. "
        f"I can help with {offer}. Point AGENTKIT_BASE_URL at a real endpoint for a real model."
    )
