"""The transition table: every (status, input) pair, and the table's own checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
from attrs import fields
from lifecycle_support import S, active, authorized, inactive, sample_input, started

import lifecycle as core
from lifecycle import InactiveReason, Kind, Status
from lifecycle._evolve import EVOLVE

RECORDS: dict[str, Callable[[], core.Connection]] = {
    "authorization_required": started,
    "authorized": authorized,
    "active": active,
    "inactive": partial(inactive, InactiveReason.CONSENT_EXPIRED),
}

# What the core answers to one sample of each input in each status: the status after an
# accepted input, or the refusal reason. Reviewed by hand against DOMAIN.md.
EXPECTED = {
    ("authorization_required", "connection_started"): "not_allowed_in_status",
    ("authorization_required", "link_issued"): "authorization_required",
    ("authorization_required", "user_authorised"): "authorized",
    ("authorization_required", "user_denied"): "authorization_required",
    ("authorization_required", "exchange_code"): "not_allowed_in_status",
    ("authorization_required", "code_exchanged"): "not_allowed_in_status",
    ("authorization_required", "code_rejected"): "not_allowed_in_status",
    ("authorization_required", "refresh"): "not_active",
    ("authorization_required", "token_refreshed"): "not_active",
    ("authorization_required", "refresh_rejected"): "not_active",
    ("authorization_required", "consent_reconfirmed"): "not_allowed_in_status",
    ("authorization_required", "extend"): "not_allowed_in_status",
    ("authorization_required", "extension_granted"): "not_allowed_in_status",
    ("authorization_required", "extension_needs_authentication"): "not_allowed_in_status",
    ("authorization_required", "fetch_data"): "not_active",
    ("authorization_required", "access_denied"): "not_active",
    ("authorization_required", "revoke"): "not_allowed_in_status",
    ("authorization_required", "revoked"): "not_allowed_in_status",
    ("authorization_required", "reminder_sent"): "not_active",
    ("authorization_required", "tick"): "authorization_required",
    ("authorized", "connection_started"): "not_allowed_in_status",
    ("authorized", "link_issued"): "not_allowed_in_status",
    ("authorized", "user_authorised"): "not_allowed_in_status",
    ("authorized", "user_denied"): "not_allowed_in_status",
    ("authorized", "exchange_code"): "authorized",
    ("authorized", "code_exchanged"): "active",
    ("authorized", "code_rejected"): "authorization_required",
    ("authorized", "refresh"): "not_active",
    ("authorized", "token_refreshed"): "not_active",
    ("authorized", "refresh_rejected"): "not_active",
    ("authorized", "consent_reconfirmed"): "not_allowed_in_status",
    ("authorized", "extend"): "not_allowed_in_status",
    ("authorized", "extension_granted"): "not_allowed_in_status",
    ("authorized", "extension_needs_authentication"): "not_allowed_in_status",
    ("authorized", "fetch_data"): "not_active",
    ("authorized", "access_denied"): "not_active",
    ("authorized", "revoke"): "not_allowed_in_status",
    ("authorized", "revoked"): "not_allowed_in_status",
    ("authorized", "reminder_sent"): "not_active",
    ("authorized", "tick"): "authorized",
    ("active", "connection_started"): "not_allowed_in_status",
    ("active", "link_issued"): "not_allowed_in_status",
    ("active", "user_authorised"): "not_allowed_in_status",
    ("active", "user_denied"): "not_allowed_in_status",
    ("active", "exchange_code"): "not_allowed_in_status",
    ("active", "code_exchanged"): "not_allowed_in_status",
    ("active", "code_rejected"): "not_allowed_in_status",
    ("active", "refresh"): "active",
    ("active", "token_refreshed"): "active",
    ("active", "refresh_rejected"): "inactive",
    ("active", "consent_reconfirmed"): "active",
    ("active", "extend"): "consent_not_reconfirmed",
    ("active", "extension_granted"): "active",
    ("active", "extension_needs_authentication"): "authorization_required",
    ("active", "fetch_data"): "active",
    ("active", "access_denied"): "inactive",
    ("active", "revoke"): "active",
    ("active", "revoked"): "inactive",
    ("active", "reminder_sent"): "active",
    ("active", "tick"): "active",
    ("inactive", "connection_started"): "not_allowed_in_status",
    ("inactive", "link_issued"): "not_allowed_in_status",
    ("inactive", "user_authorised"): "not_allowed_in_status",
    ("inactive", "user_denied"): "not_allowed_in_status",
    ("inactive", "exchange_code"): "not_allowed_in_status",
    ("inactive", "code_exchanged"): "not_allowed_in_status",
    ("inactive", "code_rejected"): "not_allowed_in_status",
    ("inactive", "refresh"): "consent_expired",
    ("inactive", "token_refreshed"): "consent_expired",
    ("inactive", "refresh_rejected"): "consent_expired",
    ("inactive", "consent_reconfirmed"): "inactive",
    ("inactive", "extend"): "consent_not_reconfirmed",
    ("inactive", "extension_granted"): "active",
    ("inactive", "extension_needs_authentication"): "authorization_required",
    ("inactive", "fetch_data"): "consent_expired",
    ("inactive", "access_denied"): "consent_expired",
    ("inactive", "revoke"): "inactive",
    ("inactive", "revoked"): "inactive",
    ("inactive", "reminder_sent"): "consent_expired",
    ("inactive", "tick"): "inactive",
}


@pytest.mark.parametrize(("status", "kind"), sorted(EXPECTED))
def test_every_status_and_input_pair_gets_the_tables_answer(status: str, kind: str) -> None:
    record = RECORDS[status]()
    decision = core.apply(record, sample_input(kind, record.last_input_at + S))
    outcome = decision.record.status.value if decision.accepted else decision.reason
    assert outcome == EXPECTED[(status, kind)]
    if not decision.accepted:
        assert decision.record is record


ALL_RECORDS: dict[str, Callable[[], core.Connection]] = {
    **{name: build for name, build in RECORDS.items() if name != "inactive"},
    **{f"inactive/{reason}": partial(inactive, reason) for reason in InactiveReason},
}


@pytest.mark.parametrize("kind", sorted(core.INPUT_TYPES))
@pytest.mark.parametrize("name", sorted(ALL_RECORDS))
def test_an_accepted_input_lands_where_its_row_says_and_a_refused_one_changes_nothing(
    name: str, kind: str
) -> None:
    record = ALL_RECORDS[name]()
    at = record.last_input_at + S
    settled = core.settle(record, at)
    row = core.RULES.get((settled.status, kind))
    decision = core.apply(record, sample_input(kind, at))
    if decision.accepted:
        assert row is not None
        assert decision.record.status is row.dest
        assert set(row.effects) <= set(decision.effects)
        assert decision.record is record or decision.record.last_input_at == at
    else:
        assert decision.record is record
        assert decision.reason is not None
        if row is not None:  # refused by a guard, never for the status itself
            assert decision.reason is not core.Reason.NOT_ALLOWED_IN_STATUS


def test_every_input_has_at_least_one_row() -> None:
    assert {row.input for row in core.TABLE} >= set(core.INPUT_TYPES)


def test_time_rows_name_clocks_and_are_never_fed_in() -> None:
    for row in core.TIME_RULES:
        assert row.kind is Kind.TIME and row.clock
        assert row.input not in core.INPUT_TYPES


def test_only_commands_have_effects() -> None:
    for row in core.TABLE:
        assert not row.effects or row.kind is Kind.COMMAND


def test_rows_into_inactive_say_why() -> None:
    for row in core.TABLE:
        if row.dest is Status.INACTIVE and row.source is not Status.INACTIVE:
            assert row.reason is not None, row


def test_a_contradictory_table_is_refused_at_import() -> None:
    from lifecycle import _table

    duplicate = (*core.TABLE, core.TABLE[1])
    with pytest.raises(core.TableError, match="two rows"):
        _table._validate(duplicate)
    unknown_guard = (core.Rule("tick", Kind.EVENT, Status.ACTIVE, Status.ACTIVE, guards=("x",)),)
    with pytest.raises(core.TableError, match="unknown guards"):
        _table._validate(unknown_guard)


@pytest.mark.parametrize("kind", sorted(EVOLVE))
@pytest.mark.parametrize("name", sorted(ALL_RECORDS))
def test_every_evolver_changes_only_fields_of_the_record(name: str, kind: str) -> None:
    record = ALL_RECORDS[name]()
    changes = EVOLVE[kind](record, sample_input(kind, record.last_input_at + S))
    assert set(changes) <= {attribute.name for attribute in fields(core.Connection)}
