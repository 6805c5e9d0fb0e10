"""Shared by the approval-in-the-browser tests: an agent whose ``delete_note``
needs approval, the model's script, the bodies ``useChat`` sent (recorded
from the `ai` package's own chat engine), and the Node.js scripts."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _support import require_program

from agentkit import Agent, OpenAIChatModel, tool
from agentkit.testing import ScriptedResponse, text_response, tool_call_response
from agentkit.ui import ChatApp, chat_app

SECRET = b"agentkit approval tests"
JS_DIR = Path(__file__).resolve().parents[1] / "js"
RECORDED = JS_DIR / "use_chat_bodies.json"
"""The resume requests ``useChat`` (v7) sent in `test_ui_use_chat.py`'s
cycle: ``{"approve": body, "deny": body}``, answers to `paused_script`'s
approval request for ``call_1``."""


@dataclass
class Notes:
    """The tools' side: what ran."""

    deleted: list[str] = field(default_factory=list)

    def agent(self, model: OpenAIChatModel) -> Agent[Any]:
        @tool
        def get_weather(city: str) -> dict[str, Any]:
            """The weather in a city.

            Args:
                city: The city.
            """
            return {"city": city, "temp_c": 31}

        @tool(needs_approval=True)
        def delete_note(title: str) -> str:
            """Delete a note.

            Args:
                title: The note's title.
            """
            self.deleted.append(title)
            return f"deleted {title}"

        return Agent(model, tools=[get_weather, delete_note])

    def app(self, model: OpenAIChatModel) -> ChatApp:
        return chat_app(self.agent(model), secret=SECRET)


def paused_script() -> list[ScriptedResponse]:
    """A turn with a call that needs no approval (call_0) and one that does
    (call_1), then the answer once the run resumes."""
    return [
        tool_call_response(
            [("get_weather", {"city": "Hanoi"}), ("delete_note", {"title": "shopping"})]
        ),
        text_response("Done."),
    ]


def recorded_bodies() -> dict[str, Any]:
    return dict(json.loads(RECORDED.read_text(encoding="utf-8")))


def node() -> str:
    """The Node.js that runs tests/js (its packages installed)."""
    program = require_program("node", "install Node.js to check the Vercel AI SDK protocol")
    if not (JS_DIR / "node_modules" / "ai").is_dir():
        npm = require_program("npm", "install npm to fetch the AI SDK parser")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=JS_DIR,
            check=True,
            timeout=300,
            capture_output=True,
        )
    return program


def run_js(program: str, script: str, *arguments: str) -> dict[str, Any]:
    completed = subprocess.run(
        [program, script, *arguments],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    return dict(json.loads(completed.stdout))
