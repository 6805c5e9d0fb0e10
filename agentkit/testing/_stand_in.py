"""What every stand-in model shares: it answers requests like a model
(a `Responder` for `ScriptedServer`), and ``with stand_in as model:`` serves
it on loopback and gives an `OpenAIChatModel` pointed at it."""

from __future__ import annotations

import inspect
import json
import traceback
from abc import ABC, abstractmethod
from collections.abc import Awaitable
from typing import Any

from .._errors import UsageError
from ..models import OpenAIChatModel
from ._script import RecordedRequest, ScriptedResponse
from ._server import ScriptedServer

__all__ = ["InvalidReply", "StandIn", "stream_of"]


class InvalidReply(UsageError):
    """A stand-in was given a reply it cannot stream."""


class StandIn(ABC):
    """A model played by code on a loopback server (see the subclasses)."""

    model_name = "stand-in"

    def __init__(self, *, chunk_delay: float = 0.0) -> None:
        self.chunk_delay = chunk_delay
        self._server: ScriptedServer | None = None
        self._model: OpenAIChatModel | None = None
        self._requests: list[RecordedRequest] = []

    @abstractmethod
    def reply(self, request: RecordedRequest) -> ScriptedResponse | Awaitable[ScriptedResponse]:
        """The streamed answer to one chat completions request."""

    def __call__(self, request: RecordedRequest) -> ScriptedResponse | Awaitable[ScriptedResponse]:
        """Answer ``request`` (a stand-in is a `Responder`). If answering
        raises, the client gets an HTTP 400 naming the exception (not
        retried, so a bug shows at once as a `BadRequestError`)."""
        try:
            response = self.reply(request)
        except Exception as error:
            return self._failure(error)
        if inspect.isawaitable(response):
            return self._await(response)
        return response

    async def _await(self, response: Awaitable[ScriptedResponse]) -> ScriptedResponse:
        try:
            return await response
        except Exception as error:
            return self._failure(error)

    def _failure(self, error: Exception) -> ScriptedResponse:
        message = f"{type(self).__name__} failed: {type(error).__name__}: {error}"
        if not isinstance(error, InvalidReply):  # else the value is wrong, not a line
            where = traceback.extract_tb(error.__traceback__)[-1]
            message += f" (at {where.filename}:{where.lineno}, in {where.name})"
        body = json.dumps({"error": {"message": message, "type": "stand_in_error"}})
        return ScriptedResponse(status=400, body=body.encode())

    # --------------------------------------------------------------- serving

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request the stand-in answered while served by ``with``, in
        order (kept after the block ends)."""
        return self._requests

    @property
    def base_url(self) -> str:
        """The loopback server's URL (inside the ``with`` block)."""
        if self._server is None:
            raise UsageError(f"{type(self).__name__} is not served; use it with `with`.")
        return self._server.base_url

    def _open(self) -> ScriptedServer:
        if self._server is not None:
            raise UsageError(f"This {type(self).__name__} is already served by a `with` block.")
        server = ScriptedServer(responder=self)
        self._requests = server.requests
        return server

    def _model_for(self, server: ScriptedServer) -> OpenAIChatModel:
        self._server = server
        self._model = OpenAIChatModel(self.model_name, base_url=server.base_url, api_key="stand-in")
        return self._model

    def __enter__(self) -> OpenAIChatModel:
        server = self._open()
        server.start()
        return self._model_for(server)

    def __exit__(self, *exc_info: object) -> None:
        server, self._server, self._model = self._server, None, None
        if server is not None:
            server.stop()

    async def __aenter__(self) -> OpenAIChatModel:
        server = self._open()
        await server.__aenter__()
        return self._model_for(server)

    async def __aexit__(self, *exc_info: object) -> None:
        server, model = self._server, self._model
        self._server, self._model = None, None
        try:
            if model is not None:
                await model.aclose()
        finally:
            if server is not None:
                await server.__aexit__(None, None, None)

    def __repr__(self) -> str:
        state = f"serving at {self._server.base_url}" if self._server else "not served"
        return f"{type(self).__name__}({state})"


def stream_of(chunks: list[dict[str, Any]], chunk_delay: float) -> ScriptedResponse:
    """A streamed answer made of ``chunks``."""
    return ScriptedResponse(chunks, chunk_delay=chunk_delay)
