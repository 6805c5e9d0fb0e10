"""The whole approval cycle driven by the `ai` package's own chat engine.

tests/js/use_chat.mjs runs ``AbstractChat`` with ``DefaultChatTransport``
(what React's ``useChat`` runs) against `chat_app`: it asks, answers the
approval request with ``addToolApprovalResponse``, and
``lastAssistantMessageIsCompleteWithApprovalResponses`` sends the answer
back. The bodies it sends are the ones recorded in
tests/js/use_chat_bodies.json for the ASGI-level tests.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from _approval_helpers import Notes, node, paused_script, recorded_bodies, run_js
from _support import serve_asgi

from agentkit import OpenAIChatModel
from agentkit.testing import ScriptedServer

QUESTION = "Weather in Hanoi, and delete my shopping note"


@pytest.fixture(scope="module")
def node_program() -> str:
    return node()


def _cycle(node_program: str, *decision: str) -> tuple[dict[str, Any], Notes, ScriptedServer]:
    notes = Notes()
    with ScriptedServer(paused_script()) as model_server:
        model = OpenAIChatModel("m", base_url=model_server.base_url, api_key="k")
        with serve_asgi(notes.app(model)) as url:
            chat = run_js(node_program, "use_chat.mjs", f"{url}/api/chat", QUESTION, *decision)
    return chat, notes, model_server


def _states(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["toolName"], p["state"]) for p in message["parts"] if p["type"] == "dynamic-tool"]


def test_approve_runs_the_tool_once_and_the_reply_goes_on(node_program: str) -> None:
    chat, notes, model_server = _cycle(node_program, "approve")
    assert chat["errors"] == []
    assert chat["status"] == "ready"
    assert len(chat["requests"]) == 2
    assert notes.deleted == ["shopping"]
    user, reply = chat["messages"]  # one reply, continued: not a second assistant message
    assert user["role"] == "user"
    assert _states(reply) == [
        ("get_weather", "output-available"),
        ("delete_note", "output-available"),
    ]
    assert reply["parts"][2]["output"] == "deleted shopping"
    assert reply["parts"][-1] == {"type": "text", "text": "Done.", "state": "done"}
    assert reply["id"] == chat["requests"][1]["messageId"]
    sent = model_server.requests[-1].json()["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "tool"]
    assert sent[-1] == {"role": "tool", "tool_call_id": "call_1", "content": "deleted shopping"}


def test_deny_never_runs_the_tool_and_the_model_reads_the_reason(node_program: str) -> None:
    chat, notes, model_server = _cycle(node_program, "deny", "keep it")
    assert chat["errors"] == []
    assert notes.deleted == []
    reply = chat["messages"][-1]
    assert _states(reply) == [("get_weather", "output-available"), ("delete_note", "output-denied")]
    assert reply["parts"][2]["approval"]["reason"] == "keep it"
    sent = model_server.requests[-1].json()["messages"]
    assert sent[-1] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "Not run: the user denied this tool call. Reason: keep it",
    }


@pytest.mark.parametrize("decision", [("approve",), ("deny", "keep it")])
def test_the_recorded_bodies_are_what_use_chat_sends(
    node_program: str, decision: tuple[str, ...]
) -> None:
    """The ASGI-level tests replay tests/js/use_chat_bodies.json: it must stay
    what the installed `ai` package sends (the reply's id is the run's, so
    it differs from run to run)."""
    chat, _, _ = _cycle(node_program, *decision)
    first, sent = chat["requests"]
    assert first == recorded_bodies()["first"]
    recorded = recorded_bodies()[decision[0]]
    run_id = sent["messageId"]
    assert json.loads(json.dumps(sent).replace(run_id, "<reply>")) == json.loads(
        json.dumps(recorded).replace(recorded["messageId"], "<reply>")
    )
