"""``agentkit chat``: an interactive conversation on the same machinery.

The conversation continues turn after turn; Ctrl-C stops the current answer
(the HTTP stream is closed, running tools are cancelled) without leaving the
REPL; Ctrl-D or ``/exit`` quits; ``/reset`` starts over. A tool that needs
approval asks first: ``Run delete_file(path='a.txt')? [y/N]``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import signal
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio

from agentkit import Agent, AgentkitError, RunResult, Tool, ToolRegistry
from agentkit._sync import close_model_pool

from ._approve import TerminalApprover
from ._demo import endpoint_for
from ._demo_tools import DemoDeps, chat_tools
from ._render import TerminalRenderer

__all__ = ["load_tools", "run_chat"]

INSTRUCTIONS = "You are a helpful assistant. Use your tools when they help; answer briefly."


def run_chat(args: argparse.Namespace) -> int:
    """Run the REPL until the user quits; returns the exit status."""
    registry = load_tools(args.tools) if args.tools else chat_tools()
    deps = DemoDeps(root=Path(args.root))
    with endpoint_for(args) as endpoint:
        print(f"agentkit chat — using {endpoint.description}")
        print(
            f"tools: {', '.join(registry.names) or 'none'}. "
            "Ctrl-C stops an answer, Ctrl-D or /exit quits, /reset starts over.",
            flush=True,
        )
        agent: Agent[DemoDeps] = Agent(
            endpoint.model,
            tools=registry,
            instructions=INSTRUCTIONS,
            approver=TerminalApprover(),
        )
        conversation: list[dict[str, Any]] = []
        while True:
            try:
                line = input("you> ").strip()
            except EOFError:
                print()
                return 0
            except KeyboardInterrupt:
                print("\n(Ctrl-D or /exit quits)")
                continue
            if line in ("/exit", "/quit"):
                return 0
            if line == "/reset":
                conversation = []
                print("(conversation cleared)")
                continue
            if not line:
                continue
            messages = [*conversation, {"role": "user", "content": line}]
            result = anyio.run(_answer, agent, messages, deps)
            if result is not None:
                conversation = result.messages


async def _answer(agent: Agent[Any], messages: list[dict[str, Any]], deps: Any) -> RunResult | None:
    """One run, cancelled by Ctrl-C; None when it was stopped or failed."""
    result: RunResult | None = None
    try:
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(_cancel_on_interrupt, task_group.cancel_scope)
            try:
                result = await agent.run(messages, deps=deps, on_event=TerminalRenderer())
            except AgentkitError as error:
                print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
            task_group.cancel_scope.cancel()
        if result is None and task_group.cancel_scope.cancel_called:
            print("\n(stopped; this exchange is not kept)", flush=True)
    finally:
        await close_model_pool(agent.model)
    return result


async def _cancel_on_interrupt(scope: anyio.CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGINT) as signals:
        async for _ in signals:
            scope.cancel()
            return


def load_tools(spec: str) -> ToolRegistry:
    """Tools from a module path (``package.module``) or a ``.py`` file: its
    ``registry`` or ``tools`` attribute if it is a `ToolRegistry` (or a list),
    else every `Tool` defined in it."""
    module = _import(spec)
    for attribute in ("registry", "tools"):
        value = getattr(module, attribute, None)
        if isinstance(value, ToolRegistry):
            return value
        if isinstance(value, (list, tuple)):
            return ToolRegistry(value)
    return ToolRegistry(value for value in vars(module).values() if isinstance(value, Tool))


def _import(spec: str) -> ModuleType:
    if spec.endswith(".py") or Path(spec).is_file():
        location = importlib.util.spec_from_file_location(Path(spec).stem, spec)
        if location is None or location.loader is None:
            raise SystemExit(f"agentkit chat: cannot load tools from {spec!r}")
        module = importlib.util.module_from_spec(location)
        location.loader.exec_module(module)
        return module
    return importlib.import_module(spec)
