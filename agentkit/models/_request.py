"""The HTTP request of one streamed turn, and what the endpoint accepts.

`OpenAIChatModel` builds a `ChatRequest` per turn and hands it down to the
turn, which sends it and never calls back up. What an endpoint rejects (for
example ``stream_options``) is learned once, in `EndpointQuirks`, shared by
every request of one model client: a request corrects itself for the resend
and later requests are built without the rejected part.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .._errors import BadRequestError
from .._logging import get_logger

__all__ = ["ChatRequest", "EndpointQuirks"]


@dataclass(slots=True)
class EndpointQuirks:
    """What one endpoint accepts, as far as its answers have told.

    Attributes:
        include_usage: Send ``stream_options: {"include_usage": true}``
            (turned off when a 400 names ``stream_options``).
    """

    include_usage: bool = True


class ChatRequest:
    """The request of one turn: where it goes, its headers and JSON body.

    Args:
        url: The ``/chat/completions`` URL.
        headers: Every header, ``Authorization`` included.
        body: The JSON body (owned by this request).
        quirks: The model client's `EndpointQuirks`, read at each `build`.
        connect_timeout: Bounds connecting, waiting for a pooled connection
            and sending the request.
    """

    __slots__ = ("_quirks", "body", "connect_timeout", "headers", "url")

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str],
        body: dict[str, Any],
        quirks: EndpointQuirks,
        connect_timeout: float | None,
    ) -> None:
        self.url = url
        self.headers = dict(headers)
        self.body = body
        self._quirks = quirks
        self.connect_timeout = connect_timeout

    def build(self, client: httpx.AsyncClient, *, read_timeout: float | None) -> httpx.Request:
        """The ``httpx.Request`` to send now; ``read_timeout`` bounds each read."""
        if not self._quirks.include_usage:
            self.body.pop("stream_options", None)
        connect = self.connect_timeout
        timeout = httpx.Timeout(connect=connect, read=read_timeout, write=connect, pool=connect)
        return client.build_request(
            "POST", self.url, json=self.body, headers=self.headers, timeout=timeout
        )

    def adapt_to(self, error: BadRequestError) -> bool:
        """True when ``error`` rejected a part this request can do without:
        that part is dropped (for this request and the model's later ones)
        and the request may be sent again at once."""
        if self._quirks.include_usage and "stream_options" in error.body:
            get_logger("agentkit.model").warning("model.stream_options_rejected", url=self.url)
            self._quirks.include_usage = False
            return True
        return False
