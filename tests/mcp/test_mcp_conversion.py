"""MCP data -> agentkit data, without a server: a call's result -> the tool
message, a tool's name and input schema -> what agentkit publishes."""

from __future__ import annotations

import base64
import json

import pytest

from agentkit import MCPError, ToolDefinitionError
from agentkit.mcp import MCPServerHTTP, MCPServerStdio
from agentkit.mcp._results import result_text
from agentkit.mcp._tools import adapt_schema, make_tool, published_name

PNG = base64.b64encode(bytes(2048)).decode()


async def never_called(name: str, arguments: dict[str, object]) -> str:
    raise AssertionError("the server must not be called")


def test_text_blocks_are_the_output_in_order() -> None:
    result = {"content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]}
    assert result_text(result) == "one\ntwo"


def test_text_wins_over_structured_content() -> None:
    result = {"content": [{"type": "text", "text": '{"a": 1}'}], "structuredContent": {"a": 1}}
    assert result_text(result) == '{"a": 1}'


def test_structured_content_is_the_output_when_there_is_no_text() -> None:
    result = {"content": [], "structuredContent": {"city": "Hà Nội", "temp": 31}}
    assert result_text(result) == '{"city":"Hà Nội","temp":31}'


def test_images_audio_and_binary_resources_are_described_not_dropped() -> None:
    result = {
        "content": [
            {"type": "text", "text": "Here:"},
            {"type": "image", "data": PNG, "mimeType": "image/png"},
            {"type": "audio", "data": PNG[:8], "mimeType": "audio/wav"},
            {"type": "resource", "resource": {"uri": "file:///x.bin", "blob": PNG}},
            {"type": "resource_link", "uri": "file:///big.csv", "name": "big.csv"},
            {"type": "hologram"},
        ]
    }
    assert result_text(result).splitlines() == [
        "Here:",
        "[image: image/png, 2.0 KB]",
        "[audio: audio/wav, 6 bytes]",
        "[resource <file:///x.bin>: unknown type, 2.0 KB]",
        "[resource link: big.csv <file:///big.csv> (unknown type)]",
        "[hologram content]",
    ]


def test_an_embedded_text_resource_is_text() -> None:
    resource = {"uri": "file:///a.md", "mimeType": "text/markdown", "text": "# A"}
    result = {"content": [{"type": "resource", "resource": resource}], "structuredContent": {}}
    assert result_text(result) == "[resource <file:///a.md> (text/markdown)]\n# A"


def test_an_image_alone_is_described_after_the_structured_content() -> None:
    result = {
        "content": [{"type": "image", "data": PNG, "mimeType": "image/png"}],
        "structuredContent": {"width": 2},
    }
    assert result_text(result) == '{"width":2}\n[image: image/png, 2.0 KB]'


def test_published_names_are_prefixed_and_made_acceptable() -> None:
    assert published_name("get_time", None) == "get_time"
    assert published_name("get_time", "clock") == "clock_get_time"
    assert published_name("docs.search/v2", None) == "docs_search_v2"
    assert len(published_name("x" * 100, "p")) == 64


def test_older_draft_keywords_get_their_2020_12_spelling() -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Arguments",
        "properties": {
            "title": {"type": "string", "title": "Title"},
            "pair": {
                "type": "array",
                "items": [{"type": "integer", "title": "A"}],
                "additionalItems": False,
            },
            "size": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
        },
        "dependencies": {"title": ["pair"], "size": {"required": ["title"], "title": "T"}},
    }
    assert adapt_schema(schema) == {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "pair": {"type": "array", "prefixItems": [{"type": "integer"}], "items": False},
            "size": {"type": "number", "exclusiveMinimum": 0},
        },
        "dependentRequired": {"title": ["pair"]},
        "dependentSchemas": {"size": {"required": ["title"]}},
    }
    assert "$schema" in schema, "the server's schema is not modified"


def test_a_tool_without_a_schema_takes_an_empty_object() -> None:
    tool = make_tool({"name": "ping"}, never_called, prefix=None, timeout=None, server="test")
    assert tool.parameters == {"type": "object"}
    assert tool.parse_arguments("") == {}


def test_a_schema_that_is_not_json_schema_is_an_mcp_error_naming_the_tool() -> None:
    spec = {"name": "broken", "inputSchema": {"type": "object", "properties": {"a": {"type": 5}}}}
    with pytest.raises(MCPError, match=r"'broken'.*not a valid JSON schema") as caught:
        make_tool(spec, never_called, prefix=None, timeout=None, server="python srv.py")
    assert caught.value.server == "python srv.py"


def test_the_description_falls_back_to_the_title() -> None:
    spec = {"name": "t", "title": "The T tool", "inputSchema": {"type": "object"}}
    tool = make_tool(spec, never_called, prefix=None, timeout=2.5, server="s")
    assert (tool.description, tool.timeout, tool.eager) == ("The T tool", 2.5, True)
    assert json.loads(json.dumps(tool.definition()))["function"]["name"] == "t"


@pytest.mark.parametrize("prefix", ["", "has space", "a.b", "x" * 49])
def test_a_prefix_must_be_able_to_start_a_tool_name(prefix: str) -> None:
    with pytest.raises(ToolDefinitionError, match="prefix"):
        MCPServerStdio("python", prefix=prefix)


@pytest.mark.parametrize("timeout", [0, -1, "5", True])
def test_timeouts_must_be_positive_numbers(timeout: object) -> None:
    with pytest.raises(Exception, match="timeout must be a positive number"):
        MCPServerHTTP("http://127.0.0.1:1/mcp", timeout=timeout)  # type: ignore[arg-type]


def test_labels_name_the_command_or_the_url_without_credentials() -> None:
    assert MCPServerStdio("uvx", ["mcp-server-time"]).label == "uvx mcp-server-time"
    assert MCPServerStdio("my server", ["a b"]).label == "'my server' 'a b'"
    server = MCPServerHTTP("https://user:secret@example.com/mcp?x=1")
    assert server.label == "https://example.com/mcp?x=1"
    assert "secret" not in repr(server)
