"""The fault campaign, at any size, with its summary table.

Seeded faults (resets, clean cuts, garbage, invalid UTF-8, duplicated
chunks, stalls, HTTP 429/500/503), injected by
``ScriptedServer(faults=...)`` into every recorded stream of
``../shared/streams`` and into scripted agent runs; each outcome is exact,
salvaged (a run that kept the calls already started), a typed error whose
partial is a prefix of the truth, or wrong. Then random cancellations with
leak checks, and a soak. The test suite runs the same code at a fixed size
(``tests/faults/test_fault_campaign.py``); this script is for larger runs:

    python benchmarks/fault_campaign.py --seeds 5000 --backend trio

Exits 1 when any outcome is wrong or anything leaked.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import anyio

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "faults")]

from _agent_cases import SCENARIOS, run_agent_cases  # noqa: E402
from _campaign import Campaign  # noqa: E402
from _leaks import random_cancellations, soak  # noqa: E402
from _stream_cases import run_stream_cases  # noqa: E402
from _streams import shared_stream_files, shared_streams_dir  # noqa: E402


async def campaign(seeds: int, agent_share: float, cancellations: int, turns: int) -> int:
    streams = shared_stream_files()
    if not streams:
        print(f"no recorded streams in {shared_streams_dir()}", file=sys.stderr)
        return 1
    results = Campaign()
    agent_seeds = int(seeds * agent_share)
    started = time.monotonic()
    await run_stream_cases(streams, range(seeds - agent_seeds), results)
    await run_agent_cases(SCENARIOS, range(agent_seeds), results)
    print(results.table())
    print(f"({time.monotonic() - started:.1f} s)")
    for outcome in results.wrong:
        print(f"WRONG {outcome.kind} {outcome.source} seed {outcome.seed}: {outcome.faults}")
        print(f"      {outcome.detail}")
    leaks = await random_cancellations(cancellations)
    print(leaks.table())
    soaked = await soak(turns)
    print(soaked.table())
    left = leaks.tasks_left + leaks.connections_left + leaks.descriptors_left + leaks.threads_left
    return 1 if results.wrong or left else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=1_000, help="cases (default 1000)")
    parser.add_argument(
        "--agent-share", type=float, default=0.3, help="share of cases that are agent runs"
    )
    parser.add_argument("--cancellations", type=int, default=100)
    parser.add_argument("--turns", type=int, default=5_000, help="turns of the soak")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    options = parser.parse_args()
    status = anyio.run(
        campaign,
        options.seeds,
        options.agent_share,
        options.cancellations,
        options.turns,
        backend=options.backend,
    )
    sys.exit(status)


if __name__ == "__main__":
    main()
