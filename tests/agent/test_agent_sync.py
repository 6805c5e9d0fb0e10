"""``Agent.run_sync``: from plain code (again and again, each call in its own
event loop), from a worker thread, and refused inside a running event loop."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from _agent_helpers import make_agent, scripted_agent
from _common import wait_until

from agentkit import AuthenticationError, Event, RunContext, ToolRegistry, UsageError
from agentkit.testing import ScriptedServer, error_response, text_response, tool_call_response


def greeting_tools() -> ToolRegistry:
    registry = ToolRegistry()

    @registry.tool
    def greet(ctx: RunContext[str], polite: bool) -> str:
        """Greet the user."""
        return f"{'Dear' if polite else 'Hey'} {ctx.deps}"

    return registry


def test_run_sync_from_plain_code_runs_a_tool_loop() -> None:
    script = [tool_call_response([("greet", {"polite": True})]), text_response("Done.")]
    seen: list[Event] = []
    caller = threading.get_ident()
    callback_threads: set[int] = set()

    def on_event(event: Event) -> None:
        seen.append(event)
        callback_threads.add(threading.get_ident())

    with ScriptedServer(script) as server:
        agent = make_agent(server, tools=greeting_tools())
        result = agent.run_sync("Greet me", deps="Ada", on_event=on_event)

    assert result.text == "Done."
    assert result.tool_calls[0].output == "Dear Ada"
    assert seen[0].type == "run.started"
    assert seen[-1].type == "run.finished"
    assert callback_threads == {caller}  # callbacks run in the calling thread


def test_run_sync_twice_in_a_row_uses_a_fresh_pool_each_time() -> None:
    with ScriptedServer([text_response("one"), text_response("two")]) as server:
        agent = make_agent(server)
        first = agent.run_sync("1")
        # The first loop is gone; its connections were closed with it.
        assert wait_until(lambda: server.open_connections == 0)
        second = agent.run_sync("2")
        assert wait_until(lambda: server.open_connections == 0)

    assert (first.text, second.text) == ("one", "two")
    assert server.connections_opened == 2


def test_run_sync_continues_a_conversation() -> None:
    with ScriptedServer([text_response("Hi Ada."), text_response("You are Ada.")]) as server:
        agent = make_agent(server)
        first = agent.run_sync("I am Ada.")
        second = agent.run_sync([*first.messages, {"role": "user", "content": "Who am I?"}])

    assert second.text == "You are Ada."
    assert [m["role"] for m in server.requests[1].json()["messages"]] == [
        "user",
        "assistant",
        "user",
    ]


def test_run_sync_works_from_a_worker_thread() -> None:
    outcome: dict[str, Any] = {}

    with ScriptedServer([text_response("from a thread"), text_response("again")]) as server:
        agent = make_agent(server)

        def work() -> None:
            try:
                outcome["first"] = agent.run_sync("Hi").text
                outcome["second"] = agent.run_sync("Hi").text
            except BaseException as error:  # reported by the assertion below
                outcome["error"] = error

        worker = threading.Thread(target=work)
        worker.start()
        worker.join(10)

    assert not worker.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert outcome == {"first": "from a thread", "second": "again"}


def test_run_sync_raises_the_run_error_itself() -> None:
    with ScriptedServer([error_response(401, "bad key")]) as server:
        agent = make_agent(server)
        with pytest.raises(AuthenticationError) as caught:
            agent.run_sync("Hi")

    assert type(caught.value) is AuthenticationError
    assert caught.value.status_code == 401


def test_an_agent_used_with_run_sync_still_works_with_anyio_run() -> None:
    import anyio

    with ScriptedServer([text_response("sync"), text_response("async")]) as server:
        agent = make_agent(server)
        assert agent.run_sync("1").text == "sync"

        async def main() -> str:
            try:
                return (await agent.run("2")).text
            finally:
                await agent.model.aclose()  # type: ignore[attr-defined]

        assert anyio.run(main) == "async"


@pytest.mark.anyio
async def test_run_sync_inside_a_running_event_loop_is_a_usage_error(anyio_backend: str) -> None:
    async with scripted_agent([text_response("Hi")]) as (agent, server):
        with pytest.raises(UsageError) as caught:
            agent.run_sync("Hi")
        # Nothing was sent; the agent still works the async way.
        assert server.requests == []
        assert (await agent.run("Hi")).text == "Hi"

    message = str(caught.value)
    assert anyio_backend in message
    assert "await agent.run" in message


def test_run_sync_from_several_threads_at_once_shares_one_agent() -> None:
    """Each thread runs its own event loop; each gets its own connection pool,
    and closing one thread's pool at the end of its run leaves the others be."""

    def responder(request: Any) -> Any:
        messages = request.json()["messages"]
        if messages[-1]["role"] == "tool":
            return text_response(f"done {messages[0]['content']}", chunk_delay=0.005)
        return tool_call_response([("greet", {"polite": True})], chunk_delay=0.005)

    with ScriptedServer(responder=responder) as server:
        agent = make_agent(server, tools=greeting_tools())
        answers: list[str] = []
        errors: list[BaseException] = []

        def work(name: str) -> None:
            try:
                for _ in range(3):
                    answers.append(agent.run_sync(name, deps=name).text)
            except BaseException as error:  # reported below, with the thread's name
                errors.append(error)

        threads = [threading.Thread(target=work, args=(f"q{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads), "a run_sync thread hung"
    assert errors == []
    assert sorted(answers) == sorted(f"done q{i}" for i in range(4) for _ in range(3))
