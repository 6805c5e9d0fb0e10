"""The stream half of the campaign: one model turn per case over a recorded
stream, judged against the oracle's reading of the bytes the last attempt
delivered (see ``_campaign``)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
from _campaign import CASE_SECONDS, Campaign, CaseServer, Outcome, attempt_plan, campaign_model
from _oracle import ABNORMAL, OracleReading, read

from agentkit import AgentkitError, AssistantMessage, OpenAIChatModel, TextDelta
from agentkit.testing import Fault, Faults, ScriptedResponse, raw_response
from agentkit.testing._faults import streamed_bytes


async def run_stream_cases(
    streams: Sequence[Path], seeds: Sequence[int], campaign: Campaign
) -> None:
    """One model turn per seed, over the recording ``seed % len(streams)``."""
    cases = CaseServer()
    async with cases.server, campaign_model(cases.server) as model:
        for seed in seeds:
            path = streams[seed % len(streams)]
            campaign.outcomes.append(await _stream_case(cases, model, path, seed))


async def _stream_case(cases: CaseServer, model: OpenAIChatModel, path: Path, seed: int) -> Outcome:
    rng = random.Random(seed)
    data = _bytes_of(path)
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randrange(8))))
    response = raw_response(data, pieces=cuts)
    faults = Faults(seed=seed, stall_seconds=None)
    cases.start_case([response], attempt_plan(faults, rng))
    events: list[Any] = []
    error: BaseException | None = None
    message: AssistantMessage | None = None
    with anyio.move_on_after(CASE_SECONDS) as deadline:
        try:
            async with model.stream([{"role": "user", "content": f"case {seed}"}]) as turn:
                async for event in turn:
                    events.append(event)
            message = turn.message
        except Exception as caught:
            error = caught
    delivered = _delivered(response, cases.last_faults)
    verdict, detail = _judge_stream(
        read(delivered), message, error, events, deadline.cancelled_caught, cases.last_faults
    )
    return Outcome("stream", path.name, seed, cases.faults, verdict, detail)


def _bytes_of(path: Path) -> bytes:
    return path.read_bytes()


def _delivered(response: ScriptedResponse, faults: Sequence[Fault]) -> bytes:
    for fault in faults:
        response = fault.apply(response)
    return streamed_bytes(response)


def _judge_stream(
    truth: OracleReading,
    message: AssistantMessage | None,
    error: BaseException | None,
    events: list[Any],
    hung: bool,
    last_faults: Sequence[Fault],
) -> tuple[str, str]:
    if hung:
        return "wrong", "the turn hung"
    if error is not None and not isinstance(error, AgentkitError):
        return "wrong", f"untyped {type(error).__name__}: {error}"
    partial = message if error is None else getattr(error, "partial", None)
    shown = "".join(e.text for e in _after_last_retry(events) if isinstance(e, TextDelta))
    if partial is not None and shown != partial.content:
        return "wrong", "the text events disagree with the message"
    if error is None:
        assert message is not None
        if not truth.complete:
            return "wrong", "a stream the oracle finds incomplete was accepted"
        problem = _differs(message, truth, exact=True)
        return ("wrong", problem) if problem else ("exact", "")
    if truth.complete and not _breaks_transport(last_faults):
        return "wrong", f"a complete stream failed: {type(error).__name__}: {error}"
    problem = _differs(partial, truth, exact=False) if partial is not None else ""
    return ("wrong", problem) if problem else ("typed", type(error).__name__)


def _breaks_transport(faults: Sequence[Fault]) -> bool:
    """A fault after which a client cannot trust the connection, whatever the
    bytes said: a reset, a stall, an HTTP error."""
    return any(fault.kind in ("reset", "stall", "status") for fault in faults)


def _after_last_retry(events: list[Any]) -> list[Any]:
    retries = [i for i, event in enumerate(events) if event.type == "retry"]
    return events[retries[-1] + 1 :] if retries else events


def _differs(message: AssistantMessage, truth: OracleReading, *, exact: bool) -> str:
    """What in ``message`` disagrees with the oracle ("" if nothing): equal
    when ``exact``, else a prefix of it."""
    if exact and (message.content, message.reasoning) != (truth.content, truth.reasoning):
        return "content or reasoning differs"
    if not (truth.content.startswith(message.content)):
        return "content is not a prefix of the truth"
    if not (truth.reasoning.startswith(message.reasoning)):
        return "reasoning is not a prefix of the truth"
    sealed = [c for c in truth.calls if c.sealed or truth.finish_reason not in ABNORMAL]
    expected = sealed if exact else truth.calls
    calls = list(message.tool_calls)
    if exact and len(calls) != len(expected):
        return f"{len(calls)} tool calls, the truth has {len(expected)}"
    for mine, theirs in zip(calls, expected, strict=False):
        if (mine.name, mine.arguments) != (theirs.name, theirs.arguments) or (
            theirs.id and mine.id != theirs.id
        ):
            return f"tool call {mine.id} differs from the truth"
    if len(calls) > len(expected):
        return "more tool calls than the truth"
    # A partial may hold an earlier value of what the stream repeats
    # (running usage totals, a finish reason sent twice).
    if exact and message.finish_reason != truth.finish_reason:
        return f"finish reason {message.finish_reason!r} != {truth.finish_reason!r}"
    if message.finish_reason not in (None, *truth.seen_finish_reasons):
        return f"finish reason {message.finish_reason!r} never sent"
    usage = dict(message.usage.details) if message.usage else None
    if exact and usage != truth.final_usage:
        return "usage differs"
    if usage is not None and usage not in truth.seen_usage:
        return "usage never sent"
    return ""
