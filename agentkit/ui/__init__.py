"""Serve agent runs to browsers.

- `EventStreamResponse`: an ASGI response streaming one run as Server-Sent
  Events (agentkit's events, or the Vercel AI SDK UI message stream).
- `chat_app`: a complete ``POST`` endpoint that accepts ``useChat`` request
  bodies, so a React ``useChat`` front end works against an agentkit backend;
  with ``authorize`` (`ClientRequest` -> allowed) and `ChatLimits` it is safe
  to expose: without ``authorize`` it serves only requests from this machine.
- `VercelUIStream` / `ui_messages_to_openai`: the protocol translation, for
  use with any web framework.

A client disconnect cancels the run (tools cancelled, model connection
closed), and so does a client that stops reading. Works with Starlette,
FastAPI (``app.mount``) or any ASGI server.
"""

from ._asgi import ASGIApp, EventStreamResponse
from ._chat_app import ChatApp, chat_app
from ._guard import Authorize, ChatLimits, ClientRequest
from ._protocols import AgentkitProtocol, StreamProtocol, VercelProtocol
from ._vercel import VercelUIStream
from ._vercel_messages import ui_messages_to_openai

__all__ = [
    "ASGIApp",
    "AgentkitProtocol",
    "Authorize",
    "ChatApp",
    "ChatLimits",
    "ClientRequest",
    "EventStreamResponse",
    "StreamProtocol",
    "VercelProtocol",
    "VercelUIStream",
    "chat_app",
    "ui_messages_to_openai",
]
