"""Every example runs as written, in a fresh interpreter.

Offline (no endpoint configured): each example starts its own
``ScriptedServer`` and must say so on its first line. With
``AGENTKIT_BASE_URL`` pointing at a server started here, the examples that
honour it must send their requests there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from agentkit.testing import (
    OfflineAssistant,
    ScriptedResponse,
    ScriptedServer,
    text_response,
    tool_call_response,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TIMEOUT = 30
OFFLINE_FIRST_LINE = "Using agentkit's offline scripted model"

# What each example must print when it runs offline.
OFFLINE_OUTPUT: dict[str, Sequence[str]] = {
    "basic_streaming.py": [
        "1. OpenAIChatModel.stream",
        "The capital of France is Paris.\n(finish_reason: stop)",
        "2. Agent.stream",
        "Paris is the capital of France.\n(turns: 1, finish_reason: stop)",
    ],
    "usage.py": [
        "9 prompt + 7 completion = 16 tokens",
        "turn 1 (tool_calls): 85 prompt + 38 completion = 123 tokens",
        "turn 2 (stop): 160 prompt + 17 completion = 177 tokens",
        "Summed over 2 turns: 245 prompt + 55 completion = 300 tokens",
    ],
    "tool_calls.py": [
        "[0] started  get_weather (id call_0)",
        "so far: {'city': 'Hanoi'}",
        '[0] ready    get_weather({"city": "Hanoi", "unit": "C"})',
        "result get_weather -> '18°C, cloudy'",
        "call_1: get_weather(",
        "Answer: It is 31°C and humid in Hanoi",
    ],
    "retries_and_timeouts.py": [
        "retry 1 in 0.",
        "HTTP 503 Service Unavailable",
        "retry 2 in 0.20 s: HTTP 429 Too Many Requests",
        "result.text: 'Hello! Third time lucky.'",
        "(the text shown so far will be streamed again: a UI drops it)",
        "StreamTimeoutError: phase='chunk_gap', limit 0.2 s",
        "text received before the stall: 'Once upon'",
    ],
    "collect_full_response.py": [
        "97 characters, 36 tokens, stop",
        "'A haiku: waves fold into foam,",
        '"text": "The harbour is quiet tonight; every boat is in."',
        '"total_tokens": 52',
        '"role": "assistant"',
    ],
    "parallel_tools.py": [
        "ready   get_weather (starts now)",
        "result  get_news after 0.2",
        "3 tool calls took",
        'get_weather({"city": "Hanoi"}) -> 31°C in Hanoi',
        'get_exchange_rate({"currency": "EUR"}) -> 1.08',
    ],
    "terminal_ui.py": [
        '→ calculate({"expression": "17 * 23 + 4"})',
        "✓ calculate (",
        "): 395",
        '→ current_time({"timezone": "Asia/Tokyo"})',
        "— 2 turn(s), 2 tool call(s)",
    ],
    "structured_output.py": [
        'calling get_weather({"city": "Hanoi"})',
        "so far: {'city': 'Hanoi'}",
        "Forecast for Hanoi: 31°C. Hot and humid, storms at night.",
        "(a Forecast, after 2 turns)",
    ],
    "mcp_tools.py": [
        "-m mcp_server_time --local-timezone UTC: get_current_time, convert_time",
        '→ get_current_time({"timezone": "Asia/Tokyo"})',
        '"timezone": "Asia/Tokyo",',
        "✓ get_weather: 18°C and clear in Tokyo",
        "✗ get_current_time: Tool 'get_current_time' failed: MCPError: Error executing tool "
        "get_current_time: Invalid timezone",
        "Answer: The time server answered for Tokyo",
        "The server process has ended: True",
    ],
    "tools_showcase.py": [
        '"name": "search_orders"',
        "There is no tool named 'get_wether'",
    ],
}

# A script that suits each example that honours AGENTKIT_BASE_URL, and what
# it must then print.
ENDPOINT_SCRIPTS: dict[str, tuple[list[ScriptedResponse], Sequence[str]]] = {
    "basic_streaming.py": (
        [text_response("Hi from the endpoint."), text_response("Hello again.")],
        ["Hi from the endpoint.", "Hello again."],
    ),
    "usage.py": (
        [
            text_response("Hi.", usage=(3, 1)),
            tool_call_response([("get_weather", {"city": "Oslo"})], usage=(20, 10)),
            text_response("Cold.", usage=(30, 2)),
        ],
        ["3 prompt + 1 completion = 4 tokens", "Summed over 2 turns: 50 prompt + 12 completion"],
    ),
    "tool_calls.py": (
        [tool_call_response([("get_weather", {"city": "Oslo"})]), text_response("Cold.")],
        ['[0] ready    get_weather({"city": "Oslo"})', "Answer: Cold."],
    ),
    "retries_and_timeouts.py": (
        [text_response("Hello from the endpoint.")],
        ["result.text: 'Hello from the endpoint.'"],
    ),
    "collect_full_response.py": (
        [text_response("One."), text_response("Two."), text_response("Three.")],
        ["One.", "'Two.'", '"text": "Three."'],
    ),
    "parallel_tools.py": (
        [
            tool_call_response([("get_news", {"topic": "space"})]),
            text_response("Space news."),
        ],
        ['get_news({"topic": "space"}) -> space: a new chip was announced'],
    ),
    "terminal_ui.py": ([], ["✓ calculate ("]),  # served by an OfflineAssistant
    "structured_output.py": (
        [
            tool_call_response(
                [("final_result", {"city": "Oslo", "temp_c": -3.5, "summary": "Snow."})]
            )
        ],
        ["Forecast for Oslo: -3.5°C. Snow.", "(a Forecast, after 1 turns)"],
    ),
    "mcp_tools.py": (
        [
            tool_call_response([("get_current_time", {"timezone": "Europe/Paris"})]),
            text_response("It is tea time in Paris."),
        ],
        ['"timezone": "Europe/Paris",', "Answer: It is tea time in Paris."],
    ),
}


def _environment(**overrides: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AGENTKIT_", "OPENAI_"))
    }
    environment.update(PYTHONIOENCODING="utf-8", NO_COLOR="1", **overrides)
    return environment


def _run(name: str, environment: dict[str, str]) -> str:
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environment,
        timeout=TIMEOUT,
        check=False,
    )
    assert completed.returncode == 0, (
        f"{name} exited with {completed.returncode}\n{completed.stdout}\n{completed.stderr}"
    )
    return completed.stdout


def test_every_example_is_tested() -> None:
    assert sorted(path.name for path in EXAMPLES.glob("*.py")) == sorted(OFFLINE_OUTPUT)
    assert set(ENDPOINT_SCRIPTS) == set(OFFLINE_OUTPUT) - {"tools_showcase.py"}


@pytest.mark.parametrize("name", sorted(OFFLINE_OUTPUT))
def test_example_runs_offline(name: str) -> None:
    output = _run(name, _environment())
    if name != "tools_showcase.py":  # needs no model at all
        assert output.splitlines()[0].startswith(OFFLINE_FIRST_LINE)
    for expected in OFFLINE_OUTPUT[name]:
        assert expected in output, f"{expected!r} not in the output of {name}:\n{output}"


@pytest.mark.parametrize("name", sorted(ENDPOINT_SCRIPTS))
def test_example_uses_the_configured_endpoint(name: str) -> None:
    script, expected_output = ENDPOINT_SCRIPTS[name]
    endpoint = ScriptedServer(script) if script else ScriptedServer(responder=OfflineAssistant(0))
    with endpoint:
        base_url = endpoint.base_url
        environment = _environment(
            AGENTKIT_BASE_URL=base_url, AGENTKIT_MODEL="test-model", AGENTKIT_API_KEY="test-key"
        )
        output = _run(name, environment)
    assert output.splitlines()[0] == f"Using model 'test-model' at {base_url}"
    assert endpoint.requests, f"{name} sent nothing to AGENTKIT_BASE_URL"
    for request in endpoint.requests:
        assert request.json()["model"] == "test-model"
        assert request.headers["authorization"] == "Bearer test-key"
    for expected in expected_output:
        assert expected in output, f"{expected!r} not in the output of {name}:\n{output}"
