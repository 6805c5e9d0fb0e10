"""`OpenAIChatModel`: any OpenAI-compatible Chat Completions endpoint."""

from __future__ import annotations

import os
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import anyio.lowlevel
import httpx

from .._errors import UsageError
from ._policy import RetryPolicy, Timeouts
from ._request import ChatRequest, EndpointQuirks
from ._stream import StreamedTurn

__all__ = ["OpenAIChatModel"]


DEFAULT_BASE_URL = "https://api.openai.com/v1"

DEFAULT_MAX_CONNECTIONS = 1000
"""Connections a model keeps per event loop unless told otherwise: enough
for a thousand turns streaming at once (the OpenAI SDK's default too)."""


class OpenAIChatModel:
    """A model behind an OpenAI-compatible ``/chat/completions`` endpoint
    (OpenAI, vLLM, llama.cpp, Ollama, LM Studio, Groq, OpenRouter...).

    Args:
        model: The model name sent in each request.
        base_url: The API root, for example ``http://localhost:11434/v1``.
            Defaults to ``AGENTKIT_BASE_URL``, then ``OPENAI_BASE_URL``, then
            OpenAI's.
        api_key: Sent as a Bearer token. Defaults to ``AGENTKIT_API_KEY``,
            then ``OPENAI_API_KEY``; None sends no Authorization header.
            Never logged nor shown in reprs or errors.
        timeout: A `Timeouts`, or a number of seconds for the read limits
            (first chunk and gap between chunks).
        max_retries: Retries of connection errors, timeouts before the first
            chunk, 408/409/429/5xx. Overrides ``retry_policy.max_retries``.
        retry_policy: Backoff settings; see `RetryPolicy`.
        headers: Extra HTTP headers sent with every request.
        http_client: An ``httpx.AsyncClient`` to use instead of the model's
            own (you then close it yourself; ``max_connections`` does not
            apply to it).
        max_connections: Most connections open at once, per event loop: one
            per turn streaming at that moment. Idle connections are all kept
            for the next turns. When every connection is busy, a new turn
            waits for a free one (bounded by ``Timeouts(pool=...)``, and by
            ``first_chunk`` and ``total``). None: no limit.
        include_usage: Ask for token usage (``stream_options.include_usage``).
            If the server rejects ``stream_options`` with a 400, the model
            retries once without it and stops sending it.
        send_reasoning: Whether an assistant message with tool calls goes
            back with the reasoning its stream delivered
            (``reasoning_content``, ``reasoning_details``, each call's
            ``extra_content``), which DeepSeek, Kimi, Gemini and Anthropic
            through OpenRouter need. None (the default): sent, and if the
            endpoint answers 400 naming one of these fields as unsupported,
            that field is left out from then on (the request is resent once,
            announced by a `Retry` event). True: always sent. False: never.
        **default_params: Request parameters sent with every turn
            (``temperature``, ``max_tokens``, ``tool_choice``...).

    Use ``async with model:`` or call `aclose` to close its connections.
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | Timeouts | None = None,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        max_connections: int | None = DEFAULT_MAX_CONNECTIONS,
        include_usage: bool = True,
        send_reasoning: bool | None = None,
        **default_params: Any,
    ) -> None:
        self.model = model
        self.base_url = (
            base_url
            or os.environ.get("AGENTKIT_BASE_URL")
            or os.environ.get("OPENAI_BASE_URL")
            or DEFAULT_BASE_URL
        ).rstrip("/")
        self._api_key = (
            api_key or os.environ.get("AGENTKIT_API_KEY") or os.environ.get("OPENAI_API_KEY")
        )
        self.timeouts = Timeouts.coerce(timeout)
        policy = retry_policy or RetryPolicy()
        if max_retries is not None:
            policy = RetryPolicy(
                max_retries,
                policy.initial_delay,
                policy.max_delay,
                policy.jitter,
                policy.max_retry_after,
            )
        self.retry_policy = policy
        self.headers = dict(headers or {})
        if max_connections is not None and max_connections < 1:
            raise UsageError(
                f"OpenAIChatModel(max_connections={max_connections!r}): it must be at least 1 "
                "(or None for no limit)."
            )
        self.max_connections = max_connections
        self._quirks = EndpointQuirks(include_usage=include_usage, send_reasoning=send_reasoning)
        self.default_params = default_params
        self._client = http_client
        self._parsed_url: tuple[str, httpx.URL] | None = None
        # One pool per event loop; a loop that ends takes its entry with it.
        self._clients: weakref.WeakKeyDictionary[object, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        return f"OpenAIChatModel({self.model!r}, base_url={self.base_url!r}, api_key=<{key}>)"

    @property
    def include_usage(self) -> bool:
        """Whether turns ask for token usage (``stream_options``); turned off
        for good when the endpoint rejected ``stream_options`` with a 400."""
        return self._quirks.include_usage

    @property
    def chat_url(self) -> str:
        """The URL turns are posted to."""
        return f"{self.base_url}/chat/completions"

    @property
    def client(self) -> httpx.AsyncClient:
        """The pooled HTTP client of the running event loop (created on first
        use there). Connections belong to one event loop, so each loop that
        uses the model (each ``run_sync`` call, each thread) gets its own pool."""
        if self._client is not None:
            return self._client
        loop = _running_loop()
        client = self._clients.get(loop)
        if client is None:
            # No TLS context for a plain-http endpoint (local servers, tests):
            # loading the CA bundle costs ~0.2 s and no https request is made.
            # Every idle connection is kept: one closed between two turns of a
            # run is reopened at once, and httpcore closes idle connections
            # beyond the keep-alive count on every request it releases.
            limits = httpx.Limits(
                max_connections=self.max_connections,
                max_keepalive_connections=self.max_connections,
            )
            client = httpx.AsyncClient(verify=self.base_url.startswith("https://"), limits=limits)
            self._clients[loop] = client
        return client

    async def aclose(self) -> None:
        """Close the pooled connections of the running event loop (a client
        you passed in is yours to close)."""
        if self._client is not None:
            return
        client = self._clients.pop(_running_loop(), None)
        if client is not None:
            await client.aclose()

    async def __aenter__(self) -> OpenAIChatModel:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def stream(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        **params: Any,
    ) -> StreamedTurn:
        """Open one streamed turn; see `StreamedTurn`.

        Args:
            messages: The conversation as OpenAI-format message dicts.
            tools: Function definitions (for example
                ``registry.definitions()``); omitted from the request when empty.
            **params: Request parameters for this turn only; they override the
                model's defaults.
        """
        return StreamedTurn(
            self.client,
            self._request(messages, tools, params),
            timeouts=self.timeouts,
            retry_policy=self.retry_policy,
        )

    def _request(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None,
        params: Mapping[str, Any],
    ) -> ChatRequest:
        body: dict[str, Any] = {"model": self.model, "messages": list(messages)}
        body.update(self.default_params)
        body.update(params)
        if tools:
            body["tools"] = list(tools)
        body["stream"] = True
        if self.include_usage and "stream_options" not in body:
            body["stream_options"] = {"include_usage": True}
        headers = {"Accept": "text/event-stream", **self.headers}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return ChatRequest(self._parsed_chat_url(), headers, body, self._quirks, self.timeouts)

    def _parsed_chat_url(self) -> httpx.URL:
        """`chat_url` parsed, once per ``base_url``."""
        parsed = self._parsed_url
        if parsed is None or parsed[0] != self.base_url:
            parsed = self._parsed_url = (self.base_url, httpx.URL(self.chat_url))
        return parsed[1]


def _running_loop() -> object:
    """The running event loop (asyncio) or trio token: what a pool belongs to."""
    try:
        return anyio.lowlevel.current_token().native_token
    except RuntimeError:
        raise UsageError(
            "OpenAIChatModel's connections belong to an event loop: use the model from "
            "async code (or through Agent.run_sync), not from plain synchronous code."
        ) from None
