"""The runner's logs: structlog events for run, turn and tool with the run id,
durations and token counts; quiet unless the application turns logging on;
never the API key."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from _agent_helpers import scripted_agent
from _common import API_KEY, ASYNC_TESTS
from structlog.testing import capture_logs

from agentkit import AuthenticationError, ToolRegistry
from agentkit.testing import error_response, text_response, tool_call_response

pytestmark = ASYNC_TESTS


@pytest.fixture(autouse=True)
def restore_structlog() -> Iterator[None]:
    """Each test starts with structlog unconfigured, and leaves it so
    (``capture_logs`` marks structlog as configured)."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


def tools() -> ToolRegistry:
    registry = ToolRegistry()

    @registry.tool
    def lookup(key: str) -> str:
        """Look a key up."""
        return f"value of {key}"

    return registry


def tool_loop() -> list[Any]:
    return [
        tool_call_response([("lookup", {"key": "a"})], usage=(20, 4)),
        text_response("a has a value", usage=(30, 6)),
    ]


def named(entries: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [entry for entry in entries if entry["event"] == event]


async def test_a_run_logs_its_run_turns_and_tools_with_the_run_id() -> None:
    async with scripted_agent(tool_loop(), tools=tools()) as (agent, _server):
        with capture_logs() as entries:
            result = await agent.run("Look up a")

    run_id = result.run_id
    (start,) = named(entries, "run.start")
    assert start["run_id"] == run_id
    assert start["messages"] == 1
    turn_ends = named(entries, "turn.end")
    assert [e["turn"] for e in turn_ends] == [1, 2]
    assert [e["finish_reason"] for e in turn_ends] == ["tool_calls", "stop"]
    assert [e["total_tokens"] for e in turn_ends] == [24, 36]
    assert all(e["run_id"] == run_id and e["duration"] >= 0 for e in turn_ends)
    (tool_end,) = named(entries, "tool.end")
    assert tool_end["run_id"] == run_id
    assert tool_end["tool"] == "lookup"
    assert tool_end["tool_call_id"] == "call_0"
    assert tool_end["turn"] == 1
    assert tool_end["is_error"] is False
    assert tool_end["duration"] >= 0
    (end,) = named(entries, "run.end")
    assert end["run_id"] == run_id
    assert end["turns"] == 2
    assert end["total_tokens"] == 60
    assert end["duration"] >= 0
    assert API_KEY not in repr(entries)


async def test_a_failed_run_logs_run_failed_without_the_key() -> None:
    async with scripted_agent([error_response(401, "invalid key")]) as (agent, _server):
        with capture_logs() as entries, pytest.raises(AuthenticationError):
            await agent.run("Hi")

    (failed,) = named(entries, "run.failed")
    assert "401" in failed["error"]
    assert failed["run_id"].startswith("run_")
    assert named(entries, "run.end") == []
    assert API_KEY not in repr(entries)


async def test_retries_and_failed_tools_are_logged() -> None:
    script = [
        error_response(503),
        tool_call_response([("missing", {})]),
        text_response("ok"),
    ]
    async with scripted_agent(script, tools=tools()) as (agent, _server):
        with capture_logs() as entries:
            await agent.run("Go")

    assert len(named(entries, "model.retry")) == 1
    (tool_end,) = named(entries, "tool.end")
    assert tool_end["is_error"] is True
    assert tool_end["tool"] == "missing"


async def test_unconfigured_logging_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    async with scripted_agent(tool_loop(), tools=tools()) as (agent, _server):
        await agent.run("Look up a")
    async with scripted_agent([error_response(401)]) as (agent, _server):
        with pytest.raises(AuthenticationError):
            await agent.run("Hi")

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


async def test_stdlib_logging_receives_the_events_when_enabled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="agentkit")
    async with scripted_agent(tool_loop(), tools=tools()) as (agent, _server):
        result = await agent.run("Look up a")

    ours = [r for r in caplog.records if r.name.startswith("agentkit")]
    text = "\n".join(r.getMessage() for r in ours)
    for event in ("run.start", "turn.end", "tool.end", "run.end"):
        assert f"event='{event}'" in text
    assert f"run_id='{result.run_id}'" in text
    assert {r.name for r in ours} >= {"agentkit.run"}
    assert API_KEY not in text


def test_a_script_without_logging_setup_writes_nothing_on_a_failed_run(tmp_path: Path) -> None:
    # Outside pytest (no handlers anywhere), a warning such as run.failed
    # must not reach stderr through Python's last-resort handler.
    script = tmp_path / "quiet.py"
    script.write_text(
        textwrap.dedent(
            """
            from agentkit import Agent, AuthenticationError, OpenAIChatModel
            from agentkit.testing import ScriptedServer, error_response

            with ScriptedServer([error_response(401)]) as server:
                model = OpenAIChatModel("m", base_url=server.base_url, api_key="sk-x")
                try:
                    Agent(model).run_sync("Hi")
                except AuthenticationError:
                    print("failed as expected")
            """
        )
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=30, env=env
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == "failed as expected\n"
    assert done.stderr == ""
