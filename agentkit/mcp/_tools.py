"""An MCP server's tool (``tools/list`` entry, as JSON) -> an agentkit `Tool`.

The published name is the server's name, with ``prefix_`` in front when the
server has a prefix; characters providers reject (MCP allows ``.`` and
``/``) become ``_`` and the name is cut to 64 characters. The call goes to
the server under its own name.

The input schema is published as the server wrote it, with three changes so
that agentkit validates it like any tool schema (Draft 2020-12):

- ``$schema`` is dropped at the root and ``title`` keywords everywhere
  (providers ignore them; they cost tokens);
- keywords of older drafts get their 2020-12 spelling: tuple ``items``
  (``prefixItems``), ``additionalItems``, ``dependencies``
  (``dependentRequired`` / ``dependentSchemas``), boolean
  ``exclusiveMinimum`` / ``exclusiveMaximum`` (draft-04), ``definitions``
  references keep working as they are;
- a root without ``type`` gets ``"type": "object"`` (what MCP requires).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .._errors import MCPError, ToolDefinitionError
from ..tools import Tool
from ..tools._json_schema import JsonSchema, map_schema

__all__ = ["adapt_schema", "make_tool", "published_name"]

_REJECTED_CHARACTERS = re.compile(r"[^a-zA-Z0-9_-]")
_MAX_NAME = 64

CallTool = Callable[[str, dict[str, Any]], Awaitable[str]]
"""Calls the server's tool (its own name, the validated arguments) -> output."""


def published_name(name: str, prefix: str | None) -> str:
    """The name the model sees for the server's tool ``name``."""
    full = f"{prefix}_{name}" if prefix else name
    return _REJECTED_CHARACTERS.sub("_", full)[:_MAX_NAME] or "_"


def make_tool(
    spec: Mapping[str, Any],
    call: CallTool,
    *,
    prefix: str | None,
    timeout: float | None,
    server: str,
) -> Tool[..., Any]:
    """The agentkit tool for one ``tools/list`` entry (camelCase JSON).

    Raises:
        MCPError: The tool's input schema is not a valid JSON schema even
            after adaptation (the message names the tool and the problem).
    """
    name = str(spec.get("name", ""))

    async def call_mcp_tool(**arguments: Any) -> str:
        return await call(name, arguments)

    description = spec.get("description") or spec.get("title") or ""
    try:
        return Tool.from_schema(
            call_mcp_tool,
            name=published_name(name, prefix),
            parameters=adapt_schema(spec.get("inputSchema")),
            description=str(description),
            timeout=timeout,
        )
    except ToolDefinitionError as error:
        raise MCPError(
            f"The MCP server {server} lists a tool agentkit cannot publish ({name!r}): {error} "
            "Report it to the server's authors.",
            server=server,
        ) from error


def adapt_schema(schema: Any) -> JsonSchema:
    """The server's ``inputSchema`` in the form agentkit publishes (see the
    module docs); the server's object is not modified."""
    root: JsonSchema = copy.deepcopy(schema) if isinstance(schema, dict) else {}
    root.pop("$schema", None)
    root.setdefault("type", "object")
    return map_schema(root, _modernise)


def _modernise(node: JsonSchema, pointer: str) -> JsonSchema:
    node.pop("title", None)
    if isinstance(node.get("items"), list):
        # Draft 7 tuples; map_schema did not walk into a list under "items".
        node["prefixItems"] = [_adapt_child(item) for item in node.pop("items")]
        if "additionalItems" in node:
            node["items"] = node.pop("additionalItems")
    dependencies = node.pop("dependencies", None)
    if isinstance(dependencies, dict):
        for key, value in dependencies.items():
            if isinstance(value, list):
                node.setdefault("dependentRequired", {})[key] = value
            else:
                node.setdefault("dependentSchemas", {})[key] = _adapt_child(value)
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if node.get(exclusive) is True and bound in node:
            node[exclusive] = node.pop(bound)
        elif node.get(exclusive) is False:
            del node[exclusive]
    return node


def _adapt_child(schema: Any) -> Any:
    return map_schema(schema, _modernise) if isinstance(schema, dict) else schema
