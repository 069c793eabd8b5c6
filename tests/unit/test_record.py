"""The record: frozen, and every copy a whole, independent record."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from lifecycle_support import T0, H, active, secret

import lifecycle as core
from lifecycle._record import _copy, _Draft


def copy(record: core.Connection, changes: dict[str, Any]) -> core.Connection:
    """A copy with ``changes``; status, reason and last input time kept."""
    return _copy(record, changes, record.status, record.inactive_reason, record.last_input_at)


def test_a_record_cannot_be_changed_in_place() -> None:
    record = active()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        record.status = core.Status.INACTIVE  # type: ignore[misc]


def test_a_copied_record_is_a_frozen_connection_too() -> None:
    copied = copy(active(), {"last_error": "invalid_grant"})
    assert type(copied) is core.Connection
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        copied.last_error = None  # type: ignore[misc]


def test_a_copy_changes_the_named_fields_and_keeps_every_other() -> None:
    record = active()
    later = T0 + 2 * H
    copied = copy(record, {"access_expires_at": later, "refresh_used": True})
    assert copied == attrs.evolve(record, access_expires_at=later, refresh_used=True)
    for field in attrs.fields(core.Connection):
        if field.name not in {"access_expires_at", "refresh_used"}:
            assert getattr(copied, field.name) is getattr(record, field.name), field.name


def test_the_decided_fields_are_set_whatever_the_changes_say() -> None:
    record = active()
    at = T0 + 3 * H
    changes = {"status": core.Status.AUTHORIZED, "last_input_at": T0}
    copied = _copy(record, changes, core.Status.INACTIVE, core.InactiveReason.REVOKED, at)
    assert copied.status is core.Status.INACTIVE
    assert copied.inactive_reason is core.InactiveReason.REVOKED
    assert copied.last_input_at == at


def test_a_copy_leaves_the_original_as_it_was() -> None:
    record = active()
    before = attrs.asdict(record, recurse=False)
    copy(record, {"access_token": secret("at-2"), "pending": None})
    assert attrs.asdict(record, recurse=False) == before


def test_a_copy_naming_no_field_of_the_record_fails_loudly() -> None:
    with pytest.raises(AttributeError, match="colour"):
        copy(active(), {"colour": "blue"})


def test_the_draft_has_exactly_the_record_slots() -> None:
    # A draft can take the record's class only while the two have the same slots.
    assert vars(_Draft)["__slots__"] == vars(core.Connection)["__slots__"]
    assert [field.default for field in attrs.fields(_Draft)] == [
        field.default for field in attrs.fields(core.Connection)
    ]


def test_a_copied_record_compares_and_hashes_like_one_built_directly() -> None:
    record = active()
    copied = copy(record, {})
    assert copied == record and copied is not record
    assert hash(copied) == hash(record)
    assert repr(copied) == repr(record)
