"""The fault campaign: seeded faults injected by `ScriptedServer(faults=...)`
into every recorded stream and into scripted agent runs, each outcome
classified against the truth.

- exact: the result equals the truth.
- salvaged: a run that succeeded keeping only the tool calls that had
  started before a break (the documented rule: a call never runs twice),
  with the same final answer.
- typed: a typed `AgentkitError` whose partial (message or result) is a
  prefix of the truth.
- wrong: anything else: a different result, an untyped exception, a call
  run twice or with arguments the model never sent, a hang.

For a stream, the truth is an independent reading (`_oracle`) of the bytes
the last attempt delivered, since some faults change them (a duplicated
chunk, garbage inside a string); the oracle itself is checked against every
``.expected.json``. For a run, the truth is the same scenario run without
faults. Used by ``test_fault_campaign.py`` and ``benchmarks/fault_campaign.py``.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
from _oracle import ABNORMAL, OracleReading, read

from agentkit import (
    Agent,
    AgentkitError,
    AssistantMessage,
    OpenAIChatModel,
    RetryPolicy,
    RunResult,
    TextDelta,
    Timeouts,
    ToolRegistry,
)
from agentkit.testing import (
    Fault,
    Faults,
    RecordedRequest,
    ScriptedResponse,
    ScriptedServer,
    raw_response,
    text_response,
    tool_call_response,
)
from agentkit.testing._faults import streamed_bytes

VERDICTS = ("exact", "salvaged", "typed", "wrong")
CASE_SECONDS = 10.0
"""A case that takes longer has hung: wrong."""

TIMEOUTS = Timeouts(connect=2.0, first_chunk=2.0, chunk_gap=0.1)
RETRIES = RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.002)
RETRY_FAULT_RATE = 0.25
"""Probability that a retried request is spoiled again."""


@dataclass
class Outcome:
    """One case: where the faults went, what they were, the verdict."""

    kind: str  # "stream" or "agent"
    source: str
    seed: int
    faults: list[Fault]
    verdict: str
    detail: str = ""


@dataclass
class Campaign:
    """Outcomes, and the summary table of them."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def faults(self) -> int:
        return sum(len(outcome.faults) for outcome in self.outcomes)

    @property
    def wrong(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.verdict == "wrong"]

    def table(self) -> str:
        """Rows: kinds of first fault, per case kind; columns: verdicts."""
        rows: dict[tuple[str, str], Counter[str]] = {}
        for outcome in self.outcomes:
            first = _fault_name(outcome.faults[0]) if outcome.faults else "none"
            rows.setdefault((outcome.kind, first), Counter())[outcome.verdict] += 1
        header = f"{'cases':<8}{'first fault':<14}" + "".join(f"{v:>10}" for v in VERDICTS)
        lines = [header + f"{'total':>10}", "-" * len(header + " " * 10)]
        for (kind, fault), counts in sorted(rows.items()):
            cells = "".join(f"{counts[v]:>10}" for v in VERDICTS)
            lines.append(f"{kind:<8}{fault:<14}{cells}{sum(counts.values()):>10}")
        totals: Counter[str] = Counter(outcome.verdict for outcome in self.outcomes)
        cells = "".join(f"{totals[v]:>10}" for v in VERDICTS)
        lines.append("-" * len(lines[1]))
        lines.append(f"{'all':<22}{cells}{len(self.outcomes):>10}")
        streams = len({o.source for o in self.outcomes if o.kind == "stream"})
        scenarios = len({o.source for o in self.outcomes if o.kind == "agent"})
        lines.append(
            f"{self.faults} faults injected over {streams} recorded streams and "
            f"{scenarios} agent scenarios"
        )
        return "\n".join(lines)


def _fault_name(fault: Fault) -> str:
    return f"http {fault.status}" if fault.kind == "status" else fault.kind


# ------------------------------------------------------------ the server


