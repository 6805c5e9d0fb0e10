"""What was said is recorded only when asked (``capture_content=True``),
in the shapes of the GenAI conventions' message JSON schemas."""

from __future__ import annotations

import json
from typing import Any

from _common import ASYNC_TESTS, make_model
from _telemetry import Telemetry, attributes

from agentkit import Agent, AssistantMessage, ToolCall, ToolRegistry
from agentkit.otel._content import input_messages_json, output_messages_json
from agentkit.testing import ScriptedServer, text_response, tool_call_response

pytestmark = ASYNC_TESTS

CONTENT_ATTRIBUTES = {
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
}


def lookup_tools() -> ToolRegistry:
    registry = ToolRegistry()

    @registry.tool
    def lookup(city: str) -> str:
        """Look up the weather."""
        return f"sunny in {city}"

    return registry


async def run_traced(telemetry: Telemetry, **options: Any) -> None:
    script = [
        tool_call_response([("lookup", {"city": "Hanoi"})]),
        text_response("Sunny in Hanoi."),
    ]
    async with ScriptedServer(script) as server:
        model = make_model(server, model="gpt-test")
        agent: Agent[None] = Agent(
            model,
            tools=lookup_tools(),
            instructions="Be brief.",
            instrument=telemetry.settings(**options),
        )
        await agent.run("Weather in Hanoi? My card is 4111-1111")
        await model.aclose()


async def test_content_is_not_recorded_by_default() -> None:
    telemetry = Telemetry()
    await run_traced(telemetry)
    assert len(telemetry.spans) == 4
    for span in telemetry.spans:
        attributes = dict(span.attributes or {})
        assert not CONTENT_ATTRIBUTES & set(attributes)
        assert "4111" not in json.dumps(attributes)
        assert "sunny" not in json.dumps(attributes).lower()


async def test_content_is_recorded_when_asked() -> None:
    telemetry = Telemetry()
    await run_traced(telemetry, capture_content=True)
    first, second = telemetry.named("chat")
    assert json.loads(attributes(first)["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {
            "role": "user",
            "parts": [{"type": "text", "content": "Weather in Hanoi? My card is 4111-1111"}],
        },
    ]
    call = {"type": "tool_call", "id": "call_0", "name": "lookup", "arguments": {"city": "Hanoi"}}
    assert json.loads(attributes(first)["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [call], "finish_reason": "tool_call"}
    ]
    assert json.loads(attributes(second)["gen_ai.input.messages"])[2:] == [
        {"role": "assistant", "parts": [call]},
        {
            "role": "tool",
            "parts": [{"type": "tool_call_response", "id": "call_0", "response": "sunny in Hanoi"}],
        },
    ]
    answer = {
        "role": "assistant",
        "parts": [{"type": "text", "content": "Sunny in Hanoi."}],
        "finish_reason": "stop",
    }
    assert json.loads(attributes(second)["gen_ai.output.messages"]) == [answer]
    run = telemetry.one("invoke_agent")
    assert json.loads(attributes(run)["gen_ai.output.messages"]) == [answer]
    tool = telemetry.one("execute_tool")
    assert attributes(tool)["gen_ai.tool.call.arguments"] == '{"city": "Hanoi"}'
    assert attributes(tool)["gen_ai.tool.call.result"] == "sunny in Hanoi"


def test_reasoning_images_and_unparsable_arguments_keep_their_meaning() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "developer", "content": "Rules."},
        {
            "role": "user",
            "name": "ana",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                {"type": "input_audio", "input_audio": {"data": "..."}},
            ],
        },
        {
            "role": "assistant",
            "content": "",
            "reasoning_content": "Look closely.",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{oops"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "done"}]},
    ]
    assert json.loads(input_messages_json(messages)) == [
        {"role": "system", "parts": [{"type": "text", "content": "Rules."}]},
        {
            "role": "user",
            "name": "ana",
            "parts": [
                {"type": "text", "content": "What is this?"},
                {"type": "uri", "modality": "image", "uri": "https://example.com/a.png"},
                {"type": "input_audio"},
            ],
        },
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "Look closely."},
                {"type": "tool_call", "id": "c1", "name": "f", "arguments": "{oops"},
            ],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "done"}]},
    ]


def test_an_output_message_names_its_finish_reason_as_the_convention_does() -> None:
    message = AssistantMessage(
        content="Partial",
        reasoning="Thinking",
        tool_calls=(ToolCall("c1", "f", '{"a": 1}'),),
        finish_reason="length",
    )
    assert json.loads(output_messages_json(message)) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "Thinking"},
                {"type": "text", "content": "Partial"},
                {"type": "tool_call", "id": "c1", "name": "f", "arguments": {"a": 1}},
            ],
            "finish_reason": "length",
        }
    ]
    broken = json.loads(output_messages_json(AssistantMessage(content="cut")))
    assert broken[0]["finish_reason"] == "error"
