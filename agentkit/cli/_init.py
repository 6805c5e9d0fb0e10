"""``agentkit init``: write a runnable ``agent.py`` to start from."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["TEMPLATE", "run_init"]

TEMPLATE = '''\
"""A tool-using agent, written by `agentkit init`.

    python agent.py                   # offline, no key needed
    agentkit chat --tools agent.py    # its tools in a conversation

    # a real model, for example a local Ollama:
    export AGENTKIT_BASE_URL=http://localhost:11434/v1 AGENTKIT_MODEL=qwen2.5:7b
    python agent.py "What is the weather in Tokyo?"

The endpoint comes from the environment: AGENTKIT_BASE_URL (or
OPENAI_BASE_URL), AGENTKIT_API_KEY (or OPENAI_API_KEY) and AGENTKIT_MODEL.
With none of them set, the agent runs against agentkit's ToolCallingModel, a
stand-in served on 127.0.0.1 that calls your tools with arguments made up
from their schemas and then quotes their results.
"""

from __future__ import annotations

import os
import sys

from agentkit import Agent, Event, OpenAIChatModel, tool
from agentkit.testing import ToolCallingModel


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city.

    Args:
        city: The city, for example "Paris".
    """
    return f"24°C and sunny in {city}"  # call a real weather service here


agent = Agent(
    OpenAIChatModel(os.environ.get("AGENTKIT_MODEL", "gpt-4o-mini")),
    tools=[get_weather],
    instructions="You are a helpful assistant. Use your tools; answer briefly.",
)


def show(event: Event) -> None:
    """Print the run as it streams: tool calls, their results, the answer."""
    if event.type == "tool_call.ready":
        print(f"-> {event.name}({event.arguments})")
    elif event.type == "tool.result":
        print(f"<- {event.output}")
    elif event.type == "text.delta":
        print(event.text, end="", flush=True)


def main() -> None:
    question = " ".join(sys.argv[1:]) or "What is the weather in Paris?"
    settings = ("AGENTKIT_BASE_URL", "OPENAI_BASE_URL", "AGENTKIT_API_KEY", "OPENAI_API_KEY")
    if any(os.environ.get(name) for name in settings):
        agent.run_sync(question, on_event=show)
    else:
        print("(offline: agentkit's stand-in model; set AGENTKIT_BASE_URL for a real one)")
        with ToolCallingModel() as model, agent.override(model=model):
            agent.run_sync(question, on_event=show)
    print()


if __name__ == "__main__":
    main()
'''
"""The ``agent.py`` that ``agentkit init`` writes."""


def run_init(args: argparse.Namespace) -> int:
    """Write the template to ``args.path``; returns the exit status."""
    path = Path(args.path)
    if path.exists() and not args.force:
        print(
            f"agentkit init: {path} already exists; pass --force to overwrite it",
            file=sys.stderr,
        )
        return 1
    path.write_text(TEMPLATE, encoding="utf-8")
    print(f"Wrote {path}: an agent with one tool. Next:")
    print(f"  python {path}                      # offline, with a stand-in model")
    print(f"  agentkit chat --tools {path}       # its tools in a conversation")
    print("  AGENTKIT_BASE_URL=http://localhost:11434/v1 AGENTKIT_MODEL=qwen2.5:7b \\")
    print(f"    python {path}                    # a local Ollama (see docs/cli.md)")
    return 0
