"""Structured output: the run ends with a validated `Forecast`, shown live
as the model writes it.

``Agent(output_type=Forecast)`` publishes a ``final_result`` function whose
parameters are the ``Forecast`` schema (tool mode, the default). The model
may call the other tools first; its ``final_result`` call ends the run, and
``result.output`` is a ``Forecast``. While the call streams, ``output.partial``
events carry the object parsed so far. ``output_mode="native"`` (strict
``json_schema``) and ``"prompted"`` (schema in the instructions) ask for the
same output without a function.

Run it with ``python examples/structured_output.py``. It uses the endpoint in
``AGENTKIT_BASE_URL`` (with ``AGENTKIT_MODEL`` and ``AGENTKIT_API_KEY``) if
set; otherwise it starts a local ``ScriptedServer`` and runs offline.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from agentkit import Agent, Event, OutputPartial, ToolCallReady, tool
from agentkit.testing import open_endpoint, tool_call_response

QUESTION = "What is the forecast for Hanoi tomorrow?"


class Forecast(BaseModel):
    """A one-day weather forecast."""

    city: str
    temp_c: float = Field(description="Expected high, in °C.")
    summary: str = Field(description="One short sentence.")


# What the local server answers when no endpoint is configured: a tool call,
# then the final result streamed in 24 small fragments.
SCRIPT = [
    tool_call_response([("get_weather", {"city": "Hanoi"})], chunk_delay=0.02),
    tool_call_response(
        [
            (
                "final_result",
                {"city": "Hanoi", "temp_c": 31, "summary": "Hot and humid, storms at night."},
            )
        ],
        fragments=24,
        chunk_delay=0.02,
    ),
]


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city.

    Args:
        city: City name, for example "Hanoi".
    """
    return "31°C, humid, thunderstorms expected tonight"


def show(event: Event) -> None:
    if isinstance(event, ToolCallReady) and event.name != "final_result":
        print(f"calling {event.name}({event.arguments})")
    elif isinstance(event, OutputPartial):
        print(f"  so far: {event.partial}")


if __name__ == "__main__":
    with open_endpoint(SCRIPT) as endpoint:
        print(f"Using {endpoint.description}")
        agent = Agent(
            endpoint.model,
            tools=[get_weather],
            output_type=Forecast,
            instructions="Use the tools, then give the forecast.",
        )
        result = agent.run_sync(QUESTION, on_event=show)

    forecast = result.output
    print(f"\nForecast for {forecast.city}: {forecast.temp_c:g}°C. {forecast.summary}")
    print(f"(a {type(forecast).__name__}, after {result.turns} turns)")
