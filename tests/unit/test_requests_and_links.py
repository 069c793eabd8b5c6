"""R14 and R15: answers only to requests in flight, failures that free them, spent links."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from lifecycle_support import SCOPES, T0, D, H, M, S, active, authorized, must, secret, started

import lifecycle as core
from lifecycle import Effect, InactiveReason, Reason, Status


def _refused(record: core.Connection, input: core.Input, reason: Reason) -> None:
    decision = core.apply(record, input)
    assert (decision.accepted, decision.reason) == (False, reason)
    assert decision.record is record


# 1. Answers are tied to requests.


def test_a_refresh_answer_nobody_asked_for_plants_no_token() -> None:
    planted = core.TokenRefreshed(
        T0 + H, expires_in=3600, access_token=secret("evil"), refresh_token=secret("evil-rt")
    )
    _refused(active(), planted, Reason.NO_REQUEST_IN_FLIGHT)
    # Not even on a connection without offline_access.
    _refused(active(refresh_token=None), planted, Reason.NO_REQUEST_IN_FLIGHT)


def test_an_exchange_answer_without_an_exchange_is_refused() -> None:
    _refused(authorized(), core.CodeExchanged(T0 + M, expires_in=3600), Reason.NO_REQUEST_IN_FLIGHT)


def test_an_extension_answer_without_extend_is_refused_even_in_the_eu() -> None:
    granted = core.ExtensionGranted(T0 + D, expires_in=3600, refresh_token=secret("rt-x"))
    _refused(active("eu"), granted, Reason.NO_REQUEST_IN_FLIGHT)


def test_a_revocation_without_revoke_is_refused() -> None:
    _refused(active(), core.Revoked(T0 + D), Reason.NO_REQUEST_IN_FLIGHT)


def test_an_answer_naming_another_request_number_is_refused() -> None:
    record = must(active(), core.Refresh(T0 + H))
    assert record.request is not None
    late = core.TokenRefreshed(T0 + H + S, expires_in=60, request=record.request.number - 1)
    _refused(record, late, Reason.NOT_THE_REQUEST_IN_FLIGHT)
    right = core.TokenRefreshed(T0 + H + S, expires_in=60, request=record.request.number)
    assert core.apply(record, right).accepted


def test_an_answer_to_another_kind_of_request_is_refused() -> None:
    record = must(active(), core.Revoke(T0 + H))
    _refused(record, core.TokenRefreshed(T0 + H, expires_in=60), Reason.NOT_THE_REQUEST_IN_FLIGHT)


def test_reads_are_not_requests_and_run_in_parallel() -> None:
    record = must(active(), core.Refresh(T0 + M))
    for _ in range(3):
        decision = core.apply(record, core.FetchData(T0 + 2 * M))
        assert decision.accepted and decision.effects == (Effect.FETCH_DATA,)


# 2. A failed request lets its slot go; no timer allows a second one.


def test_a_failed_refresh_frees_its_slot_at_once_and_keeps_the_error() -> None:
    record = must(active(), core.Refresh(T0 + H))
    record = must(record, core.RequestFailed(T0 + H + S, error="provider_error"))
    assert record.request is None and record.last_error == "provider_error"
    assert core.apply(record, core.Refresh(T0 + H + 2 * S)).accepted


def test_a_failed_exchange_spends_the_code() -> None:
    record = must(authorized(), core.ExchangeCode(T0 + 2 * S))
    record = must(record, core.RequestFailed(T0 + 3 * S, error="provider_error"))
    assert record.status is Status.AUTHORIZATION_REQUIRED and record.code is None


def test_an_unknown_outcome_keeps_the_request_unresolved_until_it_is_resolved() -> None:
    record = must(active(), core.Refresh(T0 + H))
    record = must(record, core.OutcomeUnknown(T0 + H + S, error="timeout"))
    _refused(record, core.Refresh(T0 + H + 2 * S), Reason.REQUEST_UNRESOLVED)
    assert core.agenda(record, T0 + H + 2 * S)[0] == core.AgendaItem(
        T0 + H, core.Action.RESOLVE_REQUEST
    )
    # The journal found the answer: it resolves the request.
    record = must(record, core.TokenRefreshed(T0 + H + M, expires_in=3600))
    assert record.request is None and core.apply(record, core.Refresh(T0 + 2 * H)).accepted


def test_a_lost_answer_ends_the_connection_with_a_reason_that_says_so() -> None:
    record = must(active(), core.Refresh(T0 + H))
    record = must(record, core.OutcomeUnknown(T0 + H + S, error="timeout"))
    record = must(record, core.TokenLost(T0 + H + M, error="invalid_grant"))
    assert core.status_at(record, T0 + H + M) == (Status.INACTIVE, InactiveReason.TOKEN_LOST)
    assert record.grant.refresh_token is None
    _refused(record, core.Extend(T0 + H + 2 * M), Reason.TOKEN_LOST)


@pytest.mark.parametrize(
    ("effect", "error", "expected"),
    [
        (Effect.EXCHANGE_CODE, "invalid_grant", core.CodeRejected),
        (Effect.EXCHANGE_CODE, "provider_error", core.RequestFailed),
        (Effect.REFRESH_TOKEN, "invalid_grant", core.RefreshRejected),
        (Effect.REFRESH_TOKEN, "temporarily_unavailable", core.RequestFailed),
        (Effect.EXTEND_CONNECTION, "reconfirmation_of_consent_needed", core.RequestFailed),
        (Effect.DELETE_CONNECTION, "access_denied", core.RequestFailed),
        (Effect.FETCH_DATA, "access_denied", core.AccessDenied),
        (Effect.FETCH_DATA, "sca_exceeded", core.FetchFailed),
        (Effect.FETCH_DATA, "invalid_token", core.FetchFailed),
    ],
)
def test_every_failure_is_an_event_from_the_cores_own_mapping(
    effect: Effect, error: str, expected: type[core.Input]
) -> None:
    assert type(core.failure_event(effect, error, T0)) is expected


def test_a_failure_that_may_have_taken_effect_is_an_unknown_outcome() -> None:
    event = core.failure_event(Effect.REFRESH_TOKEN, "timeout", T0, took_effect_maybe=True)
    assert isinstance(event, core.OutcomeUnknown)


def test_a_refused_current_access_token_makes_the_next_read_refresh_first() -> None:
    record = active()
    token = record.grant.access_token
    record = must(record, core.FetchFailed(T0 + M, error="invalid_token", access_token=token))
    decision = core.apply(record, core.FetchData(T0 + 2 * M))
    assert decision.effects == (Effect.REFRESH_TOKEN, Effect.FETCH_DATA)


def test_a_refused_token_that_was_already_replaced_is_no_news() -> None:
    record = must(active(), core.Refresh(T0 + M))
    old = record.grant.access_token
    record = must(record, core.TokenRefreshed(T0 + M, expires_in=3600, access_token=secret("n")))
    record = must(record, core.FetchFailed(T0 + 2 * M, error="invalid_token", access_token=old))
    assert core.apply(record, core.FetchData(T0 + 3 * M)).effects == (Effect.FETCH_DATA,)


# 3. Answers are judged by when their request was sent.


def test_an_exchange_sent_in_time_counts_although_its_answer_comes_late() -> None:
    record = authorized()  # code received at T0 + 1 s
    record = must(record, core.ExchangeCode(T0 + S + 4 * M + 50 * S))
    late = core.CodeExchanged(T0 + S + 5 * M + 5 * S, expires_in=3600, refresh_token=secret("r"))
    record = must(record, late)
    assert record.status is Status.ACTIVE


def test_a_first_refresh_sent_on_day_thirty_counts_although_its_answer_comes_after() -> None:
    record = active()  # refresh token from the exchange sent at T0 + 2 s
    use_by = T0 + 2 * S + 30 * D
    record = must(record, core.Refresh(use_by - M))
    record = must(record, core.TokenRefreshed(use_by + H, expires_in=3600))
    assert core.status_at(record, use_by + H) == (Status.ACTIVE, None)
    assert record.grant.refresh_used


def test_the_consent_clock_still_ends_a_connection_with_a_request_in_flight() -> None:
    record = must(active(refresh_token=None), core.Revoke(T0 + 30 * M))
    assert core.status_at(record, T0 + H)[0] is Status.INACTIVE
    # Its answer is still taken: it resolves the request.
    assert must(record, core.Revoked(T0 + H + S)).request is None


# 4. Links: a callback only while one is outstanding; any callback spends it.


def test_a_callback_before_any_link_is_refused() -> None:
    _refused(started(), core.UserAuthorised(T0 + S, code=secret("c")), Reason.NO_LINK_OUTSTANDING)


def test_a_callback_after_a_denial_is_refused() -> None:
    record = must(started(), core.LinkIssued(T0, state=secret("s")))
    record = must(record, core.UserDenied(T0 + S, error="access_denied", state=secret("s")))
    forged = core.UserAuthorised(T0 + 2 * S, code=secret("c"), state=secret("s"))
    _refused(record, forged, Reason.NO_LINK_OUTSTANDING)


@pytest.mark.parametrize("ending", ["expired", "rejected"])
def test_a_callback_after_the_code_expired_or_was_rejected_is_refused(ending: str) -> None:
    record = authorized()
    if ending == "expired":
        record = must(record, core.Tick(T0 + 10 * M))
    else:
        record = must(record, core.ExchangeCode(T0 + 2 * S))
        record = must(record, core.CodeRejected(T0 + 3 * S, error="invalid_grant"))
    assert record.status is Status.AUTHORIZATION_REQUIRED
    replayed = core.UserAuthorised(T0 + 11 * M, code=secret("c"), state=secret("state-1"))
    _refused(record, replayed, Reason.NO_LINK_OUTSTANDING)


def _reauthenticating() -> core.Connection:
    record = must(active(), core.ConsentReconfirmed(T0 + D, evidence="banner"))
    record = must(record, core.Extend(T0 + D + S))
    return must(
        record,
        core.ExtensionNeedsAuthentication(T0 + D + 2 * S, user_input_link="https://auth.test/x"),
    )


def test_a_reloaded_old_callback_during_reauthentication_is_refused_after_the_first() -> None:
    record = must(_reauthenticating(), core.UserAuthorised(T0 + D + M, code=secret("new")))
    reloaded = core.UserAuthorised(T0 + D + 2 * M, code=secret("new"))
    _refused(record, reloaded, Reason.NO_LINK_OUTSTANDING)
    old = core.UserAuthorised(T0 + D + 2 * M, code=secret("code-1"), state=secret("state-1"))
    _refused(record, old, Reason.NO_LINK_OUTSTANDING)


def test_a_reauthentication_link_of_ours_is_checked_for_its_state() -> None:
    record = must(_reauthenticating(), core.LinkIssued(T0 + D + M, state=secret("ours")))
    wrong = core.UserAuthorised(T0 + D + 2 * M, code=secret("c"), state=secret("theirs"))
    _refused(record, wrong, Reason.STATE_MISMATCH)


def test_a_link_for_an_existing_connection_needs_a_reauthentication() -> None:
    _refused(active(), core.LinkIssued(T0 + M, state=secret("s")), Reason.NOT_REAUTHENTICATING)


@pytest.mark.parametrize("value", ["\ud800", "a\x00b", ""])
def test_a_secret_that_is_not_a_valid_string_is_refused(value: str) -> None:
    with pytest.raises(core.MalformedInputError, match="without NUL or lone surrogates"):
        core.UserAuthorised(T0, code=secret("c"), state=secret(value))
    with pytest.raises(core.MalformedInputError):
        core.input_from_json({"at": T0.isoformat(), "type": "link_issued", "state": value})


@pytest.mark.parametrize("value", ["\udfff", "bad\x00"])
def test_a_text_field_that_no_store_can_carry_is_refused(value: str) -> None:
    with pytest.raises(core.MalformedInputError, match="without NUL or lone surrogates"):
        core.ConsentReconfirmed(T0, evidence=value)
    with pytest.raises(core.MalformedInputError):
        core.RequestFailed(T0, error=value)


@pytest.mark.parametrize("scopes", ["info", {"info": 1}, ["info", 7]])
def test_scopes_must_be_a_list_of_strings(scopes: object) -> None:
    with pytest.raises(core.MalformedInputError, match="scopes must be a list of strings"):
        core.ConnectionStarted(T0, region="uk", scopes=scopes)  # type: ignore[arg-type]


# 5. An extension is a new grant; one reconfirmation pays for one extension.


def _extended(record: core.Connection, at: datetime, token: str) -> core.Connection:
    record = must(record, core.Extend(at))
    return must(record, core.ExtensionGranted(at, expires_in=3600, refresh_token=secret(token)))


def test_an_extension_returning_the_same_refresh_token_gives_it_a_fresh_window() -> None:
    record = active()  # rt-1, never used: its window ends at T0 + 2 s + 30 d
    record = must(record, core.ConsentReconfirmed(T0 + 29 * D, evidence="banner"))
    record = _extended(record, T0 + 29 * D + S, "rt-1")
    at = T0 + 29 * D + S
    assert core.deadlines(record, at).refresh_use_by == at + 30 * D
    assert core.status_at(record, T0 + 31 * D) == (Status.ACTIVE, None)
    assert core.apply(record, core.Refresh(T0 + 31 * D)).accepted


def test_one_reconfirmation_pays_for_exactly_one_extension_within_one_second() -> None:
    at = T0 + 10 * D
    record = must(active(), core.ConsentReconfirmed(at, evidence="banner"))
    record = _extended(record, at, "rt-2")
    _refused(record, core.Extend(at), Reason.CONSENT_NOT_RECONFIRMED)


def test_a_failed_extension_leaves_the_reconfirmation_unspent() -> None:
    record = must(active(), core.ConsentReconfirmed(T0 + D, evidence="banner"))
    record = must(record, core.Extend(T0 + D + S))
    record = must(
        record, core.RequestFailed(T0 + D + 2 * S, error="reconfirmation_of_consent_needed")
    )
    assert core.apply(record, core.Extend(T0 + D + 3 * S)).accepted


# 6. extension_needs_authentication keeps the connection as it was.


def test_an_extension_needing_authentication_revokes_nothing() -> None:
    record = _reauthenticating()
    assert record.status is Status.ACTIVE and record.reauthenticating
    assert record.grant.access_token is not None and record.grant.refresh_token is not None
    assert core.apply(record, core.Refresh(T0 + D + M)).accepted
    revoked = must(must(record, core.Revoke(T0 + D + M)), core.Revoked(T0 + D + M))
    assert not revoked.reauthenticating


def test_a_denied_reauthentication_ends_it_and_keeps_the_connection() -> None:
    record = must(_reauthenticating(), core.UserDenied(T0 + D + M, error="access_denied"))
    assert record.status is Status.ACTIVE and not record.reauthenticating


def test_a_reauthentication_after_the_consent_ran_out_makes_the_connection_active() -> None:
    record = _reauthenticating()
    end = core.deadlines(record, T0 + D + M).consent_expires_at
    assert end is not None
    record = must(record, core.UserAuthorised(end + H, code=secret("c")))
    assert record.status is Status.INACTIVE
    record = must(record, core.ExchangeCode(end + H + S))
    record = must(
        record, core.CodeExchanged(end + H + 2 * S, expires_in=60, refresh_token=secret("r"))
    )
    assert core.status_at(record, end + H + 2 * S) == (Status.ACTIVE, None)
    assert core.deadlines(record, end + H + 2 * S).consent_expires_at == end + H + S + 90 * D


# 7. One declaration.


def test_start_takes_its_status_from_its_row(monkeypatch: pytest.MonkeyPatch) -> None:
    from lifecycle import _decide

    row = core.RULES[(None, "connection_started")]
    assert core.start(core.ConnectionStarted(T0, region="uk", scopes=SCOPES)).status is row.dest
    patched = {**core.RULES, (None, "connection_started"): core.Rule(
        "connection_started", core.Kind.EVENT, None, Status.AUTHORIZED
    )}  # fmt: skip
    monkeypatch.setattr(_decide, "RULES", patched)
    started_now = core.start(core.ConnectionStarted(T0, region="uk", scopes=SCOPES))
    assert started_now.status is Status.AUTHORIZED


def test_guard_labels_take_their_numbers_from_the_policy() -> None:
    policy = core.Policy(refresh_first_use_window=timedelta(days=7))
    guard = core.GUARDS["refresh_token_alive"]
    assert guard.label_for(policy) == "refresh token used or < 7 d"
    assert guard.label_for(core.DEFAULT_POLICY) == "refresh token used or < 30 d"


def test_every_agenda_item_comes_from_a_declared_row_or_a_time_row() -> None:
    declared = {row.action for row in core.AGENDA} | {core.Action.EXPIRE}
    assert declared == set(core.Action)
    from lifecycle._clocks import CLOCKS

    for row in core.AGENDA:
        assert row.clock in CLOCKS


def test_the_machine_built_from_the_table_knows_every_row_and_reaches_every_status() -> None:
    from lifecycle._machine import reachable

    assert reachable() >= {status.value for status in Status}
    for row in core.TABLE:
        assert row.input in core.MACHINE.events


def test_a_table_with_an_unreachable_status_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from transitions import Machine

    from lifecycle import _machine

    only_start = [
        {"trigger": "connection_started", "source": "new", "dest": "authorization_required"}
    ]
    machine = Machine(
        states=[_machine.NEW, *(status.value for status in Status)],
        transitions=only_start,
        initial=_machine.NEW,
        auto_transitions=False,
    )
    monkeypatch.setattr(_machine, "MACHINE", machine)
    monkeypatch.setattr(_machine, "TABLE", core.TABLE[:1])
    with pytest.raises(core.TableError, match="statuses no input can reach"):
        _machine._validate()
