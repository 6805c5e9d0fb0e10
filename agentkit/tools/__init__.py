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
This package does not import the wire layer or the runner.
"""

from .._context import RunContext
from ._decorator import ToolDecorator, tool
from ._outcome import ToolOutcome
from ._registry import ToolRegistry
from ._tool import Tool

__all__ = ["RunContext", "Tool", "ToolDecorator", "ToolOutcome", "ToolRegistry", "tool"]
