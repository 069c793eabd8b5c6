"""What every store offers (``Store``), and the values it hands back.

Theory of operation: a connection is one row (its current record) plus an append-only
history of the inputs decided against it. ``version`` counts history rows: every
``commit`` appends exactly one history row and bumps the version by one, whether the
core accepted the input or refused it, so that ``version == len(history)`` always and
the version is the compare-and-set token for the next commit. Leases are separate from
versions: they share out *work* (which worker acts on which due connection); safety
against two writers comes from the version check alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

from attrs import frozen

import lifecycle as core

if TYPE_CHECKING:
    from ._errors import CorruptRecordError
    from ._outbox import OutboxEvent

__all__ = ["Due", "HistoryEntry", "Lease", "Managed", "Store", "StoredConnection", "check_history"]


@frozen
class StoredConnection:
    """A connection as stored.

    Attributes:
        connection_id: the caller's id for it.
        record: the core's record.
        version: the number of history rows; pass it back to ``commit``.
        lease_owner: who holds the lease, if anyone ever did and nobody released it.
        lease_until: when that lease ends by itself (UTC).
    """

    connection_id: str
    record: core.Connection
    version: int
    lease_owner: str | None = None
    lease_until: datetime | None = None


@frozen
class HistoryEntry:
    """One input decided against a connection, as recorded.

    Attributes:
        seq: 1 for ``connection_started``, then 2, 3, ... (equals the version after it).
        at: the input's time.
        input_type: the input's ``TYPE``.
        input: the input itself (secrets included, decrypted).
        accepted: whether the core applied it.
        reason: why it was refused; ``None`` when accepted.
        effects: what the core asked the shell to do.
        status_after: the record's status after the decision.
        recorded_at: when the store wrote the row (the store's clock, UTC).
    """

    seq: int
    at: datetime
    input_type: str
    input: core.Input
    accepted: bool
    reason: core.Reason | None
    effects: tuple[core.Effect, ...]
    status_after: core.Status
    recorded_at: datetime


@frozen
class Lease:
    """A due connection leased to a worker: a handle, not the record.

    ``lease_due`` reads no record (decrypting and decoding 1,000 records costs far more
    than leasing them); the worker reads each one with ``store.get(connection_id)`` when
    it comes to it, and a row that cannot be read fails that ``get`` alone, with a
    ``CorruptRecordError`` naming it.

    Attributes:
        connection_id: the connection leased.
        version: its version when leased (``get`` returns the current one).
        due: its ``next_due`` when leased: the earliest time on its agenda (UTC).
        lease_until: when the lease ends by itself (UTC).
        owner: who holds it (the ``owner`` given to ``lease_due``).
    """

    connection_id: str
    version: int
    due: datetime
    lease_until: datetime
    owner: str


@frozen
class Due:
    """A due connection, as ``Store.due`` reports it: read only, nothing is leased.

    Attributes:
        connection_id: the connection.
        due: its ``next_due``: the earliest time on its agenda (UTC).
        leased_until: the end of the lease it was last given, if nobody released it (a
            lease that ran out: ``due`` lists no row whose lease still runs); ``None``
            when nobody held it.
    """

    connection_id: str
    due: datetime
    leased_until: datetime | None


@runtime_checkable
class Store(Protocol):
    """A durable home for connection records, their history and their leases."""

    def open(self) -> Self:
        """Connect and bring the schema up to date; idempotent. Returns the store.

        Raises:
            SchemaError: the database was written by a newer version of this library.
            StoreUnavailableError: the database cannot be reached.
        """
        ...

    def create(
        self,
        connection_id: str,
        record: core.Connection,
        started: core.ConnectionStarted,
        *,
        events: Sequence[OutboxEvent] = (),
        link_state: core.Secret | None = None,
    ) -> StoredConnection:
        """Store a new connection at version 1, with ``started`` as history row 1.

        Args:
            connection_id: the new connection's id (1-200 characters).
            record: its first record.
            started: the input that began it.
            events: outbox events to write in the same transaction (see ``commit``).
            link_state: the state of the link it starts with, indexed for
                ``find_by_state`` (see ``commit``).

        Raises:
            DuplicateConnection: the id is taken; nothing written.
            ValueError: the id is empty or longer than 200 characters, or a bad event.
        """
        ...

    def get(self, connection_id: str) -> StoredConnection:
        """Read a connection.

        Raises:
            ConnectionNotFound: no such connection.
            CorruptRecordError: its row cannot be read (``DecryptionError`` for secrets).
        """
        ...

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
        """Record a decision atomically: compare-and-set on the version, then write.

        The version always bumps and a history row is always appended; the record is
        replaced only when the decision was accepted (a refusal leaves it as it was).
        Everything below is written in the same transaction, or nothing is.

        Args:
            connection_id: the connection.
            expected_version: the version read; the commit is refused otherwise.
            input: the input decided.
            decision: the core's decision on it.
            events: outbox events (``OutboxEvent`` of this connection, ``position`` 0,
                ``recorded_at`` None, ids unique in the store); the store numbers them.
            close_answer: the request number whose journal answer this commit applies:
                that answer is deleted with the commit (R15), so it is either still in
                the journal or in the record.
            link_state: the state of the link just issued (R14): the connection's state
                key becomes its keyed hash; without it the key is kept.

        Raises:
            ConflictError: the stored version is not ``expected_version``; nothing written.
            ConnectionNotFound: no such connection.
            ValueError: a bad event or request number; nothing written.
            StoreError: an event id already in the outbox; nothing written.
        """
        ...

    def history(self, connection_id: str) -> list[HistoryEntry]:
        """Every history row of a connection, in order.

        Raises:
            ConnectionNotFound: no such connection.
            CorruptRecordError: a history row cannot be read (names its ``seq``).
        """
        ...

    def lease_due(
        self,
        owner: str,
        due_by: datetime,
        lease_until: datetime,
        limit: int,
        *,
        now: datetime | None = None,
    ) -> tuple[Lease, ...]:
        """Lease up to ``limit`` connections due by ``due_by`` to ``owner`` until
        ``lease_until``, earliest claimable first: a row nobody holds is claimable from
        its ``next_due``, a leased one from the end of its lease (or its ``next_due``, if
        later). Rows whose lease is still running at ``now`` (default: the store's
        clock) are skipped; an expired lease is taken over. The leases come back earliest
        due first. Records are not read: ``get`` each one when working on it (a corrupt
        row is leased like any other and fails only its own ``get``). Leasing is
        quickest with ``due_by == now`` (what is due now): see ``claimable_range``.

        Raises:
            ValueError: ``limit`` < 1, an empty owner, or a naive time.
        """
        ...

    def due(self, due_by: datetime, limit: int, *, now: datetime | None = None) -> tuple[Due, ...]:
        """The next ``limit`` connections due by ``due_by``, read only: exactly the rows
        ``lease_due(owner, due_by, ..., limit, now=now)`` would lease, without leasing
        them (for dashboards, capacity planning, sizing the pool of workers; a worker
        claims work with ``lease_due``). Picked earliest claimable first through the
        lease table's index, returned earliest due first. Rows whose lease still runs
        at ``now`` (default: the store's clock) are left out; a row whose lease ran
        out is listed with that lease's end. Nothing is decrypted, locked or written.

        Raises:
            ValueError: ``limit`` < 1, or a naive time.
        """
        ...

    def release(self, connection_id: str, owner: str) -> None:
        """End ``owner``'s lease on a connection (a no-op if nobody holds one).

        Raises:
            LeaseError: someone else holds the lease.
            ConnectionNotFound: no such connection.
        """
        ...

    def connection_ids(self) -> list[str]:
        """Every connection id, sorted."""
        ...

    def get_many(
        self, connection_ids: Sequence[str]
    ) -> dict[str, StoredConnection | CorruptRecordError]:
        """Read many connections in one round trip (one statement), for a worker's batch.

        Returns:
            Each id found -> its ``StoredConnection``, or the ``CorruptRecordError`` its
            row raises (a bad row never fails the batch); unknown ids are absent.

        Raises:
            TypeError: not a sequence of ids (a lone string is refused).
        """
        ...

    def due_actions(
        self, connection_ids: Sequence[str], now: datetime
    ) -> dict[str, tuple[core.Action, ...] | CorruptRecordError]:
        """What a worker does at ``now`` for each connection, in one round trip, without
        reading a record: from the standing agenda the store writes beside each record
        (``lifecycle.standing_agenda``), in the order to do it (``lifecycle.worker_order``).

        Returns:
            Each id found -> its due actions (empty: nothing due), or the
            ``CorruptRecordError`` its row raises; unknown ids are absent.

        Raises:
            TypeError: not a sequence of ids (a lone string is refused).
            ValueError: a naive ``now``.
        """
        ...

    def events(
        self,
        *,
        after: int = 0,
        limit: int = 100,
        connection_id: str | None = None,
        include_acked: bool = False,
    ) -> tuple[OutboxEvent, ...]:
        """Outbox events with ``position > after``, in position order (commit order:
        hence in order per connection), up to ``limit``.

        Args:
            after: the last position the reader has seen (0: from the start).
            limit: at most this many.
            connection_id: only this connection's events.
            include_acked: include events already acknowledged.

        Raises:
            ValueError: ``after`` < 0, ``limit`` < 1, or a bad connection id.
            CorruptRecordError: an event row cannot be read.
        """
        ...

    def ack(self, event_ids: Iterable[str]) -> int:
        """Acknowledge events: ``events`` no longer lists them (unless
        ``include_acked``). Unknown and already acknowledged ids are ignored.

        Returns:
            How many events were newly acknowledged.

        Raises:
            TypeError: not an iterable of ids (a lone string is refused).
        """
        ...

    def record_answer(self, connection_id: str, request: int, answer: Mapping[str, Any]) -> None:
        """Journal the raw answer of request ``request`` the moment it arrives (R15):
        sealed whole (it holds tokens), durably, in its own transaction, whatever the
        record's version. Writing the same (connection, request) again replaces it.

        Raises:
            ConnectionNotFound: no such connection.
            TypeError: the answer is not a mapping of JSON values.
            ValueError: ``request`` is not a whole number >= 1.
        """
        ...

    def answer(self, connection_id: str, request: int) -> Mapping[str, Any] | None:
        """The journalled answer of a request, decrypted, or ``None``.

        Raises:
            CorruptRecordError: it cannot be read (``DecryptionError`` when it does not
                decrypt); names the connection.
            ValueError: ``request`` is not a whole number >= 1.
        """
        ...

    def open_answers(self, limit: int = 100) -> tuple[tuple[str, int], ...]:
        """(connection id, request) of every journalled answer no commit has closed,
        oldest (last written) first: what to resolve on start.

        Raises:
            ValueError: ``limit`` < 1.
        """
        ...

    def find_by_state(self, state: core.Secret) -> str | None:
        """The connection whose state key is the keyed hash of ``state`` (R14), through
        an index; tries the digest under every key of the keyring, so it survives a key
        rotation. ``None`` when none matches (or, refusing to guess, more than one).

        Raises:
            TypeError: ``state`` is not a ``lifecycle.Secret``.
        """
        ...

    def restore(self, item: StoredConnection, history: Sequence[HistoryEntry]) -> None:
        """Write a connection and its history verbatim (copying between stores).

        Raises:
            DuplicateConnection: the id is taken.
            ValueError: the history does not run 1..version.
        """
        ...

    def reencrypt(self) -> int:
        """Rewrite every row not encrypted with the active key; returns rows rewritten."""
        ...

    def close(self) -> None:
        """Release connections and threads; idempotent."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class Managed:
    """``with store:`` opens the store and closes it on the way out (every store)."""

    def open(self) -> Self:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def check_history(item: StoredConnection, history: Sequence[HistoryEntry]) -> None:
    """Raise ValueError unless ``history`` runs 1..``item.version`` (for ``restore``)."""
    if [entry.seq for entry in history] != list(range(1, item.version + 1)):
        raise ValueError(f"connection {item.connection_id!r}: history must run 1..{item.version}")
