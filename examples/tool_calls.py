"""Tool calls streamed as fragments and accumulated by ``index``.

The model streams each call as ``delta.tool_calls`` fragments: first the
``index``, ``id`` and function name, then the JSON arguments in pieces.
agentkit accumulates them by ``index`` and reports each step as an event:

- ``tool_call.started``: the call's index, id and name are known;
- ``tool_call.arguments.delta``: one fragment; ``partial_arguments`` parses
  what has arrived so far (for progressive UIs only);
- ``tool_call.ready``: the call is complete; agentkit runs it at once;
- ``tool.result``: the tool's output, as the model will read it.

Run it with ``python examples/tool_calls.py``. It uses the endpoint in
``AGENTKIT_BASE_URL`` (with ``AGENTKIT_MODEL`` and ``AGENTKIT_API_KEY``) if
set; otherwise it starts a local ``ScriptedServer`` and runs offline.
"""

from __future__ import annotations

from typing import Literal

from agentkit import (
    Agent,
    Event,
    ToolCallArgumentsDelta,
    ToolCallReady,
    ToolCallStarted,
    ToolResult,
    tool,
)
from agentkit.testing import (
    open_endpoint,
    text_response,
    tool_call_response,
)

QUESTION = "What is the weather in Hanoi and in Paris, in Celsius?"

# What the local server answers when no endpoint is configured: two calls
# streamed in 4 fragments each, then the answer.
SCRIPT = [
    tool_call_response(
        [
            ("get_weather", {"city": "Hanoi", "unit": "C"}),
            ("get_weather", {"city": "Paris", "unit": "C"}),
        ],
        fragments=4,
        chunk_delay=0.02,
    ),
    text_response("It is 31°C and humid in Hanoi, 18°C and cloudy in Paris.", chunk_delay=0.02),
]


@tool
def get_weather(city: str, unit: Literal["C", "F"] = "C") -> str:
    """Get the current weather for a city.

    Args:
        city: City name, for example "Hanoi".
        unit: Temperature unit.
    """
    celsius, sky = {"Hanoi": (31, "humid"), "Paris": (18, "cloudy")}.get(city, (20, "clear"))
    degrees = celsius if unit == "C" else round(celsius * 9 / 5 + 32)
    return f"{degrees}°{unit}, {sky}"


def show(event: Event) -> None:
    match event:
        case ToolCallStarted(index=index, id=call_id, name=name):
            print(f"[{index}] started  {name} (id {call_id})")
        case ToolCallArgumentsDelta(index=index, delta=delta):
            print(f"[{index}] fragment {delta!r:24} so far: {event.partial_arguments}")
        case ToolCallReady(index=index, name=name, arguments=arguments):
            print(f"[{index}] ready    {name}({arguments})")
        case ToolResult(name=name, output=output, is_error=is_error):
            print(f"    result {name} -> {output!r}{' (error)' if is_error else ''}")


if __name__ == "__main__":
    with open_endpoint(SCRIPT) as endpoint:
        print(f"Using {endpoint.description}")
        model = endpoint.model
        agent = Agent(model, tools=[get_weather], instructions="Use the tools. Be brief.")
        result = agent.run_sync(QUESTION, on_event=show)

    print(f"\nAnswer: {result.text}")
    print("Calls, in the order the model made them:")
    for call in result.tool_calls:
        print(f"  {call.id}: {call.name}({call.arguments}) -> {call.output!r}")
