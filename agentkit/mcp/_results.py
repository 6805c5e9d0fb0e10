"""An MCP ``tools/call`` result -> the text of the tool message.

Works on the result as JSON (``{"content": [...], "structuredContent": ...,
"isError": ...}``), so it needs nothing from the ``mcp`` package:

- text blocks are the output, joined by newlines, in order;
- with no text at all, ``structuredContent`` is the output, as JSON;
- an embedded text resource counts as text (after a line naming it);
- images, audio, binary resources and resource links are described in one
  line (kind, MIME type, size, URI) instead of being dropped: a model reading
  the tool message learns that they exist.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["describe_block", "result_text"]


def result_text(result: Mapping[str, Any]) -> str:
    """The tool message for a ``CallToolResult`` given as JSON (camelCase keys)."""
    blocks = [block for block in result.get("content") or () if isinstance(block, Mapping)]
    has_text = any(_text_of(block) is not None for block in blocks)
    structured = result.get("structuredContent")
    parts = [describe_block(block) for block in blocks]
    if not has_text and structured is not None:
        parts.insert(0, json.dumps(structured, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(part for part in parts if part)


def describe_block(block: Mapping[str, Any]) -> str:
    """One content block as text: its text, or a line that describes it."""
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind in ("image", "audio"):
        size = _base64_size(block.get("data"))
        return f"[{kind}: {_mime(block)}, {size}]"
    if kind == "resource_link":
        title = block.get("title") or block.get("name") or "resource"
        return f"[resource link: {title} <{block.get('uri', '')}> ({_mime(block)})]"
    if kind == "resource":
        return _describe_resource(block.get("resource") or {})
    return f"[{kind or 'unknown'} content]"


def _describe_resource(resource: Mapping[str, Any]) -> str:
    uri = resource.get("uri", "")
    text = _text_of({"type": "resource", "resource": resource})
    if text is not None:
        return f"[resource <{uri}> ({_mime(resource)})]\n{text}"
    return f"[resource <{uri}>: {_mime(resource)}, {_base64_size(resource.get('blob'))}]"


def _text_of(block: Mapping[str, Any]) -> str | None:
    if block.get("type") == "text":
        return str(block.get("text", ""))
    resource = block.get("resource")
    if block.get("type") == "resource" and isinstance(resource, Mapping) and "text" in resource:
        return str(resource["text"])
    return None


def _mime(item: Mapping[str, Any]) -> str:
    return str(item.get("mimeType") or "unknown type")


def _base64_size(data: Any) -> str:
    """The decoded size of base64 ``data``, for people (``12.3 KB``)."""
    if not isinstance(data, str):
        return "size unknown"
    size = len(data) * 3 // 4 - data[-2:].count("=")
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{size / 1000:.1f} KB"
    return f"{size / 1_000_000:.1f} MB"
