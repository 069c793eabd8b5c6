"""``SqliteStore``: the embedded default. One file, WAL, durable commits, many processes.

The SQL of each operation lives here; connections, transactions and migrations live in
``_sqlite_db`` (see there for how writers are serialised and commits made durable).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import lifecycle as core

from ._base import Rows, claimable_range, due_rows, lease_rows
from ._codec import iso_utc
from ._errors import ConflictError, ConnectionNotFound, DuplicateConnection, LeaseError
from ._journal import Extras
from ._outbox import OutboxEvent
from ._protocol import Due, HistoryEntry, Lease, StoredConnection
from ._sqlite_db import sqlite_time as _time
from ._sqlite_extras import SqliteExtras

__all__ = ["DUE", "LEASE", "SqliteStore"]

# Pick the earliest claimable rows through the (claimable_at, id) index of the narrow
# lease table, and lease them, in one statement: no join, no wide row read. A leased
# row's claimable_at is its lease_until (later than now), so it is out of the range
# until its lease ends; the two filters only matter between due_by and now when they
# differ (see ``claimable_range``). Leasing moves claimable_at to the end of the lease.
_PICK = (
    " FROM leases WHERE claimable_at <= :upto AND (claimable_at <= :sure"
    " OR (next_due <= :due_by AND (lease_until IS NULL OR lease_until <= :now)))"
    " ORDER BY claimable_at, id LIMIT :limit"
)
# Built from constants only (every value is a parameter): S608 does not apply.
LEASE = (
    "UPDATE leases SET lease_owner = :owner, lease_until = :until,"  # noqa: S608
    " claimable_at = max(next_due, :until) WHERE id IN"
    f" (SELECT id{_PICK}) RETURNING id, version, next_due"
)
# ``due``: the rows LEASE would pick, read in a plain (deferred) read transaction.
DUE = f"SELECT id, next_due, lease_until{_PICK}"
# Every write of next_due or version writes the lease row too; claimable_at follows.
_SYNC_LEASE = (
    "UPDATE leases SET version = :version, next_due = :due, claimable_at = CASE"
    " WHEN :due IS NULL THEN NULL WHEN lease_until > :due THEN lease_until ELSE :due END"
    " WHERE id = :id"
)
# A lease row that cannot be read (next_due or version): unleased, and out of the
# claimable range until a commit of the connection writes the row again.
_QUARANTINE = (
    "UPDATE leases SET lease_owner = NULL, lease_until = NULL, claimable_at = NULL WHERE id = ?"
)
# A connection with its lease (one lease row per connection; see migration 3).
_GET = (
    "SELECT c.*, l.lease_owner, l.lease_until FROM connections c"
    " LEFT JOIN leases l ON l.id = c.id WHERE c.id = ?"
)


class SqliteStore(SqliteExtras):
    """A store in one SQLite file, safe for many threads and processes.

    Args:
        path: the database file (created if missing).
        keyring: the keys that encrypt secrets at rest.
        plaintext: store secrets in clear instead (development only; logs a warning).
        clock: the time source for ``recorded_at`` and lease expiry (default: UTC now).
        auto_migrate: bring the schema up to date on ``open``; if false, ``open`` fails
            unless ``lifecycle store migrate`` was run.
        policy: the service's policy; a record's next due time (what ``due`` and
            ``lease_due`` index) depends on its durations.
        timeout: seconds a writer waits for the write lock before giving up.

    Raises:
        MissingKeyError: no keyring and not ``plaintext``.
    """

    def get(self, connection_id: str) -> StoredConnection:
        """See ``Store.get``."""
        with self._read() as connection:
            row = connection.execute(_GET, (connection_id,)).fetchone()
        if row is None:
            raise ConnectionNotFound(connection_id)
        return self._stored(row, _time)

    def _insert(
        self,
        connection: sqlite3.Connection,
        connection_id: str,
        rows: Rows,
        version: int,
        extras: Extras | None = None,
    ) -> None:
        record = rows.record
        assert record is not None  # a new connection always has its record
        try:
            connection.execute(
                "INSERT INTO connections (id, record, status, next_due, version, key_id,"
                " updated_at, agenda, agenda_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    connection_id,
                    record.record,
                    record.status,
                    None if record.next_due is None else iso_utc(record.next_due),
                    version,
                    record.key_id,
                    iso_utc(self._clock()),
                    record.agenda,
                    version,
                ),
            )
        except sqlite3.IntegrityError:
            raise DuplicateConnection(connection_id) from None
        due = None if record.next_due is None else iso_utc(record.next_due)
        connection.execute(
            "INSERT INTO leases (id, version, next_due, claimable_at) VALUES (?, ?, ?, ?)",
            (connection_id, version, due, due),
        )
        self._append(connection, connection_id, rows)
        if extras is not None:
            self._write_extras(connection, connection_id, extras)

    def _append(self, connection: sqlite3.Connection, connection_id: str, rows: Rows) -> None:
        connection.executemany(
            "INSERT INTO history (connection_id, seq, at, input_type, input, accepted, reason,"
            " effects, status_after, key_id, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    connection_id,
                    h.seq,
                    iso_utc(h.at),
                    h.input_type,
                    h.input,
                    int(h.accepted),
                    h.reason,
                    h.effects,
                    h.status_after,
                    h.key_id,
                    iso_utc(h.recorded_at),
                )
                for h in rows.history
            ],
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
        rows = self._created(connection_id, record, started)
        extras = self._extras(connection_id, events, None, link_state)
        with self._write() as connection:
            self._insert(connection, connection_id, rows, 1, extras)
        return StoredConnection(connection_id, record, 1)

    def restore(self, item: StoredConnection, history: Sequence[HistoryEntry]) -> None:
        """See ``Store.restore``."""
        rows = self._restored(item, history)
        with self._write() as connection:
            self._insert(connection, item.connection_id, rows, item.version)

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
        rows = self._committed(connection_id, expected_version, input, decision)
        extras = self._extras(connection_id, events, close_answer, link_state)
        version = expected_version + 1
        with self._write() as connection:
            row = connection.execute(_GET, (connection_id,)).fetchone()
            if row is None:
                raise ConnectionNotFound(connection_id)
            if row["version"] != expected_version:
                raise ConflictError(connection_id, expected_version, row["version"])
            now = iso_utc(self._clock())
            record = rows.record
            if record is not None:  # accepted: the record changes; refused: it stays
                due = None if record.next_due is None else iso_utc(record.next_due)
                connection.execute(
                    "UPDATE connections SET record = ?, status = ?, next_due = ?, key_id = ?,"
                    " agenda = ?, agenda_version = ?, version = ?, updated_at = ? WHERE id = ?",
                    (
                        record.record,
                        record.status,
                        due,
                        record.key_id,
                        record.agenda,
                        version,
                        version,
                        now,
                        connection_id,
                    ),
                )
                # The lease stays (whoever commits): claimable_at is the later of the
                # new next_due and a lease still held.
                connection.execute(
                    _SYNC_LEASE, {"version": version, "due": due, "id": connection_id}
                )
            else:
                connection.execute(
                    # The record stays, so its agenda stands: it follows the version.
                    "UPDATE connections SET version = ?, updated_at = ?, agenda_version ="
                    " CASE WHEN agenda_version = version THEN ? END WHERE id = ?",
                    (version, now, version, connection_id),
                )
                connection.execute(
                    "UPDATE leases SET version = ? WHERE id = ?", (version, connection_id)
                )
            self._append(connection, connection_id, rows)
            self._write_extras(connection, connection_id, extras)
        return StoredConnection(
            connection_id, decision.record, version, row["lease_owner"], _time(row["lease_until"])
        )

    def history(self, connection_id: str) -> list[HistoryEntry]:
        """See ``Store.history``."""
        with self._read() as connection:
            # One statement, one snapshot: rows committed meanwhile are all in or all out.
            rows = connection.execute(
                "SELECT * FROM history WHERE connection_id = ? ORDER BY seq", (connection_id,)
            ).fetchall()
            if (
                not rows
                and connection.execute(
                    "SELECT 1 FROM connections WHERE id = ?", (connection_id,)
                ).fetchone()
                is None
            ):
                raise ConnectionNotFound(connection_id)
        return [self._entry(connection_id, row, _time) for row in rows]

    def _lease(
        self, owner: str, due_by: datetime, lease_until: datetime, now: datetime, limit: int
    ) -> list[Lease]:
        # BEGIN IMMEDIATE takes the file's write lock first: no other thread or process
        # can pick the same rows between our SELECT and our UPDATE.
        with self._write() as connection:
            rows = connection.execute(
                LEASE,
                {
                    "owner": owner,
                    "until": iso_utc(lease_until),
                    "upto": iso_utc(claimable_range(due_by, now)),
                    "sure": iso_utc(min(due_by, now)),
                    "due_by": iso_utc(due_by),
                    "now": iso_utc(now),
                    "limit": limit,
                },
            ).fetchall()
            leases, bad = lease_rows([tuple(row) for row in rows], owner, lease_until, _time)
            # Still in the transaction: an unreadable row is not left leased to a worker
            # that never hears of it; out of the claimable range until next committed.
            connection.executemany(_QUARANTINE, [(connection_id,) for connection_id in bad])
        return leases

    def _due(self, due_by: datetime, now: datetime, limit: int) -> list[Due]:
        with self._read() as connection:
            rows = connection.execute(
                DUE,
                {
                    "upto": iso_utc(claimable_range(due_by, now)),
                    "sure": iso_utc(min(due_by, now)),
                    "due_by": iso_utc(due_by),
                    "now": iso_utc(now),
                    "limit": limit,
                },
            ).fetchall()
        return due_rows([tuple(row) for row in rows], _time)

    def release(self, connection_id: str, owner: str) -> None:
        """See ``Store.release``."""
        with self._write() as connection:
            row = connection.execute(
                "SELECT lease_owner FROM leases WHERE id = ?", (connection_id,)
            ).fetchone()
            if row is None:
                raise ConnectionNotFound(connection_id)
            if row["lease_owner"] is not None and row["lease_owner"] != owner:
                raise LeaseError(connection_id, owner, row["lease_owner"])
            connection.execute(
                "UPDATE leases SET lease_owner = NULL, lease_until = NULL,"
                " claimable_at = next_due WHERE id = ?",
                (connection_id,),
            )

    def connection_ids(self) -> list[str]:
        """See ``Store.connection_ids``."""
        with self._read() as connection:
            return [row[0] for row in connection.execute("SELECT id FROM connections ORDER BY id")]

    def _unsealed_rows(self) -> int:
        active = self._codec.key_id
        with self._read() as connection:
            row = connection.execute(
                "SELECT (SELECT count(*) FROM connections WHERE key_id IS NULL OR key_id != ?)"
                " + (SELECT count(*) FROM history WHERE key_id IS NULL OR key_id != ?)",
                (active, active),
            ).fetchone()
        return int(row[0]) + self._unsealed_extras()

    def _reencrypt_batch(
        self, table: str, after: tuple[Any, ...], size: int
    ) -> tuple[int, list[str], tuple[Any, ...] | None]:
        if table in ("states", "answers"):
            return self._reencrypt_extras(table, after, size)
        active = self._codec.key_id
        with self._write() as connection:
            if table == "connections":
                rows = connection.execute(
                    "SELECT id, record AS data, key_id, NULL AS seq FROM connections"
                    " WHERE (key_id IS NULL OR key_id != ?) AND id > ? ORDER BY id LIMIT ?",
                    (active, after[0], size),
                ).fetchall()
            else:
                rows = connection.execute(
                    "SELECT connection_id AS id, input AS data, key_id, seq FROM history"
                    " WHERE (key_id IS NULL OR key_id != ?) AND (connection_id, seq) > (?, ?)"
                    " ORDER BY connection_id, seq LIMIT ?",
                    (active, after[0], after[1], size),
                ).fetchall()
            updates, failed = self._resealed(rows)
            if table == "connections":
                connection.executemany(
                    "UPDATE connections SET record = ?, key_id = ? WHERE id = ?",
                    [(data, active, key[0]) for key, data in updates],
                )
            else:
                connection.executemany(
                    "UPDATE history SET input = ?, key_id = ? WHERE connection_id = ? AND seq = ?",
                    [(data, active, key[0], key[1]) for key, data in updates],
                )
        last = (rows[-1]["id"], rows[-1]["seq"]) if len(rows) == size else None
        return len(updates), failed, last
