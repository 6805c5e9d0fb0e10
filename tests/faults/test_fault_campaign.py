"""The fault campaign, on asyncio and on trio: seeded faults over every
recorded stream and over scripted agent runs (0 wrong results allowed),
random cancellations that must leave no task, socket or thread behind, and
a 5,000-turn soak whose memory must stay flat.

Larger runs and the summary table: ``python benchmarks/fault_campaign.py
--seeds 5000``.
"""

from __future__ import annotations

import json

from _agent_cases import SCENARIOS, run_agent_cases
from _campaign import Campaign
from _common import ASYNC_TESTS
from _leaks import random_cancellations, soak
from _oracle import read
from _stream_cases import run_stream_cases
from _streams import load_expected, shared_stream_files

from agentkit.testing._faults import FAULT_KINDS

pytestmark = ASYNC_TESTS

STREAM_CASES = 672
"""Per backend: twelve cases per recording (56 of them)."""
AGENT_CASES = 300
"""Per backend: runs of the six scenarios (a run that drew no fault is not counted)."""
MIN_FAULTS = 1_000
"""Faults injected at least, per backend."""
CANCELLATIONS = 100
SOAK_TURNS = 5_000
SOAK_GROWTH_MB = 8.0

STREAMS = shared_stream_files()


def seeds(count: int, backend: str) -> range:
    """Different seeds on each backend, so the two runs add up."""
    start = 0 if backend == "asyncio" else 1_000_000
    return range(start, start + count)


def report(campaign: Campaign) -> str:
    wrong = "\n".join(
        f"  {o.kind} {o.source} seed {o.seed}: {o.faults}: {o.detail}" for o in campaign.wrong
    )
    return f"\n{campaign.table()}\n{wrong}"


def test_the_oracle_reads_every_recording_as_expected() -> None:
    assert STREAMS, "no recorded streams (see tests/wire/test_conformance.py)"
    for path in STREAMS:
        reading = read(path.read_bytes())
        calls = [
            {"id": c.id, "name": c.name, "arguments": json.loads(c.arguments)}
            for c in reading.calls
        ]
        found = {
            "content": reading.content,
            "reasoning": reading.reasoning,
            "tool_calls": calls,
            "finish_reason": reading.finish_reason,
            "usage": reading.final_usage,
        }
        assert reading.complete, path.name
        assert found == load_expected(path), path.name


async def test_seeded_faults_on_every_stream_and_in_agent_runs(anyio_backend: str) -> None:
    assert STREAMS
    streams, runs = Campaign(), Campaign()
    await run_stream_cases(STREAMS, seeds(STREAM_CASES, anyio_backend), streams)
    await run_agent_cases(SCENARIOS, seeds(AGENT_CASES, anyio_backend), runs)
    both = Campaign(streams.outcomes + runs.outcomes)
    assert not both.wrong, report(both)
    assert both.faults >= MIN_FAULTS, report(both)
    # Everything was covered: every recording, every scenario, every kind.
    assert {o.source for o in streams.outcomes} == {path.name for path in STREAMS}
    assert {o.source for o in runs.outcomes} == {s.name for s in SCENARIOS}
    assert {f.kind for o in streams.outcomes for f in o.faults} == set(FAULT_KINDS)
    assert {"exact", "typed"} <= {o.verdict for o in streams.outcomes}, report(both)
    # Most runs recover whole: retries replay what a fault spoiled.
    exact = sum(o.verdict == "exact" for o in runs.outcomes)
    assert exact >= len(runs.outcomes) // 2, report(both)


async def test_random_cancellations_leave_nothing_behind(anyio_backend: str) -> None:
    leaks = await random_cancellations(CANCELLATIONS, seed=7 if anyio_backend == "trio" else 3)
    assert leaks.cancelled >= CANCELLATIONS // 2, leaks.table()
    assert (
        leaks.tasks_left,
        leaks.connections_left,
        leaks.descriptors_left,
        leaks.threads_left,
    ) == (0, 0, 0, 0), leaks.table()


async def test_a_soak_keeps_memory_flat(anyio_backend: str) -> None:
    result = await soak(SOAK_TURNS)
    assert result.turns >= SOAK_TURNS
    assert result.growth_mb < SOAK_GROWTH_MB, result.table()
