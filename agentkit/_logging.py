"""Where agentkit's structlog events go.

agentkit never configures logging. If the application has configured
structlog, events go through its pipeline; otherwise they go to the standard
``logging`` loggers named ``agentkit.*``, which are silent until the
application enables them (``logging.basicConfig(level=logging.DEBUG)``).
Secrets (API keys, Authorization headers) are never passed to a logger.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog

__all__ = ["get_logger"]

# The logging HOWTO's advice for libraries: without this, Python's "last
# resort" handler would print agentkit's warnings to stderr of every app.
logging.getLogger("agentkit").addHandler(logging.NullHandler())


def get_logger(name: str, **context: Any) -> Any:
    """A structlog bound logger for ``name``, bound to ``context``.

    Resolved at call time, so configuring structlog after importing agentkit
    works. Call it where a log line is written, never per chunk.
    """
    if structlog.is_configured():
        return structlog.get_logger(name).bind(**context)
    return structlog.wrap_logger(
        logging.getLogger(name),
        processors=[
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            structlog.processors.KeyValueRenderer(key_order=["event"], sort_keys=True),
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
        context_class=dict,
    ).bind(logger=name, **context)
