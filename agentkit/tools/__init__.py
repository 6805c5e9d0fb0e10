"""The tool registry: Python functions -> function definitions the model sees,
and the model's calls -> validated, safely executed function calls.

- `tool` / `ToolRegistry.tool`: decorators that make a `Tool` from a function,
  its type hints and its docstring.
- `Tool.from_schema` / `Tool.from_model`: tools from an explicit JSON schema
  or a pydantic model.
- `ToolRegistry.execute`: one call from the model -> a `ToolOutcome`, never an
  exception (bad arguments, unknown tools, exceptions and timeouts become
  error outcomes the model can read and fix).

`RunContext` (what a tool may ask for) is re-exported here for tool authors.
This package does not import the wire layer or the runner, and importing it
is cheap: pydantic loads with the first tool defined from a model or from a
function whose parameters are more than plain JSON types (`_simple_schema`),
jsonschema with the first arguments validated.

Modules, top to bottom (each imports only the ones below it):

- `_registry`, `_decorator`: `ToolRegistry`, `tool`
- `_source`: `ToolSource`, tools listed when a run starts (MCP servers)
- `_tool`: `Tool`, the public face of one tool
- `_execution`: running one call (thread or await, timeout, output, `ToolOutcome`)
- `_function_schema`: `FunctionSchema`, everything fixed when a tool is defined
- `_simple_schema`: plain-JSON signatures -> schema and converter, no pydantic
- `_pydantic_schema`, `_signature`: Python types and signatures -> schemas
- `_arguments`: the model's arguments string -> keyword arguments, or errors
- `_strict`, `_json_schema`: schema transforms (strict mode, cleaning, walking)
"""

from .._context import RunContext
from ._decorator import ToolDecorator, tool
from ._execution import ToolOutcome
from ._registry import ToolRegistry
from ._source import ToolSource
from ._tool import Tool

__all__ = [
    "RunContext",
    "Tool",
    "ToolDecorator",
    "ToolOutcome",
    "ToolRegistry",
    "ToolSource",
    "tool",
]
