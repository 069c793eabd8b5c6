"""``MemoryStore``: the contract in a dict, for tests and toys. Thread-safe, not durable.

Rows are kept in their stored form (JSON text, as the durable stores write it), so a
caller never shares a mutable object with the store and round trips exercise the same
codec as SQLite and PostgreSQL. Nothing is at rest, so nothing is encrypted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Self

from attrs import define

import lifecycle as core

from ._codec import Codec, HistoryRow, RecordRow, check_due, check_id, check_lease
from ._errors import (
    ConflictError,
    ConnectionNotFound,
    DuplicateConnection,
    LeaseError,
    StoreError,
)
from ._protocol import Due, HistoryEntry, Lease, Managed, StoredConnection, check_history

__all__ = ["MemoryStore"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@define
class _Row:
    record: RecordRow
    version: int
    history: list[HistoryRow]
    lease_owner: str | None = None
    lease_until: datetime | None = None

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
        self, connection_id: str, record: core.Connection, started: core.ConnectionStarted
    ) -> StoredConnection:
        """See ``Store.create``."""
        check_id(connection_id)
        encoded = self._codec.encode_record(connection_id, record)
        entry = self._codec.encode_decision(
            connection_id, 1, started, core.Decision(record, True), self._clock()
        )
        with self._lock:
            if connection_id in self._rows:
                raise DuplicateConnection(connection_id)
            self._row_check_open()
            self._rows[connection_id] = _Row(encoded, 1, [entry])
        return StoredConnection(connection_id, record, 1)

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
    ) -> StoredConnection:
        """See ``Store.commit``."""
        encoded = self._codec.encode_record(connection_id, decision.record)
        entry = self._codec.encode_decision(
            check_id(connection_id), expected_version + 1, input, decision, self._clock()
        )
        with self._lock:
            row = self._row(connection_id)
            if row.version != expected_version:
                raise ConflictError(connection_id, expected_version, row.version)
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

    def close(self) -> None:
        """Forget nothing, accept nothing more."""
        self._closed = True
