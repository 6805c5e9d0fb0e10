"""Human approval of tool calls end to end over loopback HTTP: ``needs_approval``
(True or a per-call function) on every way to make a tool, the inline
approver (sync or async, one request at a time, never holding up other
calls), pausing without one, resuming with decisions (in this process or
another), the checks on decisions, and cancellation while an approver waits."""

from __future__ import annotations

import json
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from _agent_helpers import Recorder, live_tasks, scripted_agent
from _common import ASYNC_TESTS, eventually
from _streams import call_args, call_start, call_steps, finish, response, role
from pydantic import BaseModel

from agentkit import (
    Agent,
    Approval,
    ApprovalRequest,
    ApproverError,
    CallbackError,
    Event,
    RunContext,
    Tool,
    ToolDefinitionError,
    ToolRegistry,
    UnknownToolError,
    UsageError,
    tool,
)
from agentkit.testing import text_response, tool_call_response, usage_chunk

pytestmark = ASYNC_TESTS

DENIED = "Not run: the user denied this tool call."


class Files:
    """Tools over a fake file system that log what ran: ``delete_file``
    (needs approval), ``read_file`` (does not), ``slow_read`` (does not,
    takes ``ms``)."""

    def __init__(self) -> None:
        self.ran: list[tuple[str, str]] = []
        self.registry = ToolRegistry()
        registry = self.registry

        @registry.tool(needs_approval=True)
        def delete_file(path: str) -> str:
            """Delete a file."""
            self.ran.append(("delete_file", path))
            return f"deleted {path}"

        @registry.tool
        async def read_file(path: str) -> str:
            """Read a file."""
            self.ran.append(("read_file", path))
            return f"contents of {path}"

        @registry.tool
        async def slow_read(path: str, ms: int) -> str:
            """Read a file slowly."""
            await anyio.sleep(ms / 1000)
            self.ran.append(("slow_read", path))
            return f"slow contents of {path}"


def delete(path: str) -> tuple[str, dict[str, Any]]:
    return ("delete_file", {"path": path})


def read(path: str) -> tuple[str, dict[str, Any]]:
    return ("read_file", {"path": path})


def tool_messages(messages: list[dict[str, Any]]) -> dict[str, str]:
    """Tool message contents by call id (of the last tool-call turn)."""
    return {m["tool_call_id"]: m["content"] for m in messages if m["role"] == "tool"}


def assert_every_call_answered(messages: list[dict[str, Any]]) -> None:
    """Each assistant tool call has exactly one tool message among the tool
    messages that follow it (a conversation a provider accepts again)."""
    for position, message in enumerate(messages):
        following = []
        for later in messages[position + 1 :]:
            if later["role"] != "tool":
                break
            following.append(later["tool_call_id"])
        for tool_call in message.get("tool_calls") or ():
            count = following.count(tool_call["id"])
            assert count == 1, f"call {tool_call['id']} has {count} answers"


# ------------------------------------------------------------ inline approver


async def test_an_approved_call_runs_after_requested_and_resolved_events() -> None:
    files = Files()
    asked: list[ApprovalRequest] = []

    def approve(request: ApprovalRequest) -> bool:
        asked.append(request)
        return True

    recorder = Recorder()
    script = [tool_call_response([delete("a.txt")]), text_response("Deleted.")]
    async with scripted_agent(script, tools=files.registry, approver=approve) as (agent, server):
        result = await agent.run("Delete a.txt", on_event=recorder)

    assert asked == [ApprovalRequest("call_0", "delete_file", '{"path": "a.txt"}')]
    assert files.ran == [("delete_file", "a.txt")]
    assert result.text == "Deleted."
    assert result.finish_reason == "stop"
    (requested,) = recorder.of_type("approval.requested")
    assert (requested.id, requested.name, requested.arguments) == (
        "call_0",
        "delete_file",
        '{"path": "a.txt"}',
    )
    (resolved,) = recorder.of_type("approval.resolved")
    assert (resolved.id, resolved.approved, resolved.reason) == ("call_0", True, None)
    order = [t for t in recorder.types if t.startswith(("approval.", "tool.result"))]
    assert order == ["approval.requested", "approval.resolved", "tool.result"]
    assert tool_messages(server.requests[1].json()["messages"]) == {"call_0": "deleted a.txt"}


async def test_a_denied_call_never_runs_and_the_model_reads_the_reason() -> None:
    files = Files()
    recorder = Recorder()
    script = [tool_call_response([delete("a.txt")]), text_response("OK, kept it.")]
    async with scripted_agent(
        script, tools=files.registry, approver=lambda _r: Approval(False, reason="too risky")
    ) as (agent, server):
        result = await agent.run("Delete a.txt", on_event=recorder)

    assert files.ran == []
    (record,) = result.tool_calls
    assert record.output == f"{DENIED} Reason: too risky"
    assert record.is_error is False
    sent = server.requests[1].json()["messages"]
    assert sent[-1] == {
        "role": "tool",
        "tool_call_id": "call_0",
        "content": f"{DENIED} Reason: too risky",
    }
    (resolved,) = recorder.of_type("approval.resolved")
    assert (resolved.approved, resolved.reason) == (False, "too risky")
    (tool_result,) = recorder.of_type("tool.result")
    assert tool_result.is_error is False


