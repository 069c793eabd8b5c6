"""The error taxonomy: every TrueLayer error of R11 and R13 is one class (``_classify``
picks it).

Each error says whether repeating the call may help (``retryable``) and which core event,
if any, it implies (``core_event``). Messages name the call, the status and the error
code; never a token, a code, or the server's free-text description (kept apart in
``description``, which a hostile or buggy server could fill with anything).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

import lifecycle

from ._call import Call

__all__ = [
    "AccessDeniedError",
    "AccountNotFound",
    "CardNotFound",
    "DeprecatedProvider",
    "InsufficientPermissions",
    "InvalidClient",
    "InvalidDateRange",
    "InvalidGrant",
    "InvalidToken",
    "MalformedResponse",
    "NotFound",
    "ProviderError",
    "ProviderTooManyRequests",
    "ScaExceeded",
    "TaskPending",
    "TemporarilyUnavailable",
    "TransportError",
    "TrueLayerError",
    "UnauthorizedClient",
    "UnexpectedResponse",
    "ValidationError",
]

_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


class TrueLayerError(Exception):
    """A call to TrueLayer failed.

    Attributes:
        call: which call failed.
        status: the HTTP status, ``None`` when no answer came.
        error: TrueLayer's ``error`` code, when it gave one.
        description: TrueLayer's ``error_description``; not part of ``str()``.
        retryable: whether repeating the same call may succeed (the client has already
            retried it as its ``RetryPolicy`` allows).
        retry_after: seconds to wait, from a ``Retry-After`` header.
    """

    hint: ClassVar[str] = "the call failed"
    default_retryable: ClassVar[bool] = False

    def __init__(
        self,
        call: Call,
        *,
        status: int | None = None,
        error: str | None = None,
        description: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        detail: str | None = None,
    ) -> None:
        self.call = call
        self.status = status
        self.error = error if error is None or _CODE.fullmatch(error) else "unrecognised"
        self.description = description[:500] if description else None
        self.retryable = self.default_retryable if retryable is None else retryable
        self.retry_after = retry_after
        self.detail = detail
        where = " ".join(str(p) for p in (status, self.error) if p is not None)
        text = f"{call.value}: {where + ': ' if where else ''}{detail or self.hint}"
        super().__init__(text)

    @property
    def took_effect_maybe(self) -> bool:
        """Whether TrueLayer may have processed the call although it failed (R15).

        True for a single-use call (R3, R6, R9) that got no answer after it was sent,
        or a 5xx that does not say it was not processed: its outcome is unknown.
        """
        return False

    def core_event(
        self,
        at: datetime,
        *,
        request: int | None = None,
        access_token: lifecycle.Secret | None = None,
    ) -> lifecycle.Input:
        """The core event this error means, by the core's own mapping (``FAILURES``).

        Every failure is an event: a rejection (``code_rejected``, ``refresh_rejected``,
        ``access_denied``), a data call that failed (``fetch_failed``), a request that
        did not take effect (``request_failed``) or one whose outcome is unknown
        (``outcome_unknown``).

        Args:
            at: when the failure was seen.
            request: the number of the request the call performed.
            access_token: for a data call, the token it used.

        Raises:
            lifecycle.NaiveDatetimeError: ``at`` has no UTC offset.
        """
        return lifecycle.failure_event(
            self.call.effect,
            self.error or self.code,
            at,
            request=request,
            took_effect_maybe=self.took_effect_maybe,
            access_token=access_token,
        )

    @property
    def code(self) -> str:
        """A name for the failure when TrueLayer gave no error code: the class's."""
        return _snake(type(self).__name__)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only fields: rebuild from them, so errors cross process boundaries.
        fields = {
            "status": self.status,
            "error": self.error,
            "description": self.description,
            "retryable": self.retryable,
            "retry_after": self.retry_after,
            "detail": self.detail,
        }
        return (_rebuild, (type(self), self.call, fields))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(call={self.call.value!r}, status={self.status!r}, "
            f"error={self.error!r}, retryable={self.retryable!r})"
        )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.removesuffix("Error")).lower()


def _rebuild(cls: type[TrueLayerError], call: Call, fields: dict[str, Any]) -> TrueLayerError:
    return cls(call, **fields)


class InvalidGrant(TrueLayerError):
    """400 ``invalid_grant``: the code or refresh token is expired, used or revoked."""

    hint = "the code or refresh token is expired, used or revoked (R3, R6, R12)"


class InvalidClient(TrueLayerError):
    """400 ``invalid_client`` (R13): wrong client secret, or live and sandbox mixed up."""

    hint = "client authentication failed: check client_secret and live vs sandbox (R13)"


