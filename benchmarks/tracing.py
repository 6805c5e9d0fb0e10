"""What tracing costs per model turn.

The same agent runs the same conversation (4 turns of 2 tool calls each,
then an answer: 5 model turns, 8 tool calls, ~60 chunks) against a
`ScriptedServer` in a separate process (its CPU is not counted), with no
delays, in three configurations measured alternately in one run:

- off: no tracer (``Agent(instrument=None)``, nothing global);
- on: ``Agent(instrument=settings)`` with the OpenTelemetry SDK's
  ``TracerProvider`` and ``MeterProvider`` and no exporter (spans are made,
  attributed and ended; histograms aggregate);
- on + content: the same with ``capture_content=True`` (messages serialized
  as JSON on every ``chat`` span).

The configurations take turns run by run. The figure is client CPU time
(``time.process_time``) per model turn, the median over the runs; the cost
of tracing is the difference from "off" (per turn: 1 chat span, 1.6 tool
spans, 0.2 run span, their metrics) and the ratio.

Run: ``python benchmarks/tracing.py [--rounds N] [--backend asyncio|trio]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import anyio
from _server_process import server_process
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

from agentkit import Agent, OpenAIChatModel, ToolRegistry
from agentkit.otel import InstrumentationSettings
from agentkit.testing import (
    RecordedRequest,
    ScriptedResponse,
    ScriptedServer,
    text_response,
    tool_call_response,
)

TOOL_TURNS = 4
TURNS = TOOL_TURNS + 1


def _respond(request: RecordedRequest) -> ScriptedResponse:
    """Tool calls until the conversation has TOOL_TURNS assistant turns, then an answer."""
    messages = request.json()["messages"]
    done = sum(1 for message in messages if message["role"] == "assistant")
    if done < TOOL_TURNS:
        calls = [("lookup", {"key": f"k{done}a"}), ("lookup", {"key": f"k{done}b"})]
        return tool_call_response(calls, fragments=4, id_prefix=f"call_{done}_")
    return text_response("All keys looked up; nothing else to do here.", pieces=12)


def _serve(port_queue: Any, stop: Any) -> None:
    with ScriptedServer(responder=_respond) as server:
        port_queue.put(server.base_url)
        stop.wait()


def _tools() -> ToolRegistry:
    registry = ToolRegistry()

    @registry.tool
    async def lookup(key: str) -> str:
        """Look a key up."""
        return f"value of {key}"

    return registry


def _settings(capture_content: bool) -> InstrumentationSettings:
    return InstrumentationSettings(
        tracer_provider=TracerProvider(),
        meter_provider=MeterProvider(),
        capture_content=capture_content,
    )


async def _measure(base_url: str, rounds: int) -> dict[str, list[float]]:
    """Client CPU microseconds per model turn of each run, the configurations
    taking turns run by run (so a load spike on the machine hits them alike)."""
    configurations = {
        "off": None,
        "on": _settings(capture_content=False),
        "on + content": _settings(capture_content=True),
    }
    samples: dict[str, list[float]] = {name: [] for name in configurations}
    async with OpenAIChatModel("bench", base_url=base_url, api_key="bench") as model:
        agents: dict[str, Agent[None]] = {
            name: Agent(model, tools=_tools(), instrument=instrument)
            for name, instrument in configurations.items()
        }
        for agent in agents.values():
            await agent.run("warm up")
        for _ in range(rounds):
            for name, agent in agents.items():
                start = time.process_time()
                result = await agent.run("Look everything up.")
                samples[name].append((time.process_time() - start) * 1e6 / TURNS)
                assert result.turns == TURNS
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--backend", default="asyncio", choices=["asyncio", "trio"])
    args = parser.parse_args()
    with server_process(_serve) as base_url:
        samples = anyio.run(_measure, base_url, args.rounds, backend=args.backend)
        print(
            f"backend={args.backend} rounds={args.rounds} (client CPU µs per model turn, "
            f"median over runs; {TURNS} turns and {2 * TOOL_TURNS} tool calls per run)"
        )
        off = statistics.median(samples["off"])
        for name, values in samples.items():
            median = statistics.median(values)
            print(
                f"{name:>13}: {median:8.1f} µs   +{median - off:7.1f} µs per turn   "
                f"ratio {median / off:.2f}x"
            )


if __name__ == "__main__":
    main()
