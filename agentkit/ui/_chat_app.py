"""`chat_app`: a whole ``POST`` endpoint for a chat page, safe to put on the
internet once ``authorize`` is set: every request is authorized, bounded and
validated before a model is called, and each refusal is a clear 4xx."""

from __future__ import annotations

import copy
import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

import anyio

from .._agent import Agent
from .._logging import get_logger
from .._sync import close_model_pool
from ._approval_ids import ApprovalIds
from ._asgi import ClientGone, EventStreamResponse, Receive, Scope, Send, json_error
from ._conversation import ChatInput, conversation_from_body
from ._guard import Authorize, ChatLimits, ClientRequest, Rejected, RunSlots, admit
from ._protocols import StreamProtocol, VercelProtocol, protocol_named
from ._vercel import VercelUIStream

__all__ = ["ChatApp", "chat_app"]


class ChatApp:
    """The ASGI application made by `chat_app` (a class, so Starlette's
    ``Route`` treats it as an ASGI app rather than a request handler).

    Attributes:
        runs: The runs in progress (``runs.in_progress()``).
    """

    def __init__(
        self,
        agent: Agent[Any],
        *,
        protocol: str,
        deps: Any,
        heartbeat: float | None,
        authorize: Authorize | None = None,
        limits: ChatLimits | None = None,
        secret: bytes | str | None = None,
    ) -> None:
        protocol_named(protocol)
        self.agent = agent
        self.protocol = protocol
        self.deps = deps
        self.heartbeat = heartbeat
        self.authorize = authorize
        self.limits = limits or ChatLimits()
        self.runs = RunSlots(self.limits)
        self._secret = secret
        self._approval_ids = ApprovalIds(secret)
        self._deps_take_client = callable(deps) and _positional_parameters(deps) >= 2

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            await self._serve(scope, receive, send)
        except Rejected as rejected:
            get_logger("agentkit.ui").info(
                "ui.rejected", status=rejected.status, reason=rejected.message
            )
            await json_error(send, rejected.status, rejected.message, rejected.headers)
        except ClientGone:
            get_logger("agentkit.ui").info("ui.client_gone", reason="before the run started")

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = ClientRequest.from_scope(scope)
        if request.method != "POST":
            raise Rejected(405, "Use POST with a JSON body holding 'messages'.", {"allow": "POST"})
        client = await admit(self.authorize, request)
        _check_head(request, self.limits)
        with self.runs.hold(client):
            body = await _read_body(receive, self.limits)
            chat = conversation_from_body(body, self.limits, self._tool_names(), self._approval_ids)
            response = EventStreamResponse(
                self._agent_for_run(),
                chat.messages,
                deps=self._deps_for(chat.payload, client),
                protocol=self._protocol_for(chat),
                heartbeat=self.heartbeat,
                send_timeout=self.limits.send_timeout,
                approvals=chat.answers.decisions or None,
            )
            await response(scope, receive, send)

    def _protocol_for(self, chat: ChatInput) -> StreamProtocol:
        if self.protocol != "vercel":
            return protocol_named(self.protocol)
        stream = VercelUIStream(secret=self._secret, message_id=chat.answers.message_id)
        return VercelProtocol(stream)

    def _tool_names(self) -> set[str] | None:
        """The agent's tools; None when tool sources add more at run time."""
        tools = self.agent.tools
        return None if tools.sources else set(tools.names)

    def _agent_for_run(self) -> Agent[Any]:
        limit = self.limits.max_turns
        if limit is None or limit >= self.agent.settings.max_turns:
            return self.agent
        agent = copy.copy(self.agent)
        agent.settings = dataclasses.replace(self.agent.settings, max_turns=limit)
        return agent

    def _deps_for(self, payload: Any, client: str) -> Any:
        if not callable(self.deps):
            return self.deps
        return self.deps(payload, client) if self._deps_take_client else self.deps(payload)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await close_model_pool(self.agent.model)
                await send({"type": "lifespan.shutdown.complete"})
                return


def chat_app(
    agent: Agent[Any],
    *,
    protocol: str = "vercel",
    deps: Any = None,
    heartbeat: float | None = 15.0,
    authorize: Authorize | None = None,
    limits: ChatLimits | None = None,
    secret: bytes | str | None = None,
) -> ChatApp:
    """A complete ASGI endpoint: ``POST`` a JSON body with ``messages`` (the
    AI SDK's UI messages, or OpenAI-format messages), get the run streamed
    back. Use it as a Starlette/FastAPI route or mount
    (``Route("/api/chat", chat_app(agent), methods=["POST"])``), or serve it
    alone with an ASGI server. At lifespan shutdown it closes the model's
    pooled connections.

    Without ``authorize`` it serves only requests from this machine (a
    loopback client, no proxy headers, a local ``Host`` and ``Origin``):
    set ``authorize`` before exposing it (see the docs page "Serving runs to
    a browser", section Security).

    Args:
        agent: The agent to run for each request.
        protocol: ``"vercel"`` (default: what ``useChat`` reads) or ``"agentkit"``.
        deps: The tools' ``RunContext.deps``: a value, or a function of the
            request's JSON body, or of the body and the client's name (what
            ``authorize`` returned, else the client's address).
        heartbeat: Seconds of silence before a keep-alive comment.
        authorize: ``request -> True | False | None | str`` (sync or async):
            whether a `ClientRequest` may run the agent; a string allows it
            and names the client for ``limits.max_runs_per_client``.
        limits: Body size, messages, turns, runs in progress, timeouts
            (`ChatLimits`; the defaults when None).
        secret: The key that signs the approval ids sent to the browser
            (bytes, or a str), so that an answer counts only for the call
            the server asked about. None: a random key made once per
            process, so answers do not survive a restart and a server
            running several processes (workers, replicas) must give each
            the same secret.

    A run that pauses for approvals (tools with ``needs_approval`` and no
    ``approver``) ends its reply with ``tool-approval-request`` parts; the
    next request, carrying the answers of ``addToolApprovalResponse``,
    resumes it: approved calls run, denied ones are answered with the
    reason.

    Refusals are JSON errors, before any model call: 401 (``authorize``
    said no), 403 (not local, without ``authorize``), 405 (not POST), 408
    (body too slow), 413 (body or conversation too large), 415 (not
    ``application/json``), 400 (malformed or impossible conversation, or
    an approval answer that is not for the call the server asked about), 429
    (too many runs of this client), 503 (too many runs in all).
    """
    return ChatApp(
        agent,
        protocol=protocol,
        deps=deps,
        heartbeat=heartbeat,
        authorize=authorize,
        limits=limits,
        secret=secret,
    )


def _check_head(request: ClientRequest, limits: ChatLimits) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        # Also what keeps a page of another site from posting here: a
        # cross-site form or a "simple" fetch cannot send this type.
        raise Rejected(415, "Send the body as application/json.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise Rejected(413, f"The body is over {limits.max_body_bytes} bytes.")


async def _read_body(receive: Receive, limits: ChatLimits) -> bytes:
    chunks: list[bytes] = []
    size = 0
    with anyio.move_on_after(limits.read_timeout):
        while True:
            message = await receive()
            if message.get("type") == "http.disconnect":
                raise ClientGone("the client left while sending its request")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limits.max_body_bytes:
                raise Rejected(413, f"The body is over {limits.max_body_bytes} bytes.")
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)
    raise Rejected(408, f"The body did not arrive within {limits.read_timeout:g} s.")


def _positional_parameters(function: Callable[..., Any]) -> int:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 1
    kinds = [parameter.kind for parameter in parameters]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return 2
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(kind in positional for kind in kinds)
