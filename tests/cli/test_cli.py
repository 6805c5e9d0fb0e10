"""The ``agentkit`` command: ``demo`` end to end, tool loading for ``chat``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from agentkit import ToolRegistry
from agentkit.cli import main
from agentkit.cli._chat import load_tools
from agentkit.testing import OfflineAssistant, ScriptedServer


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("AGENTKIT_", "OPENAI_"))
    }
    environment.update(env or {}, NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "agentkit", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )


def test_demo_runs_offline_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("agentkit streams tool calls\n")
    completed = _run("demo", "--offline", "--root", str(tmp_path))
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("agentkit demo — using agentkit's offline scripted model")
    out = completed.stdout
    assert "→ calculate" in out
    assert "✓ calculate" in out
    assert "395" in out
    assert "✓ current_time" in out
    assert "notes.txt" in out
    assert "Here is what I found:" in out
    assert "— 2 turn(s), 3 tool call(s)" in out


def test_demo_uses_the_configured_endpoint(tmp_path: Path) -> None:
    with ScriptedServer(responder=OfflineAssistant(chunk_delay=0)) as server:
        base_url = server.base_url
        completed = _run(
            "demo",
            "What is 2 * 21?",
            "--root",
            str(tmp_path),
            env={
                "AGENTKIT_BASE_URL": base_url,
                "AGENTKIT_API_KEY": "sk-x",
                "AGENTKIT_MODEL": "my-model",
            },
        )
        requests = list(server.requests)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[0] == (
        f"agentkit demo — using model 'my-model' at {base_url}"
    )
    assert "42" in completed.stdout
    assert len(requests) == 2
    assert requests[0].json()["model"] == "my-model"
    assert requests[0].headers["authorization"] == "Bearer sk-x"
    assert "sk-x" not in completed.stdout + completed.stderr


def test_demo_reports_a_failing_endpoint_clearly(tmp_path: Path) -> None:
    with ScriptedServer() as server:  # no script: every request gets a 500
        completed = _run(
            "demo", "--root", str(tmp_path), env={"AGENTKIT_BASE_URL": server.base_url}
        )
    assert completed.returncode == 1
    assert "agentkit demo failed: ServerError" in completed.stderr


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_load_tools_from_a_file_and_a_module(tmp_path: Path) -> None:
    source = tmp_path / "my_tools.py"
    source.write_text(
        "from agentkit import tool\n\n"
        "@tool\ndef shout(text: str) -> str:\n    '''Shout.'''\n    return text.upper()\n\n"
        "def helper():\n    return 1\n"
    )
    registry = load_tools(str(source))
    assert isinstance(registry, ToolRegistry)
    assert registry.names == ["shout"]
    explicit = tmp_path / "with_registry.py"
    explicit.write_text(
        "from agentkit import ToolRegistry\nregistry = ToolRegistry()\n\n"
        "@registry.tool\ndef ping() -> str:\n    '''Ping.'''\n    return 'pong'\n"
    )
    assert load_tools(str(explicit)).names == ["ping"]
    assert load_tools("agentkit.cli._demo_tools").names == []  # plain functions are not tools


def test_the_docs_demo_question_makes_a_tool_call_offline(tmp_path: Path) -> None:
    completed = _run("demo", "--offline", "What is 2 ** 32?", "--root", str(tmp_path))
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert '→ calculate {"expression": "2 ** 32"}' in out
    assert "✓ calculate" in out
    assert "- calculate: 4294967296" in out
    assert "— 2 turn(s), 1 tool call(s)" in out


def test_a_call_line_starts_with_its_arguments(tmp_path: Path) -> None:
    """No empty "→ current_time " line when another call's result comes
    between a call's start and its arguments."""
    completed = _run("demo", "--offline", "--root", str(tmp_path))
    assert completed.returncode == 0, completed.stderr
    calls = [line for line in completed.stdout.splitlines() if line.startswith("→")]
    assert len(calls) >= 3
    assert all(re.fullmatch(r"→ \w+( …)? \S.*", line) for line in calls), calls
    shown = "".join(re.sub(r"^→ \w+( …)? ", "", line) for line in calls if "current_time" in line)
    assert shown == '{"timezone": "Asia/Tokyo"}'
