"""Client CPU cost of the wire layer against a hand-written baseline.

Two streams are served by a `ScriptedServer` running in a separate process
(so its CPU time is not counted), one SSE event per write:

- text: 20,000 content chunks;
- tools: 8 parallel tool calls, 500 argument fragments each.

For each, agentkit (`OpenAIChatModel.stream`, every event consumed) and two
hand-written loops over the same httpx read the same stream in the same run,
in turn:

- lines: ``aiter_lines`` + ``json.loads`` + accumulation by index, the loop
  people write by hand (the baseline of the ratio; target: at most 0.9);
- bytes: ``aiter_bytes`` split on blank lines + ``json.loads`` on the bytes +
  the same accumulation, the floor of a reader over httpx.

The figure is client CPU time (``time.process_time``) per 1,000 chunks, median
of the repetitions, with the spread.

agentkit parses chunks with orjson when it is installed (``agentkit[speed]``),
else with the standard library's scanner; ``--stdlib-json`` measures the
latter with orjson installed.

Run: ``python benchmarks/wire.py [--repeat N] [--backend asyncio|trio] [--stdlib-json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import anyio
import httpx
from _hand_loop import HandAccumulator, read_by_bytes
from _server_process import server_process

from agentkit import OpenAIChatModel, _chunks
from agentkit.testing import ScriptedResponse, ScriptedServer, sse_bytes

TEXT_CHUNKS = 20_000
TOOL_CALLS = 8
FRAGMENTS_PER_CALL = 500


def _chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "object": "chat.completion.chunk",
        "created": 1741270283,
        "model": "gpt-4o-2024-08-06",
        "service_tier": "default",
        "system_fingerprint": "fp_eb9dce56a8",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }


def _usage() -> dict[str, Any]:
    chunk = _chunk({})
    chunk["choices"] = []
    chunk["usage"] = {"prompt_tokens": 20, "completion_tokens": 900, "total_tokens": 920}
    return chunk


def text_stream() -> list[bytes]:
    words = ["The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog."]
    events = [_chunk({"role": "assistant", "content": ""})]
    events += [_chunk({"content": words[i % len(words)]}) for i in range(TEXT_CHUNKS)]
    events += [_chunk({}, "stop"), _usage()]
    return [sse_bytes(event) for event in events]


def tool_stream() -> list[bytes]:
    events = [_chunk({"role": "assistant", "content": None})]
    for index in range(TOOL_CALLS):
        start = {
            "index": index,
            "id": f"call_{index:024d}",
            "type": "function",
            "function": {"name": "search_documents", "arguments": ""},
        }
        events.append(_chunk({"tool_calls": [start]}))
        pieces = ['{"query": "'] + ["lorem ipsum "] * (FRAGMENTS_PER_CALL - 2) + ['"}']
        for piece in pieces:
            events.append(
                _chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            )
    events += [_chunk({}, "tool_calls"), _usage()]
    return [sse_bytes(event) for event in events]


def _serve(streams: dict[str, list[bytes]], port_queue: Any, stop: Any) -> None:
    def responder(request: Any) -> ScriptedResponse:
        return ScriptedResponse(streams[request.json()["model"]], done=True)

    with ScriptedServer(responder=responder) as server:
        port_queue.put(server.base_url)
        stop.wait()


async def run_agentkit(base_url: str, stream: str) -> tuple[float, int]:
    async with OpenAIChatModel(stream, base_url=base_url, api_key="bench") as model:
        model.client  # noqa: B018 - create the client (TLS context) before timing
        start = time.process_time()
        async with model.stream([{"role": "user", "content": "go"}]) as turn:
            async for _event in turn:
                pass
        elapsed = time.process_time() - start
    message = turn.message
    assert message.finish_reason in ("stop", "tool_calls")
    if stream == "tools":
        assert len(message.tool_calls) == TOOL_CALLS
    return elapsed, turn.accumulator.chunk_count


def _check(accumulated: HandAccumulator, stream: str) -> None:
    arguments = accumulated.arguments()
    assert accumulated.finish_reason in ("stop", "tool_calls")
    assert accumulated.usage is not None
    if stream == "tools":
        assert len(arguments) == TOOL_CALLS
        assert all(json.loads(a) for a in arguments)


def _request(base_url: str, stream: str) -> tuple[str, dict[str, Any], dict[str, str]]:
    body = {
        "model": stream,
        "messages": [{"role": "user", "content": "go"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    return f"{base_url}/chat/completions", body, {"Authorization": "Bearer bench"}


async def run_lines(base_url: str, stream: str) -> tuple[float, int]:
    url, body, headers = _request(base_url, stream)
    accumulated = HandAccumulator()
    async with httpx.AsyncClient(timeout=60) as client:
        start = time.process_time()
        async with client.stream("POST", url, json=body, headers=headers) as response:
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                data = line[6:]
                if data == "[DONE]":
                    break
                accumulated.add(json.loads(data))
        elapsed = time.process_time() - start
    _check(accumulated, stream)
    return elapsed, accumulated.chunks


async def run_bytes(base_url: str, stream: str) -> tuple[float, int]:
    url, body, headers = _request(base_url, stream)
    accumulated = HandAccumulator()
    async with httpx.AsyncClient(timeout=60) as client:
        start = time.process_time()
        async with client.stream("POST", url, json=body, headers=headers) as response:
            await read_by_bytes(response, accumulated)
        elapsed = time.process_time() - start
    _check(accumulated, stream)
    return elapsed, accumulated.chunks


def measure(backend: str, base_url: str, runner: Any, stream: str) -> float:
    """Client CPU milliseconds per 1,000 chunks for one read of ``stream``
    (client creation excluded: it costs the same to both and is not per chunk)."""
    elapsed, chunks = anyio.run(runner, base_url, stream, backend=backend)
    return elapsed * 1000 / (chunks / 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--backend", default="asyncio", choices=["asyncio", "trio"])
    parser.add_argument(
        "--stdlib-json",
        action="store_true",
        help="parse chunks with the standard library even when orjson is installed",
    )
    args = parser.parse_args()
    if args.stdlib_json:
        _chunks.fast_loads = _chunks.scan_loads
    json_parser = "stdlib" if _chunks.fast_loads is _chunks.scan_loads else "orjson"
    streams = {"text": text_stream(), "tools": tool_stream()}
    with server_process(_serve, streams) as base_url:
        print(
            f"backend={args.backend} repeat={args.repeat} json={json_parser} "
            "(client CPU ms per 1,000 chunks, median)"
        )
        readers = {"agentkit": run_agentkit, "lines": run_lines, "bytes": run_bytes}
        for stream in ("text", "tools"):
            figures: dict[str, list[float]] = {name: [] for name in readers}
            for reader in readers.values():
                measure(args.backend, base_url, reader, stream)  # warm-up
            for _ in range(args.repeat):
                for name, reader in readers.items():
                    figures[name].append(measure(args.backend, base_url, reader, stream))
            medians = {name: statistics.median(values) for name, values in figures.items()}
            pairs = zip(figures["agentkit"], figures["lines"], strict=True)
            ratios = sorted(ours / lines for ours, lines in pairs)
            print(
                f"{stream:>6}: agentkit {medians['agentkit']:6.2f} ms  lines "
                f"{medians['lines']:6.2f} ms  bytes {medians['bytes']:6.2f} ms   agentkit/lines "
                f"{medians['agentkit'] / medians['lines']:.2f}x (per round "
                f"{ratios[0]:.2f}-{ratios[-1]:.2f}), bytes/lines "
                f"{medians['bytes'] / medians['lines']:.2f}x"
            )


if __name__ == "__main__":
    main()
