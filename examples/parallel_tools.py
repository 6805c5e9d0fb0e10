"""Eager, parallel tool execution.

Each tool call starts as soon as its arguments are complete (``tool_call.ready``),
while the model is still streaming the next call, and calls run in parallel
(``Agent(max_parallel_tools=8)`` by default). ``async def`` tools run on the
event loop, plain ``def`` tools in worker threads. Results come back as each
tool finishes (``tool.result`` events), but go to the model, and into
``RunResult.tool_calls``, in the order the model made the calls.

The timeline printed below shows it: the first tool starts long before the
model has finished streaming, and the turn takes about as long as the stream
plus the slowest tool, not the sum of all of them.

Run it with ``python examples/parallel_tools.py``. It uses the endpoint in
``AGENTKIT_BASE_URL`` (with ``AGENTKIT_MODEL`` and ``AGENTKIT_API_KEY``) if
set; otherwise it starts a local ``ScriptedServer`` and runs offline.
"""

from __future__ import annotations

import time

import anyio

from agentkit import Agent, Event, ToolCallReady, ToolResult, TurnFinished, tool
from agentkit.testing import (
    open_endpoint,
    text_response,
    tool_call_response,
)

QUESTION = "Weather in Hanoi, the EUR rate, and the tech news: one line each."

# What the local server answers when no endpoint is configured: three calls
# streamed slowly (about 0.6 s), then the answer.
SCRIPT = [
    tool_call_response(
        [
            ("get_weather", {"city": "Hanoi"}),
            ("get_exchange_rate", {"currency": "EUR"}),
            ("get_news", {"topic": "tech"}),
        ],
        chunk_delay=0.04,
    ),
    text_response("Hanoi: 31°C. EUR: 1.08 USD. Tech: a new chip was announced."),
]


@tool
async def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    await anyio.sleep(0.6)  # a slow API call
    return f"31°C in {city}"


@tool
async def get_exchange_rate(currency: str) -> float:
    """Get the exchange rate of a currency, in US dollars."""
    await anyio.sleep(0.4)
    return 1.08


@tool
def get_news(topic: str) -> str:
    """Get the top headline about a topic."""
    time.sleep(0.2)  # blocking is fine: sync tools run in a worker thread
    return f"{topic}: a new chip was announced"


class Timeline:
    """An ``on_event`` callback printing when each call was ready and done."""

    def __init__(self) -> None:
        self.started_at = time.monotonic()

    def __call__(self, event: Event) -> None:
        now = time.monotonic() - self.started_at
        match event:
            case ToolCallReady(name=name):
                print(f"{now:5.2f} s  ready   {name} (starts now)")
            case ToolResult(name=name, duration=duration):
                print(f"{now:5.2f} s  result  {name} after {duration:.2f} s")
            case TurnFinished(turn=turn, finish_reason=reason):
                print(f"{now:5.2f} s  turn {turn} finished ({reason})")


if __name__ == "__main__":
    with open_endpoint(SCRIPT) as endpoint:
        print(f"Using {endpoint.description}")
        model = endpoint.model
        agent = Agent(
            model, tools=[get_weather, get_exchange_rate, get_news], instructions="Be brief."
        )
        timeline = Timeline()
        result = agent.run_sync(QUESTION, on_event=timeline)

    elapsed = time.monotonic() - timeline.started_at
    busy = sum(call.duration for call in result.tool_calls)
    print(
        f"\n{len(result.tool_calls)} tool calls took {busy:.2f} s in total; "
        f"the whole run took {elapsed:.2f} s."
    )
    print("Results, in call order (as the model reads them):")
    for call in result.tool_calls:
        print(f"  {call.name}({call.arguments}) -> {call.output}")
    print(f"Answer: {result.text}")
