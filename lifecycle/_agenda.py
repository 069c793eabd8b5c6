"""The agenda: what is due next for a connection, and when.

A worker asks for the agenda at ``now``, performs what is due (``due <= now``) and feeds
the outcomes back as inputs. Nothing is scheduled: the agenda is recomputed from the
record every time, so a crash loses nothing.

Declared once, like the table: each agenda row names the status it applies in, the
action and the clock (``_clocks.CLOCKS``) that says when it is due. ``expire`` comes
from the time rows of the transition table themselves.
"""

from __future__ import annotations

from datetime import datetime

from attrs import frozen

from ._clocks import CLOCKS
from ._decide import settle
from ._policy import DEFAULT_POLICY, Policy
from ._record import Connection
from ._table import TIME_RULES_BY_SOURCE
from ._vocabulary import Action, Status

__all__ = ["AGENDA", "WORKER_ACTIONS", "AgendaItem", "AgendaRow", "agenda", "next_due"]


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
