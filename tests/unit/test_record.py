"""The record: frozen parts, plainly copied; a decision replaces only what it changes."""

from __future__ import annotations

import attrs
import pytest
from lifecycle_support import T0, H, S, active, must, secret

import lifecycle as core


def test_a_record_cannot_be_changed_in_place() -> None:
    record = active()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        record.status = core.Status.INACTIVE  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        record.grant.access_token = None  # type: ignore[misc]


def test_a_decision_replaces_the_parts_it_changes_and_shares_every_other() -> None:
    record = active()
    refreshed = must(
        must(record, core.Refresh(T0 + H)), core.TokenRefreshed(T0 + H + S, expires_in=60)
    )
    assert refreshed.grant != record.grant
    assert refreshed.consent is record.consent
    assert refreshed.link is record.link and refreshed.code is record.code


def test_a_decision_leaves_the_original_record_as_it_was() -> None:
    record = active()
    before = attrs.asdict(record)
    must(record, core.Refresh(T0 + H))
    assert attrs.asdict(record) == before


def test_a_decision_is_a_frozen_value_not_a_tuple() -> None:
    decision = core.apply(active(), core.Tick(T0 + H))
    assert attrs.has(type(decision))
    as_tuple: object = (decision.record, True, None, (), "")
    assert decision != as_tuple
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        decision.accepted = False  # type: ignore[misc]


def test_the_core_holds_no_compiled_source_and_swaps_no_classes() -> None:
    from pathlib import Path

    for source in Path(core.__file__).parent.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert "exec(" not in text and "'__class__'" not in text and "tuple.__new__" not in text


def test_a_records_parts_are_kept_secret_in_its_repr() -> None:
    record = must(active(), core.Refresh(T0 + H))
    record = must(
        record, core.TokenRefreshed(T0 + H + S, expires_in=60, access_token=secret("at-xyz"))
    )
    assert "at-xyz" not in repr(record)
