"""agentkit's UI message stream, read by the Vercel AI SDK's own parser.

tests/js/parse_ui_stream.mjs validates every chunk against the `ai`
package's schema and rebuilds the message with `readUIMessageStream`, as
`useChat` does. Both the current major version and v5 are checked.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import anyio
import pytest
from _support import require_program, serve_asgi

from agentkit import Agent, OpenAIChatModel, RetryPolicy, RunContext, tool
from agentkit.testing import (
    ScriptedResponse,
    ScriptedServer,
    error_response,
    text_chunks,
    tool_call_response,
)
from agentkit.ui import chat_app

JS_DIR = Path(__file__).resolve().parents[1] / "js"


@pytest.fixture(scope="module")
def node() -> str:
    node = require_program("node", "install Node.js 18+ to check the Vercel AI SDK protocol")
    if not (JS_DIR / "node_modules" / "ai").is_dir():
        npm = require_program("npm", "install npm to fetch the AI SDK parser")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=JS_DIR,
            check=True,
            timeout=300,
            capture_output=True,
        )
    return node


def _parse(node: str, package: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
    completed = subprocess.run(
        [node, "parse_ui_stream.mjs", package, url, json.dumps(body)],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    return dict(json.loads(completed.stdout))


@tool
async def get_weather(context: RunContext[Any], city: str) -> dict[str, Any]:
    """The weather in a city.

    Args:
        city: The city.
    """
    context.emit("lookup", {"city": city})
    await anyio.sleep(0.01)
    return {"city": city, "temp_c": 31}


@tool
def broken() -> str:
    """Always fails."""
    raise RuntimeError("sensor offline")


def _reasoned_answer() -> ScriptedResponse:
    chunks = text_chunks("It is 31°C in Hanoi.")
    reasoning = {
        **chunks[1],
        "choices": [{"index": 0, "delta": {"reasoning_content": "Hot."}, "finish_reason": None}],
    }
    return ScriptedResponse([chunks[0], reasoning, *chunks[1:]])


def _user(text: str) -> dict[str, Any]:
    return {
        "id": "chat-1",
        "trigger": "submit-message",
        "messages": [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": text}]}],
    }


@pytest.mark.parametrize("package", ["ai", "ai-v5"])
def test_tool_run_is_accepted_and_rebuilt_by_the_sdk(node: str, package: str) -> None:
    script = [
        tool_call_response([("get_weather", {"city": "Hanoi"}), ("broken", {})]),
        _reasoned_answer(),
    ]
    with ScriptedServer(script) as model_server:
        model = OpenAIChatModel("m", base_url=model_server.base_url, api_key="k")
        with serve_asgi(chat_app(Agent(model, tools=[get_weather, broken]))) as url:
            parsed = _parse(node, package, url, _user("Weather in Hanoi?"))
    assert parsed["status"] == 200
    assert parsed["header"] == "v1"
    assert parsed["error"] is None
    parts = parsed["message"]["parts"]
    assert [part["type"] for part in parts] == [
        "step-start",
        "dynamic-tool",
        "dynamic-tool",
        "data-lookup",
        "step-start",
        "reasoning",
        "text",
    ]
    weather, failed = parts[1], parts[2]
    assert weather["toolName"] == "get_weather"
    assert weather["state"] == "output-available"
    assert weather["input"] == {"city": "Hanoi"}
    assert weather["output"] == {"city": "Hanoi", "temp_c": 31}
    assert failed["toolName"] == "broken"
    assert failed["state"] == "output-error"
    assert "sensor offline" in failed["errorText"]
    assert parts[3]["data"] == {"city": "Hanoi"}
    assert parts[5]["text"] == "Hot."
    assert parts[6]["text"] == "It is 31°C in Hanoi."
    assert parsed["chunks"][-1] == {"type": "finish", "finishReason": "stop"}


@pytest.mark.parametrize("package", ["ai", "ai-v5"])
def test_a_failed_run_reaches_the_sdk_as_an_error(node: str, package: str) -> None:
    with ScriptedServer([error_response(401, "invalid key")]) as model_server:
        model = OpenAIChatModel(
            "m",
            base_url=model_server.base_url,
            api_key="k",
            retry_policy=RetryPolicy(max_retries=0),
        )
        with serve_asgi(chat_app(Agent(model))) as url:
            parsed = _parse(node, package, url, _user("hi"))
    assert parsed["chunks"][-1]["type"] == "error"
    assert "AuthenticationError" in parsed["chunks"][-1]["errorText"]
    assert parsed["error"] is not None
    assert "invalid key" in parsed["error"]


@pytest.mark.parametrize("package", ["ai", "ai-v5"])
def test_a_conversation_continues_from_the_sdk_messages(node: str, package: str) -> None:
    """The rebuilt UI message, sent back as useChat would, becomes valid history."""
    script = [
        tool_call_response([("get_weather", {"city": "Hanoi"})]),
        ScriptedResponse(text_chunks("31°C.")),
        ScriptedResponse(text_chunks("Yes.")),
    ]
    with ScriptedServer(script) as model_server:
        model = OpenAIChatModel("m", base_url=model_server.base_url, api_key="k")
        with serve_asgi(chat_app(Agent(model, tools=[get_weather]))) as url:
            first = _parse(node, package, url, _user("Weather in Hanoi?"))
            body = _user("Weather in Hanoi?")
            body["messages"] += [
                first["message"],
                {"id": "u2", "role": "user", "parts": [{"type": "text", "text": "Sure?"}]},
            ]
            _parse(node, package, url, body)
        sent = model_server.requests[-1].json()["messages"]
    assert [message["role"] for message in sent] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
    ]
    assert sent[1]["tool_calls"][0]["function"] == {
        "name": "get_weather",
        "arguments": '{"city": "Hanoi"}',
    }
    assert json.loads(sent[2]["content"]) == {"city": "Hanoi", "temp_c": 31}
    assert sent[3] == {"role": "assistant", "content": "31°C."}