async def test_a_denial_without_a_reason_says_only_that_it_was_denied() -> None:
    files = Files()
    script = [tool_call_response([delete("a.txt")]), text_response("OK.")]
    async with scripted_agent(script, tools=files.registry, approver=lambda _r: False) as (
        agent,
        _server,
    ):
        result = await agent.run("Delete a.txt")

    assert result.tool_calls[0].output == DENIED
    assert files.ran == []


async def test_an_async_approver_is_awaited() -> None:
    files = Files()

    async def approve(request: ApprovalRequest) -> Approval:
        await anyio.sleep(0.01)
        return Approval(request.arguments == '{"path": "a.txt"}', reason="only a.txt")

    script = [tool_call_response([delete("a.txt"), delete("b.txt")]), text_response("Done.")]
    async with scripted_agent(script, tools=files.registry, approver=approve) as (agent, _server):
        result = await agent.run("Delete both")

    assert files.ran == [("delete_file", "a.txt")]
    assert [r.output for r in result.tool_calls] == [
        "deleted a.txt",
        f"{DENIED} Reason: only a.txt",
    ]


async def test_a_sync_approver_runs_in_a_worker_thread() -> None:
    files = Files()
    loop_thread = threading.get_ident()
    threads: list[int] = []

    def approve(_request: ApprovalRequest) -> bool:
        threads.append(threading.get_ident())
        return True

    script = [tool_call_response([delete("a.txt")]), text_response("Done.")]
    async with scripted_agent(script, tools=files.registry, approver=approve) as (agent, _server):
        await agent.run("Delete")

    assert len(threads) == 1
    assert threads[0] != loop_thread


async def test_a_callable_object_with_an_async_call_is_awaited() -> None:
    files = Files()

    class Approver:
        def __init__(self) -> None:
            self.seen: list[str] = []

        async def __call__(self, request: ApprovalRequest) -> bool:
            self.seen.append(request.id)
            return True

    approver = Approver()
    script = [tool_call_response([delete("a.txt")]), text_response("Done.")]
    async with scripted_agent(script, tools=files.registry, approver=approver) as (agent, _s):
        await agent.run("Delete")

    assert approver.seen == ["call_0"]
    assert files.ran == [("delete_file", "a.txt")]


async def test_the_approver_is_asked_one_request_at_a_time() -> None:
    files = Files()
    active = 0
    most = 0

    async def approve(_request: ApprovalRequest) -> bool:
        nonlocal active, most
        active += 1
        most = max(most, active)
        await anyio.sleep(0.02)
        active -= 1
        return True

    calls = [delete("a"), delete("b"), delete("c")]
    script = [tool_call_response(calls), text_response("Done.")]
    async with scripted_agent(script, tools=files.registry, approver=approve) as (agent, _server):
        result = await agent.run("Delete three")

    assert most == 1
    assert sorted(path for _, path in files.ran) == ["a", "b", "c"]
    assert [r.id for r in result.tool_calls] == ["call_0", "call_1", "call_2"]


async def test_the_approver_is_asked_in_the_order_the_calls_became_ready() -> None:
    # agentkit/_approval.py promises this order (a person answering a
    # prompt per call expects the model's order). Trio starts the tasks of
    # one batch in a random order, so a few runs are needed to show it.
    files = Files()
    orders: list[list[str]] = []

    def approve(request: ApprovalRequest) -> bool:
        orders[-1].append(json.loads(request.arguments)["path"])
        return True

    async with scripted_agent(tools=files.registry, approver=approve) as (agent, server):
        for _ in range(6):
            server.add(tool_call_response([delete("a"), delete("b"), delete("c")]))
            server.add(text_response("Done."))
            orders.append([])
            await agent.run("Delete three")

    assert orders == [["a", "b", "c"]] * 6


