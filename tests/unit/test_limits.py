"""The range of times and durations: refused where they are built, with a typed error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from lifecycle_support import T0, active

import lifecycle as core
from lifecycle.testing import records

MICRO = timedelta(microseconds=1)
DAY = timedelta(days=1)
CENTURY_SECONDS = int(core.LONGEST.total_seconds())


@pytest.mark.parametrize(
    "at",
    [
        core.EARLIEST - MICRO,
        core.LATEST,
        datetime(9999, 12, 31, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
    ],
    ids=["just-before-1970", "exactly-9000", "9999", "year-1"],
)
def test_an_input_outside_the_accepted_range_is_a_typed_error(at: datetime) -> None:
    with pytest.raises(core.TimeOutOfRangeError, match="between 1970-01-01 and 9000-01-01"):
        core.Tick(at)


def test_the_range_is_compared_in_utc_whatever_the_offset() -> None:
    # 23:00 on 31 December 1969 at UTC-2 is 01:00 UTC on 1 January 1970: inside.
    inside = datetime(1969, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-2)))
    assert core.Tick(inside).at == inside
    # 00:30 on 1 January 1970 at UTC+1 is 23:30 UTC the day before: outside.
    with pytest.raises(core.TimeOutOfRangeError):
        core.Tick(datetime(1970, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))))


def test_the_ends_of_the_range_are_earliest_inclusive_and_latest_exclusive() -> None:
    assert core.Tick(core.EARLIEST).at == core.EARLIEST
    assert core.Tick(core.LATEST - MICRO).at == core.LATEST - MICRO


def test_an_out_of_range_error_is_a_malformed_input_and_names_the_field() -> None:
    with pytest.raises(core.MalformedInputError) as caught:
        core.ConsentExpiryReported(T0, consent_expires_at=datetime(9500, 1, 1, tzinfo=UTC))
    assert isinstance(caught.value, core.TimeOutOfRangeError)
    assert caught.value.field == "consent_expires_at"


def test_a_time_only_asked_about_may_lie_anywhere() -> None:
    # ``now`` is compared with deadlines, never computed with: no range applies.
    record = active()
    late = datetime(9999, 12, 31, tzinfo=UTC)
    # The unused refresh token lapsed on day 30, long before the year 9999.
    assert core.status_at(record, late) == (
        core.Status.INACTIVE,
        core.InactiveReason.REFRESH_TOKEN_LAPSED,
    )
    assert (
        core.deadlines(record, late).consent_expires_at
        == core.deadlines(record, T0).consent_expires_at
    )
    assert core.agenda(record, late) == ()
    assert core.next_due(record, datetime(1, 1, 1, tzinfo=UTC)) is not None


def test_an_input_time_out_of_range_in_json_is_a_clear_error() -> None:
    with pytest.raises(core.MalformedInputError, match="between 1970-01-01 and 9000-01-01"):
        core.input_from_json({"at": "9999-12-31T23:59:00+00:00", "type": "tick"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("consent.started_at", "9999-01-01T00:00:00+00:00"),
        ("grant.access_expires_at", "9100-01-02T00:00:00+00:00"),
        ("last_input_at", "1969-12-31T23:59:59+00:00"),
    ],
)
def test_a_record_holding_a_time_out_of_range_is_a_clear_error(name: str, value: str) -> None:
    data = core.record_to_json(active())
    *parts, field = name.split(".")
    holder = data
    for part in parts:
        holder = holder[part]
    holder[field] = value
    with pytest.raises(core.TimeOutOfRangeError, match=f"record {name} must lie between"):
        core.record_from_json(data)


def test_a_record_may_hold_an_access_expiry_up_to_a_century_past_the_range() -> None:
    # An input's time plus the longest ``expires_in``: a record time, not an input time.
    data = core.record_to_json(active())
    data["grant"]["access_expires_at"] = "9100-01-01T23:59:59+00:00"
    assert core.record_from_json(data).grant.access_expires_at == datetime(
        9100, 1, 1, 23, 59, 59, tzinfo=UTC
    )


def test_expires_in_is_at_most_a_century() -> None:
    longest = core.TokenRefreshed(T0, expires_in=CENTURY_SECONDS)
    assert longest.expires_in == CENTURY_SECONDS
    with pytest.raises(core.MalformedInputError, match=f"at most {CENTURY_SECONDS} seconds"):
        core.TokenRefreshed(T0, expires_in=CENTURY_SECONDS + 1)
    with pytest.raises(core.MalformedInputError, match="at most"):
        core.input_from_json({"at": T0.isoformat(), "type": "code_exchanged", "expires_in": 10**17})


def test_the_longest_token_just_before_the_end_of_the_range_has_a_deadline() -> None:
    late = core.LATEST - DAY
    record = core.start(
        core.ConnectionStarted(late, region="uk", scopes=("info", "offline_access"))
    )
    for input in (
        core.LinkIssued(late, state=core.Secret("s")),
        core.UserAuthorised(late, code=core.Secret("c"), state=core.Secret("s")),
        core.ExchangeCode(late),
        core.CodeExchanged(late, expires_in=CENTURY_SECONDS, refresh_token=core.Secret("r")),
    ):
        decision = core.apply(record, input)
        assert decision.accepted, decision.reason
        record = decision.record
    deadlines = core.deadlines(record, late)
    # R8: no access token outlives the consent, however long TrueLayer says it lives.
    assert deadlines.access_expires_at == deadlines.consent_expires_at == late + 90 * DAY
    assert core.agenda(record, late)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("code_lifetime", timedelta(0), "positive"),
        ("code_lifetime", timedelta(seconds=-1), "positive"),
        ("refresh_first_use_window", core.LONGEST + MICRO, "at most 36525 days"),
        ("request_timeout", 120, "a timedelta, not int"),
        ("extend_window", timedelta(seconds=-1), "zero or more"),
        ("refresh_leeway", timedelta(days=-1), "zero or more"),
        ("keep_alive_margin", core.LONGEST * 2, "at most"),
        ("reminder_offsets", (timedelta(days=7), timedelta(0)), "positive"),
        ("reminder_offsets", (timedelta(days=7), 3), "a timedelta, not int"),
    ],
)
def test_a_policy_setting_out_of_range_is_refused_naming_it(
    setting: str, value: Any, message: str
) -> None:
    with pytest.raises(core.PolicyError, match=message) as caught:
        attrs.evolve(core.DEFAULT_POLICY, **{setting: value})
    assert caught.value.setting == setting
    assert setting in str(caught.value)


@pytest.mark.parametrize("setting", ["extend_window", "refresh_leeway", "keep_alive_margin"])
def test_the_margins_may_be_zero(setting: str) -> None:
    zero: dict[str, Any] = {setting: timedelta(0)}
    policy = attrs.evolve(core.DEFAULT_POLICY, **zero)
    assert getattr(policy, setting) == timedelta(0)


def test_a_region_lifetime_out_of_range_is_refused_naming_it() -> None:
    with pytest.raises(core.PolicyError, match="lifetime_online must be positive"):
        core.RegionPolicy(timedelta(days=90), timedelta(0), extendable=False)
    with pytest.raises(core.PolicyError, match="lifetime_offline"):
        core.RegionPolicy(core.LONGEST + MICRO, timedelta(hours=1), extendable=False)


def test_a_region_table_of_something_else_is_refused_naming_the_entry() -> None:
    with pytest.raises(core.PolicyError, match=r"regions\['xx'\] must be a RegionPolicy"):
        core.Policy(regions={"xx": "90 days"})  # type: ignore[dict-item]
    with pytest.raises(core.PolicyError, match="non-empty region names"):
        core.Policy(regions={"": core.DEFAULT_REGIONS["uk"]})


def test_the_default_policy_and_the_longest_policy_are_valid() -> None:
    longest = core.Policy(
        regions={"uk": core.RegionPolicy(core.LONGEST, core.LONGEST, extendable=True)},
        code_lifetime=core.LONGEST,
        refresh_first_use_window=core.LONGEST,
        extend_window=core.LONGEST,
        refresh_leeway=core.LONGEST,
        keep_alive_margin=core.LONGEST,
        reminder_offsets=(core.LONGEST,),
        request_timeout=core.LONGEST,
    )
    assert longest.lifetime("uk", True) == core.LONGEST
    assert core.DEFAULT_POLICY.code_lifetime == timedelta(minutes=5)


def _time_fields(value: Any, path: str = "") -> list[str]:
    # Every time the record in hand holds, found by walking its values (not its types).
    found = []
    for attribute in attrs.fields(type(value)):
        item = getattr(value, attribute.name)
        if isinstance(item, datetime):
            found.append(f"{path}{attribute.name}")
        elif attrs.has(type(item)):
            found.extend(_time_fields(item, f"{path}{attribute.name}."))
    return found


@settings(max_examples=60, deadline=None)
@given(record=records(max_size=20))
def test_every_time_a_record_holds_is_range_checked_when_it_is_read(
    record: core.Connection,
) -> None:
    for name in _time_fields(record):
        data = core.record_to_json(record)
        *parts, field = name.split(".")
        holder = data
        for part in parts:
            holder = holder[part]
        holder[field] = "9999-01-01T00:00:00+00:00"
        with pytest.raises(core.TimeOutOfRangeError, match=f"record {name} must lie between"):
            core.record_from_json(data)
