"""Who may use a chat endpoint and how much: the request as `authorize` sees
it, the default rule when there is no `authorize` (local requests only), and
the per-request limits, with the counters of runs in progress."""

from __future__ import annotations

import inspect
import ipaddress
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Authorize", "ChatLimits", "ClientRequest", "Rejected", "RunSlots", "admit"]

_FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")


class Rejected(Exception):
    """A request refused before its run started (answered as a JSON error)."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


@dataclass(frozen=True, slots=True)
class ClientRequest:
    """A request to `chat_app` as ``authorize`` sees it, before its body is read.

    Attributes:
        method: ``"POST"``...
        path: The request path.
        headers: Header names in lower case (repeated headers joined by ``, ``).
        client: The peer's address (the proxy's, behind a reverse proxy), or None.
        scope: The raw ASGI scope, for anything else.
    """

    method: str
    path: str
    headers: Mapping[str, str]
    client: str | None
    scope: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_scope(cls, scope: Mapping[str, Any]) -> ClientRequest:
        """The request of an ASGI ``http`` scope."""
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers") or []:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        client = scope.get("client")
        return cls(
            method=str(scope.get("method", "")),
            path=str(scope.get("path", "")),
            headers=headers,
            client=str(client[0]) if client else None,
            scope=scope,
        )

    @property
    def bearer_token(self) -> str | None:
        """The token of an ``Authorization: Bearer <token>`` header, or None."""
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        token = token.strip()
        return token if scheme.lower() == "bearer" and token else None

    @property
    def is_local(self) -> bool:
        """Sent from this machine, straight to this server: a loopback peer,
        no proxy's forwarding headers, a ``Host`` (and an ``Origin``, when
        there is one) naming this machine, so neither a page of another site
        nor a DNS-rebound name gets through."""
        if self.client is None or not _is_loopback_address(self.client):
            return False
        if any(name in self.headers for name in _FORWARDING_HEADERS):
            return False
        if not _names_this_machine(urlsplit(f"//{self.headers.get('host', '')}").hostname):
            return False
        origin = self.headers.get("origin")
        return origin is None or _names_this_machine(urlsplit(origin).hostname)


Authorize = Callable[[ClientRequest], "bool | str | Awaitable[bool | str | None] | None"]
"""Decides whether a request may run the agent: True (allowed; the client is
counted by its address), a non-empty string (allowed; the client is counted
under that name, a user id for example), or False/None (refused: 401). Sync
or async."""


@dataclass(frozen=True, slots=True)
class ChatLimits:
    """What one client may ask of `chat_app`. Every limit answers with a 4xx
    (or 503) before any model is called, except ``max_turns`` (the run then
    ends with `MaxTurnsExceeded`, sent as its error event) and
    ``send_timeout`` (the run is cancelled).

    Attributes:
        max_body_bytes: Largest request body (413 beyond).
        max_messages: Most messages in a conversation (413 beyond).
        max_turns: Most model turns per request (at most the agent's own
            ``max_turns``); None keeps the agent's.
        max_runs_per_client: Runs one client may have in progress at once
            (429 beyond). A client is what ``authorize`` named, else its
            address.
        max_runs: Runs in progress at once over all clients (503 beyond);
            None for no limit.
        read_timeout: Seconds to receive the whole request body (408 beyond).
        send_timeout: Seconds one write to the client may wait: a client that
            stops reading holds at most agentkit's event buffer (64 events)
            plus the server's socket buffers, then its run is cancelled.
    """

    max_body_bytes: int = 1024 * 1024
    max_messages: int = 200
    max_turns: int | None = None
    max_runs_per_client: int = 4
    max_runs: int | None = None
    read_timeout: float = 30.0
    send_timeout: float = 30.0


async def admit(authorize: Authorize | None, request: ClientRequest) -> str:
    """The name the client's runs are counted under, or `Rejected` (401 when
    ``authorize`` refuses, 403 for a non-local request without ``authorize``)."""
    if authorize is None:
        if not request.is_local:
            raise Rejected(
                403,
                "This endpoint serves only requests from this machine: the server has no "
                "authorize= hook (see the security section of the agentkit.ui docs).",
            )
        return request.client or "local"
    verdict = authorize(request)
    if inspect.isawaitable(verdict):
        verdict = await verdict
    if verdict is True:
        return request.client or "anonymous"
    if isinstance(verdict, str) and verdict:
        return verdict
    if verdict in (False, None, ""):
        raise Rejected(401, "Not authorized.", {"www-authenticate": "Bearer"})
    raise TypeError(f"authorize returned {verdict!r}: return True, False, None or a str")


class RunSlots:
    """Counts the runs in progress, per client and in all."""

    def __init__(self, limits: ChatLimits) -> None:
        self._limits = limits
        self._by_client: Counter[str] = Counter()
        self._total = 0

    @contextmanager
    def hold(self, client: str) -> Iterator[None]:
        """A slot for one run of ``client`` while the block runs.

        Raises:
            Rejected: 429 (this client has too many runs), 503 (the server has).
        """
        limits = self._limits
        if self._by_client[client] >= limits.max_runs_per_client:
            raise Rejected(
                429,
                f"Too many chats at once from this client (at most "
                f"{limits.max_runs_per_client}); wait for one to end.",
                {"retry-after": "1"},
            )
        if limits.max_runs is not None and self._total >= limits.max_runs:
            raise Rejected(503, "The server is busy; try again shortly.", {"retry-after": "1"})
        self._by_client[client] += 1
        self._total += 1
        try:
            yield
        finally:
            self._total -= 1
            self._by_client[client] -= 1
            if not self._by_client[client]:
                del self._by_client[client]

    def in_progress(self, client: str | None = None) -> int:
        """Runs in progress (of ``client``, or in all)."""
        return self._total if client is None else self._by_client[client]


def _is_loopback_address(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


def _names_this_machine(host: str | None) -> bool:
    if not host:
        return False
    return host == "localhost" or host.endswith(".localhost") or _is_loopback_address(host)