class CaseServer:
    """One `ScriptedServer` for many cases: each case sets its answers and
    its fault plan (a fresh server per case would cost more than the case)."""

    def __init__(self) -> None:
        self.responses: list[ScriptedResponse] = []
        self.plan: Callable[[RecordedRequest, ScriptedResponse], list[Fault]] = _none
        self.faults: list[Fault] = []
        self.last_faults: list[Fault] = []
        self.server = ScriptedServer(responder=self._respond, faults=self._faults)

    def start_case(
        self,
        responses: Sequence[ScriptedResponse],
        plan: Callable[[RecordedRequest, ScriptedResponse], list[Fault]],
    ) -> None:
        self.responses, self.plan = list(responses), plan
        self.faults, self.last_faults = [], []

    def _respond(self, request: RecordedRequest) -> ScriptedResponse:
        if not self.responses:
            return ScriptedResponse(status=500, body=b'{"error": {"message": "script ended"}}')
        return self.responses.pop(0)

    def _faults(self, request: RecordedRequest, response: ScriptedResponse) -> list[Fault]:
        self.last_faults = self.plan(request, response)
        self.faults += self.last_faults
        return self.last_faults


def _none(request: RecordedRequest, response: ScriptedResponse) -> list[Fault]:
    return []


def attempt_plan(
    first: Callable[[RecordedRequest, ScriptedResponse], list[Fault]], rng: random.Random
) -> Callable[[RecordedRequest, ScriptedResponse], list[Fault]]:
    """Faults for a turn's first attempt from ``first``; a retry of the same
    request is spoiled again only now and then."""
    last_body: list[bytes] = []

    def plan(request: RecordedRequest, response: ScriptedResponse) -> list[Fault]:
        retry = bool(last_body) and last_body[-1] == request.body
        last_body.append(request.body)
        if retry and rng.random() >= RETRY_FAULT_RATE:
            return []
        return first(request, response)

    return plan


# --------------------------------------------------------------- streams


async def run_stream_cases(
    streams: Sequence[Path], seeds: Sequence[int], campaign: Campaign
) -> None:
    """One model turn per seed, over the recording ``seed % len(streams)``."""
    cases = CaseServer()
    async with cases.server, _model(cases.server) as model:
        for seed in seeds:
            path = streams[seed % len(streams)]
            campaign.outcomes.append(await _stream_case(cases, model, path, seed))


async def _stream_case(cases: CaseServer, model: OpenAIChatModel, path: Path, seed: int) -> Outcome:
    rng = random.Random(seed)
    data = _bytes_of(path)
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randrange(8))))
    response = raw_response(data, pieces=cuts)
    faults = Faults(seed=seed, stall_seconds=None)
    cases.start_case([response], attempt_plan(faults, rng))
    events: list[Any] = []
    error: BaseException | None = None
    message: AssistantMessage | None = None
    with anyio.move_on_after(CASE_SECONDS) as deadline:
        try:
            async with model.stream([{"role": "user", "content": f"case {seed}"}]) as turn:
                async for event in turn:
                    events.append(event)
            message = turn.message
        except Exception as caught:
            error = caught
    delivered = _delivered(response, cases.last_faults)
    verdict, detail = _judge_stream(
        read(delivered), message, error, events, deadline.cancelled_caught, cases.last_faults
    )
    return Outcome("stream", path.name, seed, cases.faults, verdict, detail)


def _bytes_of(path: Path) -> bytes:
    return path.read_bytes()


def _delivered(response: ScriptedResponse, faults: Sequence[Fault]) -> bytes:
    for fault in faults:
        response = fault.apply(response)
    return streamed_bytes(response)


def _judge_stream(
    truth: OracleReading,
    message: AssistantMessage | None,
    error: BaseException | None,
    events: list[Any],
    hung: bool,
    last_faults: Sequence[Fault],
) -> tuple[str, str]:
    if hung:
        return "wrong", "the turn hung"
    if error is not None and not isinstance(error, AgentkitError):
        return "wrong", f"untyped {type(error).__name__}: {error}"
    partial = message if error is None else getattr(error, "partial", None)
    shown = "".join(e.text for e in _after_last_retry(events) if isinstance(e, TextDelta))
    if partial is not None and shown != partial.content:
        return "wrong", "the text events disagree with the message"
    if error is None:
        assert message is not None
        if not truth.complete:
            return "wrong", "a stream the oracle finds incomplete was accepted"
        problem = _differs(message, truth, exact=True)
        return ("wrong", problem) if problem else ("exact", "")
    if truth.complete and not _breaks_transport(last_faults):
        return "wrong", f"a complete stream failed: {type(error).__name__}: {error}"
    problem = _differs(partial, truth, exact=False) if partial is not None else ""
    return ("wrong", problem) if problem else ("typed", type(error).__name__)