async def test_a_slow_approver_does_not_hold_up_the_other_calls() -> None:
    files = Files()
    other_done = anyio.Event()

    async def approve(_request: ApprovalRequest) -> bool:
        # Waits for the other call to finish: this only returns if that
        # call was not held up behind the approval.
        await other_done.wait()
        return True

    def on_event(event: Event) -> None:
        recorder(event)
        if event.type == "tool.result" and event.name == "slow_read":  # type: ignore[union-attr]
            other_done.set()

    recorder = Recorder()
    calls = [delete("a.txt"), ("slow_read", {"path": "b.txt", "ms": 30})]
    script = [tool_call_response(calls), text_response("Done.")]
    async with scripted_agent(script, tools=files.registry, approver=approve) as (agent, _server):
        with anyio.fail_after(5):
            result = await agent.run("Go", on_event=on_event)

    assert [r.output for r in result.tool_calls] == ["deleted a.txt", "slow contents of b.txt"]
    (resolved_at,) = recorder.times_of("approval.resolved")
    results = dict(
        zip(
            [e.id for e in recorder.of_type("tool.result")],
            recorder.times_of("tool.result"),
            strict=True,
        )
    )
    assert results["call_1"] <= resolved_at < results["call_0"]
    assert recorder.types.index("approval.requested") < recorder.types.index("approval.resolved")
    # the result list stays in call order although call_1 finished first
    assert [m["tool_call_id"] for m in result.messages if m["role"] == "tool"] == [
        "call_0",
        "call_1",
    ]


async def test_invalid_arguments_get_the_usual_tool_error_without_asking() -> None:
    files = Files()
    asked: list[ApprovalRequest] = []
    recorder = Recorder()
    script = [tool_call_response([("delete_file", {"file": "a.txt"})]), text_response("Oops.")]
    async with scripted_agent(
        script, tools=files.registry, approver=lambda r: asked.append(r) or True
    ) as (agent, _server):
        result = await agent.run("Delete", on_event=recorder)

    assert asked == []
    assert files.ran == []
    assert recorder.of_type("approval.requested") == []
    (record,) = result.tool_calls
    assert record.is_error
    assert "path" in record.output


async def test_needs_approval_function_decides_per_call_with_context_and_arguments() -> None:
    seen: list[tuple[str | None, dict[str, Any]]] = []
    ran: list[str] = []
    registry = ToolRegistry()

    def outside_tmp(ctx: RunContext[Any], arguments: dict[str, Any]) -> bool:
        seen.append((ctx.tool_call_id, arguments))
        return not arguments["path"].startswith("/tmp/")

    @registry.tool(needs_approval=outside_tmp)
    def remove(path: str) -> str:
        """Remove a file."""
        ran.append(path)
        return "removed"

    recorder = Recorder()
    calls = [("remove", {"path": "/tmp/x"}), ("remove", {"path": "/etc/passwd"})]
    script = [tool_call_response(calls), text_response("Done.")]
    async with scripted_agent(script, tools=registry) as (agent, _server):
        paused = await agent.run("Clean up", on_event=recorder)

    # each call is decided in its own task: in no particular order
    assert sorted(seen) == [("call_0", {"path": "/tmp/x"}), ("call_1", {"path": "/etc/passwd"})]
    assert ran == ["/tmp/x"]
    assert paused.finish_reason == "approval_required"
    assert [request.id for request in paused.pending_approvals] == ["call_1"]
    assert [e.id for e in recorder.of_type("approval.requested")] == ["call_1"]


async def test_an_async_needs_approval_function_is_awaited() -> None:
    ran: list[str] = []
    registry = ToolRegistry()

    async def large(_ctx: RunContext[Any], arguments: dict[str, Any]) -> bool:
        await anyio.lowlevel.checkpoint()
        return arguments["amount"] > 100

    @registry.tool(needs_approval=large)
    def pay(amount: int) -> str:
        """Pay an amount."""
        ran.append(str(amount))
        return "paid"

    script = [tool_call_response([("pay", {"amount": 5}), ("pay", {"amount": 500})])]
    async with scripted_agent(script, tools=registry) as (agent, _server):
        paused = await agent.run("Pay")

    assert ran == ["5"]
    assert [json.loads(r.arguments) for r in paused.pending_approvals] == [{"amount": 500}]


async def test_a_needs_approval_function_that_raises_gives_an_error_result() -> None:
    ran: list[str] = []
    registry = ToolRegistry()

    def broken(_ctx: RunContext[Any], _arguments: dict[str, Any]) -> bool:
        raise KeyError("policy")

    @registry.tool(needs_approval=broken)
    def remove(path: str) -> str:
        """Remove a file."""
        ran.append(path)
        return "removed"

    script = [tool_call_response([("remove", {"path": "a"})]), text_response("Sorry.")]
    async with scripted_agent(script, tools=registry, approver=lambda _r: True) as (agent, srv):
        result = await agent.run("Remove")

    assert ran == []
    (record,) = result.tool_calls
    assert record.is_error
    assert "needs_approval" in record.output
    assert "KeyError" in record.output
    assert result.text == "Sorry."
    assert srv.requests[1].json()["messages"][-1]["content"] == record.output


