"""Reasoning models finish their tool loops: each follow-up request carries
back what the provider needs (``reasoning_content``, merged
``reasoning_details``, each call's ``extra_content``) and never what it
rejects. Recorded streams are replayed as turn one; strict loopback servers
imitate DeepSeek, Gemini and Groq."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from _agent_helpers import Recorder, scripted_agent
from _common import ASYNC_TESTS, make_model
from _streams import call, calls, chunk, finish, load_expected, shared_streams_dir, text

from agentkit import Agent, BadRequestError, Retry, StreamAccumulator, Tool, ToolRegistry
from agentkit.testing import (
    RecordedRequest,
    ScriptedResponse,
    ScriptedServer,
    error_response,
    raw_response,
    text_response,
)

pytestmark = ASYNC_TESTS

FIELDS = ("reasoning", "reasoning_content", "reasoning_details")


def recorded(name: str) -> Path:
    path = shared_streams_dir() / f"{name}.sse"
    if not path.is_file():
        pytest.fail(f"{path} is missing (the shared streams sit beside the repository)")
    return path


def tools_named(*names: str) -> ToolRegistry:
    """A registry with one tool per name that accepts any arguments."""

    async def answer(**arguments: Any) -> str:
        return "sunny"

    schema = {"type": "object", "additionalProperties": True}
    return ToolRegistry(Tool.from_schema(answer, name=name, parameters=schema) for name in names)


def assistant_messages(request: RecordedRequest) -> list[dict[str, Any]]:
    return [m for m in request.json()["messages"] if m["role"] == "assistant"]


# ------------------------------------------------------- recorded streams


async def test_xai_tool_call_sends_its_reasoning_content_back() -> None:
    path = recorded("vercel-ai__openai-compatible__xai-tool-call")
    expected = load_expected(path)
    script = [raw_response(path.read_bytes()), text_response("Sunny in SF.")]
    async with scripted_agent(script, tools=tools_named("weather")) as (agent, server):
        result = await agent.run("Weather in San Francisco?")
    (sent,) = assistant_messages(server.requests[1])
    assert sent["reasoning_content"] == expected["reasoning"]
    assert sent["content"] == ""
    assert [c["id"] for c in sent["tool_calls"]] == ["call_79382389"]
    assert "reasoning" not in sent
    assert "reasoning_details" not in sent
    assert result.messages[1] == sent  # what was sent is what the result keeps


async def test_groq_tool_call_sends_no_reasoning_back() -> None:
    path = recorded("pydantic-ai__groq__gpt-oss-tool")
    script = [raw_response(path.read_bytes()), text_response("Done.")]
    async with scripted_agent(script, tools=tools_named("get_something_by_name")) as (
        agent,
        server,
    ):
        await agent.run("Get it.")
    (sent,) = assistant_messages(server.requests[1])
    assert not any(field in sent for field in FIELDS)
    assert set(sent) == {"role", "content", "tool_calls"}
    assert set(sent["tool_calls"][0]) == {"id", "type", "function"}


@pytest.mark.parametrize(
    "name", ["pydantic-ai__deepseek__reasoning", "pydantic-ai__openrouter__reasoning"]
)
async def test_a_text_turn_never_carries_its_reasoning_back(name: str) -> None:
    path = recorded(name)
    script = [raw_response(path.read_bytes()), text_response("Sure.")]
    async with scripted_agent(script) as (agent, server):
        first = await agent.run("Hello")
        await agent.run([*first.messages, {"role": "user", "content": "And?"}])
    assert first.last_message.reasoning  # the stream had reasoning...
    (sent,) = assistant_messages(server.requests[1])
    assert set(sent) == {"role", "content"}  # ...and none of it goes back


# ------------------------------------------------------ strict imitations


def strict_server(
    turns: Sequence[ScriptedResponse], reject: Callable[[list[dict[str, Any]]], str | None]
) -> tuple[Callable[[RecordedRequest], ScriptedResponse], list[str]]:
    """A responder that plays ``turns`` in order, but answers 400 with the
    message ``reject(messages)`` returns (when not None) instead; the
    rejections are listed."""
    rejections: list[str] = []
    served = iter(turns)

    def respond(request: RecordedRequest) -> ScriptedResponse:
        problem = reject(request.json()["messages"])
        if problem is not None:
            rejections.append(problem)
            return error_response(400, problem)
        return next(served)

    return respond, rejections


def reasoning_turn(call_id: str, thought: str, **call_extra: Any) -> ScriptedResponse:
    """A DeepSeek-style turn: reasoning_content pieces, then one tool call."""
    return ScriptedResponse(
        [
            chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
            chunk({"reasoning_content": thought[:5]}),
            chunk({"reasoning_content": thought[5:]}),
            calls(call(0, id=call_id, name="weather", arguments='{"city": "Hanoi"}', **call_extra)),
            finish("tool_calls"),
        ]
    )


def deepseek_rule(messages: list[dict[str, Any]]) -> str | None:
    for index, message in enumerate(messages):
        if message.get("tool_calls") and not message.get("reasoning_content"):
            return (
                f"Missing `reasoning_content` field in the assistant message at message "
                f"index {index}."
            )
    return None


async def test_deepseek_like_server_needs_reasoning_content_in_every_later_request() -> None:
    responder, rejections = strict_server(
        [
            reasoning_turn("call_1", "Let me check Hanoi."),
            reasoning_turn("call_2", "Check again to be sure."),
            text_response("31°C in Hanoi."),
        ],
        deepseek_rule,
    )
    async with scripted_agent(responder=responder, tools=tools_named("weather")) as (
        agent,
        server,
    ):
        result = await agent.run("Weather?")
    assert rejections == []
    assert result.text == "31°C in Hanoi."
    last = assistant_messages(server.requests[2])
    assert [m["reasoning_content"] for m in last] == [
        "Let me check Hanoi.",
        "Check again to be sure.",
    ]


def gemini_rule(messages: list[dict[str, Any]]) -> str | None:
    for message in messages:
        for tool_call in message.get("tool_calls") or []:
            signature = (tool_call.get("extra_content") or {}).get("google", {})
            if not signature.get("thought_signature"):
                return "Function call is missing a thought_signature in functionCall parts."
    return None


async def test_gemini_like_server_gets_each_thought_signature_back() -> None:
    signature = {"google": {"thought_signature": "CsAB...signed=="}}
    turn = ScriptedResponse(
        [
            calls(
                call(
                    0,
                    id="function-call-1",
                    name="weather",
                    arguments='{"city": "Hanoi"}',
                    extra_content=signature,
                )
            ),
            finish("tool_calls"),
        ]
    )
    responder, rejections = strict_server([turn, text_response("Sunny.")], gemini_rule)
    async with scripted_agent(responder=responder, tools=tools_named("weather")) as (
        agent,
        server,
    ):
        result = await agent.run("Weather?")
    assert rejections == []
    assert result.text == "Sunny."
    (sent,) = assistant_messages(server.requests[1])
    assert sent["tool_calls"][0]["extra_content"] == signature


def groq_rule(messages: list[dict[str, Any]]) -> str | None:
    for index, message in enumerate(messages):
        for field in FIELDS:
            if message.get("role") == "assistant" and field in message:
                return (
                    f"'messages.{index}' : for 'role:assistant' the following must be "
                    f"satisfied[('messages.{index}' : property '{field}' is unsupported)]"
                )
    return None


async def test_groq_like_server_rejects_one_request_of_the_whole_run() -> None:
    responder, rejections = strict_server(
        [
            reasoning_turn("call_1", "Let me check Hanoi."),
            reasoning_turn("call_2", "And once more."),
            text_response("Sunny."),
            text_response("Still sunny."),
        ],
        groq_rule,
    )
    recorder = Recorder()
    counted: list[str] = []
    registry = ToolRegistry()

    @registry.tool
    def weather(city: str) -> str:
        """The weather."""
        counted.append(city)
        return "sunny"

    async with scripted_agent(responder=responder, tools=registry) as (agent, server):
        result = await agent.run("Weather?", on_event=recorder)
        again = await agent.run("And now?")  # the same model client: nothing rejected
    assert len(rejections) == 1
    assert "reasoning_content" in rejections[0]
    assert counted == ["Hanoi", "Hanoi"]  # no tool ran twice
    (retry,) = recorder.of_type("retry")
    assert isinstance(retry, Retry)
    assert retry.kind == "request"
    assert "reasoning_content" in retry.reason
    assert result.text == "Sunny."
    assert not any("reasoning_content" in m for m in result.messages)  # as sent
    assert again.text == "Still sunny."  # the same client is not rejected again
    assert len(rejections) == 1
    assert len(server.requests) == 5  # 3 turns + the one resend + the second run


async def test_another_400_is_raised_and_never_retried() -> None:
    def rule(messages: list[dict[str, Any]]) -> str | None:
        return "This model's maximum context length is 8192 tokens." if len(messages) > 1 else None

    responder, rejections = strict_server(
        [reasoning_turn("call_1", "Let me check."), text_response("never")], rule
    )
    async with scripted_agent(responder=responder, tools=tools_named("weather")) as (
        agent,
        server,
    ):
        with pytest.raises(BadRequestError, match="maximum context length"):
            await agent.run("Weather?")
    assert len(rejections) == 1
    assert len(server.requests) == 2


@pytest.mark.parametrize("send_reasoning", [True, False])
async def test_the_switch_forces_sending_on_or_off(send_reasoning: bool) -> None:
    responder, rejections = strict_server(
        [reasoning_turn("call_1", "Let me check."), text_response("Sunny.")], groq_rule
    )
    async with ScriptedServer(responder=responder) as server:
        model = make_model(server, send_reasoning=send_reasoning)
        agent = Agent(model, tools=tools_named("weather"))
        if send_reasoning:
            with pytest.raises(BadRequestError, match="reasoning_content"):
                await agent.run("Weather?")
        else:
            result = await agent.run("Weather?")
            assert result.text == "Sunny."
        await model.aclose()
    assert len(rejections) == (1 if send_reasoning else 0)
    assert len(server.requests) == 2


async def test_openrouter_style_reasoning_details_go_back_merged() -> None:
    details = [
        [{"type": "reasoning.text", "text": "", "signature": "", "format": "f", "index": 0}],
        [{"type": "reasoning.text", "text": "Check ", "format": "f", "index": 0}],
        [{"type": "reasoning.text", "text": "the weather.", "format": "f", "index": 0}],
        [{"type": "reasoning.text", "signature": "sig==", "format": "f", "index": 0}],
        [{"type": "reasoning.encrypted", "data": "abc", "format": "f", "index": 1}],
        [{"type": "reasoning.encrypted", "data": "def", "format": "f", "index": 1}],
    ]
    steps = [chunk({"role": "assistant", "content": ""})]
    steps += [
        chunk({"reasoning": piece[0].get("text", ""), "reasoning_details": piece})
        for piece in details
    ]
    steps += [
        calls(call(0, id="toolu_1", name="weather", arguments='{"city": "Hanoi"}')),
        finish("tool_calls"),
    ]
    script = [ScriptedResponse(steps), text_response("Sunny.")]
    async with scripted_agent(script, tools=tools_named("weather")) as (agent, server):
        await agent.run("Weather?")
    (sent,) = assistant_messages(server.requests[1])
    assert sent["reasoning_details"] == [
        {
            "type": "reasoning.text",
            "text": "Check the weather.",
            "signature": "sig==",
            "format": "f",
            "index": 0,
        },
        {"type": "reasoning.encrypted", "data": "abcdef", "format": "f", "index": 1},
    ]
    assert "reasoning" not in sent
    assert "reasoning_content" not in sent


async def test_a_conversation_saved_as_json_continues_with_its_reasoning() -> None:
    responder, rejections = strict_server(
        [
            reasoning_turn("call_1", "Let me check Hanoi."),
            text_response("Sunny."),
            text_response("Still sunny."),
        ],
        deepseek_rule,
    )
    async with scripted_agent(responder=responder, tools=tools_named("weather")) as (agent, _):
        first = await agent.run("Weather?")
        saved = json.loads(json.dumps(first.messages))
        second = await agent.run([*saved, {"role": "user", "content": "Now?"}])
    assert rejections == []
    assert second.text == "Still sunny."


def test_plain_text_chunks_add_no_keys() -> None:
    # A stream with none of the round-trip fields sends back no new keys.
    accumulator = StreamAccumulator()
    for piece in (text("Hi"), calls(call(0, id="a", name="f", arguments="{}")), finish()):
        accumulator.add(piece)
    message = accumulator.message.to_dict()
    assert set(message) == {"role", "content", "tool_calls"}
    assert set(message["tool_calls"][0]) == {"id", "type", "function"}
