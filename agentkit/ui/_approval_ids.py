"""Approval ids a browser cannot forge.

The browser keeps the conversation and sends it back whole, so a tool call
waiting for approval, and the answer to it, are what the client says. The
``approvalId`` the server sends with each request is an HMAC (SHA-256, the
server's secret) over the call id, the tool name and the arguments: an answer
counts only if its id verifies against the call it answers, so a client can
neither invent a call, nor change its arguments, nor move an approval to
another call.

Arguments are compared as JSON values, the way they survive the trip through
the browser's ``JSON.parse``/``JSON.stringify``: key order and spacing do not
matter, and numbers compare as JavaScript's doubles (``31.0`` is ``31``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import math
import secrets
from typing import Any

from .._json import loads

__all__ = ["ApprovalIds"]

_PREFIX = "apr1_"
_SAFE_INTEGER = 2**53


class ApprovalIds:
    """Signs the approval requests a stream sends, and checks the answers
    that come back.

    Args:
        secret: The HMAC key (bytes, or a str encoded as UTF-8). None uses
            a random secret made once per process: every ``chat_app`` of
            the process shares it, and it is lost on restart.
    """

    def __init__(self, secret: bytes | str | None = None) -> None:
        if isinstance(secret, str):
            secret = secret.encode()
        if secret is not None and not secret:
            raise ValueError("the approval secret is empty: pass some random bytes, or None")
        self._key = secret if secret is not None else _process_secret()

    def sign(self, call_id: str, name: str, arguments: str) -> str:
        """The ``approvalId`` of a call (``arguments``: its JSON string)."""
        payload = json.dumps([call_id, name, canonical_arguments(arguments)]).encode()
        digest = hmac.new(self._key, payload, hashlib.sha256).digest()
        return _PREFIX + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def verifies(self, approval_id: object, call_id: str, name: str, arguments: str) -> bool:
        """Whether ``approval_id`` is the one this server sent for this call."""
        if not isinstance(approval_id, str):
            return False
        return hmac.compare_digest(approval_id, self.sign(call_id, name, arguments))


def canonical_arguments(arguments: str) -> str:
    """The arguments JSON string in a form that survives a browser's round
    trip: sorted keys, no spacing, numbers as JavaScript reads them (the
    text itself when it is not JSON)."""
    try:
        value = loads(arguments)
    except ValueError:
        return arguments
    return json.dumps(_as_javascript_reads(value), sort_keys=True, separators=(",", ":"))


def _as_javascript_reads(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # beyond any double: JavaScript reads Infinity
            return None
        if not math.isfinite(number):
            return None
        return int(number) if number.is_integer() and abs(number) < _SAFE_INTEGER else number
    if isinstance(value, list):
        return [_as_javascript_reads(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_javascript_reads(item) for key, item in value.items()}
    return value


@functools.cache
def _process_secret() -> bytes:
    return secrets.token_bytes(32)
