"""What the durable stores share: opening, argument checks, row decoding, reencrypt.

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
from types import TracebackType
from typing import Any, Self

from attrs import frozen

import lifecycle as core

from ._codec import Codec, HistoryRow, RecordRow, check_id, utc
from ._crypto import Keyring
from ._errors import CorruptRecordError, ReencryptError, SchemaError, StoreError
from ._migrations import LATEST
from ._protocol import HistoryEntry, LeaseBatch, StoredConnection, check_history

__all__ = ["BaseStore", "Rows"]

log = logging.getLogger("adapters.stores")
TimeReader = Callable[[Any], datetime | None]
_BATCH = 500  # rows per reencrypt transaction: short write locks, bounded memory


def _utcnow() -> datetime:
    return datetime.now(UTC)


@frozen
class Rows:
    """What one write puts in the tables: a record row (unless refused) and history."""

    record: RecordRow | None
    history: tuple[HistoryRow, ...]


class BaseStore(ABC):
    """The shared half of ``SqliteStore`` and ``PostgresStore``."""

    def __init__(
        self,
        keyring: Keyring | None,
        plaintext: bool,
        clock: Callable[[], datetime] | None,
        auto_migrate: bool,
        name: str,
    ) -> None:
        self._codec = Codec.for_store(keyring, plaintext, name)
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

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

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
            int(row["version"]),
            row["lease_owner"],
            time(row["lease_until"]),
        )

    def _entry(self, connection_id: str, row: Any, time: TimeReader) -> HistoryEntry:
        recorded_at = time(row["recorded_at"])
        assert recorded_at is not None  # NOT NULL in the schema
        return self._codec.decode_entry(
            connection_id,
            int(row["seq"]),
            row["input"],
            row["accepted"],
            row["reason"],
            row["effects"],
            row["status_after"],
            row["key_id"],
            recorded_at,
        )

    def _lease_args(
        self,
        owner: str,
        due_by: datetime,
        lease_until: datetime,
        limit: int,
        now: datetime | None,
    ) -> tuple[datetime, datetime, datetime]:
        if not isinstance(owner, str) or not owner:
            raise ValueError("lease_due needs an owner (a non-empty string)")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError("lease_due needs a limit of at least 1")
        moment = utc(self._clock() if now is None else now, "now")
        return utc(due_by, "due_by"), utc(lease_until, "lease_until"), moment

    def _batch(self, rows: Sequence[Any], time: TimeReader) -> LeaseBatch:
        # A corrupt row must not cost the healthy ones their turn (see LeaseBatch).
        leased: list[StoredConnection] = []
        corrupt: list[CorruptRecordError] = []
        for row in rows:
            try:
                leased.append(self._stored(row, time))
            except CorruptRecordError as error:
                log.warning("lease_due: %s", error)
                corrupt.append(error)
        return LeaseBatch(tuple(leased), tuple(corrupt))

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

    def reencrypt(self) -> int:
        """Rewrite every row not sealed with the active key (records and history).

        Works in batches of 500 rows, each its own transaction, so writers are never
        held up for long; safe to run while the service runs, and to run again.

        Returns:
            How many rows (connections plus history rows) were rewritten.

        Raises:
            ReencryptError: some rows cannot be read; every other row was moved.
        """
        if self._codec.keyring is None:
            return 0
        total, failed = 0, []
        for table, start in (("connections", ("",)), ("history", ("", 0))):
            after: tuple[Any, ...] | None = start
            while after is not None:
                count, bad, after = self._reencrypt_batch(table, after, _BATCH)
                total += count
                failed += bad
        if failed:
            raise ReencryptError(total, tuple(sorted(set(failed))))
        return total
