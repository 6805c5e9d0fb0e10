"""`ToolSlots`, the bound on a run's tool calls at once: the bound holds,
waiters get their slot in arrival order, and a waiter cancelled before or
after its slot came loses no slot."""

from __future__ import annotations

import anyio
import anyio.abc
from _common import ASYNC_TESTS

from agentkit._slots import ToolSlots

pytestmark = ASYNC_TESTS


async def hold_in_turn(slots: ToolSlots, count: int) -> tuple[list[int], int]:
    """``count`` tasks, each arriving after the previous one is in line,
    take the slots for a moment: the order they got in, and the most
    holders at once."""
    order: list[int] = []
    holding = 0
    most = 0

    async def hold(number: int, *, task_status: anyio.abc.TaskStatus[None]) -> None:
        nonlocal holding, most
        task_status.started()  # the task goes on to the slots before it yields
        async with slots:
            order.append(number)
            holding += 1
            most = max(most, holding)
            await anyio.sleep(0.01)
            holding -= 1

    async with anyio.create_task_group() as task_group:
        for number in range(count):
            await task_group.start(hold, number)
    return order, most


async def test_at_most_limit_holders_at_once() -> None:
    order, most = await hold_in_turn(ToolSlots(2), 6)
    assert most == 2
    assert sorted(order) == list(range(6))


async def test_waiters_are_served_in_arrival_order() -> None:
    order, most = await hold_in_turn(ToolSlots(1), 5)
    assert most == 1
    assert order == list(range(5))


async def test_a_free_slot_is_taken_without_waiting() -> None:
    slots = ToolSlots(1)
    with anyio.fail_after(1):
        for _ in range(3):
            async with slots:
                pass


async def test_a_waiter_cancelled_in_line_leaves_the_line() -> None:
    slots = ToolSlots(1)
    served: list[str] = []

    async def wait_then_note(name: str) -> None:
        async with slots:
            served.append(name)

    await slots.__aenter__()
    async with anyio.create_task_group() as task_group:
        cancelled = anyio.CancelScope()
        task_group.start_soon(_in_scope, cancelled, wait_then_note, "cancelled")
        await anyio.sleep(0.01)
        task_group.start_soon(wait_then_note, "next")
        await anyio.sleep(0.01)
        cancelled.cancel()
        await anyio.sleep(0.01)
        assert served == []  # the slot is still held here
        await slots.__aexit__(None, None, None)
    assert served == ["next"]
    async with slots:  # and the slot came back after "next"
        pass


async def test_a_slot_handed_to_a_cancelled_waiter_goes_to_the_next() -> None:
    slots = ToolSlots(1)
    served: list[str] = []

    async def wait_then_note(name: str) -> None:
        async with slots:
            served.append(name)

    with anyio.fail_after(2):  # a lost slot would leave "second" waiting forever
        await _cancel_after_handover(slots, wait_then_note)
    assert served == ["second"]
    with anyio.fail_after(1):
        async with slots:  # nothing was lost
            pass


async def _cancel_after_handover(slots: ToolSlots, wait_then_note: object) -> None:
    async with anyio.create_task_group() as task_group:
        scope = anyio.CancelScope()
        await slots.__aenter__()
        task_group.start_soon(_in_scope, scope, wait_then_note, "first")
        await anyio.sleep(0.01)
        task_group.start_soon(wait_then_note, "second")
        await anyio.sleep(0.01)
        # "first" is cancelled, and before it resumes the slot is handed to it.
        scope.cancel()
        await slots.__aexit__(None, None, None)


async def _in_scope(scope: anyio.CancelScope, function: object, *args: object) -> None:
    with scope:
        await function(*args)  # type: ignore[operator]
