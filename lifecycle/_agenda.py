"""The agenda: what is due next for a connection, and when.

A worker asks for the agenda at ``now``, performs what is due (``due <= now``) and feeds
the outcomes back as inputs. Nothing is scheduled: the agenda is recomputed from the
record every time, so a crash loses nothing.

Declared once, like the table: each agenda row names the status it applies in, the
action and the clock (``_clocks.CLOCKS``) that says when it is due. ``expire`` comes
from the time rows of the transition table themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from attrs import frozen

from ._clocks import CLOCKS
from ._decide import settle
from ._inputs import ensure_aware
from ._policy import DEFAULT_POLICY, Policy
from ._record import Connection
from ._table import TIME_RULES_BY_SOURCE
from ._vocabulary import Action, Status

__all__ = [
    "AGENDA",
    "WORKER_ACTIONS",
    "WORKER_ORDER",
    "AgendaItem",
    "AgendaRow",
    "agenda",
    "due_actions",
    "next_due",
    "standing_agenda",
    "worker_order",
]


@frozen
class AgendaRow:
    """One kind of agenda item: in ``status``, ``action`` is due when ``clock`` says."""

    status: Status
    action: Action
    clock: str
    rule: str = ""


AR, AZ, AC, IN = (
    Status.AUTHORIZATION_REQUIRED,
    Status.AUTHORIZED,
    Status.ACTIVE,
    Status.INACTIVE,
)

AGENDA: tuple[AgendaRow, ...] = (
    AgendaRow(AC, Action.REFRESH_ACCESS_TOKEN, "refresh_due_at", "R5"),
    AgendaRow(AC, Action.KEEP_REFRESH_TOKEN_ALIVE, "keep_alive_at", "R6"),
    AgendaRow(AC, Action.REMIND_RECONFIRM, "reminder_at", "R9"),
    AgendaRow(AC, Action.REAUTHENTICATE, "reauthentication_at", "R9"),
    AgendaRow(IN, Action.REAUTHENTICATE, "reauthentication_at", "R9"),
    AgendaRow(AZ, Action.RESOLVE_REQUEST, "request_unresolved_at", "R15"),
    AgendaRow(AC, Action.RESOLVE_REQUEST, "request_unresolved_at", "R15"),
    AgendaRow(IN, Action.RESOLVE_REQUEST, "request_unresolved_at", "R15"),
)

WORKER_ACTIONS = frozenset(set(Action) - {Action.REAUTHENTICATE})
"""What a worker does by itself; a re-authentication waits for the user (R9)."""

WORKER_ORDER: tuple[Action, ...] = (
    Action.RESOLVE_REQUEST,
    Action.EXPIRE,
    Action.KEEP_REFRESH_TOKEN_ALIVE,
    Action.REFRESH_ACCESS_TOKEN,
    Action.REMIND_RECONFIRM,
)
"""The order a worker does what is due: the journal before anything (R15), time's
verdict before acting on a connection it may have ended (R8), a keep-alive before a
plain refresh (it renews the access token too, R6), reminders last."""


@frozen(order=True)
class AgendaItem:
    """One action and the time it is due."""

    due: datetime
    action: Action


def agenda(
    record: Connection, now: datetime, policy: Policy = DEFAULT_POLICY
) -> tuple[AgendaItem, ...]:
    """The next actions for a record at ``now``, earliest first.

    Raises:
        NaiveDatetimeError: ``now`` has no UTC offset.
    """
    settled = settle(record, now, policy)
    items: list[AgendaItem] = []
    for row in AGENDA:
        if row.status is settled.status:
            due = CLOCKS[row.clock](settled, policy)
            if due is not None:
                items.append(AgendaItem(due, row.action))
    # The next time row to fire is the next change of status: ``expire``.
    moments = [
        moment
        for _, clock in TIME_RULES_BY_SOURCE[settled.status]
        if (moment := clock(settled, policy)) is not None
    ]
    if moments:
        items.append(AgendaItem(min(moments), Action.EXPIRE))
    return tuple(sorted(items))


def next_due(record: Connection, now: datetime, policy: Policy = DEFAULT_POLICY) -> datetime | None:
    """The earliest time a worker has something to do (what a store indexes), or ``None``."""
    dues = [item.due for item in agenda(record, now, policy) if item.action in WORKER_ACTIONS]
    return min(dues) if dues else None


def standing_agenda(record: Connection, policy: Policy = DEFAULT_POLICY) -> tuple[AgendaItem, ...]:
    """The agenda as of the record's last input, which stands until the record changes.

    At any time ``now`` from the last input on, what is due by ``now`` is read off it
    with ``due_actions``, without the record: what a store keeps beside each record,
    so that a worker can tell what to do without reading (or decrypting) any record.
    Until its ``expire`` is due the agenda at ``now`` is this one, because only a time
    row changes it and its ``expire`` is the first time row; once that is due, the
    change of status comes first and alone.
    """
    at = record.last_input_at
    settled = settle(record, at, policy)
    if (settled.status, settled.inactive_reason) != (record.status, record.inactive_reason):
        # A time row had fired by the last input itself (a late answer, R15): the
        # change of status is due at once.
        return (AgendaItem(at, Action.EXPIRE),)
    return agenda(record, at, policy)


def worker_order(due: Iterable[Action]) -> tuple[Action, ...]:
    """What a worker does of the actions ``due``, in ``WORKER_ORDER``.

    A change of status that time has made is recorded first and alone (the agenda
    after it is another one, R8); a keep-alive makes a plain refresh needless (R6);
    what only the user can do (``reauthenticate``) is left out.
    """
    actions = set(due) & WORKER_ACTIONS
    if Action.EXPIRE in actions:
        return (Action.EXPIRE,)
    if Action.KEEP_REFRESH_TOKEN_ALIVE in actions:
        actions.discard(Action.REFRESH_ACCESS_TOKEN)
    return tuple(action for action in WORKER_ORDER if action in actions)


def due_actions(items: Iterable[AgendaItem], now: datetime) -> tuple[Action, ...]:
    """What a worker does at ``now`` of a ``standing_agenda``, in the order to do it.

    Raises:
        NaiveDatetimeError: ``now`` has no UTC offset.
    """
    ensure_aware("now", now)
    return worker_order(item.action for item in items if item.due <= now)
