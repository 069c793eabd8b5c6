"""Which error class an answer or a failed request is (R11, R13), and whether to repeat it."""

from __future__ import annotations

import httpx

from ._call import Call
from ._errors import (
    AccessDeniedError,
    AccountNotFound,
    CardNotFound,
    DeprecatedProvider,
    InsufficientPermissions,
    InvalidClient,
    InvalidDateRange,
    InvalidGrant,
    InvalidToken,
    NotFound,
    ProviderError,
    ProviderTooManyRequests,
    ScaExceeded,
    TemporarilyUnavailable,
    TransportError,
    TrueLayerError,
    UnauthorizedClient,
    UnexpectedResponse,
    ValidationError,
)

__all__ = ["error_for_answer", "error_for_transport"]

# R11, R13: the error code decides the class; the status decides for 429 and 5xx.
_BY_CODE: dict[str, type[TrueLayerError]] = {
    "invalid_grant": InvalidGrant,
    "invalid_authorization_code": InvalidGrant,  # R3's other name for it
    "invalid_client": InvalidClient,
    "unauthorized_client": UnauthorizedClient,
    "validation_error": ValidationError,
    "invalid_request": ValidationError,
    "invalid_token": InvalidToken,
    "unauthorized": InvalidToken,
    "access_denied": AccessDeniedError,
    "sca_exceeded": ScaExceeded,
    "insufficient_permissions": InsufficientPermissions,
    "invalid_date_range": InvalidDateRange,
    "deprecated_provider": DeprecatedProvider,
    "account_not_found": AccountNotFound,
    "card_not_found": CardNotFound,
    "provider_too_many_requests": ProviderTooManyRequests,
    "provider_error": ProviderError,
    "temporarily_unavailable": TemporarilyUnavailable,
}
# Answers that say the request was not processed, so even a single-use call may repeat.
_NOT_PROCESSED = frozenset({429, 503})


def error_for_answer(
    call: Call,
    status: int,
    error: str | None,
    description: str | None,
    retry_after: float | None = None,
) -> TrueLayerError:
    """The error for a non-2xx answer with TrueLayer's ``{"error", ...}`` body."""
    cls: type[TrueLayerError]
    if status == 429:
        cls = ProviderTooManyRequests
    elif status >= 500:
        cls = TemporarilyUnavailable if error == "temporarily_unavailable" else ProviderError
    elif error in _BY_CODE and not _BY_CODE[error].default_retryable:
        # A retryable code under a 4xx status is contradictory: the status wins.
        cls = _BY_CODE[error]
    elif status == 404:
        cls = NotFound
    else:
        cls = UnexpectedResponse
    retryable = cls.default_retryable and (not call.single_use or status in _NOT_PROCESSED)
    return cls(
        call,
        status=status,
        error=error,
        description=description,
        retryable=retryable,
        retry_after=retry_after,
    )


def error_for_transport(call: Call, exc: httpx.TransportError) -> TransportError:
    """The error for a call that got no answer.

    A failure to connect means the request never left; any later failure (a read
    timeout, a dropped connection) may come after TrueLayer processed it, so a single-use
    call (R3, R6, R9) is then not repeated.
    """
    unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    what = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
    when = ", before sending" if unsent else ""
    return TransportError(
        call,
        retryable=unsent or not call.single_use,
        detail=f"no answer: {type(exc).__name__} ({what}{when})",
    )
