"""R1–R4 and R14: from consent to an active connection."""

from __future__ import annotations

from datetime import timedelta

import pytest
from lifecycle_support import SCOPES, T0, M, S, authorized, must, secret, started

import lifecycle as core
from lifecycle import Effect, Reason, Status


def test_a_started_connection_requires_authorization() -> None:
    record = started()
    assert core.status_at(record, T0) == (Status.AUTHORIZATION_REQUIRED, None)
    assert record.offline_access is True


def test_a_connection_without_offline_access_scope_is_not_offline() -> None:
    assert started(scopes=("info", "accounts")).offline_access is False


def test_an_unknown_region_is_a_clear_error() -> None:
    with pytest.raises(core.UnknownRegionError, match="'mars'"):
        core.start(core.ConnectionStarted(T0, region="mars", scopes=SCOPES))


def test_an_unknown_scope_is_a_clear_error() -> None:
    with pytest.raises(core.MalformedInputError, match="unknown scopes: wallet"):
        core.ConnectionStarted(T0, region="uk", scopes=("info", "wallet"))


def test_a_naive_timestamp_is_refused_when_the_input_is_built() -> None:
    with pytest.raises(core.NaiveDatetimeError, match="timezone-aware"):
        core.Tick(T0.replace(tzinfo=None))


def test_user_authorised_moves_to_authorized_and_starts_the_code_clock() -> None:
    record = authorized()
    assert record.status is Status.AUTHORIZED
    assert core.deadlines(record, T0 + S).code_expires_at == T0 + S + timedelta(minutes=5)


def test_a_callback_with_another_state_is_refused_and_changes_nothing() -> None:
    record = must(started(), core.LinkIssued(T0, state=secret("right")))
    decision = core.apply(
        record, core.UserAuthorised(T0 + S, code=secret("c"), state=secret("wrong"))
    )
    assert (decision.accepted, decision.reason) == (False, Reason.STATE_MISMATCH)
    assert decision.record is record


def test_a_callback_without_state_is_refused_when_a_link_was_issued() -> None:
    record = must(started(), core.LinkIssued(T0, state=secret("right")))
    decision = core.apply(record, core.UserAuthorised(T0 + S, code=secret("c")))
    assert decision.reason is Reason.STATE_MISMATCH


def test_the_state_is_single_use() -> None:
    record = authorized()
    assert record.link is None  # R14: spent by the callback


def test_a_denied_authorisation_stays_authorization_required_and_records_the_error() -> None:
    record = must(started(), core.LinkIssued(T0, state=secret("s")))
    record = must(record, core.UserDenied(T0 + S, error="access_denied", state=secret("s")))
    assert record.status is Status.AUTHORIZATION_REQUIRED
    assert record.last_error == "access_denied"


def test_a_code_four_minutes_fifty_nine_old_is_exchanged() -> None:
    decision = core.apply(authorized(), core.ExchangeCode(T0 + S + 4 * M + 59 * S))
    assert decision.accepted
    assert decision.effects == (Effect.EXCHANGE_CODE,)


def test_a_code_exactly_five_minutes_old_is_not_exchanged() -> None:
    record = authorized()
    decision = core.apply(record, core.ExchangeCode(T0 + S + 5 * M))
    assert (decision.accepted, decision.reason) == (False, Reason.CODE_EXPIRED)
    assert decision.record is record
    assert core.status_at(record, T0 + S + 5 * M) == (Status.AUTHORIZATION_REQUIRED, None)


def test_a_code_is_still_authorized_just_before_five_minutes() -> None:
    assert core.status_at(authorized(), T0 + S + 5 * M - S)[0] is Status.AUTHORIZED


def test_a_reloaded_callback_never_causes_a_second_exchange() -> None:
    record = must(authorized(), core.ExchangeCode(T0 + 2 * S))
    decision = core.apply(record, core.ExchangeCode(T0 + 3 * S))
    assert (decision.accepted, decision.reason) == (False, Reason.CODE_USED)


def test_a_rejected_code_needs_a_new_link() -> None:
    record = must(authorized(), core.ExchangeCode(T0 + 2 * S))
    record = must(record, core.CodeRejected(T0 + 3 * S, error="invalid_grant"))
    assert record.status is Status.AUTHORIZATION_REQUIRED
    assert record.code is None and record.last_error == "invalid_grant"
    assert core.apply(record, core.ExchangeCode(T0 + 4 * S)).reason is Reason.NOT_ALLOWED_IN_STATUS


def test_the_exchange_activates_and_keeps_the_refresh_token() -> None:
    record = must(authorized(), core.ExchangeCode(T0 + 2 * S))
    record = must(
        record, core.CodeExchanged(T0 + 3 * S, expires_in=3600, refresh_token=secret("rt"))
    )
    assert record.status is Status.ACTIVE
    assert record.grant.refresh_token == secret("rt")
    assert record.code is None and record.link is None  # spent secrets are dropped


def test_an_exchange_without_a_refresh_token_means_offline_access_was_not_granted() -> None:
    record = must(authorized(), core.ExchangeCode(T0 + 2 * S))
    record = must(record, core.CodeExchanged(T0 + 3 * S, expires_in=3600))
    assert record.offline_access is False
    # R7: without offline_access a UK connection lives 60 minutes.
    assert core.deadlines(record, T0 + 3 * S).consent_expires_at == T0 + 60 * M


def test_a_code_exchanged_event_outside_authorized_is_refused() -> None:
    decision = core.apply(started(), core.CodeExchanged(T0 + S, expires_in=3600))
    assert (decision.accepted, decision.reason) == (False, Reason.NO_REQUEST_IN_FLIGHT)


def test_a_second_connection_started_on_a_record_is_refused() -> None:
    decision = core.apply(started(), core.ConnectionStarted(T0 + S, region="uk", scopes=SCOPES))
    assert decision.reason is Reason.NOT_ALLOWED_IN_STATUS
