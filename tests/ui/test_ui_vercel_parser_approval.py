"""Approvals and structured output in agentkit's UI message stream, read by
the Vercel AI SDK's own parser (tests/js/parse_ui_stream.mjs: every chunk
validated against the `ai` package's schema, the message rebuilt with
``readUIMessageStream``, as ``useChat`` does).

The approval chunks exist since AI SDK 6: the current major version reads
them, v5 refuses them (its ``useChat`` has no approvals), while a run
without approvals stays readable by both.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from _approval_helpers import Notes, node, paused_script, recorded_bodies, run_js
from _support import serve_asgi
from pydantic import BaseModel

from agentkit import Agent, Approval, ApprovalRequest, OpenAIChatModel, tool
from agentkit.testing import ScriptedServer, text_response, tool_call_response
from agentkit.ui import chat_app

USER = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Go"}]}


@pytest.fixture(scope="module")
def node_program() -> str:
    return node()


def _parse(node_program: str, package: str, url: str, body: Any, *continued: Any) -> Any:
    arguments = [json.dumps(value) for value in (body, *continued)]
    return run_js(node_program, "parse_ui_stream.mjs", package, f"{url}/api/chat", *arguments)


def _tools(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [part for part in message["parts"] if part["type"] == "dynamic-tool"]


def test_a_paused_reply_is_an_approval_requested_tool_part(node_program: str) -> None:
    notes = Notes()
    with ScriptedServer(paused_script()) as model_server:
        model = OpenAIChatModel("m", base_url=model_server.base_url, api_key="k")
        with serve_asgi(notes.app(model)) as url:
            parsed = _parse(node_program, "ai", url, recorded_bodies()["first"])
    assert parsed["error"] is None
    weather, delete = _tools(parsed["message"])
    assert weather["state"] == "output-available"
    assert delete["state"] == "approval-requested"
    assert delete["input"] == {"title": "shopping"}
    assert delete["approval"] == {"id": next(iter(_approval_ids(parsed["chunks"])))}
    assert parsed["chunks"][-1] == {"type": "finish", "finishReason": "tool-calls"}
    assert notes.deleted == []


def _approval_ids(chunks: list[dict[str, Any]]) -> list[str]:
    return [c["approvalId"] for c in chunks if c["type"] == "tool-approval-request"]


@pytest.mark.parametrize(
    ("decision", "state"), [("approve", "output-available"), ("deny", "output-denied")]
)
def test_the_resumed_run_completes_the_same_message(
    node_program: str, decision: str, state: str
) -> None:
    body = recorded_bodies()[decision]
    notes = Notes()
    with ScriptedServer(paused_script()[1:]) as model_server:
        model = OpenAIChatModel("m", base_url=model_server.base_url, api_key="k")
        with serve_asgi(notes.app(model)) as url:
            parsed = _parse(node_program, "ai", url, body, body["messages"][-1])
    assert parsed["error"] is None
    message = parsed["message"]
    assert message["id"] == body["messageId"]
    assert [part["state"] for part in _tools(message)] == ["output-available", state]
    assert message["parts"][-1]["text"] == "Done."
    assert notes.deleted == (["shopping"] if decision == "approve" else [])


@pytest.mark.parametrize(
    ("approved", "state"), [(True, "output-available"), (False, "output-denied")]
)
def test_an_approvers_answer_reaches_the_page(
    node_program: str, approved: bool, state: str
) -> None:
    notes = Notes()
    asked: list[ApprovalRequest] = []

    def approver(request: ApprovalRequest) -> Approval:
        asked.append(request)
        return Approval(approved, reason=None if approved else "keep it")

    with ScriptedServer(paused_script()) as model_server:
        model = OpenAIChatModel("m", base_url=model_server.base_url, api_key="k")
        agent = notes.agent(model)
        agent.approver = approver
        with serve_asgi(chat_app(agent)) as url:
            parsed = _parse(node_program, "ai", url, {"messages": [USER]})
    assert parsed["error"] is None
    delete = _tools(parsed["message"])[1]
    assert delete["state"] == state
    expected = {"approved": approved} if approved else {"approved": False, "reason": "keep it"}
    assert {k: v for k, v in delete["approval"].items() if k != "id"} == expected
    assert [request.name for request in asked] == ["delete_note"]


def test_ai_v5_does_not_know_approval_chunks(node_program: str) -> None:
    """AI SDK 5 has no approvals: its parser stops at the request (the docs
    say approvals in the browser need AI SDK 6 or later)."""
    with ScriptedServer(paused_script()) as model_server:
        model = OpenAIChatModel("m", base_url=model_server.base_url, api_key="k")
        with serve_asgi(Notes().app(model)) as url:
            parsed = _parse(node_program, "ai-v5", url, recorded_bodies()["first"])
    assert parsed["error"] is not None
    assert "tool-approval-request" in parsed["error"]


class Forecast(BaseModel):
    city: str
    temp_c: float


@tool
def get_weather(city: str) -> str:
    """The weather in a city.

    Args:
        city: The city.
    """
    return "31°C"


@pytest.mark.parametrize("package", ["ai", "ai-v5"])
@pytest.mark.parametrize("mode", ["tool", "native"])
def test_the_output_is_one_data_part_holding_the_validated_output(
    node_program: str, package: str, mode: str
) -> None:
    answer = {"city": "Hanoi", "temp_c": 31}
    final = (
        tool_call_response([("final_result", answer)], fragments=6)
        if mode == "tool"
        else text_response(json.dumps(answer), pieces=6)
    )
    script = [tool_call_response([("get_weather", {"city": "Hanoi"})]), final]
    with ScriptedServer(script) as model_server:
        model = OpenAIChatModel("m", base_url=model_server.base_url, api_key="k")
        agent = Agent(model, tools=[get_weather], output_type=Forecast, output_mode=mode)
        with serve_asgi(chat_app(agent)) as url:
            parsed = _parse(node_program, package, url, {"messages": [USER]})
    assert parsed["error"] is None
    updates = [c for c in parsed["chunks"] if c["type"] == "data-output"]
    assert len(updates) >= 3
    assert {c["id"] for c in updates} == {"output"}
    outputs = [p for p in parsed["message"]["parts"] if p["type"] == "data-output"]
    assert outputs == [
        {"type": "data-output", "id": "output", "data": {"city": "Hanoi", "temp_c": 31.0}}
    ]
