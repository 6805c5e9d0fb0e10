"""Helpers shared by the UI, browser and CLI tests: a real ASGI server on
loopback, and the rule for tests that need programs outside Python."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn


def require_program(name: str, install_hint: str) -> str:
    """The path of ``name``; skips the test when it is missing locally, fails
    it when ``AGENTKIT_REQUIRE_ALL=1`` (CI sets it, so nothing is skipped there)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed ({install_hint})"
        if os.environ.get("AGENTKIT_REQUIRE_ALL") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


@contextmanager
def serve_asgi(app: Any, *, send_buffer: int | None = None) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port; yields its base URL.
    ``send_buffer`` fixes the kernel send buffer of its connections (so a
    client that stops reading blocks the server soon)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if send_buffer is not None:  # inherited by the accepted connections
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def closing_model(app: Any, model: Any) -> Any:
    """``app`` plus lifespan handling that closes ``model`` at shutdown, in
    the server's event loop (its pooled connections belong to that loop)."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await model.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    return wrapped
