"""The one converter: JSON forms of records and inputs."""

from __future__ import annotations

import json

import pytest
from lifecycle_support import T0, H, S, active, sample_input

import lifecycle as core


def test_a_record_round_trips_through_json_text() -> None:
    record = active()
    text = json.dumps(core.record_to_json(record))
    assert core.record_from_json(json.loads(text)) == record


def test_a_record_carries_its_schema_version() -> None:
    assert core.record_to_json(active())["schema_version"] == core.SCHEMA_VERSION


@pytest.mark.parametrize("version", [None, 0, 3, "2", 2.0, True])
def test_an_unknown_schema_version_is_a_clear_error(version: object) -> None:
    data = core.record_to_json(active()) | {"schema_version": version}
    with pytest.raises(core.UnsupportedSchemaVersionError, match="this reads 1, 2"):
        core.record_from_json(data)


def _version_1(record: core.Connection) -> dict[str, object]:
    # The JSON form version 1 wrote: ``reauthenticating`` kept beside the link.
    data = core.record_to_json(record)
    return data | {"schema_version": 1, "reauthenticating": record.user_input_link is not None}


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
def test_a_version_1_record_is_read_as_the_same_record(record: core.Connection) -> None:
    read = core.record_from_json(json.loads(json.dumps(_version_1(record))))
    assert read == record
    assert read.reauthenticating is (record.user_input_link is not None)
    assert "reauthenticating" not in core.record_to_json(read)


def test_a_version_1_record_whose_flag_disagrees_with_its_link_is_corrupt() -> None:
    for record, flag in ((active(), True), (reauthenticating(), False)):
        data = _version_1(record) | {"reauthenticating": flag}
        with pytest.raises(core.MalformedInputError, match="disagrees with user_input_link"):
            core.record_from_json(data)


def test_reauthenticating_is_derived_from_the_pending_link() -> None:
    assert not active().reauthenticating
    assert reauthenticating().reauthenticating
    assert reauthenticating().user_input_link == "https://auth.test/x"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("status", "zombie", "status"),
        ("started_at", "2026-01-05T09:00:00", "timezone-aware"),
        ("code_used", "yes", "code_used"),
        ("refresh_token", 42, "secret"),
    ],
)
def test_a_corrupt_record_is_a_clear_error(field: str, value: object, message: str) -> None:
    data = core.record_to_json(active()) | {field: value}
    with pytest.raises(core.MalformedInputError, match=message):
        core.record_from_json(data)


def test_a_corrupt_record_error_never_echoes_a_secret() -> None:
    data = core.record_to_json(active()) | {"refresh_token": ""}
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
