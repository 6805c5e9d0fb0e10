"""Tools from Model Context Protocol servers, beside local tools.

```python
from agentkit.mcp import MCPServerStdio, MCPServerHTTP   # pip install "agentkit[mcp]"

clock = MCPServerStdio(sys.executable, ["-m", "mcp_server_time"])
agent = Agent(model, tools=[get_weather, clock])
```

An MCP server is a `agentkit.ToolSource`: each run opens a session (or uses
the one open while the server is entered with ``async with``), lists the
server's tools, publishes them beside the local ones and validates each
call's arguments against the server's input schema before sending it.

Modules: `_server` (the shared lifecycle), `_stdio` and `_http` (the two
transports), `_session` (one open ``mcp`` client session), `_tools` (an MCP
tool -> an agentkit `Tool`), `_results` (a call's result -> the tool
message), `_serve` (agentkit tools served over MCP). Needs the ``mcp``
package (the ``mcp`` extra); ``import agentkit`` does not import it.
"""

from __future__ import annotations

try:
    import mcp as _mcp  # noqa: F401
except ImportError as error:  # pragma: no cover - the extra is installed in the tests
    raise ImportError(
        'agentkit.mcp needs the "mcp" package: pip install "agentkit[mcp]"'
    ) from error

from .._errors import MCPError
from ._http import MCPServerHTTP
from ._serve import serve
from ._server import MCPServer
from ._stdio import MCPServerStdio

__all__ = ["MCPError", "MCPServer", "MCPServerHTTP", "MCPServerStdio", "serve"]
