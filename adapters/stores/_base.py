"""What the durable stores share: opening, argument checks, row decoding, leasing,
reencrypt.

The SQL differs between SQLite and PostgreSQL; everything around it (what a commit
writes, how a row becomes a ``StoredConnection``, how a corrupt row is reported) lives
here once, so the two cannot drift apart.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Self

from attrs import frozen

import lifecycle as core

from ._codec import Codec, HistoryRow, RecordRow, check_due, check_id, check_lease
from ._crypto import Keyring
from ._errors import CorruptRecordError, ReencryptError, SchemaError, StoreError
from ._migrations import LATEST
from ._protocol import Due, HistoryEntry, Lease, Managed, StoredConnection, check_history

__all__ = ["BaseStore", "Rows", "claimable_range", "due_rows", "lease_rows"]

log = logging.getLogger("adapters.stores")
TimeReader = Callable[[Any], datetime | None]
_BATCH = 500  # rows per reencrypt transaction: short write locks, bounded memory


def claimable_range(due_by: datetime, now: datetime) -> datetime:
    """The end of the index range ``lease_due`` reads: ``claimable_at <= this``.

    A row may be leased when ``next_due <= due_by`` and its lease (if any) ended by
    ``now``. Its ``claimable_at`` is ``next_due``, or the later of ``next_due`` and
    ``lease_until`` while leased, so every leasable row has ``claimable_at <=
    max(due_by, now)``, and every row with ``claimable_at <= min(due_by, now)`` is
    leasable: the statements check a row against ``due_by`` and ``now`` only past
    that (which also tells the planner that most rows in the range qualify, so that it
    walks the index in order). A worker leasing what is due now (``due_by == now``)
    reads only rows it leases; when the two times differ, the rows claimable between
    them are read and checked (a row leased until then, or due after ``due_by``, is
    left).
    """
    return max(due_by, now)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _whole(value: object) -> int | None:
    """A column that must hold a whole number, or None when it does not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.strip().lstrip("-").isdigit():
        return int(value) if len(value) < 20 else None
    return None


def _version(connection_id: str, value: object) -> int:
    version = _whole(value)
    if version is None or version < 1:
        raise CorruptRecordError(connection_id, "the version column is not a number >= 1")
    return version


def _time(
    connection_id: str, time: TimeReader, value: object, name: str, seq: int | None = None
) -> datetime | None:
    # A time column written by hand (or by another program) may hold any text.
    try:
        return time(value)
    except (ValueError, TypeError, OverflowError):
        raise CorruptRecordError(connection_id, f"{name} is not a readable time", seq) from None


def lease_rows(
    rows: Sequence[Any], owner: str, lease_until: datetime, time: TimeReader
) -> tuple[list[Lease], list[str]]:
    """The leases of the rows a lease statement returned (id, version, next_due), and
    the ids whose lease row cannot be read (their lease must be undone, not handed to
    a worker that receives nothing)."""
    leases, bad = [], []
    for row in rows:
        connection_id, version = row[0], _whole(row[1])
        try:
            due = time(row[2])
        except (ValueError, TypeError, OverflowError):
            due = None
        if version is None or version < 1 or due is None:
            log.error(
                "lease_due: the lease row of connection %r is unreadable (next_due or"
                " version); it is left unleased until the connection is committed again",
                connection_id,
            )
            bad.append(connection_id)
            continue
        leases.append(Lease(connection_id, version, due, lease_until, owner))
    return leases, bad


def due_rows(rows: Sequence[Any], time: TimeReader) -> list[Due]:
    """The ``Due`` of each row (id, next_due, lease_until) that can be read; the others
    are logged and left out, so that one bad row never fails the listing."""
    found = []
    for row in rows:
        try:
            due, leased_until = time(row[1]), time(row[2])
        except (ValueError, TypeError, OverflowError):
            due = None
        if due is None:
            log.error("due: the lease row of connection %r is unreadable", row[0])
            continue
        found.append(Due(row[0], due, leased_until))
    return found


@frozen
class Rows:
    """What one write puts in the tables: a record row (unless refused) and history."""

    record: RecordRow | None
    history: tuple[HistoryRow, ...]


