"""``agentkit chat`` driven in a real terminal (tmux send-keys): a question, a
tool call shown live, an answer, Ctrl-C in the middle of a run, then a
second question in the same conversation."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from _common import wait_until
from _support import require_program

from agentkit.testing import ScriptedResponse, ScriptedServer, text_chunks, tool_call_response


class Terminal:
    """One tmux session running a command."""

    def __init__(self, tmux: str, command: str) -> None:
        self.tmux = tmux
        self.name = f"agentkit-test-{uuid.uuid4().hex[:8]}"
        subprocess.run(
            [tmux, "new-session", "-d", "-s", self.name, "-x", "160", "-y", "50", command],
            check=True,
        )

    def screen(self) -> str:
        return subprocess.run(
            [self.tmux, "capture-pane", "-p", "-S", "-200", "-t", self.name],
            capture_output=True,
            text=True,
            check=False,
        ).stdout

    def send(self, *keys: str) -> None:
        subprocess.run([self.tmux, "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(self, text: str, *, count: int = 1, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if screen.count(text) >= count:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{text!r} (x{count}) never appeared; the screen:\n{self.screen()}")

    def alive(self) -> bool:
        result = subprocess.run(
            [self.tmux, "has-session", "-t", self.name], capture_output=True, check=False
        )
        return result.returncode == 0

    def close(self) -> None:
        subprocess.run(
            [self.tmux, "kill-session", "-t", self.name], capture_output=True, check=False
        )


@pytest.fixture
def tmux() -> str:
    return require_program("tmux", "apt-get install tmux")


@pytest.fixture
def scripted_model() -> Iterator[ScriptedServer]:
    long_story = " ".join(f"word{i}" for i in range(200))
    script = [
        tool_call_response([("calculate", {"expression": "6 * 7"})], chunk_delay=0.02),
        ScriptedResponse(text_chunks("The answer is 42."), chunk_delay=0.02),
        ScriptedResponse(text_chunks(long_story), chunk_delay=0.1),  # interrupted by Ctrl-C
        ScriptedResponse(text_chunks("Yes, still here."), chunk_delay=0.02),
    ]
    with ScriptedServer(script) as server:
        yield server


def test_chat_repl_in_a_terminal(tmux: str, scripted_model: ScriptedServer, tmp_path: Path) -> None:
    env = {
        "AGENTKIT_BASE_URL": scripted_model.base_url,
        "AGENTKIT_API_KEY": "test-key",
        "NO_COLOR": "1",
        "PYTHONUNBUFFERED": "1",
    }
    exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
    root = Path(__file__).resolve().parents[2]
    command = (
        f"cd {shlex.quote(str(tmp_path))} && env PYTHONPATH={shlex.quote(str(root))} "
        f"{exports} {shlex.quote(sys.executable)} -m agentkit chat --model scripted; "
        "echo EXITED-$?; sleep 30"
    )
    terminal = Terminal(tmux, command)
    try:
        terminal.wait_for("you>")
        terminal.send("What is 6 * 7?", "Enter")
        screen = terminal.wait_for("The answer is 42.")
        assert '→ calculate {"expression": "6 * 7"}' in screen
        assert "✓ calculate" in screen
        assert ": 42" in screen

        terminal.wait_for("you>", count=2)
        terminal.send("Tell me a long story", "Enter")
        terminal.wait_for("word5")
        terminal.send("C-c")
        screen = terminal.wait_for("(stopped; this exchange is not kept)")
        assert "word199" not in screen
        # Ctrl-C closed the model stream it interrupted.
        assert wait_until(lambda: scripted_model.open_connections == 0)

        terminal.wait_for("you>", count=3)
        terminal.send("Are you still there?", "Enter")
        terminal.wait_for("Yes, still here.")
        terminal.send("C-d")
        terminal.wait_for("EXITED-0")
    finally:
        terminal.close()

    requests = [request.json()["messages"] for request in scripted_model.requests]
    assert len(requests) == 4
    last = requests[-1]
    # The conversation continued without the interrupted exchange.
    assert [m["role"] for m in last] == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert last[1]["content"] == "What is 6 * 7?"
    assert last[-1]["content"] == "Are you still there?"
    assert all("long story" not in str(m.get("content")) for m in last)
    # Nothing is left connected once the REPL has exited.
    assert wait_until(lambda: scripted_model.open_connections == 0)


MY_TOOLS = '''\
from pathlib import Path

from agentkit import tool


@tool
def word_count(text: str) -> int:
    """Count the words in a text."""
    Path("calls.log").write_text(f"word_count({text!r})\\n")  # proof that it ran
    return len(text.split())


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"24°C and sunny in {city}"
'''


def test_chat_calls_a_users_tool_module_offline(tmux: str, tmp_path: Path) -> None:
    (tmp_path / "my_tools.py").write_text(MY_TOOLS, encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    command = (
        f"cd {shlex.quote(str(tmp_path))} && env -u AGENTKIT_BASE_URL -u OPENAI_BASE_URL "
        f"NO_COLOR=1 PYTHONUNBUFFERED=1 PYTHONPATH={shlex.quote(str(root))} "
        f"{shlex.quote(sys.executable)} -m agentkit chat --tools my_tools.py --offline; "
        "echo EXITED-$?; sleep 30"
    )
    terminal = Terminal(tmux, command)
    try:
        screen = terminal.wait_for("you>")
        assert "using agentkit's offline scripted model (offline requested)" in screen
        assert "tools: word_count, get_weather." in screen

        terminal.send("Count the words in 'agents call tools offline'", "Enter")
        screen = terminal.wait_for("- word_count: 4")
        assert '→ word_count {"text": "agents call tools offline"}' in screen
        assert "✓ word_count" in screen

        terminal.wait_for("you>", count=2)
        terminal.send("And the weather in Tokyo?", "Enter")
        screen = terminal.wait_for("- get_weather: 24°C and sunny in Tokyo")
        assert '→ get_weather {"city": "Tokyo"}' in screen

        terminal.wait_for("you>", count=3)
        terminal.send("Hello", "Enter")
        terminal.wait_for("calling your tools (get_weather, word_count)")
        terminal.send("/exit", "Enter")
        terminal.wait_for("EXITED-0")
    finally:
        terminal.close()
    assert (tmp_path / "calls.log").read_text() == "word_count('agents call tools offline')\n"


DELETING_TOOLS = '''\
from pathlib import Path

from agentkit import tool


@tool(needs_approval=True)
def delete_file(path: str) -> str:
    """Delete a file."""
    Path(path).unlink()
    return f"deleted {path}"
'''


def test_chat_asks_before_a_tool_that_needs_approval(tmux: str, tmp_path: Path) -> None:
    (tmp_path / "my_tools.py").write_text(DELETING_TOOLS, encoding="utf-8")
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "b.txt").write_text("b")
    script = [
        tool_call_response([("delete_file", {"path": "a.txt"})], chunk_delay=0.02),
        ScriptedResponse(text_chunks("a.txt is gone."), chunk_delay=0.02),
        tool_call_response([("delete_file", {"path": "b.txt"})], chunk_delay=0.02),
        ScriptedResponse(text_chunks("I left b.txt alone."), chunk_delay=0.02),
    ]
    with ScriptedServer(script) as server:
        root = Path(__file__).resolve().parents[2]
        command = (
            f"cd {shlex.quote(str(tmp_path))} && env AGENTKIT_BASE_URL={server.base_url} "
            f"AGENTKIT_API_KEY=test-key NO_COLOR=1 PYTHONUNBUFFERED=1 "
            f"PYTHONPATH={shlex.quote(str(root))} {shlex.quote(sys.executable)} -m agentkit "
            "chat --model scripted --tools my_tools.py; echo EXITED-$?; sleep 30"
        )
        terminal = Terminal(tmux, command)
        try:
            terminal.wait_for("you>")
            terminal.send("Delete a.txt", "Enter")
            terminal.wait_for("? Run delete_file(path='a.txt')? [y/N]")
            assert (tmp_path / "a.txt").exists()  # nothing runs before the answer
            terminal.send("y", "Enter")
            screen = terminal.wait_for("a.txt is gone.")
            assert "✓ delete_file" in screen

            terminal.wait_for("you>", count=2)
            terminal.send("Delete b.txt", "Enter")
            terminal.wait_for("? Run delete_file(path='b.txt')? [y/N]")
            terminal.send("n", "Enter")
            terminal.wait_for("I left b.txt alone.")
            terminal.send("/exit", "Enter")
            terminal.wait_for("EXITED-0")
        finally:
            terminal.close()
        requests = [request.json()["messages"] for request in server.requests]
    assert not (tmp_path / "a.txt").exists()
    assert (tmp_path / "b.txt").read_text() == "b"
    denial = requests[-1][-1]
    assert denial["role"] == "tool"
    assert denial["content"].startswith("Not run: the user denied this tool call.")
