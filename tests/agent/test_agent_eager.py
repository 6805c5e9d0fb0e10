"""Eager, parallel tool execution: each rule of ``agentkit/_tool_calls.py``.

1. A call starts only once sealed (a later call began, or the turn
   finished normally), never because its JSON parses.
2. An eager call starts at once, while the model streams on.
3. ``eager=False`` tools (or ``Agent(eager_tools=False)``) start after the
   turn finished normally.
4. A turn that does not finish normally keeps the calls already started and
   drops the deferred and unsealed ones.
5. A call is executed once.

Timing checks compare the moment a tool started with the arrival of stream
events, with margins of several chunk delays.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import anyio
from _agent_helpers import Recorder, scripted_agent
from _common import ASYNC_TESTS
from _streams import call_args, call_start, call_steps, chunk, finish, response, role

from agentkit import ToolCallArgumentsDelta, ToolRegistry
from agentkit.testing import Disconnect, Pause, text_response, tool_call_response, usage_chunk

pytestmark = ASYNC_TESTS

DELAY = 0.02
"""Seconds between chunks in the timing tests."""


class Probe:
    """Tools that record when each call started and ended and how many ran
    at once: ``probe`` (eager), ``lazy`` (``eager=False``), ``blocking`` (sync)."""

    def __init__(self) -> None:
        self.starts: dict[str, float] = {}
        self.ends: dict[str, float] = {}
        self.order: list[str] = []
        self.active = 0
        self.max_active = 0
        self.registry = ToolRegistry()
        self._lock = threading.Lock()
        registry = self.registry

        @registry.tool
        async def probe(label: str, ms: int = 0) -> str:
            """Record a call."""
            self._enter(label)
            try:
                await anyio.sleep(ms / 1000)
            finally:
                self._leave(label)
            return f"probe {label}"

        @registry.tool(eager=False)
        async def lazy(label: str, ms: int = 0) -> str:
            """Record a call; never started while the model streams."""
            self._enter(label)
            try:
                await anyio.sleep(ms / 1000)
            finally:
                self._leave(label)
            return f"lazy {label}"

        @registry.tool
        def blocking(label: str, ms: int = 0) -> str:
            """Record a call from a worker thread."""
            self._enter(label)
            try:
                time.sleep(ms / 1000)
            finally:
                self._leave(label)
            return f"blocking {label}"

    def _enter(self, label: str) -> None:
        with self._lock:
            self.starts[label] = time.monotonic()
            self.order.append(label)
            self.active += 1
            self.max_active = max(self.max_active, self.active)

    def _leave(self, label: str) -> None:
        with self._lock:
            self.ends[label] = time.monotonic()
            self.active -= 1


def last_time(recorder: Recorder, kind: str) -> float:
    return recorder.times_of(kind)[-1]


# ------------------------------------------------------------------ rule 2


async def test_a_sealed_call_starts_while_the_model_is_still_streaming() -> None:
    probe = Probe()
    steps = [
        role(),
        *call_steps(0, "c0", "probe", {"label": "a"}),
        *call_steps(1, "c1", "probe", {"label": "b"}, pieces=6),
        finish("tool_calls"),
        usage_chunk(),
    ]
    script = [response(*steps, chunk_delay=DELAY), text_response("ok")]
    recorder = Recorder()
    async with scripted_agent(script, tools=probe.registry) as (agent, _server):
        result = await agent.run("Go", on_event=recorder)

    ready_a, ready_b = recorder.times_of("tool_call.ready")
    assert ready_b - ready_a >= 5 * DELAY  # six argument chunks apart
    # "a" started right after it was sealed, well before the stream ended.
    assert ready_a <= probe.starts["a"] < ready_b - 3 * DELAY
    last_argument_of_b = last_time(recorder, "tool_call.arguments.delta")
    assert probe.starts["a"] < last_argument_of_b
    assert probe.starts["b"] >= ready_b
    assert [r.output for r in result.tool_calls] == ["probe a", "probe b"]


async def test_a_sync_tool_also_starts_while_the_model_streams() -> None:
    probe = Probe()
    steps = [
        role(),
        *call_steps(0, "c0", "blocking", {"label": "a", "ms": 30}),
        *call_steps(1, "c1", "probe", {"label": "b"}, pieces=6),
        finish("tool_calls"),
    ]
    script = [response(*steps, chunk_delay=DELAY), text_response("ok")]
    recorder = Recorder()
    async with scripted_agent(script, tools=probe.registry) as (agent, _server):
        result = await agent.run("Go", on_event=recorder)

    ready_a, ready_b = recorder.times_of("tool_call.ready")
    assert ready_a <= probe.starts["a"] < ready_b - 3 * DELAY
    assert probe.ends["a"] < ready_b  # it even finished while the model streamed
    assert result.tool_calls[0].output == "blocking a"


async def test_parallel_calls_run_concurrently() -> None:
    probe = Probe()
    calls = [("probe", {"label": label, "ms": 150}) for label in "abc"]
    script = [tool_call_response(calls, chunk_delay=0.005), text_response("ok")]
    async with scripted_agent(script, tools=probe.registry) as (agent, _server):
        result = await agent.run("Go")

    assert probe.max_active == 3
    # They overlap: each started before any of them ended.
    assert max(probe.starts.values()) < min(probe.ends.values())
    tool_phase = max(probe.ends.values()) - min(probe.starts.values())
    assert tool_phase < 3 * 0.150  # far from the sum of the three sleeps
    assert len(result.tool_calls) == 3


async def test_results_are_appended_in_call_order_even_when_they_finish_in_reverse() -> None:
    probe = Probe()
    calls = [("probe", {"label": "a", "ms": 150}), ("probe", {"label": "b", "ms": 80})]
    calls.append(("probe", {"label": "c", "ms": 10}))
    script = [tool_call_response(calls, chunk_delay=0.005), text_response("ok")]
    recorder = Recorder()
    async with scripted_agent(script, tools=probe.registry) as (agent, server):
        result = await agent.run("Go", on_event=recorder)

    finished = [event.output for event in recorder.of_type("tool.result")]
    assert finished == ["probe c", "probe b", "probe a"]  # they did finish in reverse
    tool_messages = [m for m in result.messages if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == ["call_0", "call_1", "call_2"]
    assert [m["content"] for m in tool_messages] == ["probe a", "probe b", "probe c"]
    assert [r.id for r in result.tool_calls] == ["call_0", "call_1", "call_2"]
    sent = server.requests[1].json()["messages"]
    assert [m.get("tool_call_id") for m in sent[-3:]] == ["call_0", "call_1", "call_2"]


async def test_results_keep_call_order_when_a_deferred_call_precedes_an_eager_one() -> None:
    # "b" (eager) starts while streaming, "a" (deferred) only after the turn:
    # they start in the reverse of call order, the results stay in call order.
    probe = Probe()
    steps = [
        role(),
        *call_steps(0, "c0", "lazy", {"label": "a"}),
        *call_steps(1, "c1", "probe", {"label": "b"}),
        *call_steps(2, "c2", "probe", {"label": "c"}),
        finish("tool_calls"),
    ]
    script = [response(*steps, chunk_delay=0.005), text_response("ok")]
    async with scripted_agent(script, tools=probe.registry) as (agent, server):
        result = await agent.run("Go")

    assert probe.order.index("b") < probe.order.index("a")
    assert [r.id for r in result.tool_calls] == ["c0", "c1", "c2"]
    sent = server.requests[1].json()["messages"]
    assert [c["id"] for c in sent[1]["tool_calls"]] == ["c0", "c1", "c2"]
    assert [m["tool_call_id"] for m in sent[2:]] == ["c0", "c1", "c2"]


async def test_max_parallel_tools_one_runs_calls_one_at_a_time_in_call_order() -> None:
    probe = Probe()
    calls = [("probe", {"label": label, "ms": 40}) for label in "abc"]
    script = [tool_call_response(calls, chunk_delay=0.005), text_response("ok")]
    async with scripted_agent(script, tools=probe.registry, max_parallel_tools=1) as (agent, _):
        result = await agent.run("Go")

    assert probe.max_active == 1
    assert probe.order == ["a", "b", "c"]
    assert probe.ends["a"] <= probe.starts["b"]
    assert probe.ends["b"] <= probe.starts["c"]
    assert [r.output for r in result.tool_calls] == ["probe a", "probe b", "probe c"]


async def test_max_parallel_tools_bounds_the_calls_running_at_once() -> None:
    probe = Probe()
    calls = [("probe", {"label": label, "ms": 80}) for label in "abcd"]
    script = [tool_call_response(calls, chunk_delay=0.005), text_response("ok")]
    async with scripted_agent(script, tools=probe.registry, max_parallel_tools=2) as (agent, _):
        result = await agent.run("Go")

    assert probe.max_active == 2
    assert len(result.tool_calls) == 4


# ------------------------------------------------------------------ rule 1


async def test_complete_json_is_not_enough_the_call_waits_for_the_finish() -> None:
    # Call "b" parses as JSON after its last fragment, but nothing after it
    # proves it complete until the finish arrives 250 ms later.
    probe = Probe()
    steps = [
        role(),
        *call_steps(0, "c0", "probe", {"label": "a"}),
        *call_steps(1, "c1", "probe", {"label": "b"}),
        Pause(0.25),
        finish("tool_calls"),
        usage_chunk(),
    ]
    script = [response(*steps, chunk_delay=0.005), text_response("ok")]
    recorder = Recorder()
    async with scripted_agent(script, tools=probe.registry) as (agent, _server):
        await agent.run("Go", on_event=recorder)

    last_fragment = last_time(recorder, "tool_call.arguments.delta")
    ready_b = recorder.times_of("tool_call.ready")[1]
    assert probe.starts["a"] < last_fragment  # sealed by the start of "b"
    assert ready_b - last_fragment >= 0.2  # sealed only by the finish
    assert probe.starts["b"] - last_fragment >= 0.2
    assert probe.starts["b"] >= ready_b


async def test_a_lone_call_waits_for_the_finish() -> None:
    probe = Probe()
    steps = [role(), *call_steps(0, "c0", "probe", {"label": "a"}), Pause(0.25)]
    script = [response(*steps, finish("tool_calls")), text_response("ok")]
    recorder = Recorder()
    async with scripted_agent(script, tools=probe.registry) as (agent, _server):
        await agent.run("Go", on_event=recorder)

    last_fragment = last_time(recorder, "tool_call.arguments.delta")
    assert probe.starts["a"] - last_fragment >= 0.2


# ------------------------------------------------------------------ rule 3


async def test_a_tool_declared_not_eager_starts_after_the_turn_finished() -> None:
    probe = Probe()
    steps = [
        role(),
        *call_steps(0, "c0", "probe", {"label": "a"}),
        *call_steps(1, "c1", "lazy", {"label": "b"}),
        *call_steps(2, "c2", "probe", {"label": "c"}, pieces=5),
        finish("tool_calls"),
    ]
    script = [response(*steps, chunk_delay=DELAY), text_response("ok")]
    recorder = Recorder()
    async with scripted_agent(script, tools=probe.registry) as (agent, _server):
        result = await agent.run("Go", on_event=recorder)

    _, ready_b, ready_c = recorder.times_of("tool_call.ready")
    assert probe.starts["a"] < ready_c  # eager: during the stream
    assert ready_c - ready_b >= 4 * DELAY  # "b" was sealed long before the end...
    assert probe.starts["b"] >= ready_c  # ...but started only after it
    assert [r.output for r in result.tool_calls] == ["probe a", "lazy b", "probe c"]


async def test_an_agent_with_eager_tools_off_starts_every_call_after_the_turn() -> None:
    probe = Probe()
    steps = [
        role(),
        *call_steps(0, "c0", "probe", {"label": "a"}),
        *call_steps(1, "c1", "blocking", {"label": "b"}),
        *call_steps(2, "c2", "probe", {"label": "c"}, pieces=4),
        finish("tool_calls"),
    ]
    script = [response(*steps, chunk_delay=DELAY), text_response("ok")]
    recorder = Recorder()
    async with scripted_agent(script, tools=probe.registry, eager_tools=False) as (agent, _):
        result = await agent.run("Go", on_event=recorder)

    end_of_stream = last_time(recorder, "tool_call.ready")
    assert sorted(probe.starts) == ["a", "b", "c"]
    assert all(start >= end_of_stream for start in probe.starts.values())
    assert [r.output for r in result.tool_calls] == ["probe a", "blocking b", "probe c"]


# ------------------------------------------------------------------ rule 4


async def test_length_drops_the_unsealed_call_and_keeps_the_started_one() -> None:
    probe = Probe()
    steps = [
        role(),
        *call_steps(0, "c0", "probe", {"label": "a", "ms": 30}),
        # Complete JSON, but the turn ends on "length": never sealed.
        *call_steps(1, "c1", "probe", {"label": "b"}),
        finish("length"),
        usage_chunk(),
    ]
    recorder = Recorder()
    async with scripted_agent([response(*steps)], tools=probe.registry) as (agent, server):
        result = await agent.run("Go", on_event=recorder)

    assert probe.order == ["a"]
    assert result.finish_reason == "length"
    assert [r.id for r in result.tool_calls] == ["c0"]
    assert [c["id"] for c in result.messages[1]["tool_calls"]] == ["c0"]
    assert result.messages[2] == {"role": "tool", "tool_call_id": "c0", "content": "probe a"}
    assert [event.id for event in recorder.of_type("tool_call.ready")] == ["c0"]
    assert len(server.requests) == 1


async def test_length_with_only_an_unfinished_call_runs_nothing() -> None:
    probe = Probe()
    steps = [role(), call_start(0, "c0", "probe"), call_args(0, '{"label": "a'), finish("length")]
    async with scripted_agent([response(*steps)], tools=probe.registry) as (agent, _server):
        result = await agent.run("Go")

    assert probe.order == []
    assert result.finish_reason == "length"
    assert result.tool_calls == ()
    assert "tool_calls" not in result.messages[-1]


async def test_length_drops_a_sealed_but_deferred_call() -> None:
    probe = Probe()
    steps = [
        role(),
        *call_steps(0, "c0", "lazy", {"label": "a"}),
        *call_steps(1, "c1", "probe", {"label": "b"}),
        finish("length"),
    ]
    async with scripted_agent([response(*steps)], tools=probe.registry) as (agent, _server):
        result = await agent.run("Go")

    assert probe.order == []  # "a" was sealed when "b" began, but deferred
    assert result.tool_calls == ()
    assert "tool_calls" not in result.messages[-1]


async def test_a_broken_stream_keeps_started_calls_and_drops_deferred_ones() -> None:
    probe = Probe()
    steps = [
        role(),
        *call_steps(0, "c0", "probe", {"label": "a", "ms": 30}),
        *call_steps(1, "c1", "lazy", {"label": "b"}),
        call_start(2, "c2", "probe"),
        call_args(2, '{"label": "c"}'),
        Disconnect(),
    ]
    script = [response(*steps, done=False), text_response("ok")]
    async with scripted_agent(script, tools=probe.registry) as (agent, server):
        result = await agent.run("Go")

    assert probe.order == ["a"]
    sent = server.requests[1].json()["messages"]
    assert [c["id"] for c in sent[1]["tool_calls"]] == ["c0"]
    assert sent[2] == {"role": "tool", "tool_call_id": "c0", "content": "probe a"}
    assert len(sent) == 3
    assert result.text == "ok"


# ------------------------------------------------------------------ rule 5


async def test_a_provider_repeating_the_id_on_every_fragment_runs_the_call_once() -> None:
    probe = Probe()

    def fragment(function: dict[str, str]) -> dict[str, Any]:
        tool_call = {"index": 0, "id": "rep", "type": "function", "function": function}
        return chunk({"tool_calls": [tool_call]})

    steps = [
        role(),
        fragment({"name": "probe", "arguments": ""}),
        fragment({"arguments": '{"label":'}),
        fragment({"arguments": ' "a"}'}),
        finish("tool_calls"),
    ]
    script = [response(*steps), text_response("ok")]
    async with scripted_agent(script, tools=probe.registry) as (agent, _server):
        result = await agent.run("Go")

    assert probe.order == ["a"]
    assert [r.id for r in result.tool_calls] == ["rep"]


async def test_a_call_sent_twice_with_one_id_in_a_turn_runs_once() -> None:
    probe = Probe()
    steps = [
        role(),
        *call_steps(0, "dup", "probe", {"label": "a"}),
        *call_steps(1, "dup", "probe", {"label": "a"}),
        finish("tool_calls"),
    ]
    script = [response(*steps), text_response("ok")]
    async with scripted_agent(script, tools=probe.registry) as (agent, server):
        result = await agent.run("Go")

    assert probe.order == ["a"]
    assert [r.id for r in result.tool_calls] == ["dup"]
    sent = server.requests[1].json()["messages"]
    assert [c["id"] for c in sent[1]["tool_calls"]] == ["dup"]
    assert [m["tool_call_id"] for m in sent if m["role"] == "tool"] == ["dup"]


async def test_each_call_runs_exactly_once_when_ids_repeat_across_turns() -> None:
    probe = Probe()
    script = [
        tool_call_response([("probe", {"label": "a"}), ("probe", {"label": "b"})]),
        tool_call_response([("probe", {"label": "c"}), ("probe", {"label": "d"})]),
        text_response("ok"),
    ]
    async with scripted_agent(script, tools=probe.registry) as (agent, _server):
        result = await agent.run("Go")

    assert sorted(probe.order) == ["a", "b", "c", "d"]  # each once, none skipped
    assert [(r.turn, r.id) for r in result.tool_calls] == [
        (1, "call_0"),
        (1, "call_1"),
        (2, "call_0"),
        (2, "call_1"),
    ]


# ------------------------------------------------------------ partial args


async def test_argument_deltas_offer_the_arguments_parsed_so_far() -> None:
    probe = Probe()
    arguments = '{"label": "Hanoi weather", "ms": 5}'
    pieces = [arguments[:5], arguments[5:14], arguments[14:27], arguments[27:]]
    steps = [role(), call_start(0, "c0", "probe"), *(call_args(0, p) for p in pieces)]
    script = [response(*steps, finish("tool_calls")), text_response("ok")]
    recorder = Recorder()
    async with scripted_agent(script, tools=probe.registry) as (agent, _server):
        await agent.run("Go", on_event=recorder)

    deltas = [e for e in recorder.events if isinstance(e, ToolCallArgumentsDelta)]
    assert [d.delta for d in deltas] == pieces
    assert all(d.id == "c0" and d.index == 0 for d in deltas)
    # Read after the run: each event still shows the arguments as of its time.
    assert [d.arguments_so_far for d in deltas] == [
        arguments[:5],
        arguments[:14],
        arguments[:27],
        arguments,
    ]
    assert deltas[1].partial_arguments == {"label": "Han"}
    assert deltas[2].partial_arguments == {"label": "Hanoi weather"}
    assert deltas[3].partial_arguments == {"label": "Hanoi weather", "ms": 5}
    assert "_fragments" not in deltas[0].to_dict()
    assert recorder.of_type("tool_call.ready")[0].arguments == arguments
