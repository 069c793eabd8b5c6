"""The inputs: events (facts the shell reports) and commands (intents the core checks).

Each is a small frozen class whose ``TYPE`` is its name in JSON and in the transition
table. Every input carries ``at``, a timezone-aware time: the core never reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar

from attrs import field, frozen

from ._errors import MalformedInputError, NaiveDatetimeError, TimeOutOfRangeError
from ._limits import EARLIEST, LATEST, LONGEST
from ._secret import Secret
from ._vocabulary import Kind

__all__ = [
    "COMMANDS",
    "EVENTS",
    "INPUT_TYPES",
    "KNOWN_SCOPES",
    "AccessDenied",
    "CodeExchanged",
    "CodeRejected",
    "ConnectionStarted",
    "ConsentExpiryReported",
    "ConsentReconfirmed",
    "ExchangeCode",
    "Extend",
    "ExtensionGranted",
    "ExtensionNeedsAuthentication",
    "FetchData",
    "FetchFailed",
    "Input",
    "LinkIssued",
    "OutcomeUnknown",
    "Refresh",
    "RefreshRejected",
    "ReminderSent",
    "RequestFailed",
    "Revoke",
    "Revoked",
    "Tick",
    "TokenLost",
    "TokenRefreshed",
    "UserAuthorised",
    "UserDenied",
    "ensure_aware",
    "valid_text",
]

# R1: the scopes TrueLayer's Data API knows.
KNOWN_SCOPES = frozenset(
    {
        "info",
        "accounts",
        "balance",
        "cards",
        "transactions",
        "direct_debits",
        "standing_orders",
        "offline_access",
    }
)


def ensure_aware(name: str, value: datetime) -> datetime:
    """Return ``value`` if it carries a UTC offset.

    Raises:
        NaiveDatetimeError: it does not.
    """
    if not isinstance(value, datetime):
        raise MalformedInputError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(name)
    return value


def _aware(instance: object, attribute: Any, value: datetime) -> None:
    # An input's times enter the record, and deadlines are computed from them: they
    # must lie in the range where every deadline exists (``_limits``). A time that is
    # only asked about (``now``) is compared, never computed with: it needs no range.
    ensure_aware(attribute.name, value)
    if not EARLIEST <= value < LATEST:
        raise TimeOutOfRangeError(attribute.name, EARLIEST, LATEST)


_LONGEST_SECONDS = int(LONGEST.total_seconds())


def _seconds(instance: object, attribute: Any, value: int) -> None:
    # bool is an int in Python; "expires_in": true is malformed all the same.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedInputError(f"{attribute.name} must be a whole number of seconds >= 0")
    if value > _LONGEST_SECONDS:
        raise MalformedInputError(f"{attribute.name} must be at most {_LONGEST_SECONDS} seconds")


def _as_scopes(value: Iterable[str]) -> tuple[str, ...]:
    # A list or tuple of names: a string or a mapping iterates too, but means nothing.
    if not isinstance(value, list | tuple | frozenset | set):
        raise MalformedInputError("scopes must be a list of strings")
    return tuple(value)


def _scopes(instance: object, attribute: Any, value: tuple[str, ...]) -> None:
    if not all(isinstance(scope, str) for scope in value):
        raise MalformedInputError("scopes must be a list of strings")
    unknown = sorted(scope[:40] for scope in set(value) - KNOWN_SCOPES)
    if unknown:
        raise MalformedInputError(f"unknown scopes: {', '.join(unknown[:10])}")
    if not value:
        raise MalformedInputError("scopes must name at least one scope")


def valid_text(value: object) -> bool:
    """A non-empty string that every store and every wire can carry.

    NUL and lone surrogates are refused: PostgreSQL cannot store them, UTF-8 cannot
    encode the latter, and no value TrueLayer or a user sends contains them.
    """
    if not isinstance(value, str) or not value or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(instance: object, attribute: Any, value: str) -> None:
    if not valid_text(value):
        raise MalformedInputError(
            f"{attribute.name} must be a non-empty string without NUL or lone surrogates"
        )


def _secret(instance: object, attribute: Any, value: Any) -> None:
    # Say nothing of the value itself: it is a secret.
    if value is not None and (not isinstance(value, Secret) or not valid_text(value.reveal())):
        raise MalformedInputError(
            f"{attribute.name} must be a non-empty string without NUL or lone surrogates"
        )


def _request_number(instance: object, attribute: Any, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise MalformedInputError(f"{attribute.name} must be a request number (1 or more)")


@frozen
class Input:
    """What every input has: the time it happened or was asked for."""

    TYPE: ClassVar[str] = ""
    KIND: ClassVar[Kind] = Kind.EVENT
    at: datetime = field(validator=_aware)


@frozen
class ConnectionStarted(Input):
    """The user consented to share data: the connection exists (consent clock, R8)."""

    TYPE = "connection_started"
    region: str = field(kw_only=True, validator=_text)
    scopes: tuple[str, ...] = field(kw_only=True, converter=_as_scopes, validator=_scopes)


@frozen
class LinkIssued(Input):
    """An auth link was made: its single-use ``state`` and PKCE verifier (R1, R14)."""

    TYPE = "link_issued"
    state: Secret = field(kw_only=True, validator=_secret)
    code_verifier: Secret | None = field(default=None, kw_only=True, validator=_secret)


@frozen
class UserAuthorised(Input):
    """The user came back with a code (R2); the code clock starts (R3)."""

    TYPE = "user_authorised"
    code: Secret = field(kw_only=True, validator=_secret)
    state: Secret | None = field(default=None, kw_only=True, validator=_secret)


@frozen
class UserDenied(Input):
    """The user came back with an error, e.g. ``access_denied`` (R2)."""

    TYPE = "user_denied"
    error: str = field(kw_only=True, validator=_text)
    state: Secret | None = field(default=None, kw_only=True, validator=_secret)


@frozen
class ExchangeCode(Input):
    """Ask to exchange the code for tokens (R3, R4)."""

    TYPE = "exchange_code"
    KIND = Kind.COMMAND


@frozen
class _Answer(Input):
    """An answer to a request the core handed out (R15).

    ``request`` names the request it answers; ``None`` means the one in flight.
    """

    request: int | None = field(default=None, kw_only=True, validator=_request_number)


@frozen
class _Grant(_Answer):
    """What every token answer carries (R4, R5, R6, R9)."""

    expires_in: int = field(kw_only=True, validator=_seconds)
    refresh_token: Secret | None = field(default=None, kw_only=True, validator=_secret)
    access_token: Secret | None = field(default=None, kw_only=True, validator=_secret)


@frozen
class _Rejection(_Answer):
    """What every refusal from TrueLayer carries: its ``error`` code (R13)."""

    error: str = field(kw_only=True, validator=_text)


@frozen
class CodeExchanged(_Grant):
    """The token endpoint answered the exchange (R4)."""

    TYPE = "code_exchanged"


@frozen
class CodeRejected(_Rejection):
    """The token endpoint refused the code (R3, R13)."""

    TYPE = "code_rejected"


@frozen
class Refresh(Input):
    """Ask for a new access token (R6)."""

    TYPE = "refresh"
    KIND = Kind.COMMAND


@frozen
class TokenRefreshed(_Grant):
    """The token endpoint answered a refresh (R5, R6)."""

    TYPE = "token_refreshed"


@frozen
class RefreshRejected(_Rejection):
    """The token endpoint refused the refresh token: ``invalid_grant`` (R6)."""

    TYPE = "refresh_rejected"


@frozen
class ConsentReconfirmed(Input):
    """The user reconfirmed consent in the app (R9); ``evidence`` says how."""

    TYPE = "consent_reconfirmed"
    evidence: str = field(kw_only=True, validator=_text)


@frozen
class Extend(Input):
    """Ask to extend the connection (R9)."""

    TYPE = "extend"
    KIND = Kind.COMMAND


@frozen
class ExtensionGranted(_Grant):
    """Extend answered ``no_action_needed`` with new tokens (R9); a refresh token always."""

    TYPE = "extension_granted"
    refresh_token: Secret = field(kw_only=True, validator=_secret)


@frozen
class ExtensionNeedsAuthentication(_Answer):
    """Extend answered ``authentication_needed`` with a link for the user (R9)."""

    TYPE = "extension_needs_authentication"
    user_input_link: str = field(kw_only=True, validator=_text)


@frozen
class FetchData(Input):
    """Ask to read data (R11)."""

    TYPE = "fetch_data"
    KIND = Kind.COMMAND


@frozen
class AccessDenied(Input):
    """A data call answered 403 ``access_denied`` (R11)."""

    TYPE = "access_denied"


@frozen
class FetchFailed(Input):
    """A data call failed without ending the connection (R11).

    ``access_token`` is the token the call used: when TrueLayer refused it
    (``invalid_token``) and it is still the current one, the core counts it expired,
    so that the next data call refreshes first; a token already replaced is no news.
    """

    TYPE = "fetch_failed"
    error: str = field(kw_only=True, validator=_text)
    access_token: Secret | None = field(default=None, kw_only=True, validator=_secret)


@frozen
class RequestFailed(_Rejection):
    """The request did not take effect (R15): its slot is free at once."""

    TYPE = "request_failed"


@frozen
class OutcomeUnknown(_Rejection):
    """Nobody can tell whether the request took effect (a timeout after sending, R15).

    The request stays in flight, unresolved, until the shell finds out what happened.
    """

    TYPE = "outcome_unknown"


@frozen
class TokenLost(_Rejection):
    """An unresolved request's answer is lost for good: the tokens it held are gone (R15)."""

    TYPE = "token_lost"


