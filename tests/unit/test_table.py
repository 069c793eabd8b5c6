"""The transition table: every (status, input) pair, and the table's own checks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

import pytest
from lifecycle_support import S, active, authorized, inactive, must, sample_input, started

import lifecycle as core
from lifecycle import InactiveReason, Kind, Status

RECORDS: dict[str, Callable[[], core.Connection]] = {
    "authorization_required": started,
    "authorized": authorized,
    "active": active,
    "inactive": partial(inactive, InactiveReason.CONSENT_EXPIRED),
}

# What the core answers to one sample of each input in each status: the status after an
# accepted input, or the refusal reason. Reviewed by hand against DOMAIN.md.
EXPECTED = {
    ("authorization_required", "access_denied"): "not_active",
    ("authorization_required", "code_exchanged"): "no_request_in_flight",
    ("authorization_required", "code_rejected"): "no_request_in_flight",
    ("authorization_required", "connection_started"): "not_allowed_in_status",
    ("authorization_required", "consent_expiry_reported"): "not_active",
    ("authorization_required", "consent_reconfirmed"): "not_allowed_in_status",
    ("authorization_required", "exchange_code"): "not_allowed_in_status",
    ("authorization_required", "extend"): "not_allowed_in_status",
    ("authorization_required", "extension_granted"): "no_request_in_flight",
    ("authorization_required", "extension_needs_authentication"): "no_request_in_flight",
    ("authorization_required", "fetch_data"): "not_active",
    ("authorization_required", "fetch_failed"): "not_active",
    ("authorization_required", "link_issued"): "authorization_required",
    ("authorization_required", "outcome_unknown"): "no_request_in_flight",
    ("authorization_required", "refresh"): "not_active",
    ("authorization_required", "refresh_rejected"): "no_request_in_flight",
    ("authorization_required", "reminder_sent"): "not_active",
    ("authorization_required", "request_failed"): "no_request_in_flight",
    ("authorization_required", "revoke"): "not_allowed_in_status",
    ("authorization_required", "revoked"): "no_request_in_flight",
    ("authorization_required", "tick"): "authorization_required",
    ("authorization_required", "token_lost"): "no_request_in_flight",
    ("authorization_required", "token_refreshed"): "no_request_in_flight",
    ("authorization_required", "user_authorised"): "no_link_outstanding",
    ("authorization_required", "user_denied"): "no_link_outstanding",
    ("authorized", "access_denied"): "not_active",
    ("authorized", "code_exchanged"): "no_request_in_flight",
    ("authorized", "code_rejected"): "no_request_in_flight",
    ("authorized", "connection_started"): "not_allowed_in_status",
    ("authorized", "consent_expiry_reported"): "not_active",
    ("authorized", "consent_reconfirmed"): "not_allowed_in_status",
    ("authorized", "exchange_code"): "authorized",
    ("authorized", "extend"): "not_allowed_in_status",
    ("authorized", "extension_granted"): "no_request_in_flight",
    ("authorized", "extension_needs_authentication"): "no_request_in_flight",
    ("authorized", "fetch_data"): "not_active",
    ("authorized", "fetch_failed"): "not_active",
    ("authorized", "link_issued"): "not_allowed_in_status",
    ("authorized", "outcome_unknown"): "no_request_in_flight",
    ("authorized", "refresh"): "not_active",
    ("authorized", "refresh_rejected"): "no_request_in_flight",
    ("authorized", "reminder_sent"): "not_active",
    ("authorized", "request_failed"): "no_request_in_flight",
    ("authorized", "revoke"): "not_allowed_in_status",
    ("authorized", "revoked"): "no_request_in_flight",
    ("authorized", "tick"): "authorized",
    ("authorized", "token_lost"): "no_request_in_flight",
    ("authorized", "token_refreshed"): "no_request_in_flight",
    ("authorized", "user_authorised"): "no_link_outstanding",
    ("authorized", "user_denied"): "no_link_outstanding",
    ("active", "access_denied"): "inactive",
    ("active", "code_exchanged"): "no_request_in_flight",
    ("active", "code_rejected"): "no_request_in_flight",
    ("active", "connection_started"): "not_allowed_in_status",
    ("active", "consent_expiry_reported"): "active",
    ("active", "consent_reconfirmed"): "active",
    ("active", "exchange_code"): "no_code",
    ("active", "extend"): "consent_not_reconfirmed",
    ("active", "extension_granted"): "no_request_in_flight",
    ("active", "extension_needs_authentication"): "no_request_in_flight",
    ("active", "fetch_data"): "active",
    ("active", "fetch_failed"): "active",
    ("active", "link_issued"): "not_reauthenticating",
    ("active", "outcome_unknown"): "no_request_in_flight",
    ("active", "refresh"): "active",
    ("active", "refresh_rejected"): "no_request_in_flight",
    ("active", "reminder_sent"): "active",
    ("active", "request_failed"): "no_request_in_flight",
    ("active", "revoke"): "active",
    ("active", "revoked"): "no_request_in_flight",
    ("active", "tick"): "active",
    ("active", "token_lost"): "no_request_in_flight",
    ("active", "token_refreshed"): "no_request_in_flight",
    ("active", "user_authorised"): "no_link_outstanding",
    ("active", "user_denied"): "no_link_outstanding",
    ("inactive", "access_denied"): "consent_expired",
    ("inactive", "code_exchanged"): "no_request_in_flight",
    ("inactive", "code_rejected"): "no_request_in_flight",
    ("inactive", "connection_started"): "not_allowed_in_status",
    ("inactive", "consent_expiry_reported"): "consent_expired",
    ("inactive", "consent_reconfirmed"): "inactive",
    ("inactive", "exchange_code"): "no_code",
    ("inactive", "extend"): "consent_not_reconfirmed",
    ("inactive", "extension_granted"): "no_request_in_flight",
    ("inactive", "extension_needs_authentication"): "no_request_in_flight",
    ("inactive", "fetch_data"): "consent_expired",
    ("inactive", "fetch_failed"): "consent_expired",
    ("inactive", "link_issued"): "not_reauthenticating",
    ("inactive", "outcome_unknown"): "no_request_in_flight",
    ("inactive", "refresh"): "consent_expired",
    ("inactive", "refresh_rejected"): "no_request_in_flight",
    ("inactive", "reminder_sent"): "consent_expired",
    ("inactive", "request_failed"): "no_request_in_flight",
    ("inactive", "revoke"): "inactive",
    ("inactive", "revoked"): "no_request_in_flight",
    ("inactive", "tick"): "inactive",
    ("inactive", "token_lost"): "no_request_in_flight",
    ("inactive", "token_refreshed"): "no_request_in_flight",
    ("inactive", "user_authorised"): "no_link_outstanding",
    ("inactive", "user_denied"): "no_link_outstanding",
}


@pytest.mark.parametrize(("status", "kind"), sorted(EXPECTED))
def test_every_status_and_input_pair_gets_the_tables_answer(status: str, kind: str) -> None:
    record = RECORDS[status]()
    decision = core.apply(record, sample_input(kind, record.last_input_at + S))
    outcome = decision.record.status.value if decision.accepted else decision.reason
    assert outcome == EXPECTED[(status, kind)]
    if not decision.accepted:
        assert decision.record is record


def _in_flight(
    build: Callable[[], core.Connection],
    command: Callable[[datetime], core.Input],
    before: tuple[Callable[[datetime], core.Input], ...] = (),
) -> Callable[[], core.Connection]:
    def record() -> core.Connection:
        built = build()
        for input in (*before, command):
            built = must(built, input(built.last_input_at + S))
        return built

    return record


def _reconfirmed(at: datetime) -> core.Input:
    return core.ConsentReconfirmed(at, evidence="tapped 'keep sharing'")


EXPIRED = partial(inactive, InactiveReason.CONSENT_EXPIRED)
IN_FLIGHT: dict[str, Callable[[], core.Connection]] = {
    "authorized/exchange_code": _in_flight(authorized, core.ExchangeCode),
    "active/refresh": _in_flight(active, core.Refresh),
    "active/extend": _in_flight(active, core.Extend, (_reconfirmed,)),
    "active/revoke": _in_flight(active, core.Revoke),
    "inactive/extend": _in_flight(EXPIRED, core.Extend, (_reconfirmed,)),
    "inactive/revoke": _in_flight(EXPIRED, core.Revoke),
}

# R15: what each answer does with each request in flight. Reviewed by hand: an answer
# is accepted only by the request it answers; the status after it is the row's.
ANSWERED = {
    ("authorized/exchange_code", "code_exchanged"): "active",
    ("authorized/exchange_code", "code_rejected"): "authorization_required",
    ("authorized/exchange_code", "extension_granted"): "not_the_request_in_flight",
    ("authorized/exchange_code", "extension_needs_authentication"): "not_the_request_in_flight",
    ("authorized/exchange_code", "outcome_unknown"): "authorized",
    ("authorized/exchange_code", "refresh_rejected"): "not_the_request_in_flight",
    ("authorized/exchange_code", "request_failed"): "authorization_required",
    ("authorized/exchange_code", "revoked"): "not_the_request_in_flight",
    ("authorized/exchange_code", "token_lost"): "not_the_request_in_flight",
    ("authorized/exchange_code", "token_refreshed"): "not_the_request_in_flight",
    ("active/refresh", "code_exchanged"): "not_the_request_in_flight",
    ("active/refresh", "code_rejected"): "not_the_request_in_flight",
    ("active/refresh", "extension_granted"): "not_the_request_in_flight",
    ("active/refresh", "extension_needs_authentication"): "not_the_request_in_flight",
    ("active/refresh", "outcome_unknown"): "active",
    ("active/refresh", "refresh_rejected"): "inactive",
    ("active/refresh", "request_failed"): "active",
    ("active/refresh", "revoked"): "not_the_request_in_flight",
    ("active/refresh", "token_lost"): "inactive",
    ("active/refresh", "token_refreshed"): "active",
    ("active/extend", "code_exchanged"): "not_the_request_in_flight",
    ("active/extend", "code_rejected"): "not_the_request_in_flight",
    ("active/extend", "extension_granted"): "active",
    ("active/extend", "extension_needs_authentication"): "active",
    ("active/extend", "outcome_unknown"): "active",
    ("active/extend", "refresh_rejected"): "not_the_request_in_flight",
    ("active/extend", "request_failed"): "active",
    ("active/extend", "revoked"): "not_the_request_in_flight",
    ("active/extend", "token_lost"): "inactive",
    ("active/extend", "token_refreshed"): "not_the_request_in_flight",
    ("active/revoke", "code_exchanged"): "not_the_request_in_flight",
    ("active/revoke", "code_rejected"): "not_the_request_in_flight",
    ("active/revoke", "extension_granted"): "not_the_request_in_flight",
    ("active/revoke", "extension_needs_authentication"): "not_the_request_in_flight",
    ("active/revoke", "outcome_unknown"): "active",
    ("active/revoke", "refresh_rejected"): "not_the_request_in_flight",
    ("active/revoke", "request_failed"): "active",
    ("active/revoke", "revoked"): "inactive",
    ("active/revoke", "token_lost"): "not_the_request_in_flight",
    ("active/revoke", "token_refreshed"): "not_the_request_in_flight",
    ("inactive/extend", "code_exchanged"): "not_the_request_in_flight",
    ("inactive/extend", "code_rejected"): "not_the_request_in_flight",
    ("inactive/extend", "extension_granted"): "active",
    ("inactive/extend", "extension_needs_authentication"): "inactive",
    ("inactive/extend", "outcome_unknown"): "inactive",
    ("inactive/extend", "refresh_rejected"): "not_the_request_in_flight",
    ("inactive/extend", "request_failed"): "inactive",
    ("inactive/extend", "revoked"): "not_the_request_in_flight",
    ("inactive/extend", "token_lost"): "inactive",
    ("inactive/extend", "token_refreshed"): "not_the_request_in_flight",
    ("inactive/revoke", "code_exchanged"): "not_the_request_in_flight",
    ("inactive/revoke", "code_rejected"): "not_the_request_in_flight",
    ("inactive/revoke", "extension_granted"): "not_the_request_in_flight",
    ("inactive/revoke", "extension_needs_authentication"): "not_the_request_in_flight",
    ("inactive/revoke", "outcome_unknown"): "inactive",
    ("inactive/revoke", "refresh_rejected"): "not_the_request_in_flight",
    ("inactive/revoke", "request_failed"): "inactive",
    ("inactive/revoke", "revoked"): "inactive",
    ("inactive/revoke", "token_lost"): "not_the_request_in_flight",
    ("inactive/revoke", "token_refreshed"): "not_the_request_in_flight",
}


@pytest.mark.parametrize(("scenario", "kind"), sorted(ANSWERED))
def test_an_answer_is_accepted_only_by_the_request_it_answers(scenario: str, kind: str) -> None:
    record = IN_FLIGHT[scenario]()
    decision = core.apply(record, sample_input(kind, record.last_input_at + S))
    outcome = decision.record.status.value if decision.accepted else decision.reason
    assert outcome == ANSWERED[(scenario, kind)]
    if not decision.accepted:
        assert decision.record is record
    else:
        assert decision.record.request is None or kind == "outcome_unknown"


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