async def test_an_approver_that_raises_fails_the_run_with_approver_error() -> None:
    files = Files()
    recorder = Recorder()

    def ask(_request: ApprovalRequest) -> bool:
        raise RuntimeError("no terminal")

    script = [tool_call_response([delete("a.txt")]), text_response("never")]
    async with scripted_agent(script, tools=files.registry, approver=ask) as (agent, server):
        with pytest.raises(ApproverError) as caught:
            await agent.run("Delete", on_event=recorder)

    error = caught.value
    assert "ask" in error.approver
    assert "ask" in str(error)
    assert "no terminal" in str(error)
    assert isinstance(error.__cause__, RuntimeError)
    assert error.result is not None
    assert files.ran == []
    assert len(server.requests) == 1
    assert recorder.types[-1] == "run.failed"
    assert recorder.of_type("approval.resolved") == []


async def test_an_approver_answering_something_else_fails_the_run() -> None:
    files = Files()
    script = [tool_call_response([delete("a.txt")])]
    async with scripted_agent(script, tools=files.registry, approver=lambda _r: "yes") as (
        agent,
        _server,
    ):
        with pytest.raises(ApproverError, match="'yes'"):
            await agent.run("Delete")

    assert files.ran == []


def _decorated() -> Tool[..., Any]:
    @tool(needs_approval=True)
    def wipe(path: str) -> str:
        """Wipe."""
        return "wiped"

    return wipe


def _registered() -> ToolRegistry:
    registry = ToolRegistry()

    @registry.tool(needs_approval=True)
    def wipe(path: str) -> str:
        """Wipe."""
        return "wiped"

    return registry


def _from_schema() -> Tool[..., Any]:
    parameters = {
        "type": "object",
        "properties": {"path": {"type": "string"}},
        "required": ["path"],
    }
    return Tool.from_schema(
        lambda path: "wiped", name="wipe", parameters=parameters, needs_approval=True
    )


class WipeArgs(BaseModel):
    """Wipe a path."""

    path: str


class City(BaseModel):
    city: str


def _from_model() -> Tool[..., Any]:
    return Tool.from_model(WipeArgs, lambda args: "wiped", name="wipe", needs_approval=True)


def _constructed() -> Tool[..., Any]:
    def wipe(path: str) -> str:
        """Wipe."""
        return "wiped"

    return Tool(wipe, needs_approval=True)


@pytest.mark.parametrize(
    "make",
    [_decorated, _registered, _from_schema, _from_model, _constructed],
    ids=lambda f: f.__name__,
)
async def test_needs_approval_works_on_every_way_to_make_a_tool(make: Any) -> None:
    made = make()
    tools = made if isinstance(made, ToolRegistry) else [made]
    script = [tool_call_response([("wipe", {"path": "a"})]), text_response("Done.")]
    async with scripted_agent(script, tools=tools) as (agent, _server):
        paused = await agent.run("Wipe")
        assert paused.finish_reason == "approval_required"
        result = await agent.run(paused.messages, approvals={"call_0": True})

    assert [r.output for r in result.tool_calls] == ["wiped"]


async def test_needs_approval_of_another_type_is_a_definition_error() -> None:
    def wipe(path: str) -> str:
        """Wipe."""
        return "wiped"

    with pytest.raises(ToolDefinitionError, match="needs_approval"):
        Tool(wipe, needs_approval="always")  # type: ignore[arg-type]


async def test_a_call_waiting_for_approval_holds_no_tool_slot() -> None:
    files = Files()
    other_done = anyio.Event()

    async def approve(_request: ApprovalRequest) -> bool:
        await other_done.wait()
        return True

    def on_event(event: Event) -> None:
        if event.type == "tool.result" and event.name == "read_file":  # type: ignore[union-attr]
            other_done.set()

    script = [tool_call_response([delete("a"), read("b")]), text_response("Done.")]
    async with scripted_agent(
        script, tools=files.registry, approver=approve, max_parallel_tools=1
    ) as (agent, _server):
        with anyio.fail_after(5):
            result = await agent.run("Go", on_event=on_event)

    assert files.ran == [("read_file", "b"), ("delete_file", "a")]
    assert result.text == "Done."


async def test_an_async_approver_that_raises_fails_the_run_with_approver_error() -> None:
    files = Files()

    async def ask_async(_request: ApprovalRequest) -> bool:
        await anyio.lowlevel.checkpoint()
        raise ConnectionError("approval service down")

    script = [tool_call_response([delete("a"), read("b")])]
    async with scripted_agent(script, tools=files.registry, approver=ask_async) as (agent, _s):
        with pytest.raises(ApproverError, match="approval service down") as caught:
            await agent.run("Delete")

    assert "ask_async" in caught.value.approver
    assert ("delete_file", "a") not in files.ran


