"""``SqliteStore``: the embedded default. One file, WAL, durable commits, many processes.

Each thread gets its own connection (sqlite3 connections are not for sharing). Every
write is one ``BEGIN IMMEDIATE`` transaction, which takes SQLite's single write lock up
front: compare-and-set, leasing and migrations are therefore serialised across threads
*and* processes, and a waiting writer retries for ``timeout`` seconds rather than fail.
``synchronous=FULL`` makes a returned commit survive a power cut, not just a crash.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Self

import lifecycle as core

from ._base import BaseStore, Rows
from ._codec import iso_utc, parse_utc
from ._crypto import Keyring
from ._errors import (
    ConflictError,
    ConnectionNotFound,
    DuplicateConnection,
    LeaseError,
    StoreError,
    StoreUnavailableError,
)
from ._migrations import pending
from ._protocol import HistoryEntry, LeaseBatch, StoredConnection

__all__ = ["SqliteStore"]

_MIGRATIONS_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"""


class _Handle:
    # Holds one thread's connection; when the thread ends its thread-local dies, and
    # with it this handle, which closes the connection instead of leaking it.
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __del__(self) -> None:
        self.connection.close()


def _time(value: object) -> datetime | None:
    return None if value is None else parse_utc(str(value))


class SqliteStore(BaseStore):
    """A store in one SQLite file, safe for many threads and processes.

    Args:
        path: the database file (created if missing).
        keyring: the keys that encrypt secrets at rest.
        plaintext: store secrets in clear instead (development only; logs a warning).
        clock: the time source for ``recorded_at`` and lease expiry (default: UTC now).
        auto_migrate: bring the schema up to date on ``open``; if false, ``open`` fails
            unless ``lifecycle store migrate`` was run.
        timeout: seconds a writer waits for the write lock before giving up.

    Raises:
        MissingKeyError: no keyring and not ``plaintext``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        keyring: Keyring | None = None,
        plaintext: bool = False,
        clock: Callable[[], datetime] | None = None,
        auto_migrate: bool = True,
        timeout: float = 30.0,
    ) -> None:
        super().__init__(keyring, plaintext, clock, auto_migrate, "SqliteStore")
        self.path = os.fspath(path)
        self._timeout = timeout
        self._local = threading.local()
        self._handles: weakref.WeakSet[_Handle] = weakref.WeakSet()

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r}, key_id={self._codec.key_id!r})"

    # -- connections and transactions ------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        handle: _Handle | None = getattr(self._local, "handle", None)
        if handle is not None:
            return handle.connection
        if self._closed:
            raise StoreError("the store is closed")
        try:
            connection = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            connection.row_factory = sqlite3.Row
            # WAL lets readers run beside the one writer; it is a property of the file,
            # so only the first connection ever changes it.
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
            # Zero what an UPDATE frees: after reencrypt, no page keeps an old value.
            connection.execute("PRAGMA secure_delete=ON")
        except sqlite3.Error as error:
            raise StoreUnavailableError(f"cannot open SQLite file {self.path!r}: {error}") from None
        handle = _Handle(connection)
        self._local.handle = handle
        with self._lock:
            self._handles.add(handle)
        return connection

    @contextmanager
    def _transaction(self, mode: str | None = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        try:
            if mode is None:  # one statement: its own snapshot, no transaction needed
                yield connection
                return
            connection.execute(f"BEGIN {mode}")
            try:
                yield connection
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        except sqlite3.OperationalError as error:
            # "database is locked" after ``timeout``, a full disk, an unreadable file.
            raise StoreUnavailableError(f"SQLite {self.path!r}: {error}") from None

    def _write(self) -> Any:
        self._ready()
        return self._transaction("IMMEDIATE")

    def _read(self) -> Any:
        self._ready()
        return self._transaction(None)

    def schema_version(self) -> int:
        """The highest migration applied to the file (0 for a new file)."""
        with self._transaction() as connection:
            connection.execute(_MIGRATIONS_TABLE)
            row = connection.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def migrate(self, target: int | None = None) -> list[int]:
        """Apply the missing migrations up to ``target`` (default: the latest).

        Returns:
            The versions applied now (empty when the file was up to date).

        Raises:
            SchemaError: the file is newer than this library.
            StoreUnavailableError: the file cannot be opened or stays locked.
        """
        with self._transaction() as connection:
            connection.execute(_MIGRATIONS_TABLE)
            applied = connection.execute("SELECT version FROM schema_migrations").fetchall()
            steps = pending([row[0] for row in applied], target)
            for step in steps:
                for statement in step.sqlite:
                    connection.execute(statement)
                connection.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    (step.version, step.name, iso_utc(self._clock())),
                )
        return [step.version for step in steps]

    # -- the store ----------------------------------------------------------------------

    def get(self, connection_id: str) -> StoredConnection:
        """See ``Store.get``."""
        with self._read() as connection:
            row = connection.execute(
                "SELECT * FROM connections WHERE id = ?", (connection_id,)
            ).fetchone()
        if row is None:
            raise ConnectionNotFound(connection_id)
        return self._stored(row, _time)

    def _insert(
        self, connection: sqlite3.Connection, connection_id: str, rows: Rows, version: int
    ) -> None:
        record = rows.record
        assert record is not None  # a new connection always has its record
        try:
            connection.execute(
                "INSERT INTO connections (id, record, status, next_due, version, key_id,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    connection_id,
                    record.record,
                    record.status,
                    None if record.next_due is None else iso_utc(record.next_due),
                    version,
                    record.key_id,
                    iso_utc(self._clock()),
                ),
            )
        except sqlite3.IntegrityError:
            raise DuplicateConnection(connection_id) from None
        self._append(connection, connection_id, rows)

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
        self, connection_id: str, record: core.Connection, started: core.ConnectionStarted
    ) -> StoredConnection:
        """See ``Store.create``."""
        rows = self._created(connection_id, record, started)
        with self._write() as connection:
            self._insert(connection, connection_id, rows, 1)
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
    ) -> StoredConnection:
        """See ``Store.commit``."""
        rows = self._committed(connection_id, expected_version, input, decision)
        version = expected_version + 1
        with self._write() as connection:
            row = connection.execute(
                "SELECT version, lease_owner, lease_until FROM connections WHERE id = ?",
                (connection_id,),
            ).fetchone()
            if row is None:
                raise ConnectionNotFound(connection_id)
            if row["version"] != expected_version:
                raise ConflictError(connection_id, expected_version, row["version"])
            now = iso_utc(self._clock())
            record = rows.record
            if record is not None:  # accepted: the record changes; refused: it stays
                connection.execute(
                    "UPDATE connections SET record = ?, status = ?, next_due = ?, key_id = ?,"
                    " version = ?, updated_at = ? WHERE id = ?",
                    (
                        record.record,
                        record.status,
                        None if record.next_due is None else iso_utc(record.next_due),
                        record.key_id,
                        version,
                        now,
                        connection_id,
                    ),
                )
            else:
                connection.execute(
                    "UPDATE connections SET version = ?, updated_at = ? WHERE id = ?",
                    (version, now, connection_id),
                )
            self._append(connection, connection_id, rows)
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

    def lease_due(
        self,
        owner: str,
        due_by: datetime,
        lease_until: datetime,
        limit: int,
        *,
        now: datetime | None = None,
    ) -> LeaseBatch:
        """See ``Store.lease_due``: one ``BEGIN IMMEDIATE`` picks and leases the rows."""
        due_by, lease_until, now = self._lease_args(owner, due_by, lease_until, limit, now)
        until = iso_utc(lease_until)
        with self._write() as connection:
            rows = connection.execute(
                "SELECT * FROM connections WHERE next_due <= ?"
                " AND (lease_until IS NULL OR lease_until <= ?)"
                " ORDER BY next_due, id LIMIT ?",
                (iso_utc(due_by), iso_utc(now), limit),
            ).fetchall()
            connection.executemany(
                "UPDATE connections SET lease_owner = ?, lease_until = ? WHERE id = ?",
                [(owner, until, row["id"]) for row in rows],
            )
        # Decode after COMMIT: the write lock is held for the picking, not the decrypting.
        return self._batch(
            [{**dict(row), "lease_owner": owner, "lease_until": lease_until} for row in rows], _time
        )

    def release(self, connection_id: str, owner: str) -> None:
        """See ``Store.release``."""
        with self._write() as connection:
            row = connection.execute(
                "SELECT lease_owner FROM connections WHERE id = ?", (connection_id,)
            ).fetchone()
            if row is None:
                raise ConnectionNotFound(connection_id)
            if row["lease_owner"] is not None and row["lease_owner"] != owner:
                raise LeaseError(connection_id, owner, row["lease_owner"])
            connection.execute(
                "UPDATE connections SET lease_owner = NULL, lease_until = NULL WHERE id = ?",
                (connection_id,),
            )

    def connection_ids(self) -> list[str]:
        """See ``Store.connection_ids``."""
        with self._read() as connection:
            return [row[0] for row in connection.execute("SELECT id FROM connections ORDER BY id")]

    def _reencrypt_batch(
        self, table: str, after: tuple[Any, ...], size: int
    ) -> tuple[int, list[str], tuple[Any, ...] | None]:
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

    def reencrypt(self) -> int:
        """See ``BaseStore.reencrypt``; then checkpoints the WAL so that the old page
        images (which may hold values sealed with the old key, or in clear) are gone.

        Raises:
            ReencryptError: some rows cannot be read; every other row was moved.
        """
        try:
            return super().reencrypt()
        finally:
            with contextlib.suppress(sqlite3.Error):
                self._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Close every thread's connection; idempotent."""
        with self._lock:
            self._closed = True
            handles = list(self._handles)
        for handle in handles:
            handle.connection.close()

    def __enter__(self) -> Self:
        return self.open()
