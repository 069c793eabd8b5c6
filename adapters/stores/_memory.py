"""``MemoryStore``: the contract in a dict, for tests and toys. Thread-safe, not durable.

Rows are kept in their stored form (JSON text, as the durable stores write it), so a
caller never shares a mutable object with the store and round trips exercise the same
codec as SQLite and PostgreSQL. Nothing is at rest, so nothing is encrypted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Self, TypeVar

from attrs import define, evolve

import lifecycle as core

from ._codec import (
    Codec,
    HistoryRow,
    RecordRow,
    check_due,
    check_id,
    check_lease,
    due_in_agenda,
    iso_utc,
    utc,
)
from ._errors import (
    ConflictError,
    ConnectionNotFound,
    CorruptRecordError,
    DuplicateConnection,
    LeaseError,
    StoreError,
)
from ._extras import check_ids
from ._journal import Extras, check_request, open_answer, seal_answer, state_digests
from ._outbox import OutboxEvent, check_ack, check_events_query
from ._protocol import Due, HistoryEntry, Lease, Managed, StoredConnection, check_history

__all__ = ["MemoryStore"]

_T = TypeVar("_T")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@define
class _Row:
    record: RecordRow
    version: int
    history: list[HistoryRow]
    lease_owner: str | None = None
    lease_until: datetime | None = None
    state_key: str | None = None

    @property
    def claimable_at(self) -> datetime | None:
        """From when the row may be leased (as the durable stores' lease table says)."""
        due = self.record.next_due
        if due is None or self.lease_until is None:
            return due
        return max(due, self.lease_until)


class MemoryStore(Managed):
    """A store in process memory. Every method holds one lock: operations are atomic.

    Args:
        clock: the time source for ``recorded_at`` and lease expiry (default: UTC now).
        policy: the service's policy; a record's next due time depends on it.
    """

    def __init__(
        self,
        clock: Callable[[], datetime] | None = None,
        policy: core.Policy = core.DEFAULT_POLICY,
    ) -> None:
        self._clock = clock or _utcnow
        self._codec = Codec(None, policy)
        self._rows: dict[str, _Row] = {}
        # The outbox in position order (position = index + 1), with what was acked.
        self._events: list[OutboxEvent] = []
        self._acked: set[str] = set()
        # The journal: (connection id, request) -> (answer JSON, when written), oldest
        # first (a dict keeps insertion order; a replaced answer moves to the end).
        self._answers: dict[tuple[str, int], tuple[str, datetime]] = {}
        # The state index: digest -> the connections whose state key it is.
        self._states: dict[str, set[str]] = {}
        self._lock = threading.RLock()
        self._closed = False

    def __repr__(self) -> str:
        return f"MemoryStore(connections={len(self._rows)})"

    def open(self) -> Self:
        """Nothing to connect to; returns the store."""
        return self

    def _row(self, connection_id: str) -> _Row:
        self._row_check_open()
        row = self._rows.get(connection_id)
        if row is None:
            raise ConnectionNotFound(connection_id)
        return row

    def _stored(self, connection_id: str, row: _Row) -> StoredConnection:
        encoded = row.record
        record = self._codec.decode_record(
            connection_id, encoded.record, encoded.status, encoded.key_id
        )
        return StoredConnection(
            connection_id, record, row.version, row.lease_owner, row.lease_until
        )

    def create(
        self,
        connection_id: str,
        record: core.Connection,
        started: core.ConnectionStarted,
        *,
        events: Sequence[OutboxEvent] = (),
        link_state: core.Secret | None = None,
    ) -> StoredConnection:
        """See ``Store.create``."""
        check_id(connection_id)
        encoded = self._codec.encode_record(connection_id, record)
        entry = self._codec.encode_decision(
            connection_id, 1, started, core.Decision(record, True), self._clock()
        )
        extras = Extras.of(self._codec, connection_id, events, None, link_state)
        with self._lock:
            if connection_id in self._rows:
                raise DuplicateConnection(connection_id)
            self._row_check_open()
            self._check_new_events(extras)
            self._rows[connection_id] = row = _Row(encoded, 1, [entry])
            self._write_extras(connection_id, row, extras)
        return StoredConnection(connection_id, record, 1)

    def _check_new_events(self, extras: Extras) -> None:
        # As the durable stores' UNIQUE event_id: a repeat fails the whole write.
        known = {event.event_id for event in self._events}
        if any(event.event_id in known for event in extras.events):
            raise StoreError("an event id is in the outbox already: the write is refused")

    def _write_extras(self, connection_id: str, row: _Row, extras: Extras) -> None:
        # Lock held, checks done: nothing below can fail half-way.
        if extras.state is not None:
            if row.state_key is not None:
                self._states[row.state_key].discard(connection_id)
            row.state_key = extras.state.key
            self._states.setdefault(row.state_key, set()).add(connection_id)
        if extras.close_answer is not None:
            self._answers.pop((connection_id, extras.close_answer), None)
        now = self._clock()
        for event in extras.events:
            self._events.append(evolve(event, position=len(self._events) + 1, recorded_at=utc(now)))

    def _row_check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")

    def get(self, connection_id: str) -> StoredConnection:
        """See ``Store.get``."""
        with self._lock:
            return self._stored(connection_id, self._row(connection_id))

    def commit(
        self,
        connection_id: str,
        expected_version: int,
        input: core.Input,
        decision: core.Decision,
        *,
        events: Sequence[OutboxEvent] = (),
        close_answer: int | None = None,
        link_state: core.Secret | None = None,
    ) -> StoredConnection:
        """See ``Store.commit``."""
        encoded = self._codec.encode_record(connection_id, decision.record)
        entry = self._codec.encode_decision(
            check_id(connection_id), expected_version + 1, input, decision, self._clock()
        )
        extras = Extras.of(self._codec, connection_id, events, close_answer, link_state)
        with self._lock:
            row = self._row(connection_id)
            if row.version != expected_version:
                raise ConflictError(connection_id, expected_version, row.version)
            self._check_new_events(extras)
            self._write_extras(connection_id, row, extras)
            if decision.accepted:
                row.record = encoded
            row.version += 1
            row.history.append(entry)
            return StoredConnection(
                connection_id, decision.record, row.version, row.lease_owner, row.lease_until
            )

    def history(self, connection_id: str) -> list[HistoryEntry]:
        """See ``Store.history``."""
        with self._lock:
            rows = list(self._row(connection_id).history)
        return [
            self._codec.decode_entry(
                connection_id,
                item.seq,
                item.input,
                item.accepted,
                item.reason,
                item.effects,
                item.status_after,
                item.key_id,
                item.recorded_at,
            )
            for item in rows
        ]

    def lease_due(
        self,
        owner: str,
        due_by: datetime,
        lease_until: datetime,
        limit: int,
        *,
        now: datetime | None = None,
    ) -> tuple[Lease, ...]:
        """See ``Store.lease_due``. Scans every row: fine for a toy, not for millions."""
        due_by, until, moment = check_lease(
            owner, due_by, lease_until, limit, self._clock() if now is None else now
        )
        with self._lock:
            self._row_check_open()
            picked = self._pick(due_by, moment, limit)
            leases = []
            for _, connection_id in picked:
                row = self._rows[connection_id]
                row.lease_owner, row.lease_until = owner, until
                when = row.record.next_due
                assert when is not None  # picked rows are due
                leases.append(Lease(connection_id, row.version, when, until, owner))
            leases.sort(key=lambda lease: (lease.due, lease.connection_id))
        return tuple(leases)

    def _pick(self, due_by: datetime, now: datetime, limit: int) -> list[tuple[datetime, str]]:
        """The rows the durable stores pick: earliest claimable first (lock held)."""
        return sorted(
            (row.claimable_at, connection_id)
            for connection_id, row in self._rows.items()
            if row.claimable_at is not None
            and row.record.next_due is not None
            and row.record.next_due <= due_by
            and (row.lease_until is None or row.lease_until <= now)
        )[:limit]

    def due(self, due_by: datetime, limit: int, *, now: datetime | None = None) -> tuple[Due, ...]:
        """See ``Store.due``. Scans every row: fine for a toy, not for millions."""
        due_by, moment = check_due(due_by, limit, self._clock() if now is None else now)
        with self._lock:
            self._row_check_open()
            found = []
            for _, connection_id in self._pick(due_by, moment, limit):
                row = self._rows[connection_id]
                when = row.record.next_due
                assert when is not None  # picked rows are due
                found.append(Due(connection_id, when, row.lease_until))
        found.sort(key=lambda item: (item.due, item.connection_id))
        return tuple(found)

    def release(self, connection_id: str, owner: str) -> None:
        """See ``Store.release``."""
        with self._lock:
            row = self._row(connection_id)
            if row.lease_owner is not None and row.lease_owner != owner:
                raise LeaseError(connection_id, owner, row.lease_owner)
            row.lease_owner = row.lease_until = None

    def connection_ids(self) -> list[str]:
        """See ``Store.connection_ids``."""
        with self._lock:
            return sorted(self._rows)

    def restore(self, item: StoredConnection, history: Sequence[HistoryEntry]) -> None:
        """See ``Store.restore``."""
        check_id(item.connection_id)
        check_history(item, history)
        encoded = self._codec.encode_record(item.connection_id, item.record)
        rows = [self._codec.encode_entry(item.connection_id, entry) for entry in history]
        with self._lock:
            self._row_check_open()
            if item.connection_id in self._rows:
                raise DuplicateConnection(item.connection_id)
            self._rows[item.connection_id] = _Row(encoded, item.version, rows)

    def reencrypt(self) -> int:
        """Nothing is encrypted in memory: returns 0."""
        return 0

    # -- the outbox, the journal, the state index, batched reads ----------------------

    def events(
        self,
        *,
        after: int = 0,
        limit: int = 100,
        connection_id: str | None = None,
        include_acked: bool = False,
    ) -> tuple[OutboxEvent, ...]:
        """See ``Store.events``."""
        check_events_query(after, limit, connection_id)
        with self._lock:
            self._row_check_open()
            found = [
                event
                for event in self._events[after:]
                if (include_acked or event.event_id not in self._acked)
                and (connection_id is None or event.connection_id == connection_id)
            ]
        return tuple(found[:limit])

    def ack(self, event_ids: Iterable[str]) -> int:
        """See ``Store.ack``."""
        ids = set(check_ack(event_ids))
        with self._lock:
            self._row_check_open()
            new = {event.event_id for event in self._events} & ids - self._acked
            self._acked |= new
        return len(new)

    def record_answer(self, connection_id: str, request: int, answer: Mapping[str, Any]) -> None:
        """See ``Store.record_answer`` (kept as JSON text; nothing is at rest)."""
        check_request(request)
        text, _ = seal_answer(self._codec, connection_id, request, answer)
        with self._lock:
            self._row(connection_id)
            self._answers.pop((connection_id, request), None)
            self._answers[(connection_id, request)] = (text, self._clock())

    def answer(self, connection_id: str, request: int) -> Mapping[str, Any] | None:
        """See ``Store.answer``."""
        check_request(request)
        with self._lock:
            self._row_check_open()
            found = self._answers.get((connection_id, request))
        if found is None:
            return None
        return open_answer(self._codec, connection_id, request, found[0], None)

    def open_answers(self, limit: int = 100) -> tuple[tuple[str, int], ...]:
        """See ``Store.open_answers``."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError("open_answers needs a limit of at least 1")
        with self._lock:
            self._row_check_open()
            return tuple(list(self._answers)[:limit])

    def find_by_state(self, state: core.Secret) -> str | None:
        """See ``Store.find_by_state``."""
        if not isinstance(state, core.Secret):
            raise TypeError("find_by_state takes the state as a lifecycle.Secret")
        with self._lock:
            self._row_check_open()
            found = set().union(
                *(self._states.get(digest, set()) for digest in state_digests(self._codec, state))
            )
        # R14: a state held by two connections names neither (see the durable stores).
        return next(iter(found)) if len(found) == 1 else None

    def get_many(
        self, connection_ids: Sequence[str]
    ) -> dict[str, StoredConnection | CorruptRecordError]:
        """See ``Store.get_many``."""
        return self._each(connection_ids, self._stored)

    def due_actions(
        self, connection_ids: Sequence[str], now: datetime
    ) -> dict[str, tuple[core.Action, ...] | CorruptRecordError]:
        """See ``Store.due_actions``."""
        at = iso_utc(utc(now, "now"))
        return self._each(
            connection_ids,
            lambda connection_id, row: due_in_agenda(connection_id, row.record.agenda, at),
        )

    def _each(
        self, connection_ids: Sequence[str], read: Callable[[str, _Row], _T]
    ) -> dict[str, _T | CorruptRecordError]:
        # A batch read: each id found, read under the lock; a corrupt row is its own error.
        ids = check_ids(connection_ids)
        found: dict[str, _T | CorruptRecordError] = {}
        with self._lock:
            self._row_check_open()
            for connection_id in ids:
                row = self._rows.get(connection_id)
                if row is None:
                    continue
                try:
                    found[connection_id] = read(connection_id, row)
                except CorruptRecordError as error:
                    found[connection_id] = error
        return found

    def close(self) -> None:
        """Forget nothing, accept nothing more."""
        self._closed = True
