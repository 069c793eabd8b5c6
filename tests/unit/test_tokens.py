"""R5 and R6: access tokens and refresh tokens."""

from __future__ import annotations

from lifecycle_support import T0, D, H, M, S, active, must, secret

import lifecycle as core
from lifecycle import Effect, InactiveReason, Reason, Status


def test_the_access_token_hour_counts_from_when_the_exchange_was_requested() -> None:
    record = active()  # exchange requested at T0+2s, answered at T0+3s
    assert core.deadlines(record, T0 + 3 * S).access_expires_at == T0 + 2 * S + H


def test_fetching_data_just_before_the_access_token_expires_needs_no_refresh() -> None:
    decision = core.apply(active(), core.FetchData(T0 + 2 * S + H - S))
    assert decision.effects == (Effect.FETCH_DATA,)
    assert decision.record.request is None


def test_fetching_data_when_the_access_token_has_just_expired_refreshes_first() -> None:
    decision = core.apply(active(), core.FetchData(T0 + 2 * S + H))
    assert decision.effects == (Effect.REFRESH_TOKEN, Effect.FETCH_DATA)
    assert decision.record.request is not None
    assert decision.record.request.effect is Effect.REFRESH_TOKEN


def test_fetching_with_an_expired_token_and_no_offline_access_is_refused() -> None:
    record = active(refresh_token=None)
    # R7: a UK connection without offline_access lives 60 minutes from consent (T0),
    # which ends before the access token's hour (from T0 + 2 s) does.
    assert core.deadlines(record, T0 + H - S).access_expires_at == T0 + H
    assert core.apply(record, core.FetchData(T0 + H - S)).effects == (Effect.FETCH_DATA,)
    late = core.apply(record, core.FetchData(T0 + H))
    assert late.reason is Reason.CONSENT_EXPIRED


def test_refresh_is_refused_without_offline_access() -> None:
    decision = core.apply(active(refresh_token=None), core.Refresh(T0 + M))
    assert (decision.accepted, decision.reason) == (False, Reason.NO_OFFLINE_ACCESS)


def test_a_refresh_token_used_one_second_before_thirty_days_is_accepted() -> None:
    # R6: the window counts from when the exchange was sent (T0 + 2 s).
    decision = core.apply(active(), core.Refresh(T0 + 2 * S + 30 * D - S))
    assert decision.accepted and decision.effects == (Effect.REFRESH_TOKEN,)


def test_a_refresh_token_first_used_at_exactly_thirty_days_has_lapsed() -> None:
    record = active()
    decision = core.apply(record, core.Refresh(T0 + 2 * S + 30 * D))
    assert (decision.accepted, decision.reason) == (False, Reason.REFRESH_TOKEN_LAPSED)
    assert decision.record is record


def test_a_lapsed_refresh_token_makes_the_connection_inactive_once_the_access_token_expired() -> (
    None
):
    record = active()  # refresh token from the exchange sent at T0 + 2 s, never used
    use_by = T0 + 2 * S + 30 * D
    assert core.status_at(record, use_by - S) == (Status.ACTIVE, None)
    assert core.status_at(record, use_by) == (Status.INACTIVE, InactiveReason.REFRESH_TOKEN_LAPSED)


def test_a_lapsed_refresh_token_leaves_the_connection_active_while_the_access_token_lives() -> None:
    record = must(active(), core.Refresh(T0 + 29 * D))
    # A refresh answered with the same token uses it (R6); here it brings a *new*
    # refresh token whose window starts when the refresh was sent.
    record = must(
        record, core.TokenRefreshed(T0 + 29 * D + S, expires_in=3600, refresh_token=secret("rt-2"))
    )
    window_end = T0 + 29 * D + 30 * D
    assert core.deadlines(record, T0 + 29 * D + S).refresh_use_by == window_end
    assert core.status_at(record, window_end - S)[0] is Status.ACTIVE


def test_an_identical_refresh_token_marks_the_token_used_and_ends_its_window() -> None:
    record = must(active(), core.Refresh(T0 + D))
    record = must(
        record, core.TokenRefreshed(T0 + D + S, expires_in=3600, refresh_token=secret("rt-1"))
    )
    assert record.grant.refresh_used is True
    assert core.deadlines(record, T0 + D + S).refresh_use_by is None
    assert core.status_at(record, T0 + 60 * D)[0] is Status.ACTIVE


def test_a_refresh_answer_without_refresh_token_keeps_the_old_one() -> None:
    record = must(active(), core.Refresh(T0 + D))
    record = must(record, core.TokenRefreshed(T0 + D + S, expires_in=3600))
    assert record.grant.refresh_token == secret("rt-1") and record.grant.refresh_used


def test_each_refresh_replaces_the_access_token_expiry() -> None:
    record = must(active(), core.Refresh(T0 + D))
    record = must(record, core.TokenRefreshed(T0 + D + 5 * S, expires_in=600))
    # R5: from when the refresh was sent, not when its answer came.
    assert core.deadlines(record, T0 + D + 5 * S).access_expires_at == T0 + D + 600 * S


def test_a_rejected_refresh_makes_the_connection_inactive() -> None:
    record = must(active(), core.Refresh(T0 + D))
    record = must(record, core.RefreshRejected(T0 + D + S, error="invalid_grant"))
    assert core.status_at(record, T0 + D + S) == (Status.INACTIVE, InactiveReason.REFRESH_REJECTED)
    assert record.last_error == "invalid_grant"


def test_a_second_refresh_while_one_is_in_flight_is_refused() -> None:
    record = must(active(), core.Refresh(T0 + D))
    decision = core.apply(record, core.Refresh(T0 + D + M))
    assert decision.reason is Reason.REQUEST_IN_FLIGHT


def test_a_refresh_in_flight_past_the_request_timeout_is_unresolved_and_never_resent() -> None:
    # R15: no timer frees the slot; the first refresh may have rotated the token.
    record = must(active(), core.Refresh(T0 + D))
    timeout = core.DEFAULT_POLICY.request_timeout
    assert core.apply(record, core.Refresh(T0 + D + timeout - S)).reason is Reason.REQUEST_IN_FLIGHT
    assert core.apply(record, core.Refresh(T0 + D + timeout)).reason is Reason.REQUEST_UNRESOLVED
    assert core.apply(record, core.Refresh(T0 + 2 * D)).reason is Reason.REQUEST_UNRESOLVED
    items = core.agenda(record, T0 + D + timeout)
    assert core.AgendaItem(T0 + D + timeout, core.Action.RESOLVE_REQUEST) in items


def test_refresh_is_refused_when_not_active() -> None:
    record = must(active(), core.AccessDenied(T0 + M))
    assert core.apply(record, core.Refresh(T0 + 2 * M)).reason is Reason.NOT_ACTIVE
