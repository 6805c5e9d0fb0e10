"""The benchmarks' scripted server in a process of its own, so its CPU time is
never counted as the client's."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def server_process(serve: Callable[..., None], *args: Any) -> Iterator[str]:
    """Run ``serve(*args, port_queue, stop)`` in a spawned process; yield the
    base URL it puts on ``port_queue``; set ``stop`` and join it at the end."""
    context = multiprocessing.get_context("spawn")
    port_queue, stop = context.Queue(), context.Event()
    server = context.Process(target=serve, args=(*args, port_queue, stop))
    server.start()
    try:
        yield port_queue.get(timeout=30)
    finally:
        stop.set()
        server.join(timeout=10)
