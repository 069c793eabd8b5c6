"""Builders shared by the core's tests: records in each status, sample inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import lifecycle as core

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SCOPES = ("info", "accounts", "balance", "transactions", "offline_access")
S, M, H, D = (timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1), timedelta(days=1))


def secret(value: str) -> core.Secret:
    return core.Secret(value)


def started(
    region: str = "uk", scopes: tuple[str, ...] = SCOPES, at: datetime = T0
) -> core.Connection:
    return core.start(core.ConnectionStarted(at, region=region, scopes=scopes))


def must(record: core.Connection, input: core.Input) -> core.Connection:
    """Apply an input that must be accepted; fail loudly otherwise."""
    decision = core.apply(record, input)
    assert decision.accepted, f"{input.TYPE} refused: {decision.reason} ({decision.detail})"
    return decision.record


def authorized(
    region: str = "uk", scopes: tuple[str, ...] = SCOPES, at: datetime = T0
) -> core.Connection:
    record = started(region, scopes, at)
    record = must(record, core.LinkIssued(at, state=secret("state-1"), code_verifier=secret("v")))
    return must(record, core.UserAuthorised(at + S, code=secret("code-1"), state=secret("state-1")))


def active(
    region: str = "uk",
    scopes: tuple[str, ...] = SCOPES,
    at: datetime = T0,
    refresh_token: str | None = "rt-1",
) -> core.Connection:
    """A connection made active by an exchange requested at ``at + 2s``."""
    record = must(authorized(region, scopes, at), core.ExchangeCode(at + 2 * S))
    return must(
        record,
        core.CodeExchanged(
            at + 3 * S,
            expires_in=3600,
            access_token=secret("at-1"),
            refresh_token=None if refresh_token is None else secret(refresh_token),
        ),
    )


def inactive(reason: core.InactiveReason, region: str = "uk") -> core.Connection:
    record = active(region)
    consent_end = core.deadlines(record, record.last_input_at).consent_expires_at
    assert consent_end is not None
    if reason is core.InactiveReason.CONSENT_EXPIRED:
        # Use the refresh token first, or it lapses on day 30, long before consent ends.
        record = must(record, core.Refresh(T0 + 2 * H))
        record = must(record, core.TokenRefreshed(T0 + 2 * H + S, expires_in=3600))
        return must(record, core.Tick(consent_end))
    if reason is core.InactiveReason.REFRESH_TOKEN_LAPSED:
        return must(record, core.Tick(T0 + 31 * D))
    if reason is core.InactiveReason.REFRESH_REJECTED:
        record = must(record, core.Refresh(T0 + H))
        return must(record, core.RefreshRejected(T0 + H, error="invalid_grant"))
    if reason is core.InactiveReason.ACCESS_DENIED:
        return must(record, core.AccessDenied(T0 + H))
    if reason is core.InactiveReason.TOKEN_LOST:
        record = must(record, core.Refresh(T0 + H))
        return must(record, core.TokenLost(T0 + H + 5 * M, error="invalid_grant"))
    record = must(record, core.Revoke(T0 + H))
    return must(record, core.Revoked(T0 + H))


def sample_input(kind: str, at: datetime) -> core.Input:
    """One well-formed input of each type."""
    samples: dict[str, core.Input] = {
        "connection_started": core.ConnectionStarted(at, region="uk", scopes=SCOPES),
        "link_issued": core.LinkIssued(at, state=secret("state-2")),
        "user_authorised": core.UserAuthorised(at, code=secret("code-2")),
        "user_denied": core.UserDenied(at, error="access_denied"),
        "exchange_code": core.ExchangeCode(at),
        "code_exchanged": core.CodeExchanged(at, expires_in=3600, refresh_token=secret("rt-2")),
        "code_rejected": core.CodeRejected(at, error="invalid_grant"),
        "refresh": core.Refresh(at),
        "token_refreshed": core.TokenRefreshed(at, expires_in=3600),
        "refresh_rejected": core.RefreshRejected(at, error="invalid_grant"),
        "consent_reconfirmed": core.ConsentReconfirmed(at, evidence="tapped 'keep sharing'"),
        "extend": core.Extend(at),
        "extension_granted": core.ExtensionGranted(
            at, expires_in=3600, refresh_token=secret("rt-3")
        ),
        "extension_needs_authentication": core.ExtensionNeedsAuthentication(
            at, user_input_link="https://auth.example/reauth"
        ),
        "fetch_data": core.FetchData(at),
        "access_denied": core.AccessDenied(at),
        "fetch_failed": core.FetchFailed(at, error="sca_exceeded"),
        "revoke": core.Revoke(at),
        "revoked": core.Revoked(at),
        "request_failed": core.RequestFailed(at, error="provider_error"),
        "outcome_unknown": core.OutcomeUnknown(at, error="timeout"),
        "token_lost": core.TokenLost(at, error="invalid_grant"),
        "consent_expiry_reported": core.ConsentExpiryReported(
            at, consent_expires_at=at + timedelta(days=80)
        ),
        "reminder_sent": core.ReminderSent(at),
        "tick": core.Tick(at),
    }
    assert set(samples) == set(core.INPUT_TYPES)
    return samples[kind]
