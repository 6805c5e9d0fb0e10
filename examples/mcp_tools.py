"""Tools from an MCP server, beside local tools.

``MCPServerStdio`` starts the reference MCP time server (``pip install
mcp-server-time``, a server agentkit did not write) as a child process and
speaks the Model Context Protocol to it over stdin and stdout. Put it in
``Agent(tools=[...])`` like a local tool: each run lists its tools and
publishes them beside ``get_weather``, checks the model's arguments against
the server's input schema before calling it, and feeds the result back as a
tool message. An error the server reports (an unknown timezone) reaches the
model as a tool error.

``async with clock:`` keeps one server process for every run inside the
block; without it, each run starts the server and ends it.

Run it with ``pip install "agentkit[mcp]" mcp-server-time`` and
``python examples/mcp_tools.py``. It uses the endpoint in
``AGENTKIT_BASE_URL`` (with ``AGENTKIT_MODEL`` and ``AGENTKIT_API_KEY``) if
set; otherwise it starts a local ``ScriptedServer`` and runs offline, where
the scripted model calls the real time server.
"""

from __future__ import annotations

import sys

import anyio

from agentkit import Agent, Event, OpenAIChatModel, ToolCallReady, ToolResult, tool
from agentkit.mcp import MCPServerStdio
from agentkit.testing import open_endpoint, text_response, tool_call_response

QUESTION = "What time is it in Tokyo, and is it warm there? Also, what time is it on Mars?"

# What the local server answers when no endpoint is configured.
SCRIPT = [
    tool_call_response(
        [
            ("get_current_time", {"timezone": "Asia/Tokyo"}),
            ("get_weather", {"city": "Tokyo"}),
            ("get_current_time", {"timezone": "Mars/Olympus_Mons"}),
        ]
    ),
    text_response("The time server answered for Tokyo (18°C there); Mars has no timezone."),
]


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city.

    Args:
        city: City name, for example "Tokyo".
    """
    return f"18°C and clear in {city}"


def show(event: Event) -> None:
    """Print each call when it is ready and its result when it is back."""
    match event:
        case ToolCallReady(name=name, arguments=arguments):
            print(f"→ {name}({arguments})")
        case ToolResult(name=name, output=output, is_error=is_error):
            mark = "✗" if is_error else "✓"
            print(f"{mark} {name}: {output}")


async def main(model: OpenAIChatModel) -> None:
    clock = MCPServerStdio(sys.executable, ["-m", "mcp_server_time", "--local-timezone", "UTC"])
    agent = Agent(model, tools=[get_weather, clock], instructions="Be brief.")
    async with model, clock:  # one time server process for the whole block
        names = [item.name for item in await clock.list_tools()]
        print(f"Tools from {clock.label}: {', '.join(names)}")
        result = await agent.run(QUESTION, on_event=show)
    print(f"\nAnswer: {result.text}")
    print(f"The server process has ended: {not clock.is_open}")


if __name__ == "__main__":
    with open_endpoint(SCRIPT) as endpoint:
        print(f"Using {endpoint.description}")
        anyio.run(main, endpoint.model)