def _breaks_transport(faults: Sequence[Fault]) -> bool:
    """A fault after which a client cannot trust the connection, whatever the
    bytes said: a reset, a stall, an HTTP error."""
    return any(fault.kind in ("reset", "stall", "status") for fault in faults)


def _after_last_retry(events: list[Any]) -> list[Any]:
    retries = [i for i, event in enumerate(events) if event.type == "retry"]
    return events[retries[-1] + 1 :] if retries else events


def _differs(message: AssistantMessage, truth: OracleReading, *, exact: bool) -> str:
    """What in ``message`` disagrees with the oracle ("" if nothing): equal
    when ``exact``, else a prefix of it."""
    if exact and (message.content, message.reasoning) != (truth.content, truth.reasoning):
        return "content or reasoning differs"
    if not (truth.content.startswith(message.content)):
        return "content is not a prefix of the truth"
    if not (truth.reasoning.startswith(message.reasoning)):
        return "reasoning is not a prefix of the truth"
    sealed = [c for c in truth.calls if c.sealed or truth.finish_reason not in ABNORMAL]
    expected = sealed if exact else truth.calls
    calls = list(message.tool_calls)
    if exact and len(calls) != len(expected):
        return f"{len(calls)} tool calls, the truth has {len(expected)}"
    for mine, theirs in zip(calls, expected, strict=False):
        if (mine.name, mine.arguments) != (theirs.name, theirs.arguments) or (
            theirs.id and mine.id != theirs.id
        ):
            return f"tool call {mine.id} differs from the truth"
    if len(calls) > len(expected):
        return "more tool calls than the truth"
    # A partial may hold an earlier value of what the stream repeats
    # (running usage totals, a finish reason sent twice).
    if exact and message.finish_reason != truth.finish_reason:
        return f"finish reason {message.finish_reason!r} != {truth.finish_reason!r}"
    if message.finish_reason not in (None, *truth.seen_finish_reasons):
        return f"finish reason {message.finish_reason!r} never sent"
    usage = dict(message.usage.details) if message.usage else None
    if exact and usage != truth.final_usage:
        return "usage differs"
    if usage is not None and usage not in truth.seen_usage:
        return "usage never sent"
    return ""


# ---------------------------------------------------------- agent runs


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
    async with cases.server, _model(cases.server) as model:
        tools = ToolLog()
        cases.start_case(scenario.turns(), _none)
        result = await _agent(model, tools, scenario).run("truth")
    return Truth(result.text, _records(result), Counter(tools.executed))


async def run_agent_cases(
    scenarios: Sequence[Scenario], seeds: Sequence[int], campaign: Campaign, rate: float = 0.6
) -> None:
    """One run per seed, of the scenario ``seed % len(scenarios)``."""
    truths = {scenario.name: await truth_of(scenario) for scenario in scenarios}
    cases = CaseServer()
    async with cases.server, _model(cases.server) as model:
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
    agent.settings = _fast_turn_retries(agent)
    return agent


def _fast_turn_retries(agent: Agent[Any]) -> Any:
    import dataclasses

    return dataclasses.replace(agent.settings, turn_retry_delay=0.001)


def _model(server: ScriptedServer) -> OpenAIChatModel:
    return OpenAIChatModel(
        "campaign",
        base_url=server.base_url,
        api_key="sk-campaign",
        timeout=TIMEOUTS,
        retry_policy=RETRIES,
    )


def elapsed(started: float) -> str:
    return f"{time.monotonic() - started:.1f} s"
