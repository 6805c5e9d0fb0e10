"""The HTTP request of one streamed turn, and what the endpoint accepts.

`OpenAIChatModel` builds a `ChatRequest` per turn and hands it down to the
turn, which sends it and never calls back up. What an endpoint rejects (for
example ``stream_options``) is learned once, in `EndpointQuirks`, shared by
every request of one model client: a request corrects itself for the resend
and later requests are built without the rejected part.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from .._errors import BadRequestError
from .._logging import get_logger
from .._round_trip import ROUND_TRIP_FIELDS, rejected_fields, without_fields
from ._policy import Timeouts

__all__ = ["ChatRequest", "EndpointQuirks"]


@dataclass(slots=True)
class EndpointQuirks:
    """What one endpoint accepts, as far as its answers have told.

    Attributes:
        include_usage: Send ``stream_options: {"include_usage": true}``
            (turned off when a 400 names ``stream_options``).
        send_reasoning: Whether assistant messages carry the reasoning
            fields back (`ROUND_TRIP_FIELDS`): True always, False never,
            None as long as the endpoint accepts them.
        withheld: The round-trip fields a 400 named as not accepted (with
            ``send_reasoning=None``): left out of every later request.
    """

    include_usage: bool = True
    send_reasoning: bool | None = None
    withheld: set[str] = field(default_factory=set)

    def fields_to_strip(self) -> set[str]:
        """The round-trip fields requests leave out now."""
        if self.send_reasoning is None:
            return self.withheld
        return set() if self.send_reasoning else set(ROUND_TRIP_FIELDS)


class ChatRequest:
    """The request of one turn: where it goes, its headers and JSON body.

    Args:
        url: The ``/chat/completions`` URL (parsed once per model client).
        headers: Every header, ``Authorization`` included (owned by this
            request).
        body: The JSON body (owned by this request).
        quirks: The model client's `EndpointQuirks`, read at each `build`.
        timeouts: ``connect`` bounds connecting and sending the request,
            ``pool`` the wait for a free pooled connection.
    """

    __slots__ = (
        "_extensions",
        "_messages",
        "_quirks",
        "body",
        "headers",
        "timeouts",
        "url",
        "waiting_for_connection",
    )

    def __init__(
        self,
        url: httpx.URL,
        headers: dict[str, str],
        body: dict[str, Any],
        quirks: EndpointQuirks,
        timeouts: Timeouts,
    ) -> None:
        self.url = url
        self.headers = headers
        self.body = body
        self._messages = body["messages"]
        self._quirks = quirks
        self.timeouts = timeouts
        self.waiting_for_connection = False
        """Whether the last build is still waiting for a free pooled connection."""
        self._extensions: dict[str, Any] = {}

    def build(self, client: httpx.AsyncClient, *, read_timeout: float | None) -> httpx.Request:
        """The ``httpx.Request`` to send now; ``read_timeout`` bounds each read."""
        if not self._quirks.include_usage:
            self.body.pop("stream_options", None)
        strip = self._quirks.fields_to_strip()
        if strip:
            self.body["messages"] = without_fields(self._messages, strip)
        connect, pool = self.timeouts.connect, self.timeouts.pool
        timeout = {"connect": connect, "read": read_timeout, "write": connect, "pool": pool}
        # httpcore reports the request's first step on a connection through
        # the "trace" hook; it then unhooks itself, so later steps cost nothing.
        extensions = {"timeout": timeout, "trace": self._got_connection}
        request = client.build_request(
            "POST",
            self.url,
            json=self.body,
            headers=self.headers,
            extensions=extensions,
        )
        self.waiting_for_connection = True
        self._extensions = request.extensions
        return request

    async def _got_connection(self, step: str, info: dict[str, Any]) -> None:
        self.waiting_for_connection = False
        self._extensions.pop("trace", None)

    @property
    def sent_messages(self) -> list[Any]:
        """The messages as the last build sent them (round-trip fields the
        endpoint rejects left out)."""
        return self.body["messages"]  # type: ignore[no-any-return]

    def adapt_to(self, error: BadRequestError) -> bool:
        """True when ``error`` rejected a part this request can do without:
        that part is dropped (for this request and the model's later ones)
        and the request may be sent again at once."""
        quirks = self._quirks
        if quirks.include_usage and "stream_options" in error.body:
            get_logger("agentkit.model").warning("model.stream_options_rejected", url=self.url)
            quirks.include_usage = False
            return True
        if quirks.send_reasoning is None:
            sent = _round_trip_fields_in(self._messages) - quirks.withheld
            rejected = rejected_fields(error.body, sent)
            if rejected:
                get_logger("agentkit.model").warning(
                    "model.reasoning_fields_rejected", url=self.url, fields=sorted(rejected)
                )
                quirks.withheld |= rejected
                return True
        return False


def _round_trip_fields_in(messages: list[Any]) -> set[str]:
    """The round-trip fields present in the assistant messages."""
    found: set[str] = set()
    for message in messages:
        if not isinstance(message, Mapping) or message.get("role") != "assistant":
            continue
        found.update(name for name in ROUND_TRIP_FIELDS if name in message)
        calls = message.get("tool_calls")
        if isinstance(calls, list) and any(
            isinstance(call, Mapping) and "extra_content" in call for call in calls
        ):
            found.add("extra_content")
    return found
