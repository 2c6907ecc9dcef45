"""gpujobs' exceptions: one base, ``GpujobsError``, and a class for each kind of
failure, each also the builtin a Python program would catch for it (a job not
found is a ``LookupError``, a timeout a ``TimeoutError``, a refused token a
``PermissionError``, an unreachable provider a ``ConnectionError``, ...).

Each carries what is known: ``provider``, ``kind``, ``status`` (HTTP),
``code``, ``request_id``, ``retry_after`` (seconds), ``retryable``; a wait that
ran out of time carries ``last_job``, the job as last seen. Messages never
hold a secret.
"""

from __future__ import annotations

import builtins
TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` only for type checkers: it slows `import gpujobs`
    from typing import Any, Optional

__all__ = [
    "GpujobsError",
    "NotFoundError",
    "AuthenticationError",
    "PermissionDeniedError",
    "RateLimitedError",
    "InvalidRequestError",
    "ConflictError",
    "UnsupportedError",
    "TimeoutError",
    "TransportError",
    "ApiError",
    "DecodeError",
    "ResponseTooLargeError",
    "PagingError",
    "ConfigError",
]


class GpujobsError(Exception):
    """Every error gpujobs raises about a provider."""

    provider: Optional[str]
    kind: Optional[str]
    status: Optional[int]
    code: Optional[str]
    request_id: Optional[str]
    provider_message: Optional[str]
    retry_after: Optional[float]
    retryable: bool
    operation: Optional[str]
    last_job: Any

    def __init__(
        self,
        message: str,
        *,
        provider: Optional[str] = None,
        kind: Optional[str] = None,
        status: Optional[int] = None,
        code: Optional[str] = None,
        request_id: Optional[str] = None,
        provider_message: Optional[str] = None,
        retry_after: Optional[float] = None,
        retryable: bool = False,
        operation: Optional[str] = None,
        last_job: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.kind = kind
        self.status = status
        self.code = code
        self.request_id = request_id
        # The message without gpujobs' "provider: kind:" before it (for an
        # answer of the provider, what the provider said).
        self.provider_message = provider_message
        self.retry_after = retry_after
        self.retryable = retryable
        self.operation = operation
        self.last_job = last_job


class NotFoundError(GpujobsError, LookupError):
    """The provider does not know the job (or no longer does)."""


class AuthenticationError(GpujobsError, PermissionError):
    """The credential is missing or was refused."""


class PermissionDeniedError(GpujobsError, PermissionError):
    """The credential may not do this."""


class RateLimitedError(GpujobsError):
    """Too many requests; ``retry_after`` says how long the provider asked to wait."""


class InvalidRequestError(GpujobsError, ValueError):
    """The provider, or gpujobs before sending, refused what was asked."""


class ConflictError(GpujobsError):
    """The request conflicts with the job's state (an id already taken, ...)."""


class UnsupportedError(GpujobsError, NotImplementedError):
    """The provider cannot do this operation (``operation`` names it)."""


class TimeoutError(GpujobsError, builtins.TimeoutError):
    """A time limit passed; for a wait, ``last_job`` is the job as last seen."""


class TransportError(GpujobsError, ConnectionError):
    """The provider could not be reached, or the connection broke."""


class ApiError(GpujobsError):
    """The provider answered with an error this model has no other class for."""


class DecodeError(GpujobsError, ValueError):
    """An answer could not be read."""


class ResponseTooLargeError(GpujobsError):
    """An answer was larger than ``max_response_bytes``."""


class PagingError(GpujobsError):
    """A listing paged in circles, or past its page limit."""


class ConfigError(GpujobsError, ValueError):
    """The client's settings (or the environment) cannot work."""
