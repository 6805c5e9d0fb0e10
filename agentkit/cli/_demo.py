"""``agentkit demo``: one question, real tools, the run streamed live."""

from __future__ import annotations

import argparse
import sys
from contextlib import AbstractContextManager
from pathlib import Path

from agentkit import Agent, AgentkitError

from ..testing import Endpoint, OfflineAssistant, open_endpoint
from ._demo_tools import DemoDeps, demo_tools
from ._render import TerminalRenderer
from ._timeline import Timeline, render

__all__ = ["DEFAULT_QUESTION", "INSTRUCTIONS", "run_demo"]

DEFAULT_QUESTION = (
    "What is 17 * 23 + 4, what time is it in Tokyo, and which files here mention 'agentkit'?"
)
INSTRUCTIONS = (
    "You are a helpful assistant with tools. Use them for arithmetic, the time and "
    "files; call independent tools in parallel; answer briefly."
)


def endpoint_for(args: argparse.Namespace) -> AbstractContextManager[Endpoint]:
    """The endpoint ``--model``, ``--base-url`` and ``--offline`` ask for:
    the one named, a local server found on this machine, or the offline
    assistant."""
    return open_endpoint(
        OfflineAssistant(),
        model=args.model,
        base_url=args.base_url,
        find_local=True,
        offline=args.offline,
    )


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo; returns the exit status."""
    with endpoint_for(args) as endpoint:
        print(f"agentkit demo — using {endpoint.description}", flush=True)
        timeline = Timeline() if args.timeline else None
        agent: Agent[DemoDeps] = Agent(
            endpoint.model, tools=demo_tools(), instructions=INSTRUCTIONS, instrument=timeline
        )
        question = args.question or DEFAULT_QUESTION
        print(f"you> {question}", flush=True)
        try:
            agent.run_sync(
                question, deps=DemoDeps(root=Path(args.root)), on_event=TerminalRenderer()
            )
        except AgentkitError as error:
            print(f"agentkit demo failed: {type(error).__name__}: {error}", file=sys.stderr)
            return 1
        finally:
            if timeline is not None:
                print(render(timeline.bars), flush=True)
    return 0
