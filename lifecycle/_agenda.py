"""The agenda: what is due next for a connection, and when.

A worker asks for the agenda at ``now``, performs what is due (``due <= now``) and feeds
the outcomes back as inputs. Nothing is scheduled: the agenda is recomputed from the
record every time, so a crash loses nothing.
"""

from __future__ import annotations

from datetime import datetime

from attrs import frozen

from ._clocks import consent_expires_at, refresh_lapses_at, refresh_use_by
from ._decide import settle
from ._policy import DEFAULT_POLICY, Policy
from ._record import Connection
from ._vocabulary import Action, Status

__all__ = ["AgendaItem", "agenda", "next_due"]


@frozen(order=True)
class AgendaItem:
    """One action and the time it is due."""

    due: datetime
    action: Action


def _next_reminder(record: Connection, consent_end: datetime, policy: Policy) -> datetime | None:
    # R9: remind 14, 7 and 1 days before expiry; a reminder before the consent started
    # (short lifetimes) is meaningless, and one already sent for this consent is done.
    sent = record.last_reminder_at
    if sent is not None and sent < record.consent_started_at:
        sent = None
    for offset in policy.reminder_offsets:  # longest offset first: earliest reminder
        due = consent_end - offset
        if due < record.consent_started_at:
            continue
        if sent is None or due > sent:
            return due
    return None


def agenda(
    record: Connection, now: datetime, policy: Policy = DEFAULT_POLICY
) -> tuple[AgendaItem, ...]:
    """The next actions for a record at ``now``, earliest first.

    Raises:
        NaiveDatetimeError: ``now`` has no UTC offset.
    """
    settled = settle(record, now, policy)
    if settled.status is Status.AUTHORIZED and settled.code_received_at is not None:
        return (AgendaItem(settled.code_received_at + policy.code_lifetime, Action.EXPIRE),)
    if settled.status is not Status.ACTIVE:
        return ()
    items: list[AgendaItem] = []
    consent_end = consent_expires_at(settled, policy)
    use_by = refresh_use_by(settled, policy)
    if (
        settled.offline_access
        and settled.refresh_token is not None
        and settled.access_expires_at is not None
    ):
        due = settled.access_expires_at - policy.refresh_leeway
        # R6: a lapsed refresh token refreshes nothing; R8: nor does one past consent.
        if due < consent_end and (use_by is None or due < use_by):
            items.append(AgendaItem(due, Action.REFRESH_ACCESS_TOKEN))
    if use_by is not None and use_by - policy.keep_alive_margin < consent_end:
        items.append(AgendaItem(use_by - policy.keep_alive_margin, Action.KEEP_REFRESH_TOKEN_ALIVE))
    reminder = _next_reminder(settled, consent_end, policy)
    if reminder is not None:
        items.append(AgendaItem(reminder, Action.REMIND_RECONFIRM))
    lapse = refresh_lapses_at(settled, policy)
    expires = consent_end if lapse is None else min(lapse, consent_end)
    items.append(AgendaItem(expires, Action.EXPIRE))
    return tuple(sorted(items))


def next_due(record: Connection, now: datetime, policy: Policy = DEFAULT_POLICY) -> datetime | None:
    """The earliest due time on the agenda (what a store indexes), or ``None``."""
    items = agenda(record, now, policy)
    return items[0].due if items else None
