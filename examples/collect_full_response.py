"""Collect the full response at the end, to log it or store it.

- One model turn: stream it for display, then read ``turn.message`` (the
  accumulated text, reasoning, tool calls, finish reason and usage); or call
  ``await turn.collect()`` when nothing needs to be shown live.
- An agent run: the ``RunResult`` has the final text, the usage summed over
  turns, every tool call with its result, and the whole conversation
  (``result.messages``), ready to store and to continue later.
  ``result.to_dict()`` is a JSON-ready summary.

Run it with ``python examples/collect_full_response.py``. It uses the
endpoint in ``AGENTKIT_BASE_URL`` (with ``AGENTKIT_MODEL`` and
``AGENTKIT_API_KEY``) if set; otherwise it starts a local ``ScriptedServer``
and runs offline.
"""

from __future__ import annotations

import json

import anyio

from agentkit import Agent, OpenAIChatModel, TextDelta
from agentkit.testing import open_endpoint, text_response

STORY = (
    "The lighthouse keeper counted ships every night. One night there were none, "
    "and he finally slept."
)
SCRIPT = [
    text_response(STORY, chunk_delay=0.01, usage=(14, 22)),
    text_response(
        "A haiku: waves fold into foam, / the tide keeps its old promise, / salt on the harbour.",
        usage=(12, 19),
    ),
    text_response("The harbour is quiet tonight; every boat is in.", usage=(40, 12)),
]


async def main(model: OpenAIChatModel) -> None:
    async with model:
        # 1. Show the tokens as they arrive, keep the whole message at the end.
        print("\n1. Stream, then read turn.message:")
        messages = [{"role": "user", "content": "Tell me a two-sentence story."}]
        async with model.stream(messages) as turn:
            async for event in turn:
                if isinstance(event, TextDelta):
                    print(event.text, end="", flush=True)
        message = turn.message
        total = message.usage.total_tokens if message.usage else "n/a"
        print(f"\n  {len(message.content)} characters, {total} tokens, {message.finish_reason}")

        # 2. Nothing to show live: collect() consumes the stream.
        print("\n2. turn.collect():")
        messages = [{"role": "user", "content": "Write a haiku about the sea."}]
        async with model.stream(messages) as turn:
            message = await turn.collect()
        print(f"  {message.content!r}")

        # 3. An agent run: store the result and the conversation.
        print("\n3. An agent run's RunResult, as a record to store:")
        agent = Agent(model, instructions="Be brief.")
        result = await agent.run("Say something about the harbour.")
        record = {**result.to_dict(), "messages": result.messages}
        print(json.dumps(record, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    with open_endpoint(SCRIPT) as endpoint:
        print(f"Using {endpoint.description}")
        model = endpoint.model
        anyio.run(main, model)
