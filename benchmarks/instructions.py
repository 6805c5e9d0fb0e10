"""Client instructions per 2-turn run, counted by callgrind: agentkit against
the hand-written httpx loop.

Timings on a shared machine move by up to 2x from one process to the next;
instruction counts do not, so they show what a change to the per-run
machinery saves. The clients and the conversation are `concurrency.py`'s: a
2-turn run with 2 tool calls against a `ScriptedServer` in a separate process
(not counted). Each client runs under ``valgrind --tool=callgrind`` twice,
with 0 and with K measured runs after the same warm-up; the difference over K
is the cost of one run (imports, client creation and warm-up cancel out).
``--at-once`` starts the K runs together, as `concurrency.py` does, instead of
one after the other.

Instructions are not time: system calls, cache misses and the event loop's
wake-ups are left out, so the timed ratios of `concurrency.py` run higher.

Needs valgrind (``apt-get install valgrind``); takes a few minutes.

Run: ``python benchmarks/instructions.py [--runs 100] [--at-once]
[--backend asyncio|trio]``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys

from _server_process import server_process
from concurrency import CLIENTS, TOOL_NAME, OneRun, _serve

WARM_UP_RUNS = 20
VARIANTS = ("agentkit", "raw")


# ------------------------------------------------------------ the clients


async def _runs(one: OneRun, runs: int, at_once: bool) -> None:
    import anyio

    for index in range(WARM_UP_RUNS):
        await one(index)
    if not at_once:
        for index in range(runs):
            await one(index)
        return
    async with anyio.create_task_group() as task_group:
        for index in range(runs):
            task_group.start_soon(one, index)


async def _child(args: argparse.Namespace) -> None:
    async with CLIENTS[args.child](args.base_url, args.max_connections) as one:
        await _runs(one, args.n, args.at_once)


# ------------------------------------------------------------ orchestration


def count(variant: str, runs: int, base_url: str, args: argparse.Namespace) -> int:
    """Instructions of one client process doing ``runs`` measured runs."""
    from agentkit.models.openai import DEFAULT_MAX_CONNECTIONS

    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    command += [sys.executable, __file__, "--child", variant, "--base-url", base_url]
    command += ["--n", str(runs), "--backend", args.backend]
    if variant == "raw":  # the limits agentkit's model uses, as in concurrency.py
        command += ["--max-connections", str(DEFAULT_MAX_CONNECTIONS)]
    if args.at_once:
        command.append("--at-once")
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{variant} under callgrind failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--at-once", action="store_true")
    parser.add_argument("--backend", default="asyncio", choices=["asyncio", "trio"])
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--max-connections", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import anyio

        anyio.run(_child, args, backend=args.backend)
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    with server_process(_serve) as base_url:
        how = "started at once" if args.at_once else "one after the other"
        print(f"backend={args.backend}: {args.runs} runs {how}, {TOOL_NAME} tool, callgrind")
        per_run = {}
        for variant in VARIANTS:
            baseline = count(variant, 0, base_url, args)
            measured = count(variant, args.runs, base_url, args)
            per_run[variant] = (measured - baseline) / args.runs
            print(f"  {variant:>8}: {per_run[variant] / 1e6:6.2f} M instructions per run")
        print(f"  agentkit/raw: {per_run['agentkit'] / per_run['raw']:.3f}x")


if __name__ == "__main__":
    main()
