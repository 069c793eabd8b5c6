"""R7–R9: the consent lifetime by region, expiry, reconfirmation and extension."""

from __future__ import annotations

from datetime import timedelta

import pytest
from lifecycle_support import SCOPES, T0, D, H, M, S, active, inactive, must, secret

import lifecycle as core
from lifecycle import Effect, InactiveReason, Reason, Status

# R7, read from DOMAIN.md's table (not from the code under test).
LIFETIMES = [
    ("uk", True, timedelta(days=90)),
    ("uk", False, timedelta(minutes=60)),
    ("au", True, timedelta(days=365)),
    ("au", False, timedelta(hours=24)),
    ("eu", True, timedelta(days=90)),
    ("eu", False, timedelta(minutes=60)),
]


@pytest.mark.parametrize(("region", "offline", "lifetime"), LIFETIMES)
def test_the_consent_lifetime_follows_the_region_table(
    region: str, offline: bool, lifetime: timedelta
) -> None:
    record = active(region, refresh_token="rt" if offline else None)
    assert core.deadlines(record, T0 + 3 * S).consent_expires_at == T0 + lifetime


def _kept_alive(region: str = "uk") -> core.Connection:
    record = must(active(region), core.Refresh(T0 + D))
    return must(record, core.TokenRefreshed(T0 + D + S, expires_in=3600))


def test_a_connection_is_active_one_second_before_consent_expiry() -> None:
    assert core.status_at(_kept_alive(), T0 + 90 * D - S) == (Status.ACTIVE, None)


def test_a_connection_is_inactive_exactly_at_consent_expiry() -> None:
    assert core.status_at(_kept_alive(), T0 + 90 * D) == (
        Status.INACTIVE,
        InactiveReason.CONSENT_EXPIRED,
    )


def test_refresh_and_data_are_refused_after_consent_expiry() -> None:
    record = _kept_alive()
    assert core.apply(record, core.Refresh(T0 + 90 * D)).reason is Reason.CONSENT_EXPIRED
    assert core.apply(record, core.FetchData(T0 + 90 * D)).reason is Reason.CONSENT_EXPIRED


def _reconfirmed(record: core.Connection, at: core.Input | None = None) -> core.Connection:
    return must(record, core.ConsentReconfirmed(T0 + 80 * D, evidence="banner, 'keep sharing'"))


def test_extend_is_refused_without_reconfirmed_consent() -> None:
    decision = core.apply(_kept_alive(), core.Extend(T0 + 80 * D))
    assert decision.reason is Reason.CONSENT_NOT_RECONFIRMED


def test_extend_while_active_with_reconfirmed_consent_asks_for_the_extension() -> None:
    decision = core.apply(_reconfirmed(_kept_alive()), core.Extend(T0 + 80 * D + S))
    assert decision.accepted and decision.effects == (Effect.EXTEND_CONNECTION,)


@pytest.mark.parametrize("region", ["au", "eu"])
def test_extend_is_refused_outside_the_uk(region: str) -> None:
    record = _reconfirmed(_kept_alive(region))
    assert core.apply(record, core.Extend(T0 + 80 * D + S)).reason is Reason.REGION_NOT_EXTENDABLE


def test_extension_restarts_the_consent_clock_and_keeps_the_evidence() -> None:
    record = must(_reconfirmed(_kept_alive()), core.Extend(T0 + 80 * D + S))
    record = must(
        record,
        core.ExtensionGranted(T0 + 80 * D + 2 * S, expires_in=3600, refresh_token=secret("rt-9")),
    )
    # R9, R15: the new consent counts from when the extension was sent.
    assert core.deadlines(record, T0 + 81 * D).consent_expires_at == T0 + 170 * D + S
    reconfirmation = record.consent.reconfirmation
    assert reconfirmation is not None and reconfirmation.spent
    assert reconfirmation.evidence == "banner, 'keep sharing'"


def test_a_reconfirmation_older_than_the_last_extension_does_not_count() -> None:
    record = must(_reconfirmed(_kept_alive()), core.Extend(T0 + 80 * D + S))
    record = must(
        record,
        core.ExtensionGranted(T0 + 80 * D + 2 * S, expires_in=3600, refresh_token=secret("x")),
    )
    decision = core.apply(record, core.Extend(T0 + 85 * D))
    assert decision.reason is Reason.CONSENT_NOT_RECONFIRMED


def test_an_inactive_connection_can_be_extended_until_ninety_days_after_expiry() -> None:
    record = inactive(InactiveReason.CONSENT_EXPIRED)
    record = must(record, core.ConsentReconfirmed(T0 + 100 * D, evidence="email link"))
    assert core.apply(record, core.Extend(T0 + 180 * D - S)).accepted
    closed = core.apply(record, core.Extend(T0 + 180 * D))
    assert closed.reason is Reason.EXTEND_WINDOW_CLOSED
    assert core.deadlines(record, T0 + 100 * D).extend_until == T0 + 180 * D


