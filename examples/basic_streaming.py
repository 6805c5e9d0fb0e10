"""Stream an answer token by token, two ways.

1. ``OpenAIChatModel.stream``: one model turn at the wire level. It sends
   ``stream: true``, parses the Server-Sent Events and yields typed events;
   afterwards ``turn.message`` holds the accumulated answer.
2. ``Agent.stream``: the agent loop (tools, several turns) as an async
   iterator of events.

Run it with ``python examples/basic_streaming.py``. It uses the endpoint in
``AGENTKIT_BASE_URL`` (with ``AGENTKIT_MODEL`` and ``AGENTKIT_API_KEY``) if
set; otherwise it starts a local ``ScriptedServer`` and runs offline.
"""

from __future__ import annotations

import anyio

from agentkit import Agent, OpenAIChatModel, TextDelta
from agentkit.testing import open_endpoint, text_response

QUESTION = "What is the capital of France?"

# What the local server answers when no endpoint is configured.
SCRIPT = [
    text_response("The capital of France is Paris.", chunk_delay=0.03),
    text_response("Paris is the capital of France.", chunk_delay=0.03),
]


async def stream_one_turn(model: OpenAIChatModel) -> None:
    messages = [{"role": "user", "content": QUESTION}]
    async with model.stream(messages) as turn:
        async for event in turn:
            if isinstance(event, TextDelta):
                print(event.text, end="", flush=True)
    print(f"\n(finish_reason: {turn.message.finish_reason})")


async def stream_agent_run(model: OpenAIChatModel) -> None:
    agent = Agent(model, instructions="Answer in one sentence.")
    async with agent.stream(QUESTION) as run:
        async for event in run:
            if event.type == "text.delta":
                print(event.text, end="", flush=True)
    print(f"\n(turns: {run.result.turns}, finish_reason: {run.result.finish_reason})")


async def main(model: OpenAIChatModel) -> None:
    async with model:  # closes its HTTP connections at the end
        print("\n1. OpenAIChatModel.stream, one model turn:")
        await stream_one_turn(model)
        print("\n2. Agent.stream, the agent loop:")
        await stream_agent_run(model)


if __name__ == "__main__":
    with open_endpoint(SCRIPT) as endpoint:
        print(f"Using {endpoint.description}")
        model = endpoint.model
        anyio.run(main, model)
