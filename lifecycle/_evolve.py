"""How each accepted input changes a record's facts. Statuses come from the table, not here.

An evolver returns the parts of the record it replaces (a few at a time: the link, the
code, the grant, the request, the consent); ``apply`` builds the new record from them
with ``attrs.evolve``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from attrs import evolve

from ._inputs import (
    CodeExchanged,
    ConsentExpiryReported,
    ConsentReconfirmed,
    ExtensionGranted,
    ExtensionNeedsAuthentication,
    FetchFailed,
    Input,
    LinkIssued,
    OutcomeUnknown,
    RequestFailed,
    TokenLost,
    TokenRefreshed,
    UserAuthorised,
    UserDenied,
    _Rejection,
)
from ._record import (
    Code,
    Connection,
    Consent,
    Grant,
    Link,
    Reauthentication,
    Reconfirmation,
    Request,
)
from ._vocabulary import Effect

__all__ = ["EVOLVE", "Changes", "Evolver"]

Changes = dict[str, Any]
"""Record fields (most of them parts) that an accepted input replaces."""

# R15: invalid_token / unauthorized on a data call: the access token is not accepted.
_TOKEN_REFUSED = frozenset({"invalid_token", "unauthorized"})


def _sent_at(record: Connection) -> datetime:
    # R5, R15: an answer is judged by when its request was sent. Answers are accepted
    # only while their request is in flight (the table's ``answers``), so it is there.
    assert record.request is not None
    return record.request.sent_at


def _request(record: Connection, effect: Effect, at: datetime) -> Changes:
    # R15: the request is numbered in the record; its answer must name it (or none).
    number = record.requests_sent + 1
    return {"request": Request(effect, number, at), "requests_sent": number}


def _link_issued(record: Connection, input: LinkIssued) -> Changes:
    return {"link": Link(input.at, input.state, input.code_verifier), "last_error": None}


def _user_authorised(record: Connection, input: UserAuthorised) -> Changes:
    # R14: the callback spends the link; R3: the code clock starts now.
    verifier = None if record.link is None else record.link.code_verifier
    return {"link": None, "code": Code(input.code, input.at, verifier)}


def _user_denied(record: Connection, input: UserDenied) -> Changes:
    # R14: a denial spends the link too; a denied re-authentication has ended (R9).
    return {"link": None, "reauthentication": None, "last_error": input.error}


def _exchange_code(record: Connection, input: Input) -> Changes:
    return _request(record, Effect.EXCHANGE_CODE, input.at)


def _grant(sent: datetime, expires_in: int, access: Any, refresh: Any) -> Grant:
    # R5: the access token's lifetime counts from the request; R6: a refresh token's
    # first-use window too, which ends it no later than the bank's own.
    return Grant(
        access_token=access,
        access_expires_at=sent + timedelta(seconds=expires_in),
        refresh_token=refresh,
        refresh_received_at=None if refresh is None else sent,
    )


def _code_exchanged(record: Connection, input: CodeExchanged) -> Changes:
    sent = _sent_at(record)
    changes: Changes = {
        "grant": _grant(sent, input.expires_in, input.access_token, input.refresh_token),
        # R4: a refresh token comes back iff offline_access was granted.
        "offline_access": input.refresh_token is not None,
        "code": None,
        "request": None,
        "last_error": None,
    }
    if record.reauthentication is not None:
        # R9: the re-authentication's exchange restarts the consent clock.
        changes["consent"] = Consent(
            started_at=sent,
            reconfirmation=record.consent.reconfirmation,
            last_reminder_at=record.consent.last_reminder_at,
        )
        changes["reauthentication"] = None
    return changes


def _code_rejected(record: Connection, input: _Rejection) -> Changes:
    return {"code": None, "request": None, "last_error": input.error}


def _refresh(record: Connection, input: Input) -> Changes:
    return _request(record, Effect.REFRESH_TOKEN, input.at)


def _token_refreshed(record: Connection, input: TokenRefreshed) -> Changes:
    sent = _sent_at(record)
    old = record.grant
    refresh = input.refresh_token
    if refresh is not None and refresh != old.refresh_token:
        # R6: a different refresh token replaces the old one, with its own window.
        grant = _grant(sent, input.expires_in, input.access_token, refresh)
    else:
        # R6: an absent or identical one keeps the old, which has now been used.
        grant = evolve(
            old,
            access_token=input.access_token,
            access_expires_at=sent + timedelta(seconds=input.expires_in),
            refresh_used=True,
        )
    return {"grant": grant, "request": None, "last_error": None}


def _failed(record: Connection, input: _Rejection) -> Changes:
    return {"request": None, "last_error": input.error}


def _consent_reconfirmed(record: Connection, input: ConsentReconfirmed) -> Changes:
    reconfirmation = Reconfirmation(input.at, input.evidence)
    return {"consent": evolve(record.consent, reconfirmation=reconfirmation)}


def _spent_reconfirmation(record: Connection) -> Reconfirmation | None:
    # R9: one reconfirmation pays for one extension.
    seen = record.consent.reconfirmation
    return None if seen is None else evolve(seen, spent=True)


def _extend(record: Connection, input: Input) -> Changes:
    return _request(record, Effect.EXTEND_CONNECTION, input.at)


def _extension_granted(record: Connection, input: ExtensionGranted) -> Changes:
    sent = _sent_at(record)
    # R9: an extension is a new grant: its refresh token starts a fresh first-use
    # window even when the string is unchanged; the consent clock starts again, and
    # what /me said of the old consent is void.
    return {
        "grant": _grant(sent, input.expires_in, input.access_token, input.refresh_token),
        "consent": Consent(
            started_at=sent,
            reconfirmation=_spent_reconfirmation(record),
            last_reminder_at=record.consent.last_reminder_at,
        ),
        "request": None,
        "reauthentication": None,
        "last_error": None,
    }


def _extension_needs_authentication(
    record: Connection, input: ExtensionNeedsAuthentication
) -> Changes:
    # R9: nothing is revoked: the connection keeps working until its consent runs out.
    # TrueLayer's link is outstanding (R14); it carries none of our state.
    return {
        "request": None,
        "reauthentication": Reauthentication(input.at, input.user_input_link),
        "link": Link(input.at),
        "code": None,
        "consent": evolve(record.consent, reconfirmation=_spent_reconfirmation(record)),
    }


def _fetch_data(record: Connection, input: Input) -> Changes:
    # Reached only when a refresh must come first (see ``Rule.refresh_first``).
    return _request(record, Effect.REFRESH_TOKEN, input.at)


def _fetch_failed(record: Connection, input: FetchFailed) -> Changes:
    changes: Changes = {"last_error": input.error}
    grant = record.grant
    expires = grant.access_expires_at
    if (
        input.error in _TOKEN_REFUSED
        and input.access_token is not None
        and input.access_token == grant.access_token
        and expires is not None
        and input.at < expires
    ):
        # R11: the current token was refused: count it expired, so the next read
        # refreshes first. A token already replaced by a refresh is no news.
        changes["grant"] = evolve(grant, access_expires_at=input.at)
    return changes


def _revoke(record: Connection, input: Input) -> Changes:
    return _request(record, Effect.DELETE_CONNECTION, input.at)


def _ended(record: Connection, input: Input) -> Changes:
    # R12, R15: the tokens are dead or lost; keep no secret that no longer opens anything.
    changes: Changes = {
        "request": None,
        "grant": Grant(),
        "link": None,
        "code": None,
        "reauthentication": None,
    }
    if isinstance(input, TokenLost):
        changes["last_error"] = input.error
    return changes


def _request_failed(record: Connection, input: RequestFailed) -> Changes:
    changes = _failed(record, input)
    request = record.request
    if request is not None and request.effect is Effect.EXCHANGE_CODE:
        # R3: a code is single use; once sent it is spent, whatever came back.
        changes["code"] = None
    return changes


def _outcome_unknown(record: Connection, input: OutcomeUnknown) -> Changes:
    assert record.request is not None  # an answer: its request is in flight
    return {"request": evolve(record.request, outcome_unknown=True), "last_error": input.error}


def _code_expired(record: Connection, input: None) -> Changes:
    # A time row (R3): the code can no longer be exchanged; keep no dead secret.
    return {"code": None}


def _consent_expiry_reported(record: Connection, input: ConsentExpiryReported) -> Changes:
    return {"consent": evolve(record.consent, reported_expires_at=input.consent_expires_at)}


def _reminder_sent(record: Connection, input: Input) -> Changes:
    return {"consent": evolve(record.consent, last_reminder_at=input.at)}


Evolver = Callable[[Connection, Any], Changes]

EVOLVE: dict[str, Evolver] = {
    "link_issued": _link_issued,
    "user_authorised": _user_authorised,
    "user_denied": _user_denied,
    "exchange_code": _exchange_code,
    "code_exchanged": _code_exchanged,
    "code_rejected": _code_rejected,
    "code_expired": _code_expired,
    "refresh": _refresh,
    "token_refreshed": _token_refreshed,
    "refresh_rejected": _failed,
    "consent_reconfirmed": _consent_reconfirmed,
    "extend": _extend,
    "extension_granted": _extension_granted,
    "extension_needs_authentication": _extension_needs_authentication,
    "fetch_data": _fetch_data,
    "fetch_failed": _fetch_failed,
    "revoke": _revoke,
    "revoked": _ended,
    "token_lost": _ended,
    "request_failed": _request_failed,
    "outcome_unknown": _outcome_unknown,
    "consent_expiry_reported": _consent_expiry_reported,
    "reminder_sent": _reminder_sent,
}
