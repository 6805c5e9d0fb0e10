"""Many concurrent runs: agentkit against a hand-written httpx loop.

N runs start at once (N = 200 and 1,000 by default). Each is a 2-turn
conversation with a `ScriptedServer` running in a separate process: the first
turn streams 2 tool calls (the arguments in pieces), both tools are awaited,
their results go back, and the second turn streams a 40-word answer.

- agentkit: ``Agent.run`` per conversation, in one task group, with the
  model's default settings (``max_connections`` included, unless
  ``--max-connections`` is given);
- raw: the loop people write over httpx, the baseline of the ratios: one
  ``httpx.AsyncClient`` with the same limits and timeouts, ``aiter_bytes``
  split on blank lines, ``json.loads``, content and calls accumulated by
  index, each tool awaited, the conversation sent again.

Each variant runs in a fresh subprocess, so its peak RSS (``ru_maxrss``) is
its own; a round runs both, in alternating order. In its subprocess a
variant runs the N runs ``--batches`` times over (3 by default) and reports
the fastest batch: on a shared machine the same batch's CPU time varies by
up to 2x from one subprocess to the next, and the fastest of a few is the
least disturbed (timeit's rule). Reported per variant: wall time and client
CPU time (``time.process_time``) of that batch, peak RSS of the process
(imports, client creation and a warm-up run come before the clock starts),
and the runs that failed. Ratios are agentkit / raw per round: median, and
the spread (min-max) over the rounds. Target: wall, CPU and RSS at most
1.3x; no error at N = 1,000.

Run: ``python benchmarks/concurrency.py [--runs 200 1000] [--rounds 5]
[--batches 3] [--backend asyncio|trio] [--max-connections M]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from _hand_loop import HandAccumulator, read_by_bytes
from _server_process import server_process

VARIANTS = ("agentkit", "raw")
OneRun = Callable[[int], Awaitable[None]]
"""One conversation, numbered (a client's ``one(index)``)."""
ANSWER_WORDS = 40
CALL_FRAGMENTS = 4
TOOL_NAME = "lookup"


# ------------------------------------------------------------------ server


def _serve(port_queue: Any, stop: Any) -> None:
    from agentkit.testing import (
        ScriptedResponse,
        ScriptedServer,
        sse_bytes,
        text_chunks,
        tool_call_chunks,
    )

    calls = [(TOOL_NAME, {"key": "alpha"}), (TOOL_NAME, {"key": "beta"})]
    tool_turn = [sse_bytes(c) for c in tool_call_chunks(calls, fragments=CALL_FRAGMENTS)]
    answer = " ".join(f"word{i}" for i in range(ANSWER_WORDS))
    answer_turn = [sse_bytes(c) for c in text_chunks(answer)]
    holder: list[ScriptedServer] = []

    def responder(request: Any) -> ScriptedResponse:
        server = holder[0]
        if len(server.requests) > 1000:  # the log of requests is not needed here
            server.requests.clear()
        last = request.json()["messages"][-1]
        return ScriptedResponse(answer_turn if last["role"] == "tool" else tool_turn)

    with ScriptedServer(responder=responder) as server:
        holder.append(server)
        port_queue.put(server.base_url)
        stop.wait()


# --------------------------------------------------------------- the runs


async def lookup(key: str) -> str:
    """Look up a key.

    Args:
        key: The key to look up.
    """
    return f"the value of {key}"


LOOKUP_DEFINITION = {
    "type": "function",
    "function": {
        "name": TOOL_NAME,
        "description": "Look up a key.",
        "parameters": {
            "type": "object",
            "properties": {"key": {"type": "string", "description": "The key to look up."}},
            "required": ["key"],
        },
    },
}


async def raw_run(client: Any, url: str, headers: dict[str, str], question: str) -> str:
    """One conversation with the hand-written loop; its final text."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    for _ in range(10):
        body = {
            "model": "bench",
            "messages": messages,
            "tools": [LOOKUP_DEFINITION],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        turn = HandAccumulator()
        async with client.stream("POST", url, json=body, headers=headers) as response:
            response.raise_for_status()
            await read_by_bytes(response, turn)
        message = turn.assistant_message()
        messages.append(message)
        if turn.finish_reason != "tool_calls":
            return message["content"] or ""
        for call in message["tool_calls"]:
            output = await lookup(**json.loads(call["function"]["arguments"]))
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": output})
    raise RuntimeError("too many turns")


def _check(text: str, turns: int, tool_calls: int) -> None:
    if not text.startswith("word0") or turns != 2 or tool_calls != 2:
        raise RuntimeError(f"unexpected run: {turns} turns, {tool_calls} calls, {text[:30]!r}")


async def _measure_many(runs: int, batches: int, one: OneRun) -> dict[str, Any]:
    import anyio

    errors: list[str] = []

    async def guarded(index: int) -> None:
        try:
            await one(index)
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")

    await one(-1)  # warm-up: lazy imports, schemas, the first connection
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    timings = []
    for _ in range(batches):
        wall, cpu = time.perf_counter(), time.process_time()
        async with anyio.create_task_group() as task_group:
            for index in range(runs):
                task_group.start_soon(guarded, index)
        timings.append((time.process_time() - cpu, time.perf_counter() - wall))
    cpu, wall = min(timings)
    return {
        "wall": wall,
        "cpu": cpu,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_before_mib": rss_before / 1024,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


@asynccontextmanager
async def agentkit_client(base_url: str, max_connections: int | None) -> AsyncIterator[OneRun]:
    """``one(index)``: a conversation through ``Agent.run``."""
    from agentkit import Agent, OpenAIChatModel, tool

    options = {} if max_connections is None else {"max_connections": max_connections}
    async with OpenAIChatModel("bench", base_url=base_url, api_key="bench", **options) as model:
        agent = Agent(model, tools=[tool(lookup)])

        async def one(index: int) -> None:
            result = await agent.run(f"question {index}")
            _check(result.text, result.turns, len(result.tool_calls))

        yield one


@asynccontextmanager
async def raw_client(base_url: str, max_connections: int | None) -> AsyncIterator[OneRun]:
    """``one(index)``: a conversation through the hand-written loop."""
    import httpx  # and nothing of agentkit: its memory is not the baseline's

    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    # agentkit's default timeouts: connect and write 10 s, reads 120 s, pool unbounded.
    timeout = httpx.Timeout(connect=10.0, read=120.0, write=10.0, pool=None)
    url = f"{base_url}/chat/completions"
    headers = {"Accept": "text/event-stream", "Authorization": "Bearer bench"}
    async with httpx.AsyncClient(verify=False, limits=limits, timeout=timeout) as client:

        async def one(index: int) -> None:
            _check(await raw_run(client, url, headers, f"question {index}"), 2, 2)

        yield one


CLIENTS = {"agentkit": agentkit_client, "raw": raw_client}
"""Each variant's client, by name: an async context giving ``one(index)``."""


async def _child(args: argparse.Namespace) -> dict[str, Any]:
    async with CLIENTS[args.child](args.base_url, args.max_connections) as one:
        return await _measure_many(args.n, args.batches, one)


def child_main(args: argparse.Namespace) -> None:
    import anyio

    print(json.dumps(anyio.run(_child, args, backend=args.backend)))


# ------------------------------------------------------------ orchestration


def run_child(variant: str, base_url: str, runs: int, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", variant, "--base-url", base_url]
    command += ["--n", str(runs), "--batches", str(args.batches), "--backend", args.backend]
    if variant == "raw":  # the limits agentkit's model uses
        from agentkit.models.openai import DEFAULT_MAX_CONNECTIONS

        command += ["--max-connections", str(args.max_connections or DEFAULT_MAX_CONNECTIONS)]
    elif args.max_connections is not None:
        command += ["--max-connections", str(args.max_connections)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{variant} child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f})"


def report(runs: int, rounds: list[dict[str, dict[str, Any]]]) -> None:
    print(f"N = {runs}: median of {len(rounds)} rounds (ratio: median, min-max per round)")
    for variant in VARIANTS:
        figures = [one[variant] for one in rounds]
        print(
            f"  {variant:>8}: wall {statistics.median(f['wall'] for f in figures):6.2f} s  "
            f"CPU {statistics.median(f['cpu'] for f in figures):6.2f} s  "
            f"peak RSS {statistics.median(f['rss_mib'] for f in figures):6.1f} MiB "
            f"(before the runs {statistics.median(f['rss_before_mib'] for f in figures):5.1f})  "
            f"errors {sum(f['errors'] for f in figures)}"
        )
        first = next((f["first_error"] for f in figures if f["first_error"]), None)
        if first:
            print(f"            first error: {first}")
    ratios = {
        name: [one["agentkit"][name] / one["raw"][name] for one in rounds]
        for name in ("wall", "cpu", "rss_mib")
    }
    growth = [
        (one["agentkit"]["rss_mib"] - one["agentkit"]["rss_before_mib"])
        / max(one["raw"]["rss_mib"] - one["raw"]["rss_before_mib"], 0.1)
        for one in rounds
    ]
    print(
        f"  agentkit/raw: wall {_spread(ratios['wall'])}  CPU {_spread(ratios['cpu'])}  "
        f"peak RSS {_spread(ratios['rss_mib'])}  (RSS growth during the runs {_spread(growth)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--backend", default="asyncio", choices=["asyncio", "trio"])
    parser.add_argument("--max-connections", type=int, default=None)
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return
    with server_process(_serve) as base_url:
        limit = args.max_connections or "default"
        print(
            f"backend={args.backend} rounds={args.rounds} batches={args.batches} "
            f"max_connections={limit}"
        )
        for runs in args.runs:
            rounds = []
            for number in range(args.rounds):
                order = VARIANTS if number % 2 == 0 else VARIANTS[::-1]
                rounds.append({v: run_child(v, base_url, runs, args) for v in order})
            report(runs, rounds)


if __name__ == "__main__":
    main()
