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

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from agentkit import OpenAIChatModel, RetryPolicy, Timeouts
from agentkit.testing import Fault, RecordedRequest, ScriptedResponse, ScriptedServer

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
        self.plan: Callable[[RecordedRequest, ScriptedResponse], list[Fault]] = no_faults
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


def no_faults(request: RecordedRequest, response: ScriptedResponse) -> list[Fault]:
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


def campaign_model(server: ScriptedServer) -> OpenAIChatModel:
    return OpenAIChatModel(
        "campaign",
        base_url=server.base_url,
        api_key="sk-campaign",
        timeout=TIMEOUTS,
        retry_policy=RETRIES,
    )
