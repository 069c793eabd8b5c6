"""The record: frozen, and every copy a whole, independent record."""

from __future__ import annotations

import attrs
import pytest
from lifecycle_support import T0, H, active, secret

import lifecycle as core
from lifecycle._record import _Draft, replace


def test_a_record_cannot_be_changed_in_place() -> None:
    record = active()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        record.status = core.Status.INACTIVE  # type: ignore[misc]


def test_a_copied_record_is_a_frozen_connection_too() -> None:
    copy = replace(active(), {"last_error": "invalid_grant"})
    assert type(copy) is core.Connection
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        copy.last_error = None  # type: ignore[misc]


def test_a_copy_changes_the_named_fields_and_keeps_every_other() -> None:
    record = active()
    later = T0 + 2 * H
    copy = replace(record, {"access_expires_at": later, "refresh_used": True})
    names = [field.name for field in attrs.fields(core.Connection)]
    for name in names:
        expected = {"access_expires_at": later, "refresh_used": True}.get(
            name, getattr(record, name)
        )
        assert getattr(copy, name) == expected, name
    assert copy == attrs.evolve(record, access_expires_at=later, refresh_used=True)


def test_a_copy_leaves_the_original_as_it_was() -> None:
    record = active()
    before = attrs.asdict(record, recurse=False)
    replace(record, {"access_token": secret("at-2"), "pending": None})
    assert attrs.asdict(record, recurse=False) == before


def test_a_copy_naming_no_field_of_the_record_is_refused() -> None:
    with pytest.raises(TypeError, match="no field"):
        replace(active(), {"status": core.Status.ACTIVE, "colour": "blue"})


def test_the_draft_has_exactly_the_record_slots() -> None:
    # A draft can take the record's class only while the two have the same slots.
    assert vars(_Draft)["__slots__"] == vars(core.Connection)["__slots__"]
    assert [field.default for field in attrs.fields(_Draft)] == [
        field.default for field in attrs.fields(core.Connection)
    ]


def test_a_copied_record_compares_and_hashes_like_one_built_directly() -> None:
    record = active()
    copy = replace(record, {})
    assert copy == record and copy is not record
    assert hash(copy) == hash(record)
    assert repr(copy) == repr(record)
