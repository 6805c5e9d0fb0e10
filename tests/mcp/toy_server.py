"""An MCP server built on the `mcp` package's low-level API, for the tests.

Run as ``python toy_server.py stdio`` or ``python toy_server.py http`` (then
it listens on a free port of 127.0.0.1 and prints the port on the first line
of stdout). Its tools cover what a client must handle: every content type,
``isError`` results, structured content only, schemas of older drafts, a
name with a dot, calls that must run at once, a call that never ends, a
process that dies mid-call and a tool list that changes
(``notifications/tools/list_changed``).
"""

from __future__ import annotations

import base64
import os
import socket
import sys
from typing import Any

import anyio
import mcp.types as types
from mcp.server.lowlevel import NotificationOptions, Server
from mcp.server.stdio import stdio_server

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(1492)).decode()
WAV = base64.b64encode(bytes(44_100)).decode()
STRING = {"type": "string"}

SCHEMAS: dict[str, dict[str, Any]] = {
    "echo": {"type": "object", "properties": {"text": STRING}, "required": ["text"]},
    "pid": {"type": "object"},
    "slow": {
        "type": "object",
        "properties": {"seconds": {"type": "number", "minimum": 0}},
        "required": ["seconds"],
    },
    "meet": {
        "type": "object",
        "properties": {"group": STRING, "count": {"type": "integer", "minimum": 1}},
        "required": ["group", "count"],
    },
    "header": {"type": "object", "properties": {"name": STRING}, "required": ["name"]},
    "crash": {"type": "object", "properties": {}},
    "grow": {"type": "object", "properties": {}},
    "picture": {"type": "object", "properties": {}},
    "sound": {"type": "object", "properties": {}},
    "structured": {"type": "object", "properties": {}},
    "resources": {"type": "object", "properties": {}},
    "empty": {"type": "object", "properties": {}},
    "fail": {"type": "object", "properties": {}},
    "draft7": {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "title": "Draft7Arguments",
        "properties": {
            "point": {
                "type": "array",
                "items": [{"type": "number"}, {"type": "number"}],
                "additionalItems": False,
            },
            "unit": {"$ref": "#/definitions/Unit"},
            "limit": {"type": "number", "maximum": 10, "exclusiveMaximum": True},
        },
        "required": ["point"],
        "dependencies": {"unit": ["point"]},
        "additionalProperties": False,
        "definitions": {"Unit": {"type": "string", "enum": ["m", "ft"]}},
    },
    "docs.search": {
        "type": "object",
        "properties": {"query": STRING, "filters": {"$ref": "#/$defs/Filters"}},
        "required": ["query"],
        "$defs": {
            "Filters": {
                "type": "object",
                "properties": {"year": {"type": "integer"}},
                "additionalProperties": False,
            }
        },
    },
}
DESCRIPTIONS = {"echo": "Echo the text back.", "docs.search": "Search the docs."}
LISTED = list(SCHEMAS)


class Group:
    """The calls of ``meet`` that share a group name."""

    def __init__(self) -> None:
        self.arrived = 0
        self.all_here = anyio.Event()


GROUPS: dict[str, Group] = {}
HTTP = sys.argv[1:] == ["http"]


def text(value: str) -> list[types.ContentBlock]:
    return [types.TextContent(text=value)]


async def answer(context: Any, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
    if name == "echo":
        return types.CallToolResult(content=text(arguments["text"]))
    if name == "pid":
        return types.CallToolResult(content=text(str(os.getpid())))
    if name == "slow":
        if HTTP:  # stdout is free: tell the test that the call is under way
            print("slow: started", flush=True)
        await anyio.sleep(float(arguments["seconds"]))
        return types.CallToolResult(content=text("slept"))
    if name == "meet":  # "met" only when `count` calls of the group run at once
        group = GROUPS.setdefault(arguments["group"], Group())
        group.arrived += 1
        if group.arrived >= arguments["count"]:
            group.all_here.set()
        with anyio.move_on_after(5):
            await group.all_here.wait()
            return types.CallToolResult(content=text("met"))
        return types.CallToolResult(content=text("alone"), is_error=True)
    if name == "header":
        request = context.request
        value = request.headers.get(arguments["name"]) if request is not None else None
        return types.CallToolResult(content=text(str(value)))
    if name == "crash":
        print("toy server: crashing on purpose (exit 3)", file=sys.stderr, flush=True)
        os._exit(3)
    if name == "grow":
        LISTED.append("extra")
        await context.session.send_tool_list_changed()
        return types.CallToolResult(content=text("grown"))
    if name == "extra":
        return types.CallToolResult(content=text("extra tool"))
    if name == "picture":
        image = types.ImageContent(data=PNG, mime_type="image/png")
        return types.CallToolResult(content=[*text("A red dot:"), image])
    if name == "sound":
        return types.CallToolResult(content=[types.AudioContent(data=WAV, mime_type="audio/wav")])
    if name == "structured":
        return types.CallToolResult(content=[], structured_content={"celsius": 21.5})
    if name == "resources":
        return types.CallToolResult(content=resource_blocks())
    if name == "empty":
        return types.CallToolResult(content=[])
    if name == "fail":
        return types.CallToolResult(content=text("the widget is broken"), is_error=True)
    return types.CallToolResult(content=text(f"{name} {sorted(arguments.items())}"))


def resource_blocks() -> list[types.ContentBlock]:
    notes = types.TextResourceContents(uri="file:///notes.txt", mime_type="text/plain", text="hi")
    blob = types.BlobResourceContents(
        uri="file:///data.bin", mime_type="application/octet-stream", blob=WAV
    )
    link = types.ResourceLink(uri="file:///big.csv", name="big.csv", mime_type="text/csv")
    return [types.EmbeddedResource(resource=notes), types.EmbeddedResource(resource=blob), link]


async def list_tools(context: Any, params: Any) -> types.ListToolsResult:
    extra = {"extra": {"type": "object", "properties": {}}}
    schemas = {**SCHEMAS, **extra}
    return types.ListToolsResult(
        tools=[
            types.Tool(name=name, description=DESCRIPTIONS.get(name), input_schema=schemas[name])
            for name in LISTED
        ]
    )


async def call_tool(context: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
    return await answer(context, params.name, params.arguments or {})


SERVER = Server("toy", version="1.0", on_list_tools=list_tools, on_call_tool=call_tool)


async def serve_stdio() -> None:
    options = SERVER.create_initialization_options(NotificationOptions(tools_changed=True))
    async with stdio_server() as (read, write):
        await SERVER.run(read, write, options)


async def serve_http() -> None:
    import uvicorn

    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)
    app = SERVER.streamable_http_app()
    await uvicorn.Server(uvicorn.Config(app, log_level="warning")).serve(sockets=[listener])


if __name__ == "__main__":
    anyio.run(serve_http if HTTP else serve_stdio)
