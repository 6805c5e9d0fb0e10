"""Retries and timeouts: configure them, watch them work, catch the errors.

- ``Timeouts``: connect, first chunk, gap between chunks, whole turn.
- ``RetryPolicy``: how often and how long to wait before retrying. The model
  layer retries connection errors, timeouts before the first chunk, 408,
  409, 429 (honouring ``Retry-After``) and 5xx; each retry is a ``retry``
  event.
- A stream that breaks after it started (cut, stalled, malformed) is not
  retried by the model layer: the agent streams the turn again (up to
  ``Agent(turn_retries=...)`` times; the ``retry`` event then has
  ``discard_partial=True`` if text was already shown), then raises a typed
  error carrying what was received.

Part 1 runs against ``AGENTKIT_BASE_URL`` (with ``AGENTKIT_MODEL`` and
``AGENTKIT_API_KEY``) if set, else against a local ``ScriptedServer`` that
answers 503, then 429, then the answer. Part 2 always uses a local
``ScriptedServer``: a stream that stalls mid-answer cannot be provoked on a
healthy endpoint.

Run it with ``python examples/retries_and_timeouts.py``.
"""

from __future__ import annotations

from agentkit import (
    Agent,
    Event,
    OpenAIChatModel,
    Retry,
    RetryPolicy,
    StreamTimeoutError,
    TextDelta,
    Timeouts,
)
from agentkit.testing import (
    Pause,
    ScriptedResponse,
    ScriptedServer,
    error_response,
    open_endpoint,
    text_chunks,
    text_response,
)

# Fail fast on connect, allow a slow first token, retry 3 times from 0.1 s up.
TIMEOUTS = Timeouts(connect=5.0, first_chunk=60.0, chunk_gap=30.0, total=300.0)
RETRIES = RetryPolicy(max_retries=3, initial_delay=0.1, max_delay=8.0)

FLAKY_SCRIPT = [
    error_response(503, "The server is overloaded."),
    error_response(429, "Too many requests.", headers={"Retry-After": "0.2"}),
    text_response("Hello! Third time lucky."),
]


def show(event: Event) -> None:
    match event:
        case Retry(attempt=attempt, delay=delay, reason=reason, discard_partial=discard):
            if discard:
                print()  # end the partial line
            print(f"  retry {attempt} in {delay:.2f} s: {reason}")
            if discard:
                print("  (the text shown so far will be streamed again: a UI drops it)")
        case TextDelta(text=text):
            print(text, end="", flush=True)


def transient_errors_are_retried(model: OpenAIChatModel) -> None:
    print("\n1. Transient HTTP errors are retried:")
    result = Agent(model).run_sync("Say hello.", on_event=show)
    print(f"\n  -> result.text: {result.text!r}")


def a_stalled_stream_times_out() -> None:
    print("\n2. A stream that stalls mid-answer (always on a local ScriptedServer):")
    # A role chunk and two words, then silence with the connection left open.
    stalled = ScriptedResponse([*text_chunks("Once upon a time")[:3], Pause()])
    with ScriptedServer([stalled, stalled]) as server:
        model = OpenAIChatModel(
            "scripted",
            base_url=server.base_url,
            api_key="offline",
            timeout=Timeouts(chunk_gap=0.2),  # tiny, for the demo
        )
        agent = Agent(model, turn_retries=1)  # stream a broken turn once more, then give up
        try:
            agent.run_sync("Tell me a story.", on_event=show)
        except StreamTimeoutError as error:
            # Also an IncompleteStreamError (.message) and an APITimeoutError (.phase).
            print(f"\n  -> StreamTimeoutError: phase={error.phase!r}, limit {error.seconds} s")
            print(f"     text received before the stall: {error.message.content!r}")


if __name__ == "__main__":
    with open_endpoint(FLAKY_SCRIPT, timeout=TIMEOUTS, retry_policy=RETRIES) as endpoint:
        print(f"Using {endpoint.description}")
        model = endpoint.model
        transient_errors_are_retried(model)
    a_stalled_stream_times_out()
