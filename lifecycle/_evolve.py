"""How each accepted input changes a record's facts. Statuses come from the table, not here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ._inputs import (
    CodeExchanged,
    CodeRejected,
    ConsentExpiryReported,
    ConsentReconfirmed,
    ExtensionGranted,
    ExtensionNeedsAuthentication,
    Input,
    LinkIssued,
    RefreshRejected,
    TokenRefreshed,
    UserAuthorised,
    UserDenied,
)
from ._record import Connection, Reconfirmation
from ._secret import Secret
from ._vocabulary import Effect

__all__ = ["EVOLVE", "Evolver"]


_SECOND = timedelta(seconds=1)  # a multiple of it is built faster than timedelta(seconds=n)


def _requested_at(record: Connection, effect: Effect, at: datetime) -> datetime:
    # R5: the access token's hour counts from when the request was sent, which is when
    # the core accepted the command that asked for it.
    if record.pending is effect and record.pending_since is not None:
        return record.pending_since
    return at


def _tokens(
    record: Connection,
    at: datetime,
    start: datetime,
    expires_in: int,
    access: Secret | None,
    refresh: Secret | None,
) -> dict[str, Any]:
    changes: dict[str, Any] = {
        "access_token": access,
        "access_expires_at": start + _SECOND * expires_in,
        "pending": None,
        "pending_since": None,
        "last_error": None,
    }
    if refresh is not None and refresh != record.refresh_token:
        # R6: a different refresh token replaces the old one, with its own 30-day window.
        changes.update(refresh_token=refresh, refresh_received_at=at, refresh_used=False)
    return changes


def _link_issued(record: Connection, input: LinkIssued) -> dict[str, Any]:
    return {"state": input.state, "code_verifier": input.code_verifier, "last_error": None}


def _user_authorised(record: Connection, input: UserAuthorised) -> dict[str, Any]:
    # R14: the state is single use; R3: the code clock starts now.
    return {"state": None, "code": input.code, "code_received_at": input.at, "code_used": False}


def _user_denied(record: Connection, input: UserDenied) -> dict[str, Any]:
    return {"state": None, "last_error": input.error}


def _exchange_code(record: Connection, input: Input) -> dict[str, Any]:
    # R3: mark the code used before the request, so a reload cannot exchange it twice.
    return {"code_used": True, "pending": Effect.EXCHANGE_CODE, "pending_since": input.at}


def _code_exchanged(record: Connection, input: CodeExchanged) -> dict[str, Any]:
    start = _requested_at(record, Effect.EXCHANGE_CODE, input.at)
    changes = _tokens(
        record, input.at, start, input.expires_in, input.access_token, input.refresh_token
    )
    changes.update(
        code=None,
        code_received_at=None,
        code_verifier=None,
        # R4: a refresh token comes back iff offline_access was granted.
        offline_access=input.refresh_token is not None,
        refresh_token=input.refresh_token,
        refresh_received_at=input.at if input.refresh_token else None,
        refresh_used=False,
    )
    if record.reauthenticating:
        # R9: an extension that needed authentication restarts the consent clock here.
        changes.update(
            consent_started_at=input.at,
            user_input_link=None,
            reported_consent_expires_at=None,
        )
    return changes


def _code_rejected(record: Connection, input: CodeRejected) -> dict[str, Any]:
    return {
        "code": None,
        "code_received_at": None,
        "pending": None,
        "pending_since": None,
        "last_error": input.error,
    }


def _refresh(record: Connection, input: Input) -> dict[str, Any]:
    return {"pending": Effect.REFRESH_TOKEN, "pending_since": input.at}


def _token_refreshed(record: Connection, input: TokenRefreshed) -> dict[str, Any]:
    start = _requested_at(record, Effect.REFRESH_TOKEN, input.at)
    changes = _tokens(
        record, input.at, start, input.expires_in, input.access_token, input.refresh_token
    )
    changes.setdefault("refresh_used", True)  # R6: the token in hand has now been used
    return changes


def _refresh_rejected(record: Connection, input: RefreshRejected) -> dict[str, Any]:
    return {"pending": None, "pending_since": None, "last_error": input.error}


def _consent_reconfirmed(record: Connection, input: ConsentReconfirmed) -> dict[str, Any]:
    return {"reconfirmation": Reconfirmation(input.at, input.evidence)}


def _extend(record: Connection, input: Input) -> dict[str, Any]:
    return {"pending": Effect.EXTEND_CONNECTION, "pending_since": input.at}


def _extension_granted(record: Connection, input: ExtensionGranted) -> dict[str, Any]:
    start = _requested_at(record, Effect.EXTEND_CONNECTION, input.at)
    changes = _tokens(
        record, input.at, start, input.expires_in, input.access_token, input.refresh_token
    )
    # R9: extended; the lifetime starts again, and what /me said of the old one is void.
    changes["consent_started_at"] = input.at
    changes["reported_consent_expires_at"] = None
    return changes


def _extension_needs_authentication(
    record: Connection, input: ExtensionNeedsAuthentication
) -> dict[str, Any]:
    return {
        "user_input_link": input.user_input_link,
        "pending": None,
        "pending_since": None,
        "code": None,
        "code_received_at": None,
        "code_used": False,
    }


def _fetch_data(record: Connection, input: Input) -> dict[str, Any]:
    # Reached only when a refresh must come first (see ``Rule.refresh_first``).
    return {"pending": Effect.REFRESH_TOKEN, "pending_since": input.at}


def _revoke(record: Connection, input: Input) -> dict[str, Any]:
    return {"pending": Effect.DELETE_CONNECTION, "pending_since": input.at}


def _revoked(record: Connection, input: Input) -> dict[str, Any]:
    # R12: the tokens are dead; keep no secret that no longer opens anything.
    return {"pending": None, "pending_since": None, "access_token": None, "refresh_token": None}


def _access_denied(record: Connection, input: Input) -> dict[str, Any]:
    return {"pending": None, "pending_since": None}


def _consent_expiry_reported(record: Connection, input: ConsentExpiryReported) -> dict[str, Any]:
    return {"reported_consent_expires_at": input.consent_expires_at}


def _reminder_sent(record: Connection, input: Input) -> dict[str, Any]:
    return {"last_reminder_at": input.at}


Evolver = Callable[[Connection, Any], dict[str, Any]]

EVOLVE: dict[str, Evolver] = {
    "link_issued": _link_issued,
    "user_authorised": _user_authorised,
    "user_denied": _user_denied,
    "exchange_code": _exchange_code,
    "code_exchanged": _code_exchanged,
    "code_rejected": _code_rejected,
    "refresh": _refresh,
    "token_refreshed": _token_refreshed,
    "refresh_rejected": _refresh_rejected,
    "consent_reconfirmed": _consent_reconfirmed,
    "extend": _extend,
    "extension_granted": _extension_granted,
    "extension_needs_authentication": _extension_needs_authentication,
    "fetch_data": _fetch_data,
    "access_denied": _access_denied,
    "revoke": _revoke,
    "revoked": _revoked,
    "consent_expiry_reported": _consent_expiry_reported,
    "reminder_sent": _reminder_sent,
}
