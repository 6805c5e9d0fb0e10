"""The agent half of the campaign: scripted runs with tools, faults a correct
client can always notice injected into their turns, each run judged against
the same scenario run without faults (see ``_campaign``)."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.lowlevel
from _campaign import (
    CASE_SECONDS,
    Campaign,
    CaseServer,
    Outcome,
    attempt_plan,
    campaign_model,
    no_faults,
)

from agentkit import Agent, AgentkitError, OpenAIChatModel, RunResult, ToolRegistry
from agentkit.testing import (
    Fault,
    RecordedRequest,
    ScriptedResponse,
    text_response,
    tool_call_response,
)
from agentkit.testing._faults import streamed_bytes


@dataclass
class Scenario:
    """A scripted conversation: its turns and the tools it calls."""

    name: str
    turns: Callable[[], list[ScriptedResponse]]
    eager_tools: bool = True


def _lookup_turns() -> list[ScriptedResponse]:
    return [
        tool_call_response([("lookup", {"key": "a"})], text="Let me look."),
        text_response("a is known."),
    ]


def _parallel_turns() -> list[ScriptedResponse]:
    calls = [("lookup", {"key": k}) for k in "abc"] + [("lookup_sync", {"key": "d"})]
    return [tool_call_response(calls, fragments=4), text_response("All four are known.")]


def _deferred_turns() -> list[ScriptedResponse]:
    calls = [("lookup_later", {"key": "x"}), ("lookup", {"key": "y"})]
    return [tool_call_response(calls), text_response("x and y are known.")]


def _three_turns() -> list[ScriptedResponse]:
    return [
        tool_call_response([("lookup", {"key": "p"})], text="First p."),
        tool_call_response([("lookup", {"key": "q"}), ("lookup_sync", {"key": "r"})]),
        text_response("p, q and r are known, in that order of discovery."),
    ]


SCENARIOS = (
    Scenario("text", lambda: [text_response("Just an answer, nothing to look up.")]),
    Scenario("one-call", _lookup_turns),
    Scenario("parallel", _parallel_turns),
    Scenario("deferred", _deferred_turns),
    Scenario("three-turns", _three_turns),
    Scenario("after-stream", _parallel_turns, eager_tools=False),
)


class ToolLog:
    """The scenario tools, logging every execution."""

    def __init__(self) -> None:
        self.executed: list[tuple[str, str]] = []
        self.registry = ToolRegistry()
        registry = self.registry

        @registry.tool
        async def lookup(key: str) -> str:
            """Look a key up."""
            self.executed.append(("lookup", key))
            await anyio.lowlevel.checkpoint()
            return f"value of {key}"

        @registry.tool
        def lookup_sync(key: str) -> str:
            """Look a key up, blocking."""
            self.executed.append(("lookup_sync", key))
            return f"sync value of {key}"

        @registry.tool(eager=False)
        async def lookup_later(key: str) -> str:
            """Look a key up after the turn."""
            self.executed.append(("lookup_later", key))
            return f"later value of {key}"


def agent_fault_plan(rng: random.Random, rate: float) -> Callable[..., list[Fault]]:
    """Faults a correct client can always notice, on each answer with
    probability ``rate``: resets, clean cuts, stalls, HTTP errors, garbage
    inside a payload (never valid JSON there), a repeated chunk that by the
    rules changes nothing (role, finish, usage, ``[DONE]``)."""

    def plan(request: RecordedRequest, response: ScriptedResponse) -> list[Fault]:
        if rng.random() >= rate:
            return []
        body = streamed_bytes(response)
        kind = rng.choice(("reset", "truncate", "stall", "status", "garbage", "duplicate"))
        if kind == "status":
            return [Fault.http_status(rng.choice((429, 500, 503)))]
        if kind == "garbage":
            return [Fault.garbage(_inside_a_payload(body, rng))]
        if kind == "duplicate":
            return [Fault.duplicate(_harmless_event(body, rng))]
        return [Fault(kind, rng.randrange(max(1, len(body))))]

    return plan


def _inside_a_payload(body: bytes, rng: random.Random) -> int:
    """A byte offset strictly inside the JSON of some ``data:`` line."""
    line = rng.choice([m.span(1) for m in _PAYLOAD.finditer(body)])
    return rng.randrange(line[0] + 1, line[1])


def _harmless_event(body: bytes, rng: random.Random) -> int:
    """The offset of an event whose repetition changes nothing by the rules:
    ``[DONE]``, or a chunk with no text, reasoning or tool call in it."""
    offsets = [
        match.start()
        for match in _PAYLOAD.finditer(body)
        if match.group(1).strip() == b"[DONE]" or _changes_nothing(json.loads(match.group(1)))
    ]
    return rng.choice(offsets)


def _changes_nothing(chunk: dict[str, Any]) -> bool:
    for choice in chunk.get("choices") or []:
        delta = choice.get("delta") or {}
        if any(delta.get(key) for key in ("content", "reasoning_content", "tool_calls")):
            return False
    return True


_PAYLOAD = re.compile(rb"^data: (.+)$", re.MULTILINE)


@dataclass
class Truth:
    text: str
    records: list[tuple[str, str, str, bool]]
    executed: Counter[tuple[str, str]]


async def truth_of(scenario: Scenario) -> Truth:
    """The scenario run once without faults."""
    cases = CaseServer()
    async with cases.server, campaign_model(cases.server) as model:
        tools = ToolLog()
        cases.start_case(scenario.turns(), no_faults)
        result = await _agent(model, tools, scenario).run("truth")
    return Truth(result.text, _records(result), Counter(tools.executed))


async def run_agent_cases(
    scenarios: Sequence[Scenario], seeds: Sequence[int], campaign: Campaign, rate: float = 0.6
) -> None:
    """One run per seed, of the scenario ``seed % len(scenarios)``."""
    truths = {scenario.name: await truth_of(scenario) for scenario in scenarios}
    cases = CaseServer()
    async with cases.server, campaign_model(cases.server) as model:
        for seed in seeds:
            scenario = scenarios[seed % len(scenarios)]
            outcome = await _agent_case(cases, model, scenario, truths[scenario.name], seed, rate)
            if outcome.faults:  # a run that drew no fault tests nothing
                campaign.outcomes.append(outcome)


async def _agent_case(
    cases: CaseServer,
    model: OpenAIChatModel,
    scenario: Scenario,
    truth: Truth,
    seed: int,
    rate: float,
) -> Outcome:
    rng = random.Random(seed)
    tools = ToolLog()
    cases.start_case(scenario.turns(), attempt_plan(agent_fault_plan(rng, rate), rng))
    result: RunResult | None = None
    error: BaseException | None = None
    with anyio.move_on_after(CASE_SECONDS) as deadline:
        try:
            result = await _agent(model, tools, scenario).run(f"case {seed}")
        except Exception as caught:
            error = caught
    verdict, detail = _judge_run(truth, result, error, tools, deadline.cancelled_caught)
    return Outcome("agent", scenario.name, seed, cases.faults, verdict, detail)


def _judge_run(
    truth: Truth,
    result: RunResult | None,
    error: BaseException | None,
    tools: ToolLog,
    hung: bool,
) -> tuple[str, str]:
    if hung:
        return "wrong", "the run hung"
    if error is not None and not isinstance(error, AgentkitError):
        return "wrong", f"untyped {type(error).__name__}: {error}"
    if Counter(tools.executed) - truth.executed:
        return "wrong", f"executed {tools.executed}, the truth {dict(truth.executed)}"
    done = result if result is not None else getattr(error, "result", None)
    records = _records(done) if done is not None else []
    if Counter(records) - Counter(truth.records):
        return "wrong", f"tool results {records} are not among the truth's"
    if error is not None:
        return "typed", type(error).__name__
    assert result is not None
    if result.text != truth.text:
        return "wrong", f"answer {result.text!r} != {truth.text!r}"
    return ("exact", "") if records == truth.records else ("salvaged", "")


def _records(result: RunResult) -> list[tuple[str, str, str, bool]]:
    return [(r.name, r.arguments, r.output, r.is_error) for r in result.tool_calls]


def _agent(model: OpenAIChatModel, tools: ToolLog, scenario: Scenario) -> Agent[Any]:
    agent: Agent[Any] = Agent(
        model, tools=tools.registry, eager_tools=scenario.eager_tools, turn_retries=2
    )
    agent.settings = dataclasses.replace(agent.settings, turn_retry_delay=0.001)
    return agent