async def test_a_callback_failing_on_the_approval_request_stops_the_run_before_the_call() -> None:
    files = Files()

    def on_event(event: Event) -> None:
        if event.type == "approval.requested":
            raise ValueError("UI is gone")

    script = [tool_call_response([delete("a")]), text_response("never")]
    async with scripted_agent(script, tools=files.registry, approver=lambda _r: True) as (
        agent,
        server,
    ):
        with pytest.raises(CallbackError, match="UI is gone"):
            await agent.run("Delete", on_event=on_event)

    assert files.ran == []
    assert len(server.requests) == 1


# ------------------------------------------------------------ pause


async def test_without_an_approver_the_run_pauses_after_the_other_calls() -> None:
    files = Files()
    recorder = Recorder()
    calls = [delete("a.txt"), ("slow_read", {"path": "b.txt", "ms": 50})]
    async with scripted_agent([tool_call_response(calls)], tools=files.registry) as (
        agent,
        server,
    ):
        paused = await agent.run("Go", on_event=recorder)

    assert paused.finish_reason == "approval_required"
    assert paused.pending_approvals == (
        ApprovalRequest("call_0", "delete_file", '{"path": "a.txt"}'),
    )
    assert files.ran == [("slow_read", "b.txt")]  # it ran to its end first
    assert len(server.requests) == 1
    assert paused.turns == 1
    assert paused.output is None
    assistant, answer = paused.messages[-2:]
    assert assistant["role"] == "assistant"
    assert [c["id"] for c in assistant["tool_calls"]] == ["call_0", "call_1"]
    assert answer == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "slow contents of b.txt",
    }
    assert [r.id for r in paused.tool_calls] == ["call_1"]
    assert [e.id for e in recorder.of_type("approval.requested")] == ["call_0"]
    assert recorder.of_type("approval.resolved") == []
    assert recorder.types[-1] == "run.finished"
    assert json.loads(json.dumps(paused.messages)) == paused.messages
    summary = paused.to_dict()
    assert summary["pending_approvals"] == [
        {"id": "call_0", "name": "delete_file", "arguments": '{"path": "a.txt"}'}
    ]


async def test_a_deferred_call_needing_approval_also_pauses() -> None:
    ran: list[str] = []
    registry = ToolRegistry()

    @registry.tool(needs_approval=True, eager=False)
    def deploy(version: str) -> str:
        """Deploy, once the model has finished its turn."""
        ran.append(version)
        return "deployed"

    script = [tool_call_response([("deploy", {"version": "1.2"})]), text_response("Live.")]
    async with scripted_agent(script, tools=registry) as (agent, _server):
        paused = await agent.run("Ship it")
        assert [r.name for r in paused.pending_approvals] == ["deploy"]
        result = await agent.run(paused.messages, approvals={"call_0": True})

    assert ran == ["1.2"]
    assert result.text == "Live."


async def test_pending_approvals_are_listed_in_call_order() -> None:
    ran: list[str] = []
    registry = ToolRegistry()

    async def slow_policy(_ctx: RunContext[Any], arguments: dict[str, Any]) -> bool:
        # The first call takes longest to decide; requests still come in call
        # order (each waits for the one before it).
        await anyio.sleep(0.05 if arguments["path"] == "first" else 0)
        return True

    @registry.tool(needs_approval=slow_policy)
    def remove(path: str) -> str:
        """Remove."""
        ran.append(path)
        return "removed"

    @registry.tool
    def look(path: str) -> str:
        """Look."""
        ran.append(f"look {path}")
        return "seen"

    recorder = Recorder()
    calls = [("remove", {"path": "first"}), ("look", {"path": "x"}), ("remove", {"path": "second"})]
    async with scripted_agent([tool_call_response(calls)], tools=registry) as (agent, _server):
        paused = await agent.run("Go", on_event=recorder)

    assert [r.id for r in paused.pending_approvals] == ["call_0", "call_2"]
    assert [e.id for e in recorder.of_type("approval.requested")] == ["call_0", "call_2"]
    assert ran == ["look x"]


async def test_a_paused_stream_delivers_the_approval_request() -> None:
    files = Files()
    events: list[Event] = []
    async with (
        scripted_agent([tool_call_response([delete("a")])], tools=files.registry) as (
            agent,
            _server,
        ),
        agent.stream("Delete") as run,
    ):
        async for event in run:
            events.append(event)

    assert "approval.requested" in [e.type for e in events]
    assert run.result.finish_reason == "approval_required"
    assert run.result.pending_approvals[0].id == "call_0"


# ------------------------------------------------------------ resume


