"""The agenda: what is due next, and when."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
from hypothesis import given, settings
from lifecycle_support import T0, D, H, M, S, active, authorized, must, started

import lifecycle as core
from lifecycle import Action
from lifecycle.testing import boundaries, durations_of, records


def _agenda(record: core.Connection, now: core.Input | None = None) -> dict[Action, object]:
    return {item.action: item.due for item in core.agenda(record, record.last_input_at)}


def test_an_authorized_connection_is_due_to_expire_when_its_code_does() -> None:
    assert _agenda(authorized()) == {Action.EXPIRE: T0 + S + 5 * M}


def test_a_connection_awaiting_authorization_has_nothing_due() -> None:
    assert core.agenda(started(), T0) == ()


def test_the_access_token_is_due_for_refresh_a_leeway_before_it_expires() -> None:
    leeway = core.DEFAULT_POLICY.refresh_leeway
    assert _agenda(active())[Action.REFRESH_ACCESS_TOKEN] == T0 + 2 * S + H - leeway


def test_a_fresh_refresh_token_is_due_to_be_kept_alive_before_day_thirty() -> None:
    margin = core.DEFAULT_POLICY.keep_alive_margin
    assert _agenda(active())[Action.KEEP_REFRESH_TOKEN_ALIVE] == T0 + 2 * S + 30 * D - margin


def test_an_unused_refresh_token_puts_expiry_at_day_thirty() -> None:
    assert _agenda(active())[Action.EXPIRE] == T0 + 2 * S + 30 * D


def _used(record: core.Connection) -> core.Connection:
    record = must(record, core.Refresh(T0 + D))
    return must(record, core.TokenRefreshed(T0 + D + S, expires_in=3600))


def test_reminders_come_fourteen_seven_and_one_day_before_consent_expiry() -> None:
    record = _used(active())
    end = T0 + 90 * D
    seen = []
    for offset in (14, 7, 1):
        due = _agenda(record)[Action.REMIND_RECONFIRM]
        assert due == end - timedelta(days=offset)
        seen.append(due)
        record = must(record, core.ReminderSent(end - timedelta(days=offset) + M))
    assert Action.REMIND_RECONFIRM not in _agenda(record)
    assert _agenda(record)[Action.EXPIRE] == end


def test_an_extension_starts_the_reminders_again() -> None:
    record = must(_used(active()), core.ReminderSent(T0 + 76 * D))
    record = must(record, core.ConsentReconfirmed(T0 + 77 * D, evidence="x"))
    record = must(record, core.Extend(T0 + 77 * D + S))
    record = must(
        record,
        core.ExtensionGranted(T0 + 77 * D + 2 * S, expires_in=3600, refresh_token=core.Secret("n")),
    )
    # R9: the new consent counts from when the extension was sent.
    assert _agenda(record)[Action.REMIND_RECONFIRM] == T0 + 77 * D + S + 76 * D


def test_a_sixty_minute_connection_gets_no_reminders() -> None:
    assert Action.REMIND_RECONFIRM not in _agenda(active(refresh_token=None))


def test_the_agenda_is_sorted_by_due_time() -> None:
    items = core.agenda(active(), T0 + 3 * S)
    assert [item.due for item in items] == sorted(item.due for item in items)
    assert core.next_due(active(), T0 + 3 * S) == items[0].due


def test_an_inactive_connection_has_nothing_due() -> None:
    record = must(active(), core.AccessDenied(T0 + M))
    assert core.agenda(record, T0 + M) == ()
    assert core.next_due(record, T0 + M) is None


def _what_a_worker_does(record: core.Connection, now: datetime) -> tuple[Action, ...]:
    # The rule read off the record itself: time's verdict first and alone, else the
    # agenda at ``now`` (an oracle for the standing agenda, which has no record).
    if core.status_at(record, now) != (record.status, record.inactive_reason):
        return (Action.EXPIRE,)
    return core.worker_order(item.action for item in core.agenda(record, now) if item.due <= now)


@settings(max_examples=150, deadline=None)
@given(record=records(max_size=25))
def test_the_standing_agenda_says_what_is_due_at_any_later_time_without_the_record(
    record: core.Connection,
) -> None:
    last = record.last_input_at
    standing = core.standing_agenda(record)
    moments = [item.due for item in standing] + [last + d for d in durations_of()]
    for now in boundaries([last, *moments]):
        if now >= last:
            assert core.due_actions(standing, now) == _what_a_worker_does(record, now), now


def test_a_keep_alive_makes_a_plain_refresh_needless_and_expiry_comes_alone() -> None:
    assert core.worker_order([Action.REFRESH_ACCESS_TOKEN, Action.KEEP_REFRESH_TOKEN_ALIVE]) == (
        Action.KEEP_REFRESH_TOKEN_ALIVE,
    )
    assert core.worker_order([Action.REMIND_RECONFIRM, Action.EXPIRE]) == (Action.EXPIRE,)
    assert core.worker_order([Action.REAUTHENTICATE]) == ()
    assert core.worker_order([Action.REMIND_RECONFIRM, Action.RESOLVE_REQUEST]) == (
        Action.RESOLVE_REQUEST,
        Action.REMIND_RECONFIRM,
    )


def test_a_late_answer_past_a_deadline_leaves_the_change_of_status_due_at_once() -> None:
    # The record's last input came after its refresh token's 30 days had run out (an
    # answer taken late, R15): that change of status is due at once, and alone.
    record = active()
    late = record.last_input_at + core.DEFAULT_POLICY.refresh_first_use_window + D
    stale = attrs.evolve(record, last_input_at=late)
    assert core.standing_agenda(stale) == (core.AgendaItem(late, Action.EXPIRE),)
    assert core.due_actions(core.standing_agenda(stale), late) == (Action.EXPIRE,)
