"""The service's one error family: every method raises a ``ServiceError`` or nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import lifecycle as core

if TYPE_CHECKING:
    from adapters.truelayer import TrueLayerError

__all__ = [
    "BankRefused",
    "BankUnavailable",
    "CallbackRefused",
    "Refused",
    "ServiceError",
    "UnknownConnection",
    "UnresolvedRequest",
    "bank_failure",
]


class ServiceError(Exception):
    """Base class of every error the connection service raises. Never holds a secret."""


class UnknownConnection(ServiceError, KeyError):
    """No connection has this id (or no attempt has this callback's state)."""

    def __init__(self, connection_id: str) -> None:
        shown = connection_id[:80]
        super().__init__(f"no connection {shown!r}")
        self.connection_id = connection_id

    def __str__(self) -> str:
        return str(self.args[0])


class Refused(ServiceError):
    """The core refused what was asked, with its reason (the record is unchanged).

    Attributes:
        connection_id: the connection.
        reason: the core's refusal reason.
    """

    def __init__(self, connection_id: str, reason: core.Reason, detail: str = "") -> None:
        super().__init__(
            f"{connection_id[:80]}: refused: {reason.value}" + (f" ({detail})" if detail else "")
        )
        self.connection_id = connection_id
        self.reason = reason


class CallbackRefused(ServiceError):
    """A callback that is malformed, forged, replayed or for no known attempt (R14)."""


class BankRefused(ServiceError):
    """TrueLayer refused the call for good (a 4xx); its meaning is already recorded.

    Attributes:
        connection_id: the connection.
        error: TrueLayer's error code, or the failure's name.
    """

    def __init__(self, connection_id: str, error: str, message: str) -> None:
        super().__init__(f"{connection_id[:80]}: {message}")
        self.connection_id = connection_id
        self.error = error


class BankUnavailable(ServiceError):
    """TrueLayer or the bank did not answer usefully (after retries); try again later."""

    def __init__(self, connection_id: str, error: str, message: str) -> None:
        super().__init__(f"{connection_id[:80]}: {message}")
        self.connection_id = connection_id
        self.error = error


class UnresolvedRequest(ServiceError):
    """A request's outcome is unknown and could not be resolved yet (R15): retry later."""

    def __init__(self, connection_id: str, detail: str) -> None:
        super().__init__(f"{connection_id[:80]}: a request is unresolved: {detail}")
        self.connection_id = connection_id


def bank_failure(connection_id: str, error: TrueLayerError) -> ServiceError:
    """The service error for a failed call: transient ones (5xx, 429, no answer) say
    "try later"; the others are final."""
    if error.retryable or error.status is None or error.status >= 500:
        return BankUnavailable(connection_id, error.error or error.code, str(error))
    return BankRefused(connection_id, error.error or error.code, str(error))