class UnauthorizedClient(TrueLayerError):
    """401 ``unauthorized_client`` (R13): this client may not use this grant."""

    hint = "this client may not use this grant (R13)"


class ValidationError(TrueLayerError):
    """400 ``validation_error`` (R13): TrueLayer refused the request's fields."""

    hint = "TrueLayer refused the request's fields (R13)"


class InvalidToken(TrueLayerError):
    """401 ``invalid_token``/``unauthorized`` (R11): the access token is not accepted.

    The client never refreshes by itself: feed ``lifecycle.Refresh`` to the core, run
    the refresh it decides, then retry the data call once.
    """

    hint = "the access token is expired or superseded: refresh once, then retry (R5, R11)"


class AccessDeniedError(TrueLayerError):
    """403 ``access_denied`` (R8, R11, R12): the consent expired or was revoked."""

    hint = "the consent expired or was revoked (R8, R11)"


class ScaExceeded(TrueLayerError):
    """403 ``sca_exceeded`` (R11): this endpoint needs the user present; no lifecycle change."""

    hint = "the bank needs the user present for this endpoint; the connection is fine (R11)"


class InsufficientPermissions(TrueLayerError):
    """403 ``insufficient_permissions``: the endpoint's scope was not granted."""

    hint = "the scope this endpoint needs was not granted (R1)"


class NotFound(TrueLayerError):
    """404: no such resource, e.g. an unknown account id."""

    hint = "no such resource"


class AccountNotFound(NotFound):
    """404 ``account_not_found``: no account with this id on this connection."""

    hint = "no account with this id: use an account_id from /accounts"


class CardNotFound(NotFound):
    """404 ``card_not_found``: no card with this id on this connection."""

    hint = "no card with this id: use an account_id from /cards"


class InvalidDateRange(TrueLayerError):
    """400 ``invalid_date_range``: ``from``/``to`` refused (e.g. ``from`` after ``to``)."""

    hint = "the from/to range was refused; the bank decides how far back it goes"


class DeprecatedProvider(TrueLayerError):
    """400 ``deprecated_provider``: the bank is no longer supported."""

    hint = "the provider is deprecated and no longer supported"


class TaskPending(TrueLayerError):
    """A queued call (``async=true``) has not finished: wait for its webhook, then fetch."""

    hint = "the queued call has not finished yet; fetch its results after the webhook"


class ProviderTooManyRequests(TrueLayerError):
    """429 ``provider_too_many_requests`` (R11): the bank's rate limit; retry later."""

    hint = "the bank's rate limit was hit; retry later (R11)"
    default_retryable = True


class ProviderError(TrueLayerError):
    """5xx, e.g. ``provider_error`` (R11): TrueLayer or the bank failed; retry with backoff."""

    hint = "TrueLayer or the bank failed; retry with backoff (R11)"
    default_retryable = True

    @property
    def took_effect_maybe(self) -> bool:
        """A single-use call that may have reached TrueLayer's logic (R15)."""
        # For a single-use call the classifier made it retryable exactly when
        # TrueLayer provably did not process it (a 429 or 503, a failure to connect).
        return self.call.single_use and not self.retryable


class TemporarilyUnavailable(ProviderError):
    """5xx ``temporarily_unavailable`` (R11)."""

    hint = "TrueLayer or the bank is temporarily unavailable; retry with backoff (R11)"


class TransportError(TrueLayerError, ConnectionError):
    """No answer: the connection failed or timed out."""

    hint = "no answer: the connection failed or timed out"
    default_retryable = True

    @property
    def took_effect_maybe(self) -> bool:
        """A single-use call that may have reached TrueLayer's logic (R15)."""
        # For a single-use call the classifier made it retryable exactly when
        # TrueLayer provably did not process it (a 429 or 503, a failure to connect).
        return self.call.single_use and not self.retryable


class MalformedResponse(TrueLayerError, ValueError):
    """The answer is not one TrueLayer sends (not JSON, a field missing or wrong).

    Nothing in it is trusted: no event is fed to the core, no record half-updated.
    """

    hint = "the answer is not what TrueLayer sends; nothing was used from it"

    @property
    def took_effect_maybe(self) -> bool:
        """An answer came, so TrueLayer processed a single-use call; its tokens are unusable."""
        return self.call.single_use


class UnexpectedResponse(TrueLayerError):
    """An error status or code that TrueLayer does not document for this call."""

    hint = "an error TrueLayer does not document for this call"
