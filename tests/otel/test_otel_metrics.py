"""The ``gen_ai.client.token.usage`` and ``gen_ai.client.operation.duration``
histograms: what they count, with which attributes and buckets."""

from __future__ import annotations

from typing import Any

from _common import ASYNC_TESTS, make_model
from _telemetry import Telemetry, end, start

from agentkit import Agent, ToolRegistry
from agentkit.testing import ScriptedServer, text_response, tool_call_response

pytestmark = ASYNC_TESTS

TOKEN_BOUNDS = [4.0**power for power in range(14)]
DURATION_BOUNDS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48]
DURATION_BOUNDS += [40.96, 81.92]


def tools() -> ToolRegistry:
    registry = ToolRegistry()

    @registry.tool
    def ok() -> str:
        """Works."""
        return "fine"

    @registry.tool
    def broken() -> str:
        """Fails."""
        raise RuntimeError("nope")

    return registry


async def traced_run(telemetry: Telemetry) -> None:
    script = [
        tool_call_response([("ok", {}), ("broken", {})], usage=(100, 20)),
        text_response("Done.", usage=(150, 7)),
    ]
    async with ScriptedServer(script) as server:
        model = make_model(server, model="gpt-test")
        agent: Agent[None] = Agent(model, tools=tools(), instrument=telemetry.settings())
        await agent.run("Go")
        await model.aclose()


def by_operation(points: list[Any]) -> dict[tuple[str, ...], Any]:
    return {
        (
            point.attributes["gen_ai.operation.name"],
            point.attributes.get("gen_ai.token.type", ""),
            point.attributes.get("error.type", ""),
        ): point
        for point in points
    }


async def test_token_usage_is_counted_per_turn_by_type() -> None:
    telemetry = Telemetry()
    await traced_run(telemetry)
    points = by_operation(telemetry.points("gen_ai.client.token.usage"))
    assert set(points) == {("chat", "input", ""), ("chat", "output", "")}
    input_tokens, output_tokens = points["chat", "input", ""], points["chat", "output", ""]
    assert (input_tokens.count, input_tokens.sum) == (2, 250)
    assert (output_tokens.count, output_tokens.sum) == (2, 27)
    assert list(input_tokens.explicit_bounds) == TOKEN_BOUNDS
    assert dict(input_tokens.attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-test",
        "gen_ai.response.model": "scripted",
        "gen_ai.token.type": "input",
        "server.address": "127.0.0.1",
        "server.port": input_tokens.attributes["server.port"],
    }


async def test_durations_are_recorded_per_operation_with_the_error_type() -> None:
    telemetry = Telemetry()
    await traced_run(telemetry)
    points = by_operation(telemetry.points("gen_ai.client.operation.duration"))
    assert {key: point.count for key, point in points.items()} == {
        ("invoke_agent", "", ""): 1,
        ("chat", "", ""): 2,
        ("execute_tool", "", ""): 1,
        ("execute_tool", "", "ToolExecutionError"): 1,
    }
    run = points["invoke_agent", "", ""]
    assert list(run.explicit_bounds) == DURATION_BOUNDS
    span_seconds = sum((end(span) - start(span)) / 1e9 for span in telemetry.named("chat"))
    assert abs(points["chat", "", ""].sum - span_seconds) < 0.05
    assert run.sum >= points["chat", "", ""].sum
