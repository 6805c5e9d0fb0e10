"""``agentkit init`` writes an agent.py that runs as written: offline with
the stand-in, against the configured endpoint, and as ``chat --tools``."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from agentkit.cli._chat import load_tools
from agentkit.cli._init import TEMPLATE
from agentkit.testing import ScriptedServer, text_response, tool_call_response


def _run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("AGENTKIT_", "OPENAI_"))
    }
    environment.update(env or {})
    return subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, timeout=60, env=environment
    )


def test_init_writes_an_agent_that_runs_offline_with_a_real_tool_call(tmp_path: Path) -> None:
    created = _run(sys.executable, "-m", "agentkit", "init", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert "Wrote agent.py" in created.stdout
    assert (tmp_path / "agent.py").read_text(encoding="utf-8") == TEMPLATE

    ran = _run(sys.executable, "agent.py", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == [
        "(offline: agentkit's stand-in model; set AGENTKIT_BASE_URL for a real one)",
        '-> get_weather({"city": "Paris"})',
        "<- 24°C and sunny in Paris",
        "get_weather: 24°C and sunny in Paris",
    ]


def test_the_agent_uses_the_endpoint_in_the_environment(tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text(TEMPLATE, encoding="utf-8")
    script = [
        tool_call_response([("get_weather", {"city": "Tokyo"})]),
        text_response("Sunny in Tokyo."),
    ]
    with ScriptedServer(script) as server:
        env = {"AGENTKIT_BASE_URL": server.base_url, "AGENTKIT_MODEL": "qwen2.5:7b"}
        ran = _run(sys.executable, "agent.py", "Weather in Tokyo?", cwd=tmp_path, env=env)
        first = server.requests[0].json()
    assert ran.returncode == 0, ran.stderr
    assert "<- 24°C and sunny in Tokyo" in ran.stdout
    assert ran.stdout.rstrip().endswith("Sunny in Tokyo.")
    assert first["model"] == "qwen2.5:7b"
    assert first["messages"][-1] == {"role": "user", "content": "Weather in Tokyo?"}


def test_init_does_not_overwrite_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "bot.py"
    target.write_text("mine\n", encoding="utf-8")
    refused = _run(sys.executable, "-m", "agentkit", "init", "bot.py", cwd=tmp_path)
    assert refused.returncode == 1
    assert "bot.py already exists; pass --force" in refused.stderr
    assert target.read_text(encoding="utf-8") == "mine\n"
    forced = _run(sys.executable, "-m", "agentkit", "init", "bot.py", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert target.read_text(encoding="utf-8") == TEMPLATE


def test_the_template_is_valid_python_and_its_tools_load_in_chat(tmp_path: Path) -> None:
    ast.parse(TEMPLATE)
    (tmp_path / "agent.py").write_text(TEMPLATE, encoding="utf-8")
    assert load_tools(str(tmp_path / "agent.py")).names == ["get_weather"]
