"""The message of a status error reads as sentences: the server's words,
then agentkit's advice."""

from __future__ import annotations

import json

import httpx
import pytest

from agentkit.models._status import status_error

URL = "http://127.0.0.1:9/v1/chat/completions"


def _error_for(status: int, message: str) -> str:
    response = httpx.Response(status, request=httpx.Request("POST", URL))
    body = json.dumps({"error": {"message": message}}).encode()
    return str(status_error(response, body))


@pytest.mark.parametrize(
    ("detail", "shown"),
    [("bad key", "bad key."), ("Incorrect API key provided.", "Incorrect API key provided.")],
)
def test_advice_follows_the_servers_message_as_a_new_sentence(detail: str, shown: str) -> None:
    assert _error_for(401, detail) == (
        f"HTTP 401 Unauthorized from {URL}: {shown} "
        "Check the API key (AGENTKIT_API_KEY or api_key=)."
    )


def test_without_a_server_message_the_advice_still_starts_a_sentence() -> None:
    response = httpx.Response(404, request=httpx.Request("POST", URL))
    assert str(status_error(response, b"")) == (
        f"HTTP 404 Not Found from {URL}. "
        "Check base_url (it usually ends in /v1) and the model name."
    )