async def test_resuming_with_an_approval_runs_the_stored_call_then_the_model() -> None:
    files = Files()
    recorder = Recorder()
    script = [tool_call_response([delete("a.txt"), read("b.txt")]), text_response("Deleted.")]
    async with scripted_agent(script, tools=files.registry) as (agent, server):
        paused = await agent.run("Go")
        stored = json.loads(json.dumps(paused.messages))
        result = await agent.run(stored, approvals={"call_0": True}, on_event=recorder)

    assert files.ran == [("read_file", "b.txt"), ("delete_file", "a.txt")]
    assert result.text == "Deleted."
    assert result.finish_reason == "stop"
    assert result.pending_approvals == ()
    assert [r.id for r in result.tool_calls] == ["call_0"]
    assert len(server.requests) == 2
    sent = server.requests[1].json()["messages"]
    assert sent[: len(stored)] == stored
    assert sent[len(stored) :] == [
        {"role": "tool", "tool_call_id": "call_0", "content": "deleted a.txt"}
    ]
    assert_every_call_answered(result.messages)
    types = recorder.types
    assert types[:3] == ["run.started", "approval.resolved", "tool.result"]
    assert types.index("tool.result") < types.index("turn.started")
    (resolved,) = recorder.of_type("approval.resolved")
    assert (resolved.id, resolved.approved) == ("call_0", True)


async def test_resuming_with_a_denial_answers_with_the_reason_and_never_runs_it() -> None:
    files = Files()
    script = [tool_call_response([delete("a.txt")]), text_response("Kept.")]
    async with scripted_agent(script, tools=files.registry) as (agent, server):
        paused = await agent.run("Go")
        result = await agent.run(
            paused.messages, approvals={"call_0": Approval(False, reason="not today")}
        )

    assert files.ran == []
    sent = server.requests[1].json()["messages"]
    assert sent[-1] == {
        "role": "tool",
        "tool_call_id": "call_0",
        "content": f"{DENIED} Reason: not today",
    }
    assert result.tool_calls[0].is_error is False
    assert result.text == "Kept."


async def test_undecided_calls_keep_the_run_paused_without_a_model_request() -> None:
    files = Files()
    recorder = Recorder()
    script = [tool_call_response([delete("a"), delete("b")]), text_response("Both done.")]
    async with scripted_agent(script, tools=files.registry) as (agent, server):
        paused = await agent.run("Go")
        again = await agent.run(paused.messages, approvals={"call_1": False}, on_event=recorder)
        assert len(server.requests) == 1
        still = await agent.run(again.messages)
        assert len(server.requests) == 1
        result = await agent.run(still.messages, approvals={"call_0": True})

    assert again.finish_reason == "approval_required"
    assert [r.id for r in again.pending_approvals] == ["call_0"]
    assert tool_messages(again.messages) == {"call_1": DENIED}
    assert "turn.started" not in recorder.types
    assert still.finish_reason == "approval_required"
    assert still.messages == again.messages
    assert result.text == "Both done."
    assert files.ran == [("delete_file", "a")]
    assert len(server.requests) == 2
    assert_every_call_answered(result.messages)


async def test_a_decision_for_a_call_that_is_not_waiting_is_a_usage_error() -> None:
    files = Files()
    recorder = Recorder()
    script = [tool_call_response([delete("a")]), text_response("never")]
    async with scripted_agent(script, tools=files.registry) as (agent, server):
        paused = await agent.run("Go")
        with pytest.raises(UsageError, match="call_9"):
            await agent.run(
                paused.messages, approvals={"call_0": True, "call_9": True}, on_event=recorder
            )
        with pytest.raises(UsageError, match="call_9"):
            agent.stream(paused.messages, approvals={"call_9": True})
        with pytest.raises(UsageError, match="call_0"):
            await agent.run([{"role": "user", "content": "Hi"}], approvals={"call_0": True})

    assert recorder.events == []  # raised before anything ran
    assert files.ran == []
    assert len(server.requests) == 1


async def test_a_decision_that_is_not_a_bool_or_approval_is_a_usage_error() -> None:
    files = Files()
    async with scripted_agent([tool_call_response([delete("a")])], tools=files.registry) as (
        agent,
        _server,
    ):
        paused = await agent.run("Go")
        with pytest.raises(UsageError, match="call_0"):
            await agent.run(paused.messages, approvals={"call_0": "yes"})  # type: ignore[dict-item]

    assert files.ran == []


async def test_an_approval_made_for_other_arguments_is_a_usage_error() -> None:
    files = Files()
    script = [tool_call_response([delete("a.txt")]), text_response("Deleted.")]
    async with scripted_agent(script, tools=files.registry) as (agent, server):
        paused = await agent.run("Go")
        (request,) = paused.pending_approvals
        tampered = json.loads(json.dumps(paused.messages))
        tampered[-1]["tool_calls"][0]["function"]["arguments"] = '{"path": "/etc/passwd"}'
        decision = Approval(True, arguments=request.arguments)
        with pytest.raises(UsageError, match="passwd"):
            await agent.run(tampered, approvals={"call_0": decision})
        assert files.ran == []
        assert len(server.requests) == 1
        result = await agent.run(paused.messages, approvals={"call_0": decision})

    assert files.ran == [("delete_file", "a.txt")]
    assert result.text == "Deleted."


