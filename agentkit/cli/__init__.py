"""The ``agentkit`` command: ``agentkit demo``, ``agentkit chat`` and
``agentkit init``.

Nothing in the library imports this package.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ._chat import run_chat
from ._demo import run_demo
from ._init import run_init
from ._mcp import add_mcp_command

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``agentkit`` console script and ``python -m agentkit``."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return int(args.handler(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agentkit",
        description="Tool-using assistants on any OpenAI-compatible endpoint.",
        epilog="The endpoint comes from --base-url or AGENTKIT_BASE_URL (key: AGENTKIT_API_KEY); "
        "without one, a local Ollama/LM Studio/vLLM/llama.cpp server is used if found, "
        "else agentkit's offline scripted model.",
    )
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser("demo", help="run one question with real tools, streamed live")
    demo.add_argument(
        "question",
        nargs="?",
        help="what to ask (default: a question that uses "
        "the calculator, the clock and the file search together)",
    )
    demo.add_argument(
        "--timeline",
        action="store_true",
        help="after the run, draw the model's streaming and each tool call on one time axis",
    )
    demo.set_defaults(handler=run_demo)
    chat = commands.add_parser("chat", help="an interactive conversation")
    chat.add_argument(
        "--tools", help="tools to load: a module path or a .py file (default: the demo tools)"
    )
    chat.set_defaults(handler=run_chat)
    init = commands.add_parser("init", help="write a runnable agent.py with one tool")
    init.add_argument("path", nargs="?", default="agent.py", help="where (default: agent.py)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(handler=run_init)
    for command in (demo, chat):
        command.add_argument(
            "--model",
            help="model name (default: AGENTKIT_MODEL, or the local server's first model)",
        )
        command.add_argument(
            "--base-url", help="OpenAI-compatible API root, e.g. http://localhost:11434/v1"
        )
        command.add_argument(
            "--offline",
            action="store_true",
            help="use the offline scripted model even if an endpoint is set",
        )
        command.add_argument(
            "--root",
            default=".",
            help="directory the file search may read (default: the current directory)",
        )
    add_mcp_command(commands)
    return parser
