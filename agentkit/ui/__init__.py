"""Serve agent runs to browsers.

- `EventStreamResponse`: an ASGI response streaming one run as Server-Sent
  Events (agentkit's events, or the Vercel AI SDK UI message stream).
- `chat_app`: a complete ``POST`` endpoint that accepts ``useChat`` request
  bodies, so a React ``useChat`` front end works against an agentkit backend.
- `VercelUIStream` / `ui_messages_to_openai`: the protocol translation, for
  use with any web framework.

A client disconnect cancels the run (tools cancelled, model connection
closed). Works with Starlette, FastAPI (``app.mount``) or any ASGI server.
"""

from ._asgi import ASGIApp, ChatApp, EventStreamResponse, chat_app
from ._protocols import AgentkitProtocol, StreamProtocol, VercelProtocol
from ._vercel import VercelUIStream, ui_messages_to_openai

__all__ = [
    "ASGIApp",
    "AgentkitProtocol",
    "ChatApp",
    "EventStreamResponse",
    "StreamProtocol",
    "VercelProtocol",
    "VercelUIStream",
    "chat_app",
    "ui_messages_to_openai",
]
