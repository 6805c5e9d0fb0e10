"""``agentkit demo --timeline``: the recorder on the tracing hooks, the
drawing, and the command end to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from _common import make_model

from agentkit import Agent, ToolRegistry
from agentkit.cli._timeline import Bar, Timeline, render
from agentkit.testing import ScriptedServer, text_response, tool_call_response


def test_render_draws_each_bar_on_one_axis() -> None:
    bars = [
        Bar("turn 1  model", 1.0, 1.5, turn=1, is_tool=False),
        Bar("lookup", 1.2, 1.6, turn=1, is_tool=True),
        Bar("broken", 1.5, 1.55, turn=1, is_tool=True, failed=True),
        Bar("turn 2  model", 1.6, 2.0, turn=2, is_tool=False),
    ]
    assert render(bars, width=20, color=False).splitlines() == [
        "timeline: 1.00 s from the first model request (1.00 s into the run), one column = 50 ms",
        "               0s        0.5s      1s",
        "turn 1  model  ██████████            0.00–0.50 s",
        "  lookup           ▓▓▓▓▓▓▓▓          0.20–0.60 s",
        "  broken                 ✗           0.50–0.55 s",
        "turn 2  model              ████████  0.60–1.00 s",
        "█ model streaming  ▓ tool running  ✗ failed",
        "1 of 2 tool call(s) started while the model was still streaming",
    ]


def test_render_colors_only_when_asked() -> None:
    bars = [Bar("turn 1  model", 0.0, 1.0, turn=1, is_tool=False)]
    assert "\033[" not in render(bars, color=False)
    assert "\033[36m" in render(bars, color=True)
    assert render([], color=False) == "timeline: nothing ran"


@pytest.mark.anyio
async def test_the_timeline_records_a_real_run() -> None:
    registry = ToolRegistry()

    @registry.tool
    async def nap(ms: int) -> str:
        """Sleep."""
        await anyio.sleep(ms / 1000)
        return "rested"

    @registry.tool
    def fail() -> str:
        """Fail."""
        raise RuntimeError("no")

    calls = [("nap", {"ms": 100}), ("fail", {})]
    script = [tool_call_response(calls, fragments=5, chunk_delay=0.02), text_response("ok")]
    timeline = Timeline()
    async with ScriptedServer(script) as server:
        model = make_model(server)
        await Agent(model, tools=registry, instrument=timeline).run("Go")
        await model.aclose()

    by_label = {bar.label: bar for bar in timeline.bars}
    assert set(by_label) == {"turn 1  model", "nap", "fail", "turn 2  model"}
    first_turn, nap_bar = by_label["turn 1  model"], by_label["nap"]
    assert first_turn.start < nap_bar.start < first_turn.end  # eager: inside the stream
    assert nap_bar.end - nap_bar.start >= 0.09
    assert by_label["fail"].failed
    assert not nap_bar.failed
    assert by_label["turn 2  model"].start >= max(nap_bar.end, by_label["fail"].end)


def test_demo_timeline_end_to_end(tmp_path: Path) -> None:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("AGENTKIT_", "OPENAI_"))
    }
    completed = subprocess.run(
        [sys.executable, "-m", "agentkit", "demo", "--offline", "--timeline", "--root", tmp_path],
        capture_output=True,
        text=True,
        timeout=60,
        env={**environment, "NO_COLOR": "1"},
    )
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert "— 2 turn(s), 3 tool call(s)" in out
    timeline = out[out.index("timeline:") :].splitlines()
    assert [line.split("  ")[0].strip() or line.split()[0] for line in timeline[2:7]] == [
        "turn 1",
        "calculate",
        "current_time",
        "search_files",
        "turn 2",
    ]
    assert "\033[" not in out
    early = re.search(r"(\d) of 3 tool call\(s\) started while the model was still streaming", out)
    assert early is not None
    assert int(early.group(1)) >= 1
