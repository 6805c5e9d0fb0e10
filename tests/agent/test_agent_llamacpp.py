"""A tool loop against a server as strict as llama-cpp-python 0.3 (``python
-m llama_cpp.server --chat_format chatml-function-calling``): it answers an
assistant message whose ``content`` is not a string with HTTP 500, repeats
id and name in every chunk beside a legacy ``function_call`` delta, sends
``: ping`` comments and never sends usage.

The loop completes because the follow-up request carries ``"content": ""``;
usage that was never reported is told apart from zero; the deterministic 500
is not retried."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from _agent_helpers import Recorder, scripted_agent
from _common import ASYNC_TESTS

from agentkit import ServerError, ToolRegistry, Usage
from agentkit.cli._render import TerminalRenderer
from agentkit.testing import RecordedRequest, ScriptedResponse, text_response, tool_call_response

pytestmark = ASYNC_TESTS

VALIDATION_ERROR = (
    "1 validation error for ChatCompletionRequestAssistantMessage\ncontent\n"
    "  Input should be a valid string [type=string_type, input_value=None, "
    "input_type=NoneType]"
)


def _chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
    payload = {
        "id": "chatcmpl-4b1c",
        "object": "chat.completion.chunk",
        "created": 1760000000,
        "model": "qwen2.5-0.5b-instruct-q4_k_m.gguf",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    return f"data: {json.dumps(payload)}\r\n\r\n".encode()


def llamacpp_tool_call(name: str, arguments: str, pieces: int = 3) -> bytes:
    """A tool call as llama-cpp-python streams it: id and name on every chunk,
    the legacy ``function_call`` beside ``tool_calls``, keep-alive pings."""
    call_id = f"call__0_{name}_cmpl-4b1c"
    size = -(-len(arguments) // pieces)
    body = b": ping - 2025-10-09 10:00:00\r\n\r\n"
    for start in range(0, len(arguments), size):
        part = arguments[start : start + size]
        body += _chunk(
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": name, "arguments": part},
                "tool_calls": [
                    {
                        "index": 0,
                        "id": call_id,
                        "type": "function",
                        "function": {"name": name, "arguments": part},
                    }
                ],
            }
        )
    body += _chunk({}, "tool_calls") + b"data: [DONE]\r\n\r\n"
    return body


def llamacpp_text(text: str) -> bytes:
    body = _chunk({"role": "assistant", "content": ""})
    body += b"".join(_chunk({"content": word}) for word in re.findall(r"\s*\S+", text))
    return body + _chunk({}, "stop") + b": ping\r\n\r\ndata: [DONE]\r\n\r\n"


class StrictServer:
    """A responder that rejects what llama-cpp-python's request model rejects."""

    def __init__(self, turns: list[bytes]) -> None:
        self._turns = iter(turns)

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        for message in request.json()["messages"]:
            if message["role"] == "assistant" and not isinstance(message.get("content"), str):
                error = {
                    "message": VALIDATION_ERROR,
                    "type": "internal_server_error",
                    "param": None,
                    "code": None,
                }
                return ScriptedResponse(status=500, body=json.dumps({"error": error}).encode())
        return ScriptedResponse([next(self._turns)], done=False)


def weather_tools() -> ToolRegistry:
    registry = ToolRegistry()

    @registry.tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"{city}: 31°C"

    return registry


async def test_the_tool_loop_completes_against_a_strict_llamacpp_server() -> None:
    turns = [
        llamacpp_tool_call("get_weather", '{"city": "Hanoi"}'),
        llamacpp_text("It is 31°C in Hanoi."),
    ]
    recorder = Recorder()
    async with scripted_agent(responder=StrictServer(turns), tools=weather_tools()) as (
        agent,
        server,
    ):
        result = await agent.run("Weather in Hanoi?", on_event=recorder)
    assert result.text == "It is 31°C in Hanoi."
    assert [record.output for record in result.tool_calls] == ["Hanoi: 31°C"]
    assert len(server.requests) == 2  # no 500, no retry
    assistant = server.requests[1].json()["messages"][1]
    assert assistant["role"] == "assistant"
    assert assistant["content"] == ""
    assert assistant["tool_calls"][0]["function"] == {
        "name": "get_weather",
        "arguments": '{"city": "Hanoi"}',
    }
    # The server sent no usage: no turn reports any, and the sum says so.
    assert [event.usage for event in recorder.of_type("turn.finished")] == [None, None]
    assert result.usage == Usage()
    assert not result.usage.reported
    assert result.usage.reports == 0


