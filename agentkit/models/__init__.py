"""Model endpoints."""

from ._policy import RetryPolicy, Timeouts
from ._stream import StreamedTurn
from .openai import OpenAIChatModel

__all__ = ["OpenAIChatModel", "RetryPolicy", "StreamedTurn", "Timeouts"]