def test_an_extension_granted_after_expiry_makes_the_connection_active_again() -> None:
    record = inactive(InactiveReason.CONSENT_EXPIRED)
    record = must(record, core.ConsentReconfirmed(T0 + 100 * D, evidence="email link"))
    record = must(record, core.Extend(T0 + 100 * D + S))
    record = must(
        record,
        core.ExtensionGranted(T0 + 100 * D + 2 * S, expires_in=3600, refresh_token=secret("n")),
    )
    assert core.status_at(record, T0 + 100 * D + 3 * S) == (Status.ACTIVE, None)


def test_an_extension_that_needs_authentication_keeps_the_connection_until_reauthentication() -> (
    None
):
    record = must(_reconfirmed(_kept_alive()), core.Extend(T0 + 80 * D + S))
    record = must(
        record,
        core.ExtensionNeedsAuthentication(T0 + 80 * D + 2 * S, user_input_link="https://x.test/a"),
    )
    # R9: nothing was revoked: still active, data still readable, revoke still possible.
    assert record.status is Status.ACTIVE and record.reauthenticating
    assert core.apply(record, core.FetchData(T0 + 80 * D + 3 * S)).accepted
    assert core.apply(record, core.Revoke(T0 + 80 * D + 3 * S)).accepted
    pending = core.agenda(record, T0 + 80 * D + 3 * S)
    assert core.AgendaItem(T0 + 80 * D + 2 * S, core.Action.REAUTHENTICATE) in pending
    back = T0 + 81 * D
    record = must(record, core.UserAuthorised(back, code=secret("code-r")))
    assert record.status is Status.ACTIVE
    record = must(record, core.ExchangeCode(back + S))
    record = must(
        record, core.CodeExchanged(back + 2 * S, expires_in=3600, refresh_token=secret("r"))
    )
    # R9: the re-authentication's exchange restarts the consent clock (from its request).
    assert core.deadlines(record, back + 2 * S).consent_expires_at == back + S + 90 * D
    assert not record.reauthenticating


def test_a_first_exchange_keeps_the_consent_clock_from_the_start() -> None:
    record = active(at=T0)
    assert record.consent.started_at == T0


def test_a_revoked_connection_cannot_be_extended() -> None:
    record = inactive(InactiveReason.REVOKED)
    assert core.apply(record, core.Extend(T0 + 2 * H)).reason is Reason.REVOKED
    reconfirm = core.ConsentReconfirmed(T0 + 2 * H, evidence="x")
    assert core.apply(record, reconfirm).reason is Reason.REVOKED


def test_starting_scopes_without_offline_access_cannot_extend() -> None:
    record = active(scopes=("info", "accounts"), refresh_token=None)
    record = must(record, core.ConsentReconfirmed(T0 + M, evidence="x"))
    assert core.apply(record, core.Extend(T0 + 2 * M)).reason is Reason.NO_OFFLINE_ACCESS
    assert SCOPES  # the default builders ask for offline_access


def test_an_earlier_expiry_reported_by_me_shortens_the_consent() -> None:
    record = _kept_alive()
    reported = T0 + 60 * D
    record = must(record, core.ConsentExpiryReported(T0 + 2 * D, consent_expires_at=reported))
    assert core.deadlines(record, T0 + 2 * D).consent_expires_at == reported
    assert core.status_at(record, reported - S) == (Status.ACTIVE, None)
    assert core.status_at(record, reported) == (Status.INACTIVE, InactiveReason.CONSENT_EXPIRED)


def test_a_later_expiry_reported_by_me_never_lengthens_the_consent() -> None:
    record = _kept_alive()
    record = must(record, core.ConsentExpiryReported(T0 + 2 * D, consent_expires_at=T0 + 200 * D))
    assert core.deadlines(record, T0 + 2 * D).consent_expires_at == T0 + 90 * D


def test_an_extension_forgets_what_me_said_of_the_old_consent() -> None:
    record = must(
        _kept_alive(), core.ConsentExpiryReported(T0 + 2 * D, consent_expires_at=T0 + 85 * D)
    )
    record = must(_reconfirmed(record), core.Extend(T0 + 80 * D + S))
    record = must(
        record,
        core.ExtensionGranted(T0 + 80 * D + 2 * S, expires_in=3600, refresh_token=secret("n")),
    )
    assert core.deadlines(record, T0 + 81 * D).consent_expires_at == T0 + 170 * D + S


def test_a_policy_with_another_region_table_is_another_policy() -> None:
    shorter = {
        **core.DEFAULT_REGIONS,
        "uk": core.RegionPolicy(timedelta(days=30), timedelta(minutes=60), extendable=True),
    }
    policy = core.Policy(regions=shorter)
    assert policy != core.DEFAULT_POLICY
    record = _kept_alive()
    assert core.deadlines(record, T0 + 2 * D, policy).consent_expires_at == T0 + 30 * D


def test_a_record_from_an_unknown_region_is_a_clear_error_at_decision_time() -> None:
    record = _kept_alive()
    policy = core.Policy(regions={"eu": core.DEFAULT_REGIONS["eu"]})
    with pytest.raises(core.UnknownRegionError, match="'uk'"):
        core.apply(record, core.Tick(T0 + 2 * D), policy)