@pytest.mark.parametrize("text", ["", "Let me check."])
async def test_the_second_request_of_a_tool_loop_carries_string_content(text: str) -> None:
    script = [
        tool_call_response([("get_weather", {"city": "Hanoi"})], text=text),
        text_response("Hot."),
    ]
    async with scripted_agent(script, tools=weather_tools()) as (agent, server):
        await agent.run("Weather?")
    messages = server.requests[1].json()["messages"]
    assistant = next(m for m in messages if m["role"] == "assistant")
    assert assistant["content"] == text
    assert isinstance(assistant["content"], str)
    assert "tool_calls" in assistant


async def test_a_500_that_says_the_request_is_invalid_is_not_retried() -> None:
    # History from elsewhere with the assistant's content as a list of parts,
    # which this server's request model rejects. (A null content would not
    # do: agentkit sends it as "".)
    history = [
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "Checking."}],
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Hanoi"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "Hanoi: 31°C"},
    ]
    async with scripted_agent(responder=StrictServer([]), tools=weather_tools()) as (
        agent,
        server,
    ):
        with pytest.raises(ServerError) as caught:
            await agent.run(history)
    assert len(server.requests) == 1
    assert caught.value.status_code == 500
    assert "validation error" in str(caught.value)


async def test_a_500_without_such_a_message_is_still_retried() -> None:
    script = [
        ScriptedResponse(status=500, body=b'{"error": {"message": "CUDA out of memory"}}'),
        text_response("ok"),
    ]
    async with scripted_agent(script) as (agent, server):
        result = await agent.run("Hi")
    assert result.text == "ok"
    assert len(server.requests) == 2


# ------------------------------------------------------- the summary line


def summary_line(result: Any) -> str:
    out = io.StringIO()
    renderer = TerminalRenderer(out, color=False)
    from agentkit import RunFinished

    renderer(RunFinished(result))
    return out.getvalue().strip()


@pytest.fixture
def no_usage_turns() -> list[bytes]:
    return [llamacpp_tool_call("get_weather", '{"city": "Hue"}'), llamacpp_text("Warm.")]


async def test_the_demo_summary_says_usage_was_not_reported(no_usage_turns: list[bytes]) -> None:
    async with scripted_agent(responder=StrictServer(no_usage_turns), tools=weather_tools()) as (
        agent,
        _server,
    ):
        result = await agent.run("Weather in Hue?")
    line = summary_line(result)
    assert line == "— 2 turn(s), 1 tool call(s), usage not reported, finish: stop"
    assert "0 tokens" not in line


async def test_the_demo_summary_counts_tokens_when_reported() -> None:
    script = [tool_call_response([("get_weather", {"city": "Hue"})]), text_response("Warm.")]
    async with scripted_agent(script, tools=weather_tools()) as (agent, _server):
        result = await agent.run("Weather in Hue?")
    assert result.usage.reports == 2
    assert "30 tokens (20 in, 10 out), finish: stop" in summary_line(result)


async def test_the_demo_summary_says_when_only_some_turns_reported() -> None:
    script = [
        tool_call_response([("get_weather", {"city": "Hue"})], usage=None),
        text_response("Warm."),
    ]
    async with scripted_agent(script, tools=weather_tools()) as (agent, _server):
        result = await agent.run("Weather in Hue?")
    assert "15 tokens (10 in, 5 out), reported for 1 of 2 turns" in summary_line(result)
