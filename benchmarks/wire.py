"""Client CPU cost of the wire layer against a hand-written baseline.

Two streams are served by a `ScriptedServer` running in a separate process
(so its CPU time is not counted), one SSE event per write:

- text: 20,000 content chunks;
- tools: 8 parallel tool calls, 500 argument fragments each.

For each, agentkit (`OpenAIChatModel.stream`, every event consumed) and a
baseline (httpx ``aiter_lines`` + ``json.loads`` + accumulation by index, the
loop people write by hand) read the same stream in the same run, alternately.
The figure is client CPU time (``time.process_time``) per 1,000 chunks, median
of the repetitions; the ratio agentkit / baseline is what matters (target:
at most 1.2).

Run: ``python benchmarks/wire.py [--repeat N] [--backend asyncio|trio]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import time
from typing import Any

import anyio
import httpx

from agentkit import OpenAIChatModel
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


async def run_baseline(base_url: str, stream: str) -> tuple[float, int]:
    body = {
        "model": stream,
        "messages": [{"role": "user", "content": "go"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    content: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    usage = finish_reason = None
    chunks = 0
    async with httpx.AsyncClient(timeout=60) as client:
        start = time.process_time()
        headers = {"Authorization": "Bearer bench"}
        url = f"{base_url}/chat/completions"
        async with client.stream("POST", url, json=body, headers=headers) as response:
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                data = line[6:]
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                chunks += 1
                if chunk.get("usage"):
                    usage = chunk["usage"]
                choices = chunk.get("choices")
                if not choices:
                    continue
                delta = choices[0].get("delta") or {}
                if delta.get("content"):
                    content.append(delta["content"])
                for call in delta.get("tool_calls") or []:
                    entry = calls.setdefault(call["index"], {"id": "", "name": "", "arguments": []})
                    function = call.get("function") or {}
                    entry["id"] = entry["id"] or call.get("id") or ""
                    entry["name"] = entry["name"] or function.get("name") or ""
                    if function.get("arguments"):
                        entry["arguments"].append(function["arguments"])
                finish_reason = choices[0].get("finish_reason") or finish_reason
        elapsed = time.process_time() - start
    arguments = ["".join(entry["arguments"]) for _, entry in sorted(calls.items())]
    assert finish_reason in ("stop", "tool_calls")
    assert usage is not None
    if stream == "tools":
        assert len(arguments) == TOOL_CALLS
        assert all(json.loads(a) for a in arguments)
    return elapsed, chunks


def measure(backend: str, base_url: str, runner: Any, stream: str) -> float:
    """Client CPU milliseconds per 1,000 chunks for one read of ``stream``
    (client creation excluded: it costs the same to both and is not per chunk)."""
    elapsed, chunks = anyio.run(runner, base_url, stream, backend=backend)
    return elapsed * 1000 / (chunks / 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--backend", default="asyncio", choices=["asyncio", "trio"])
    args = parser.parse_args()
    streams = {"text": text_stream(), "tools": tool_stream()}
    context = multiprocessing.get_context("spawn")
    port_queue, stop = context.Queue(), context.Event()
    server = context.Process(target=_serve, args=(streams, port_queue, stop))
    server.start()
    try:
        base_url = port_queue.get(timeout=30)
        print(
            f"backend={args.backend} repeat={args.repeat} (client CPU ms per 1,000 chunks, median)"
        )
        for stream in ("text", "tools"):
            measure(args.backend, base_url, run_agentkit, stream)  # warm-up
            measure(args.backend, base_url, run_baseline, stream)
            ours, theirs = [], []
            for _ in range(args.repeat):
                ours.append(measure(args.backend, base_url, run_agentkit, stream))
                theirs.append(measure(args.backend, base_url, run_baseline, stream))
            agentkit_ms, baseline_ms = statistics.median(ours), statistics.median(theirs)
            print(
                f"{stream:>6}: agentkit {agentkit_ms:7.2f} ms   baseline {baseline_ms:7.2f} ms"
                f"   ratio {agentkit_ms / baseline_ms:.2f}x"
            )
    finally:
        stop.set()
        server.join(timeout=10)


if __name__ == "__main__":
    main()
