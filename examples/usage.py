"""Token usage: per model turn, and summed over a run.

agentkit asks for usage on every request (``stream_options:
{"include_usage": true}``); providers send it in a last chunk with empty
``choices`` (some on the finish chunk). Each ``turn.finished`` event carries
that turn's `Usage` (None when the provider sent none) and
``RunResult.usage`` is the sum over the run's turns. Pass
``OpenAIChatModel(..., include_usage=False)`` to stop asking; a server that
rejects ``stream_options`` with a 400 is retried once without it.

Run it with ``python examples/usage.py``. It uses the endpoint in
``AGENTKIT_BASE_URL`` (with ``AGENTKIT_MODEL`` and ``AGENTKIT_API_KEY``) if
set; otherwise it starts a local ``ScriptedServer`` and runs offline.
"""

from __future__ import annotations

import anyio

from agentkit import Agent, Event, OpenAIChatModel, TurnFinished, Usage, tool
from agentkit.testing import (
    open_endpoint,
    text_response,
    tool_call_response,
)

# What the local server answers when no endpoint is configured: one plain
# turn, then a run of two turns (tool calls, then the answer).
SCRIPT = [
    text_response("Hello! How can I help?", usage=(9, 7)),
    tool_call_response(
        [("get_weather", {"city": "Hanoi"}), ("get_weather", {"city": "Paris"})], usage=(85, 38)
    ),
    text_response("Hanoi: 31°C and humid. Paris: 18°C and cloudy.", usage=(160, 17)),
]


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city.

    Args:
        city: City name, for example "Hanoi".
    """
    return {"Hanoi": "31°C, humid", "Paris": "18°C, cloudy"}.get(city, "20°C, clear")


def describe(usage: Usage | None) -> str:
    if usage is None:
        return "no usage reported"
    return (
        f"{usage.prompt_tokens} prompt + {usage.completion_tokens} completion "
        f"= {usage.total_tokens} tokens"
    )


def print_turn_usage(event: Event) -> None:
    if isinstance(event, TurnFinished):
        print(f"  turn {event.turn} ({event.finish_reason}): {describe(event.usage)}")


async def main(model: OpenAIChatModel) -> None:
    async with model:
        print("\nOne model turn (OpenAIChatModel.stream):")
        async with model.stream([{"role": "user", "content": "Hello!"}]) as turn:
            message = await turn.collect()
        print(f"  {describe(message.usage)}")

        print("\nA run with tools (Agent.run), usage per turn:")
        agent = Agent(model, tools=[get_weather], instructions="Be brief.")
        question = "What is the weather in Hanoi and in Paris?"
        result = await agent.run(question, on_event=print_turn_usage)
        print(f"Summed over {result.turns} turns: {describe(result.usage)}")
        # The provider's own usage object, summed field by field (cached
        # tokens, reasoning tokens... when the provider reports them).
        print(f"Details: {dict(result.usage.details)}")


if __name__ == "__main__":
    with open_endpoint(SCRIPT) as endpoint:
        print(f"Using {endpoint.description}")
        model = endpoint.model
        anyio.run(main, model)
