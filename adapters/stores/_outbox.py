"""The outbox: events written in the same transaction as the commit that caused them.

Theory of operation: a status change and its announcement must not part ways. A service
that commits and then publishes loses the event when it crashes in between; one that
publishes and then commits announces what never happened. So ``create`` and ``commit``
take the events of their decision and write them with the record and its history row,
in one transaction: a ``ConflictError`` writes none of them. A reader takes the
unacknowledged events in ``position`` order (strictly increasing in commit order across
the store, hence in order per connection), delivers them, and acknowledges them:
delivery is at least once, and the event id lets a receiver drop a repeat.

Events hold no secret: ids, a type, a status, a reason and times.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from attrs import frozen

import lifecycle as core

from ._codec import MAX_ID, check_id, utc
from ._errors import CorruptRecordError

__all__ = [
    "OutboxEvent",
    "check_ack",
    "check_events",
    "check_events_query",
    "event_from_row",
    "storable",
]

MAX_TYPE = 100
MAX_REASON = 200


@frozen
class OutboxEvent:
    """Something that happened to a connection, for the world outside.

    Attributes:
        event_id: unique in the store (a receiver's idempotency key); 1-200 characters.
        connection_id: the connection it happened to.
        type: what happened, e.g. ``connection.active``; 1-100 characters.
        status: the connection's status after it.
        reason: why, in words of the domain (an inactive reason, a refusal); or ``None``.
        consent_expires_at: when the consent runs out, if known.
        at: when it happened (the time of the input that caused it).
        position: given by the store: strictly increasing in commit order across the
            store. ``0`` in an event passed to ``create`` or ``commit``.
        recorded_at: when the store wrote it (the store's clock, UTC); ``None`` in an
            event passed in.
    """

    event_id: str
    connection_id: str
    type: str
    status: core.Status
    reason: str | None
    consent_expires_at: datetime | None
    at: datetime
    position: int = 0
    recorded_at: datetime | None = None


def storable(value: object) -> bool:
    """Whether a database can hold this text: PostgreSQL refuses NUL, and UTF-8 cannot
    encode a lone surrogate (an id holding either was never stored)."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _text(value: object, name: str, longest: int) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= longest or not storable(value):
        raise ValueError(
            f"an event's {name} is a string of 1 to {longest} characters, without NUL or"
            " lone surrogates"
        )
    return value


def check_events(connection_id: str, events: Sequence[OutboxEvent]) -> tuple[OutboxEvent, ...]:
    """The events of one write, checked, with their times in UTC.

    Raises:
        TypeError: ``events`` is not a sequence of ``OutboxEvent``.
        ValueError: an event of another connection, an id used twice, an empty or
            overlong field, a naive time, or a position or ``recorded_at`` already set.
    """
    if isinstance(events, str | bytes) or not isinstance(events, Sequence):
        raise TypeError("events is a sequence of OutboxEvent")
    checked, seen = [], set()
    for event in events:
        if not isinstance(event, OutboxEvent):
            raise TypeError("events is a sequence of OutboxEvent")
        _text(event.event_id, "event_id", MAX_ID)
        _text(event.type, "type", MAX_TYPE)
        if event.connection_id != connection_id:
            raise ValueError(
                f"event {event.event_id!r} names connection {str(event.connection_id)[:200]!r},"
                f" not {connection_id!r}: a write carries its own connection's events"
            )
        if event.event_id in seen:
            raise ValueError(f"event id {event.event_id!r} is given twice")
        seen.add(event.event_id)
        if not isinstance(event.status, core.Status):
            raise ValueError(f"event {event.event_id!r}: status is a lifecycle.Status")
        if event.reason is not None:
            _text(event.reason, "reason", MAX_REASON)
        if event.position != 0 or event.recorded_at is not None:
            raise ValueError(
                f"event {event.event_id!r}: position and recorded_at are the store's to set"
            )
        expires = event.consent_expires_at
        checked.append(
            OutboxEvent(
                event.event_id,
                connection_id,
                event.type,
                event.status,
                None if event.reason is None else str(event.reason),
                None if expires is None else utc(expires, "consent_expires_at"),
                utc(event.at, "at"),
            )
        )
    return tuple(checked)


def check_events_query(after: int, limit: int, connection_id: str | None) -> None:
    """The arguments of ``events``, checked.

    Raises:
        ValueError: ``after`` < 0, ``limit`` < 1, or a bad connection id.
    """
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise ValueError("events needs after >= 0 (a position)")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError("events needs a limit of at least 1")
    if connection_id is not None:
        check_id(connection_id)


def check_ack(event_ids: Iterable[str]) -> list[str]:
    """The ids given to ``ack``, checked, each once.

    Raises:
        TypeError: not an iterable of strings (a lone string is refused: it would be
            taken letter by letter).
    """
    if isinstance(event_ids, str | bytes):
        raise TypeError("ack takes an iterable of event ids, not one string")
    ids = list(dict.fromkeys(event_ids))
    if not all(isinstance(event_id, str) for event_id in ids):
        raise TypeError("ack takes an iterable of event ids (strings)")
    return [event_id for event_id in ids if storable(event_id)]  # others are unknown


def event_from_row(row: Any, time: Any) -> OutboxEvent:
    """An outbox row (mapping of its columns) as an ``OutboxEvent``.

    Raises:
        CorruptRecordError: a column cannot be read (names the connection).
    """
    connection_id = str(row["connection_id"])
    try:
        at, recorded_at = time(row["at"]), time(row["recorded_at"])
        if at is None or recorded_at is None:
            raise ValueError("a time is empty")
        return OutboxEvent(
            event_id=str(row["event_id"]),
            connection_id=connection_id,
            type=str(row["type"]),
            status=core.Status(str(row["status"])),
            reason=None if row["reason"] is None else str(row["reason"]),
            consent_expires_at=time(row["consent_expires_at"]),
            at=at,
            position=int(row["position"]),
            recorded_at=recorded_at,
        )
    except (ValueError, TypeError, OverflowError):
        raise CorruptRecordError(
            connection_id, f"outbox event at position {row['position']} is unreadable"
        ) from None