class BaseStore(Managed, ABC):
    """The shared half of ``SqliteStore`` and ``PostgresStore``."""

    def __init__(
        self,
        keyring: Keyring | None,
        plaintext: bool,
        clock: Callable[[], datetime] | None,
        auto_migrate: bool,
        name: str,
        policy: core.Policy,
    ) -> None:
        self._codec = Codec.for_store(keyring, plaintext, name, policy)
        self._clock = clock or _utcnow
        self._auto_migrate = auto_migrate
        self._lock = threading.RLock()
        self._opened = False
        self._closed = False

    # What each database provides: the rest of a store is written once, here.
    @abstractmethod
    def migrate(self, target: int | None = None) -> list[int]:
        """Apply the missing migrations up to ``target``; returns the versions applied."""

    @abstractmethod
    def schema_version(self) -> int:
        """The highest migration applied to the database (0 when new)."""

    @abstractmethod
    def _reencrypt_batch(
        self, table: str, after: tuple[Any, ...], size: int
    ) -> tuple[int, list[str], tuple[Any, ...] | None]:
        """Re-seal up to ``size`` rows of ``table`` after the key ``after``; returns rows
        rewritten, connections that failed, and the key to continue after (``None``:
        done)."""

    @abstractmethod
    def _unsealed_rows(self) -> int:
        """How many rows (records and history) are not sealed with the active key."""

    @abstractmethod
    def _lease(
        self, owner: str, due_by: datetime, lease_until: datetime, now: datetime, limit: int
    ) -> list[Lease]:
        """Lease up to ``limit`` rows due by ``due_by`` and free at ``now``, in one
        statement (arguments checked, in UTC); returns them in any order."""

    @abstractmethod
    def _due(self, due_by: datetime, now: datetime, limit: int) -> list[Due]:
        """The rows ``_lease`` would pick, read only, in one statement (arguments
        checked, in UTC); returns them in any order."""

    @abstractmethod
    def close(self) -> None:
        """Release the database's connections; idempotent."""

    def open(self) -> Self:
        """Connect and bring the schema up to date (see ``Store.open``); idempotent.

        Raises:
            SchemaError: the database is newer than this library, or behind it while
                ``auto_migrate`` is off.
            StoreUnavailableError: the database cannot be reached.
        """
        with self._lock:
            if self._closed:
                raise StoreError("the store is closed")
            if not self._opened:
                if self._auto_migrate:
                    self.migrate()
                elif (found := self.schema_version()) != LATEST:
                    raise SchemaError(
                        f"the database is at schema version {found}, this library needs "
                        f"{LATEST}: run `lifecycle store migrate`"
                    )
                self._opened = True
        return self

    def _ready(self) -> None:
        if not self._opened:
            self.open()

    # -- what a write puts in the tables ---------------------------------------------

    def _created(
        self, connection_id: str, record: core.Connection, started: core.ConnectionStarted
    ) -> Rows:
        check_id(connection_id)
        if not isinstance(started, core.ConnectionStarted):
            raise TypeError("create() takes the ConnectionStarted input that began it")
        entry = self._codec.encode_decision(
            connection_id, 1, started, core.Decision(record, True), self._clock()
        )
        return Rows(self._codec.encode_record(connection_id, record), (entry,))

    def _committed(
        self, connection_id: str, expected: int, input: core.Input, decision: core.Decision
    ) -> Rows:
        check_id(connection_id)
        if isinstance(expected, bool) or not isinstance(expected, int) or expected < 1:
            raise ValueError("expected_version is the version read, a whole number >= 1")
        record = self._codec.encode_record(connection_id, decision.record)
        entry = self._codec.encode_decision(
            connection_id, expected + 1, input, decision, self._clock()
        )
        return Rows(record if decision.accepted else None, (entry,))

    def _restored(self, item: StoredConnection, history: Sequence[HistoryEntry]) -> Rows:
        check_id(item.connection_id)
        check_history(item, history)
        entries = tuple(self._codec.encode_entry(item.connection_id, h) for h in history)
        return Rows(self._codec.encode_record(item.connection_id, item.record), entries)

    # -- reading rows back -----------------------------------------------------------

    def _stored(self, row: Any, time: TimeReader) -> StoredConnection:
        connection_id = row["id"]
        record = self._codec.decode_record(
            connection_id, row["record"], row["status"], row["key_id"]
        )
        return StoredConnection(
            connection_id,
            record,
            _version(connection_id, row["version"]),
            row["lease_owner"],
            _time(connection_id, time, row["lease_until"], "lease_until"),
        )

    def _entry(self, connection_id: str, row: Any, time: TimeReader) -> HistoryEntry:
        seq = _whole(row["seq"])
        if seq is None or seq < 1:
            raise CorruptRecordError(connection_id, "a history row's seq is not a number >= 1")
        recorded_at = _time(connection_id, time, row["recorded_at"], "recorded_at", seq)
        if recorded_at is None:
            raise CorruptRecordError(connection_id, "recorded_at is empty", seq)
        return self._codec.decode_entry(
            connection_id,
            seq,
            row["input"],
            row["accepted"],
            row["reason"],
            row["effects"],
            row["status_after"],
            row["key_id"],
            recorded_at,
        )

    def lease_due(
        self,
        owner: str,
        due_by: datetime,
        lease_until: datetime,
        limit: int,
        *,
        now: datetime | None = None,
    ) -> tuple[Lease, ...]:
        """See ``Store.lease_due``: one statement picks the rows through the lease
        table's ``(claimable_at, id)`` index and leases them; no record is read.

        Raises:
            ValueError: ``limit`` < 1, an empty owner, or a naive time.
        """
        due_by, lease_until, now = check_lease(
            owner, due_by, lease_until, limit, self._clock() if now is None else now
        )
        leases = self._lease(owner, due_by, lease_until, now, limit)
        # RETURNING comes in no particular order: earliest due first.
        return tuple(sorted(leases, key=lambda lease: (lease.due, lease.connection_id)))

    def due(self, due_by: datetime, limit: int, *, now: datetime | None = None) -> tuple[Due, ...]:
        """See ``Store.due``: the rows ``lease_due`` would pick, through the same
        ``(claimable_at, id)`` index of the lease table, read in one statement that
        takes no lock and writes nothing; no record is read.

        Raises:
            ValueError: ``limit`` < 1, or a naive time.
        """
        due_by, now = check_due(due_by, limit, self._clock() if now is None else now)
        rows = self._due(due_by, now, limit)
        return tuple(sorted(rows, key=lambda row: (row.due, row.connection_id)))

    # -- key rotation ----------------------------------------------------------------

    def _resealed(
        self, rows: Sequence[Any]
    ) -> tuple[list[tuple[tuple[str, int | None], str]], list[str]]:
        updates: list[tuple[tuple[str, int | None], str]] = []
        failed: list[str] = []
        for row in rows:
            seq = None if row["seq"] is None else int(row["seq"])
            try:
                data = self._codec.reseal(row["id"], row["data"], row["key_id"], seq)
            except CorruptRecordError as error:
                log.error("reencrypt: %s", error)
                failed.append(row["id"])
                continue
            if data is not None:
                updates.append(((row["id"], seq), data))
        return updates, failed

    def reencrypt(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Rewrite every row not sealed with the active key (records, history, the state
        index, the journal).

        Works in batches of 500 rows, each its own transaction, so writers are never
        held up for long; safe to run while the service runs, and to run again.

        Args:
            progress: called with (rows done, rows to do) before the first batch and
                after each one (counting them costs one more read of each table).

        Returns:
            How many rows (connections, history rows, state index entries and journal
            answers) were rewritten.

        Raises:
            ReencryptError: some rows cannot be read; every other row was moved.
        """
        if self._codec.keyring is None:
            return 0
        total, failed = 0, []
        todo = 0 if progress is None else self._unsealed_rows()
        if progress is not None:
            progress(0, todo)
        # The state index and the journal are sealed too (migration 5).
        tables = (
            ("connections", ("",)),
            ("history", ("", 0)),
            ("states", ("",)),
            ("answers", ("", 0)),
        )
        for table, start in tables:
            after: tuple[Any, ...] | None = start
            while after is not None:
                count, bad, after = self._reencrypt_batch(table, after, _BATCH)
                total += count
                failed += bad
                if progress is not None:
                    # Rows written meanwhile may add to the count: never past 100 %.
                    done = total + len(failed)
                    progress(done, max(todo, done))
        if failed:
            raise ReencryptError(total, tuple(sorted(set(failed))))
        return total
