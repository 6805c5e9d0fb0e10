"""Non-2xx responses to typed errors."""

from __future__ import annotations

import httpx

from .._errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
    ServerError,
    UnprocessableEntityError,
    excerpt,
)
from .._json import loads
from ._policy import parse_retry_after

__all__ = ["BODY_LIMIT", "status_error"]

BODY_LIMIT = 64 * 1024
"""Most bytes of an error body kept on the error."""

_ERRORS_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    413: RequestTooLargeError,
    422: UnprocessableEntityError,
}

_ADVICE = {
    401: "Check the API key (AGENTKIT_API_KEY or api_key=).",
    403: "The key is not allowed to use this model or endpoint.",
    404: "Check base_url (it usually ends in /v1) and the model name.",
    413: "Send fewer or shorter messages.",
}


def status_error(response: httpx.Response, body: bytes) -> APIStatusError:
    """The typed error for a non-2xx ``response`` whose body was ``body``."""
    status = response.status_code
    text = body[:BODY_LIMIT].decode("utf-8", errors="replace")
    headers = dict(response.headers)
    detail = _error_detail(text)
    message = f"HTTP {status} {response.reason_phrase} from {response.request.url}"
    if detail:
        message += f": {excerpt(detail)}"
    if status in _ADVICE:
        message = f"{_end_sentence(message)} {_ADVICE[status]}"
    if status == 429:
        return RateLimitError(
            message,
            status_code=status,
            body=text,
            headers=headers,
            retry_after=parse_retry_after(response.headers),
        )
    error_type = _ERRORS_BY_STATUS.get(status)
    if error_type is None:
        error_type = ServerError if status >= 500 else APIStatusError
    return error_type(message, status_code=status, body=text, headers=headers)


def _end_sentence(text: str) -> str:
    """``text`` ending with a full stop, so advice after it reads as a new
    sentence ("...: bad key. Check the API key...")."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _error_detail(text: str) -> str:
    """The ``error.message`` of a JSON error body, else the body itself (also
    when the JSON is nested too deep to read)."""
    try:
        payload = loads(text)
    except ValueError:
        return text.strip()
    if isinstance(payload, dict):
        error = payload.get("error", payload)
        if isinstance(error, dict):
            return str(error.get("message") or error.get("detail") or error)
        return str(error)
    return text.strip()