async def test_a_resumed_call_whose_tool_is_gone_gets_an_unknown_tool_result() -> None:
    files = Files()
    script = [tool_call_response([delete("a")]), text_response("Could not.")]
    async with scripted_agent(script, tools=files.registry) as (agent, server):
        paused = await agent.run("Go")
        without = Agent(agent.model, tools=[files.registry.get("read_file")])  # type: ignore[list-item]
        result = await without.run(paused.messages, approvals={"call_0": True})

    (record,) = result.tool_calls
    assert record.is_error
    assert isinstance(record.error, UnknownToolError)
    assert server.requests[1].json()["messages"][-1]["content"] == record.output
    assert "delete_file" in record.output
    assert result.text == "Could not."


async def test_resuming_through_stream_delivers_the_resolution_events() -> None:
    files = Files()
    script = [tool_call_response([delete("a")]), text_response("Done.")]
    events: list[Event] = []
    async with scripted_agent(script, tools=files.registry) as (agent, _server):
        paused = await agent.run("Go")
        async with agent.stream(paused.messages, approvals={"call_0": True}) as run:
            async for event in run:
                events.append(event)

    types = [e.type for e in events]
    assert types[:3] == ["run.started", "approval.resolved", "tool.result"]
    assert run.result.text == "Done."


async def test_a_resumed_run_can_pause_again_at_the_next_turn() -> None:
    files = Files()
    script = [
        tool_call_response([delete("a")]),
        tool_call_response([delete("b")]),
        text_response("All gone."),
    ]
    async with scripted_agent(script, tools=files.registry) as (agent, _server):
        first = await agent.run("Go")
        second = await agent.run(first.messages, approvals={"call_0": True})
        assert second.finish_reason == "approval_required"
        assert [json.loads(r.arguments) for r in second.pending_approvals] == [{"path": "b"}]
        result = await agent.run(second.messages, approvals={"call_0": True})

    assert files.ran == [("delete_file", "a"), ("delete_file", "b")]
    assert result.text == "All gone."
    assert_every_call_answered(result.messages)


async def test_a_pause_in_a_turn_cut_by_length_ends_on_length() -> None:
    files = Files()
    steps = [
        role(),
        *call_steps(0, "c0", "delete_file", {"path": "a"}),
        call_start(1, "c1", "read_file"),
        call_args(1, '{"pa'),
        finish("length"),
        usage_chunk(),
    ]
    async with scripted_agent([response(*steps)], tools=files.registry) as (agent, server):
        result = await agent.run("Go")

    assert result.finish_reason == "length"
    assert result.pending_approvals == ()
    assert files.ran == []
    assert len(server.requests) == 1
    # The conversation stays valid: no call is left without an answer.
    assert_every_call_answered(result.messages)


async def test_an_approval_inline_with_a_turn_cut_by_length_still_decides_the_started_call() -> (
    None
):
    files = Files()
    steps = [
        role(),
        *call_steps(0, "c0", "delete_file", {"path": "a"}),
        call_start(1, "c1", "read_file"),
        call_args(1, '{"pa'),
        finish("length"),
    ]
    async with scripted_agent(
        [response(*steps)], tools=files.registry, approver=lambda _r: True
    ) as (
        agent,
        _server,
    ):
        result = await agent.run("Go")

    assert result.finish_reason == "length"
    assert files.ran == [("delete_file", "a")]
    assert_every_call_answered(result.messages)


async def test_an_output_given_beside_a_call_waiting_for_approval_is_not_lost() -> None:
    # Whether the run ends with the output at once or pauses first, the
    # accepted output must not be thrown away and asked for again.
    files = Files()
    hanoi = {"city": "Hanoi"}
    asked_again = tool_call_response([("final_result", {"city": "Hue"})])
    script = [tool_call_response([delete("a"), ("final_result", hanoi)]), asked_again]
    async with scripted_agent(script, tools=files.registry, output_type=City) as (agent, server):
        result = await agent.run("Delete a, then name a city")
        if result.finish_reason == "approval_required":
            result = await agent.run(result.messages, approvals={"call_0": True})

    assert result.output == City(city="Hanoi")
    assert len(server.requests) == 1
    assert_every_call_answered(result.messages)


# ------------------------------------------------------------ cancellation


