"""The one converter: JSON forms of records and inputs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from lifecycle_support import T0, H, S, active, sample_input

import lifecycle as core


def test_a_record_round_trips_through_json_text() -> None:
    record = active()
    text = json.dumps(core.record_to_json(record))
    assert core.record_from_json(json.loads(text)) == record


def test_a_record_carries_its_schema_version() -> None:
    assert core.record_to_json(active())["schema_version"] == core.SCHEMA_VERSION


@pytest.mark.parametrize("version", [None, 0, 4, "3", 3.0, True])
def test_an_unknown_schema_version_is_a_clear_error(version: object) -> None:
    data = core.record_to_json(active()) | {"schema_version": version}
    with pytest.raises(core.UnsupportedSchemaVersionError, match="this reads 1, 2, 3"):
        core.record_from_json(data)


# A record as schema_version 2 wrote it (flat): active, refreshed once, a refresh in
# flight, reconfirmed after the consent started. Written out by hand, not by this code.
FLAT_ACTIVE: dict[str, object] = {
    "schema_version": 2,
    "region": "uk",
    "scopes": ["info", "accounts", "offline_access"],
    "offline_access": True,
    "status": "active",
    "started_at": "2026-01-05T09:00:00+00:00",
    "consent_started_at": "2026-01-05T09:00:00+00:00",
    "last_input_at": "2026-02-01T10:00:00+00:00",
    "inactive_reason": None,
    "state": None,
    "code_verifier": None,
    "code": None,
    "code_received_at": None,
    "code_used": False,
    "access_token": "at-1",
    "access_expires_at": "2026-02-01T11:00:00+00:00",
    "refresh_token": "rt-1",
    "refresh_received_at": "2026-01-05T09:01:32+00:00",
    "refresh_used": True,
    "reconfirmation": {"at": "2026-01-20T09:00:00+00:00", "evidence": "banner"},
    "user_input_link": None,
    "pending": "refresh_token",
    "pending_since": "2026-02-01T10:00:00+00:00",
    "last_reminder_at": None,
    "last_error": None,
    "reported_consent_expires_at": None,
}

# Version 2 of a connection whose extension asked for re-authentication (it then went
# to authorization_required) and whose new link was issued.
FLAT_REAUTHENTICATING = FLAT_ACTIVE | {
    "status": "authorization_required",
    "state": "st-2",
    "code_verifier": "v-2",
    "user_input_link": "https://auth.test/x",
    "pending": None,
    "pending_since": None,
    "reconfirmation": {"at": "2026-01-01T09:00:00+00:00", "evidence": "banner"},
}


def test_a_flat_version_2_record_is_read_into_its_parts() -> None:
    record = core.record_from_json(FLAT_ACTIVE)
    assert record.grant.refresh_token == core.Secret("rt-1") and record.grant.refresh_used
    assert record.request == core.Request(
        core.Effect.REFRESH_TOKEN, 1, datetime(2026, 2, 1, 10, tzinfo=UTC)
    )
    assert record.requests_sent == 1
    # Reconfirmed after the consent started: version 2 would have let it pay for an
    # extension, so it is unspent.
    assert record.consent.reconfirmation is not None
    assert not record.consent.reconfirmation.spent
    assert record.link is None and record.code is None and not record.reauthenticating
    assert core.record_to_json(record)["schema_version"] == core.SCHEMA_VERSION


def test_a_flat_version_2_reauthentication_keeps_its_link_and_spends_an_old_reconfirmation() -> (
    None
):
    record = core.record_from_json(FLAT_REAUTHENTICATING)
    assert record.reauthentication is not None
    assert record.reauthentication.user_input_link == "https://auth.test/x"
    assert record.link is not None and record.link.state == core.Secret("st-2")
    assert record.link.code_verifier == core.Secret("v-2")
    assert record.consent.reconfirmation is not None and record.consent.reconfirmation.spent


def test_a_version_1_record_is_read_like_version_2_without_its_flag() -> None:
    version_1 = FLAT_REAUTHENTICATING | {"schema_version": 1, "reauthenticating": True}
    assert core.record_from_json(version_1) == core.record_from_json(FLAT_REAUTHENTICATING)


def test_a_version_1_record_whose_flag_disagrees_with_its_link_is_corrupt() -> None:
    for data, flag in ((FLAT_ACTIVE, True), (FLAT_REAUTHENTICATING, False)):
        with pytest.raises(core.MalformedInputError, match="disagrees with user_input_link"):
            core.record_from_json(data | {"schema_version": 1, "reauthenticating": flag})


def test_a_flat_record_with_a_field_no_version_had_is_corrupt() -> None:
    with pytest.raises(core.MalformedInputError, match="unknown fields colour"):
        core.record_from_json(FLAT_ACTIVE | {"colour": "blue"})


def reauthenticating() -> core.Connection:
    record = active()
    for input in (
        core.ConsentReconfirmed(T0 + H, evidence="in-app banner"),
        core.Extend(T0 + H + S),
        core.ExtensionNeedsAuthentication(T0 + H + 2 * S, user_input_link="https://auth.test/x"),
    ):
        decision = core.apply(record, input)
        assert decision.accepted, decision.reason
        record = decision.record
    return record


@pytest.mark.parametrize("record", [active(), reauthenticating()], ids=["active", "re-auth"])
def test_a_version_3_record_round_trips_with_its_parts(record: core.Connection) -> None:
    data = json.loads(json.dumps(core.record_to_json(record)))
    assert data["schema_version"] == 3 and isinstance(data["grant"], dict)
    assert core.record_from_json(data) == record


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("status", "zombie", "status"),
        ("started_at", "2026-01-05T09:00:00", "timezone-aware"),
        ("requests_sent", "yes", "requests_sent"),
        ("grant", {"refresh_token": 42}, "secret"),
    ],
)
def test_a_corrupt_record_is_a_clear_error(field: str, value: object, message: str) -> None:
    data = core.record_to_json(active()) | {field: value}
    with pytest.raises(core.MalformedInputError, match=message):
        core.record_from_json(data)


def test_a_corrupt_record_error_never_echoes_a_secret() -> None:
    data = core.record_to_json(active())
    data["grant"] = data["grant"] | {"refresh_token": ""}
    with pytest.raises(core.MalformedInputError) as caught:
        core.record_from_json(data)
    assert "rt-1" not in str(caught.value)


@pytest.mark.parametrize("kind", sorted(core.INPUT_TYPES))
def test_every_input_round_trips_through_json(kind: str) -> None:
    original = sample_input(kind, T0 + S)
    data = json.loads(json.dumps(core.input_to_json(original)))
    assert data["type"] == kind and data["at"] == (T0 + S).isoformat()
    assert core.input_from_json(data) == original


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"at": "2026-01-05T09:00:00", "type": "tick"}, "timezone-aware"),
        ({"at": "soon", "type": "tick"}, "not an ISO-8601 time"),
        ({"type": "tick"}, "missing 'at'"),
        ({"at": "2026-01-05T09:00:00Z", "type": "teleport"}, "unknown input type"),
        ({"at": "2026-01-05T09:00:00Z", "type": "tick", "x": 1}, "extra fields"),
        ({"at": "2026-01-05T09:00:00Z", "type": "code_exchanged"}, "expires_in"),
        ({"at": "2026-01-05T09:00:00Z", "type": "code_exchanged", "expires_in": -5}, ">= 0"),
        ({"at": "2026-01-05T09:00:00Z", "type": "code_exchanged", "expires_in": True}, "whole"),
        ({"at": "2026-01-05T09:00:00Z", "type": "user_authorised", "code": ""}, "secret"),
        ([1, 2], "JSON object"),
    ],
)
def test_a_malformed_input_is_a_clear_error(data: object, message: str) -> None:
    with pytest.raises(core.MalformedInputError, match=message):
        core.input_from_json(data)  # type: ignore[arg-type]


def test_an_offset_other_than_utc_is_kept() -> None:
    data = {"at": "2026-01-05T10:00:00+01:00", "type": "tick"}
    assert core.input_to_json(core.input_from_json(data))["at"] == "2026-01-05T10:00:00+01:00"
