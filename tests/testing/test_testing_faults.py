"""``ScriptedServer(faults=...)``: each kind of fault does what it says on the
wire (checked with a plain httpx client), seeded faults are reproducible, a
retry gets the answer a fault spoiled, and an agent run under faults ends
right."""

from __future__ import annotations

import time

import httpx
import pytest
from _agent_helpers import make_agent
from _common import ASYNC_TESTS
from _streams import read_into

from agentkit import ToolRegistry
from agentkit.testing import (
    Fault,
    Faults,
    ScriptedResponse,
    ScriptedServer,
    error_response,
    text_response,
    tool_call_response,
)
from agentkit.testing._faults import FAULT_KINDS, streamed_bytes

pytestmark = ASYNC_TESTS

ANSWER = text_response("One two three four five.")
BODY = streamed_bytes(ANSWER)


async def fetch(server: ScriptedServer, message: str = "hi") -> tuple[int, bytes, bool]:
    """Status, body bytes received, and whether the body ended cleanly."""
    received = bytearray()
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=0.5)) as client,
        client.stream(
            "POST",
            f"{server.base_url}/chat/completions",
            json={"messages": [{"role": "user", "content": message}]},
        ) as response,
    ):
        try:
            await read_into(received, response.aiter_raw())
        except (httpx.RemoteProtocolError, httpx.ReadTimeout):
            return response.status_code, bytes(received), False
    return response.status_code, bytes(received), True


# ------------------------------------------------------------ each kind


async def test_reset_closes_the_connection_mid_body() -> None:
    async with ScriptedServer([ANSWER], faults={1: Fault.reset(at=100)}) as server:
        status, body, clean = await fetch(server)
    assert (status, body, clean) == (200, BODY[:100], False)
    assert server.injected_faults == [(1, Fault.reset(at=100))]


async def test_truncate_ends_the_body_cleanly_mid_line() -> None:
    async with ScriptedServer([ANSWER], faults={1: Fault.truncate(at=100)}) as server:
        assert await fetch(server) == (200, BODY[:100], True)


async def test_garbage_and_invalid_utf8_are_inserted() -> None:
    faults = {1: Fault.garbage(at=10, data=b"\x00junk"), 2: Fault.invalid_utf8(at=10)}
    async with ScriptedServer([ANSWER, ANSWER], faults=faults) as server:
        _, garbled, _ = await fetch(server, "one")
        _, invalid, _ = await fetch(server, "two")
    assert garbled == BODY[:10] + b"\x00junk" + BODY[10:]
    assert invalid[10:12] == b"\xff\xfe"
    with pytest.raises(UnicodeDecodeError):
        invalid.decode()


async def test_duplicate_sends_the_event_around_the_offset_twice() -> None:
    first_event = BODY[: BODY.index(b"\n\n") + 2]
    async with ScriptedServer([ANSWER], faults={1: Fault.duplicate(at=5)}) as server:
        _, body, clean = await fetch(server)
    assert clean
    assert body == first_event + BODY


async def test_stall_waits_until_the_client_gives_up() -> None:
    async with ScriptedServer([ANSWER], faults={1: Fault.stall(at=100)}) as server:
        started = time.monotonic()
        status, body, clean = await fetch(server)  # read timeout 0.5 s
    assert (status, body, clean) == (200, BODY[:100], False)
    assert time.monotonic() - started >= 0.5


async def test_a_timed_stall_resumes() -> None:
    async with ScriptedServer([ANSWER], faults={1: Fault.stall(at=100, seconds=0.2)}) as server:
        started = time.monotonic()
        assert await fetch(server) == (200, BODY, True)
    assert time.monotonic() - started >= 0.2


async def test_a_status_fault_replaces_the_answer() -> None:
    fault = Fault.http_status(429, retry_after=2)
    async with ScriptedServer([ANSWER], faults={1: fault}) as server, httpx.AsyncClient() as client:
        response = await client.post(f"{server.base_url}/chat/completions", json={})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert response.json()["error"]["type"] == "injected_fault"


async def test_byte_faults_leave_a_fixed_body_alone() -> None:
    answer = error_response(400, "bad")
    async with ScriptedServer([answer], faults={1: Fault.reset(at=3)}) as server:
        status, body, clean = await fetch(server)
    assert (status, body, clean) == (400, answer.body, True)


def test_offsets_past_the_end_are_clamped() -> None:
    assert streamed_bytes(Fault.truncate(at=10**9).apply(ANSWER)) == BODY
    assert streamed_bytes(Fault.reset(at=-5).apply(ANSWER)) == b""


# ------------------------------------------------------ the seeded plan


def test_the_same_seed_draws_the_same_faults() -> None:
    def draw(seed: int) -> list[list[Fault]]:
        faults = Faults(seed=seed)
        return [faults(None, ANSWER) for _ in range(50)]  # type: ignore[arg-type]

    assert draw(3) == draw(3)
    assert draw(3) != draw(4)
    assert {fault.kind for faults in draw(3) for fault in faults} == set(FAULT_KINDS)
    assert all(0 <= fault.at < len(BODY) for faults in draw(3) for fault in faults)


def test_rate_and_kinds_are_honoured() -> None:
    never = Faults(seed=1, rate=0.0)
    assert all(never(None, ANSWER) == [] for _ in range(20))  # type: ignore[arg-type]
    resets = Faults(seed=1, kinds=["reset"])
    assert {f.kind for _ in range(20) for f in resets(None, ANSWER)} == {"reset"}  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kinds"):
        Faults(kinds=["meteor"])  # type: ignore[list-item]


# ---------------------------------------------------------------- retries


async def test_a_retry_gets_the_answer_the_fault_spoiled() -> None:
    second = text_response("The second answer.")
    faults = {1: Fault.http_status(503)}
    async with ScriptedServer([ANSWER, second], faults=faults) as server:
        first_status, _, _ = await fetch(server, "same")
        retry = await fetch(server, "same")
        other = await fetch(server, "different")
    assert first_status == 503
    assert retry == (200, BODY, True)
    assert other[1] == streamed_bytes(second)


async def test_an_agent_run_recovers_from_faults_on_every_turn() -> None:
    registry = ToolRegistry()
    executed: list[str] = []

    @registry.tool
    def lookup(key: str) -> str:
        """Look a key up."""
        executed.append(key)
        return f"value of {key}"

    script = [tool_call_response([("lookup", {"key": "a"})]), text_response("a is known.")]
    faults = {1: Fault.http_status(500), 3: Fault.reset(at=40), 4: Fault.truncate(at=60)}
    async with ScriptedServer(script, faults=faults) as server:
        agent = make_agent(server, tools=registry)
        async with agent.model:  # type: ignore[attr-defined]
            result = await agent.run("Look a up")
    assert result.text == "a is known."
    assert executed == ["a"]
    assert [number for number, _ in server.injected_faults] == [1, 3, 4]
    assert len(server.requests) == 5


async def test_a_responder_and_a_plan_function_work_together() -> None:
    seen: list[int] = []

    def plan(request: object, response: ScriptedResponse) -> list[Fault]:
        seen.append(len(streamed_bytes(response)))
        return [Fault.truncate(at=20)] if len(seen) == 1 else []

    async with ScriptedServer(responder=lambda request: ANSWER, faults=plan) as server:
        _, cut, _ = await fetch(server, "one")
        _, whole, _ = await fetch(server, "two")
    assert cut == BODY[:20]
    assert whole == BODY
    assert seen == [len(BODY), len(BODY)]
