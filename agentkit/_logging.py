"""Where agentkit's structlog events go.

agentkit never configures logging. If the application has configured
structlog, events go through its pipeline; otherwise they go to the standard
``logging`` loggers named ``agentkit.*``, which are silent until the
application enables them (``logging.basicConfig(level=logging.DEBUG)``).
Secrets (API keys, Authorization headers) are never passed to a logger.

structlog is imported only when a line is actually written (or when the
application has imported it itself): importing agentkit stays cheap, and a
line that the level drops costs one level check, no rendering.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

__all__ = ["get_logger"]

# The logging HOWTO's advice for libraries: without this, Python's "last
# resort" handler would print agentkit's warnings to stderr of every app.
logging.getLogger("agentkit").addHandler(logging.NullHandler())


def get_logger(name: str, **context: Any) -> Any:
    """A structlog-style bound logger for ``name``, bound to ``context``
    (``debug``/``info``/``warning``/``error``/``bind``).

    Resolved at call time, so configuring structlog after importing agentkit
    works. Call it where a log line is written, never per chunk.
    """
    structlog = sys.modules.get("structlog")
    if structlog is not None and structlog.is_configured():
        return structlog.get_logger(name).bind(**context)
    return _StdlibLogger(logging.getLogger(name), {"logger": name, **context})


class _StdlibLogger:
    """Writes through structlog's stdlib renderer, but only the lines the
    ``logging`` level lets through (structlog is imported on the first)."""

    __slots__ = ("_context", "_logger")

    def __init__(self, logger: logging.Logger, context: dict[str, Any]) -> None:
        self._logger = logger
        self._context = context

    def bind(self, **context: Any) -> _StdlibLogger:
        return _StdlibLogger(self._logger, {**self._context, **context})

    def debug(self, event: str, **fields: Any) -> None:
        self._log(logging.DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._log(logging.INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._log(logging.WARNING, event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._log(logging.ERROR, event, fields)

    def _log(self, level: int, event: str, fields: dict[str, Any]) -> None:
        if self._logger.isEnabledFor(level):
            _render(self._logger).log(level, event, **self._context, **fields)


def _render(logger: logging.Logger) -> Any:
    import structlog  # the first line written imports it

    return structlog.wrap_logger(
        logger,
        processors=[
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            structlog.processors.KeyValueRenderer(key_order=["event"], sort_keys=True),
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
        context_class=dict,
    )
