"""Wall time of a tool-calling run against its floor.

The scripted server streams 4 parallel tool calls over ~100 chunks at 10 ms
per chunk (the calls one after the other, by index); the tools sleep 900,
600, 300 and 100 ms in call order; then comes a 50-chunk answer.

- floor: when the last tool would finish if each started the instant its
  arguments completed (from the chunk schedule), plus the answer turn
  (measured alone in the same run);
- eager: agentkit as shipped (calls start when sealed, while streaming);
- after-stream: agentkit with ``eager_tools=False`` (tools start only after
  the stream ended), the usual approach.

Target: eager within 5% of the floor. Run: ``python benchmarks/loop.py``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import anyio

from agentkit import Agent, OpenAIChatModel, tool
from agentkit.testing import ScriptedServer, text_response, tool_call_response

CHUNK_DELAY = 0.010
SLEEPS_MS = (900, 600, 300, 100)
FRAGMENTS = 23  # per call: 1 start chunk + 23 fragments -> 96 chunks for 4 calls
ANSWER_PIECES = 48  # role + 48 + finish + usage = 51 chunks


@tool
async def wait(ms: int, label: str) -> str:
    """Wait ``ms`` milliseconds.

    Args:
        ms: How long to wait.
        label: What the wait is for.
    """
    await anyio.sleep(ms / 1000)
    return f"waited {ms} ms"


def tool_turn() -> Any:
    calls = [
        ("wait", {"ms": ms, "label": f"call {i} of the loop benchmark"})
        for i, ms in enumerate(SLEEPS_MS)
    ]
    return tool_call_response(calls, fragments=FRAGMENTS, chunk_delay=CHUNK_DELAY)


def answer_turn() -> Any:
    text = " ".join(f"word{i}" for i in range(ANSWER_PIECES))
    return text_response(text, pieces=ANSWER_PIECES, chunk_delay=CHUNK_DELAY)


def ideal_tool_phase() -> float:
    """Seconds until the last tool ends if each starts when its last fragment
    arrives (the server waits CHUNK_DELAY before each chunk)."""
    last_fragment: dict[int, int] = {}
    for position, chunk in enumerate(tool_turn().steps, start=1):
        for call in chunk["choices"][0]["delta"].get("tool_calls", []) if chunk["choices"] else []:
            last_fragment[call["index"]] = position
    return max(last_fragment[i] * CHUNK_DELAY + ms / 1000 for i, ms in enumerate(SLEEPS_MS))


async def timed_run(eager: bool) -> float:
    with ScriptedServer([tool_turn(), answer_turn()]) as server:
        async with OpenAIChatModel("bench", base_url=server.base_url, api_key="k") as model:
            model.client  # noqa: B018 - connection setup is not what we measure
            agent = Agent(model, tools=[wait], eager_tools=eager)
            start = time.monotonic()
            result = await agent.run("go")
            elapsed = time.monotonic() - start
    assert [call.output for call in result.tool_calls] == [f"waited {ms} ms" for ms in SLEEPS_MS]
    return elapsed


async def answer_alone() -> float:
    with ScriptedServer([answer_turn()]) as server:
        async with OpenAIChatModel("bench", base_url=server.base_url, api_key="k") as model:
            model.client  # noqa: B018
            start = time.monotonic()
            async with model.stream([{"role": "user", "content": "go"}]) as turn:
                await turn.collect()
            return time.monotonic() - start


async def main(repeat: int) -> None:
    floors, eager, after = [], [], []
    for _ in range(repeat):
        floors.append(ideal_tool_phase() + await answer_alone())
        eager.append(await timed_run(eager=True))
        after.append(await timed_run(eager=False))
    floor, ours, late = (statistics.median(x) for x in (floors, eager, after))
    chunks = len(tool_turn().steps)
    print(f"repeat={repeat}, tool turn {chunks} chunks (wall seconds, median)")
    print(f"floor          {floor:6.3f} s")
    print(f"eager          {ours:6.3f} s   {ours / floor:.3f}x floor")
    print(f"after-stream   {late:6.3f} s   {late / floor:.3f}x floor")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backend", default="asyncio", choices=["asyncio", "trio"])
    args = parser.parse_args()
    anyio.run(main, args.repeat, backend=args.backend)
