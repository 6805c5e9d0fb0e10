"""A browser chat on an agentkit backend: one ASGI app, one HTML page, no build step.

    pip install -e ".[ui]"   # uvicorn
    python examples/chat_app/server.py          # then open http://127.0.0.1:8000

The page (index.html) talks the Vercel AI SDK UI message stream protocol, the
one React's ``useChat`` reads, served by ``agentkit.ui.chat_app``: text
streams in, tool calls show their arguments as they stream and then their
results, and the Stop button aborts the request, which cancels the run on the
server (tools cancelled, model connection closed). ``delete_note`` needs
approval: the run pauses, the page shows Approve / Deny, and the answer
resumes the run (try "delete the note 'shopping'").

The model is ``AGENTKIT_BASE_URL`` (+ ``AGENTKIT_MODEL``/``AGENTKIT_API_KEY``)
when set, else agentkit's offline scripted model.

Like every ``chat_app`` without ``authorize=``, it answers only requests from
this machine (see "Security" in docs/ui.md before serving it to others).
"""

from __future__ import annotations

import argparse
import ast
import operator
import os
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio
import uvicorn

from agentkit import Agent, OpenAIChatModel, RunContext, Tool, tool
from agentkit.testing import OfflineAssistant, ScriptedServer
from agentkit.ui import ASGIApp, chat_app

PAGE = (Path(__file__).parent / "index.html").read_bytes()
# 9 ** 9 ** 9 would keep a worker thread busy for hours: bound every step.
_MAX_EXPONENT, _MAX_BITS = 100, 4096
_OPERATORS: dict[type[ast.AST], Any] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
}


@tool
def calculate(expression: str) -> float:
    """Evaluate an arithmetic expression (+ - * / ** and parentheses).

    Args:
        expression: For example "17 * 23 + 4".
    """

    def evaluate(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            left, right = evaluate(node.left), evaluate(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > _MAX_EXPONENT:
                raise ValueError(f"exponents above {_MAX_EXPONENT} are not supported")
            value = _OPERATORS[type(node.op)](left, right)
            if isinstance(value, int) and value.bit_length() > _MAX_BITS:
                raise ValueError("the result is too large")
            return value
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](evaluate(node.operand))
        raise ValueError(f"unsupported expression: {ast.unparse(node)}")

    return evaluate(ast.parse(expression, mode="eval").body)


@tool
def current_time(timezone: str = "UTC") -> str:
    """The current date and time in a timezone.

    Args:
        timezone: An IANA name such as "Asia/Tokyo" or "Europe/Paris".
    """
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown timezone {timezone!r}; use an IANA name") from error
    return datetime.now(zone).isoformat(timespec="seconds")


@tool
async def research(context: RunContext[Any], topic: str, seconds: float = 3.0) -> str:
    """Research a topic slowly, reporting progress (try stopping it).

    Args:
        topic: What to research.
        seconds: How long the research takes.
    """
    steps = 6
    for step in range(1, steps + 1):
        await anyio.sleep(seconds / steps)
        context.emit("progress", {"topic": topic, "done": step, "of": steps})
    return f"{topic}: nothing surprising found after {seconds:g} s of research."


# The user's notes: an in-memory store for the tool that asks first.
NOTES = {"shopping": "rice, eggs, limes", "ideas": "a chat page that asks before it acts"}


@tool(needs_approval=True)
def delete_note(title: str) -> str:
    """Delete one of the user's notes (the user approves each deletion).

    Args:
        title: The note's title, for example "shopping".
    """
    if NOTES.pop(title, None) is None:
        raise ValueError(f"there is no note {title!r} (notes: {', '.join(NOTES) or 'none'})")
    return f"deleted the note {title!r}"


DEFAULT_TOOLS = [calculate, current_time, research, delete_note]


def build_app(model: OpenAIChatModel, tools: Sequence[Tool[..., Any]] | None = None) -> ASGIApp:
    """The whole site: ``GET /`` serves the page, ``POST /api/chat`` runs the agent."""
    agent = Agent(
        model,
        tools=list(tools) if tools is not None else DEFAULT_TOOLS,
        instructions="You are a helpful assistant. Use tools when they help.",
    )
    chat = chat_app(agent)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] == "GET":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/html; charset=utf-8")],
                }
            )
            await send({"type": "http.response.body", "body": PAGE})
        elif scope["type"] != "http" or scope["path"] == "/api/chat":
            await chat(scope, receive, send)
        else:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"not found"})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="agentkit browser chat example")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    with ExitStack() as stack:
        if os.environ.get("AGENTKIT_BASE_URL"):
            model = OpenAIChatModel(os.environ.get("AGENTKIT_MODEL", "gpt-4o-mini"))
            print(f"model: {model.model} at {model.base_url}")
        else:
            offline = stack.enter_context(ScriptedServer(responder=OfflineAssistant()))
            model = OpenAIChatModel("agentkit-offline", base_url=offline.base_url, api_key="-")
            print("model: agentkit's offline scripted model (set AGENTKIT_BASE_URL for a real one)")
        print(f"open http://{args.host}:{args.port}", flush=True)
        uvicorn.run(build_app(model), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
