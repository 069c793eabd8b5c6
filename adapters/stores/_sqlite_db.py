"""SQLite plumbing: one connection per thread, transactions, migrations, close.

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
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import lifecycle as core

from ._codec import iso_utc, parse_utc
from ._crypto import Keyring
from ._errors import StoreError, StoreUnavailableError
from ._extras import ExtrasStore
from ._migrations import pending

__all__ = ["SqliteDatabase", "sqlite_time"]

_MIGRATIONS_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"""


class _Handle:
    # Holds one thread's connection; when the thread ends its thread-local dies, and
    # with it this handle, which closes the connection instead of leaking it.
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __del__(self) -> None:
        self.connection.close()


def sqlite_time(value: object) -> datetime | None:
    """A time column (fixed-width UTC text) as an aware datetime."""
    return None if value is None else parse_utc(str(value))


class SqliteDatabase(ExtrasStore):
    """The connection half of ``SqliteStore`` (see there for the arguments)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        keyring: Keyring | None = None,
        plaintext: bool = False,
        clock: Callable[[], datetime] | None = None,
        auto_migrate: bool = True,
        policy: core.Policy = core.DEFAULT_POLICY,
        timeout: float = 30.0,
    ) -> None:
        super().__init__(keyring, plaintext, clock, auto_migrate, "SqliteStore", policy)
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
            self._use_wal(connection)
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

    def _use_wal(self, connection: sqlite3.Connection) -> None:
        # WAL lets readers run beside the one writer. It is a property of the file, so
        # only the first connection ever changes it; that change needs a moment alone
        # with the file and, unlike other statements, does not wait for one (SQLite
        # answers "database is locked" at once), so wait here, up to ``timeout``.
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
                if mode != "wal":
                    connection.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.01)

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
        except sqlite3.Error as error:
            # Any other refusal by SQLite (a constraint, a value it cannot bind): its
            # message may quote a value, so only its kind is told.
            raise StoreError(
                f"SQLite {self.path!r} refused the operation: {type(error).__name__}"
            ) from None
        except UnicodeEncodeError:
            raise StoreError(
                f"SQLite {self.path!r} cannot store a value: it holds a lone surrogate"
            ) from None

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

    def reencrypt(self, progress: Callable[[int, int], None] | None = None) -> int:
        """See ``BaseStore.reencrypt``; then checkpoints the WAL so that the old page
        images (which may hold values sealed with the old key, or in clear) are gone.

        Raises:
            ReencryptError: some rows cannot be read; every other row was moved.
        """
        try:
            return super().reencrypt(progress)
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