async def test_leaving_the_stream_cancels_a_hanging_async_approver() -> None:
    files = Files()
    finalized: list[str] = []

    async def hang(_request: ApprovalRequest) -> bool:
        try:
            await anyio.sleep_forever()
        finally:
            finalized.append("approver")
        return True  # pragma: no cover

    async with scripted_agent(
        [tool_call_response([delete("a")])], tools=files.registry, approver=hang
    ) as (
        agent,
        server,
    ):
        baseline = live_tasks()
        with anyio.fail_after(5):
            async with agent.stream("Delete") as run:
                async for event in run:
                    if event.type == "approval.requested":
                        break
        assert finalized == ["approver"]
        assert await eventually(lambda: live_tasks() <= baseline)
        assert await eventually(lambda: server.open_connections <= 1)

    assert files.ran == []


async def test_a_timeout_cancels_a_hanging_async_approver() -> None:
    files = Files()
    finalized: list[str] = []

    async def hang(_request: ApprovalRequest) -> bool:
        try:
            await anyio.sleep_forever()
        finally:
            finalized.append("approver")
        return True  # pragma: no cover

    async with scripted_agent(
        [tool_call_response([delete("a")])], tools=files.registry, approver=hang
    ) as (
        agent,
        _server,
    ):
        baseline = live_tasks()
        with anyio.move_on_after(0.2) as scope:
            await agent.run("Delete")
        assert scope.cancelled_caught
        assert finalized == ["approver"]
        assert await eventually(lambda: live_tasks() <= baseline)

    assert files.ran == []


async def test_a_timeout_abandons_a_blocked_sync_approver() -> None:
    files = Files()
    release = threading.Event()
    asked = threading.Event()

    def block(_request: ApprovalRequest) -> bool:
        asked.set()
        release.wait(5)
        return True

    async with scripted_agent(
        [tool_call_response([delete("a")])], tools=files.registry, approver=block
    ) as (
        agent,
        _server,
    ):
        baseline = live_tasks()
        try:
            with anyio.move_on_after(0.3) as scope:
                await agent.run("Delete")
            assert scope.cancelled_caught
            assert asked.is_set()
            assert await eventually(lambda: live_tasks() <= baseline)
        finally:
            release.set()

    assert files.ran == []  # the late "True" is dropped: the call never runs


# ------------------------------------------------------------ another process

RESUME_SCRIPT = textwrap.dedent(
    """
    import json
    import sys

    from agentkit import Agent, Approval, OpenAIChatModel, tool


    @tool(needs_approval=True)
    def delete_file(path: str) -> str:
        \"\"\"Delete a file.\"\"\"
        print(f"ran delete_file {path}", file=sys.stderr)
        return f"deleted {path}"


    base_url, state = sys.argv[1], sys.argv[2]
    with open(state, encoding="utf-8") as file:
        messages = json.load(file)
    model = OpenAIChatModel("scripted", base_url=base_url, api_key="sk-other-process")
    agent = Agent(model, tools=[delete_file])
    result = agent.run_sync(
        messages, approvals={"call_0": True, "call_1": Approval(False, reason="keep b")}
    )
    print(json.dumps({
        "text": result.text,
        "finish_reason": result.finish_reason,
        "tool_calls": [[r.id, r.arguments, r.output, r.is_error] for r in result.tool_calls],
        "messages": result.messages,
    }))
    """
)


async def test_a_paused_run_resumes_in_another_process(tmp_path: Path) -> None:
    files = Files()
    script = [tool_call_response([delete("a.txt"), delete("b.txt")]), text_response("Done.")]
    async with scripted_agent(script, tools=files.registry) as (agent, server):
        paused = await agent.run("Delete a and b")
        state = tmp_path / "paused.json"
        state.write_text(json.dumps(paused.messages), encoding="utf-8")
        program = tmp_path / "resume.py"
        program.write_text(RESUME_SCRIPT, encoding="utf-8")
        with anyio.fail_after(60):
            done = await anyio.run_process(
                [sys.executable, str(program), server.base_url, str(state)], check=False
            )

    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr.decode().splitlines() == ["ran delete_file a.txt"]
    printed = json.loads(done.stdout)
    assert printed["text"] == "Done."
    assert printed["finish_reason"] == "stop"
    assert printed["tool_calls"] == [
        ["call_0", '{"path": "a.txt"}', "deleted a.txt", False],
        ["call_1", '{"path": "b.txt"}', f"{DENIED} Reason: keep b", False],
    ]
    assert files.ran == []  # this process never ran it
    assert len(server.requests) == 2
    resumed = server.requests[1]
    assert resumed.headers["authorization"] == "Bearer sk-other-process"
    sent = resumed.json()["messages"]
    assert sent[: len(paused.messages)] == paused.messages
    assert sorted(sent[len(paused.messages) :], key=lambda m: m["tool_call_id"]) == [
        {"role": "tool", "tool_call_id": "call_0", "content": "deleted a.txt"},
        {"role": "tool", "tool_call_id": "call_1", "content": f"{DENIED} Reason: keep b"},
    ]
    assert_every_call_answered(printed["messages"])