@frozen
class Revoke(Input):
    """Ask to delete the connection (R12)."""

    TYPE = "revoke"
    KIND = Kind.COMMAND


@frozen
class Revoked(_Answer):
    """The deletion was done (R12)."""

    TYPE = "revoked"


@frozen
class ConsentExpiryReported(Input):
    """``/data/v1/me`` reported when the consent expires (R10).

    Advisory: the core keeps the earlier of this and its own clock, so that a bank that
    ends consent early never gets a call with a dead token.
    """

    TYPE = "consent_expiry_reported"
    consent_expires_at: datetime = field(kw_only=True, validator=_aware)


@frozen
class ReminderSent(Input):
    """The shell reminded the user to reconfirm consent; silences that reminder."""

    TYPE = "reminder_sent"


@frozen
class Tick(Input):
    """Only time passes."""

    TYPE = "tick"


INPUT_TYPES: dict[str, type[Input]] = {
    cls.TYPE: cls
    for cls in (
        ConnectionStarted,
        LinkIssued,
        UserAuthorised,
        UserDenied,
        ExchangeCode,
        CodeExchanged,
        CodeRejected,
        Refresh,
        TokenRefreshed,
        RefreshRejected,
        ConsentReconfirmed,
        Extend,
        ExtensionGranted,
        ExtensionNeedsAuthentication,
        FetchData,
        AccessDenied,
        FetchFailed,
        Revoke,
        Revoked,
        RequestFailed,
        OutcomeUnknown,
        TokenLost,
        ConsentExpiryReported,
        ReminderSent,
        Tick,
    )
}
COMMANDS = frozenset(name for name, cls in INPUT_TYPES.items() if cls.KIND is Kind.COMMAND)
EVENTS = frozenset(INPUT_TYPES) - COMMANDS
