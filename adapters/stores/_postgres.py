"""``PostgresStore``: one database shared by many machines (psycopg 3 and its pool).

Leasing uses ``FOR UPDATE SKIP LOCKED`` so that concurrent workers each take different
due rows without waiting on one another; a commit's compare-and-set is an ``UPDATE ...
WHERE version = %s`` that a concurrent winner makes match nothing. The driver, pool,
transactions and migrations live in ``_postgres_db``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import lifecycle as core

from ._base import Rows, claimable_range, due_rows, lease_rows
from ._errors import (
    ConflictError,
    ConnectionNotFound,
    CorruptRecordError,
    DuplicateConnection,
    LeaseError,
)
from ._journal import Extras
from ._outbox import OutboxEvent
from ._postgres_db import driver
from ._postgres_db import postgres_time as _time
from ._postgres_extras import PostgresExtras
from ._protocol import Due, HistoryEntry, Lease, StoredConnection

if TYPE_CHECKING:
    import psycopg

__all__ = ["DUE", "LEASE", "PostgresStore"]

# JSON columns are read as text, and parsed by the codec as SQLite's are: a jsonb
# string scalar must read as "not an object", never be parsed a second time.
_GET = (
    "SELECT c.id, c.record::text AS record, c.status, c.version, c.key_id, l.lease_owner,"
    " l.lease_until, c.next_due"
    " FROM connections c LEFT JOIN leases l ON l.id = c.id WHERE c.id = %s"
)
# Pick the earliest claimable rows through the (claimable_at, id) index of the narrow
# lease table, skipping rows another transaction is leasing right now, then lease
# them, in one statement: no join, no wide row read or locked. A leased row's
# claimable_at is its lease_until (later than now), so it is out of the range until its
# lease ends; the two filters only matter between due_by and now when they differ (see
# ``claimable_range``). A row leased and committed by another worker after our
# snapshot is re-checked when locked (READ COMMITTED): its new lease_until no longer
# matches, so it is left out. Leasing moves claimable_at to the end of the lease.
_PICK = (
    " FROM leases WHERE claimable_at <= %(upto)s AND (claimable_at <= %(sure)s"
    " OR (next_due <= %(due_by)s AND (lease_until IS NULL OR lease_until <= %(now)s)))"
    " ORDER BY claimable_at, id LIMIT %(limit)s"
)
# next_due as Python can read it, else NULL: a timestamptz may hold -infinity or a year
# past 9999, which psycopg refuses to load (after the lease was written).
_READABLE_DUE = (
    "CASE WHEN isfinite(l.next_due) AND l.next_due > '0002-01-01'"
    " AND l.next_due < '9998-01-01' THEN l.next_due END AS next_due"
)
# Built from constants only (every value is a parameter): S608 does not apply.
LEASE = (
    f"WITH picked AS (SELECT id{_PICK} FOR UPDATE SKIP LOCKED)"  # noqa: S608
    " UPDATE leases l SET lease_owner = %(owner)s, lease_until = %(until)s,"
    " claimable_at = GREATEST(l.next_due, %(until)s)"
    f" FROM picked WHERE l.id = picked.id RETURNING l.id, l.version, {_READABLE_DUE}"
)
# ``due``: the rows LEASE would pick, read only (no lock: a row being leased meanwhile is
# listed as it was in our snapshot).
DUE = (
    "SELECT id, " + _READABLE_DUE.replace("l.", "") + ","
    " lease_until IS NULL OR (isfinite(lease_until) AND lease_until > '0002-01-01'"
    " AND lease_until < '9998-01-01') AS lease_ok,"
    " CASE WHEN isfinite(lease_until) AND lease_until > '0002-01-01'"
    f" AND lease_until < '9998-01-01' THEN lease_until END AS lease_until{_PICK}"
)
# A lease row that cannot be read: unleased, and out of the claimable range until a
# commit of the connection writes the row again.
_QUARANTINE = (
    "UPDATE leases SET lease_owner = NULL, lease_until = NULL, claimable_at = NULL"
    " WHERE id = ANY(%s)"
)
# A commit is one statement: the compare-and-set UPDATE, and the history row appended
# only if the UPDATE matched (a lost race appends nothing); the lease row follows the
# version and next_due (the lease itself stays, whoever commits: claimable_at is the
# later of the new next_due and a lease still held).
_COMMIT_ACCEPTED = (
    "WITH updated AS (UPDATE connections SET record = %s::jsonb, status = %s, next_due = %s,"
    " key_id = %s, agenda = %s, agenda_version = %s, version = %s, updated_at = %s"
    " WHERE id = %s AND version = %s"
    " RETURNING id, version, next_due),"
    " appended AS (INSERT INTO history (connection_id, seq, at, input_type, input, accepted,"
    " reason, effects, status_after, key_id, recorded_at)"
    " SELECT %s, %s, %s, %s, %s::jsonb, %s, %s, %s::jsonb, %s, %s, %s FROM updated),"
    " leased AS (UPDATE leases l SET version = u.version, next_due = u.next_due,"
    " claimable_at = CASE WHEN u.next_due IS NULL THEN NULL"
    " WHEN l.lease_until > u.next_due THEN l.lease_until ELSE u.next_due END"
    " FROM updated u WHERE l.id = u.id RETURNING l.lease_owner, l.lease_until)"
    " SELECT leased.lease_owner, leased.lease_until FROM updated LEFT JOIN leased ON true"
)
_COMMIT_REFUSED = (
    "WITH updated AS (UPDATE connections SET version = %s, updated_at = %s, agenda_version ="
    " CASE WHEN agenda_version = version THEN %s END"  # the record, so its agenda, stands
    " WHERE id = %s AND version = %s RETURNING id, version),"
    " appended AS (INSERT INTO history (connection_id, seq, at, input_type, input, accepted,"
    " reason, effects, status_after, key_id, recorded_at)"
    " SELECT %s, %s, %s, %s, %s::jsonb, %s, %s, %s::jsonb, %s, %s, %s FROM updated),"
    " leased AS (UPDATE leases l SET version = u.version FROM updated u WHERE l.id = u.id"
    " RETURNING l.lease_owner, l.lease_until)"
    " SELECT leased.lease_owner, leased.lease_until FROM updated LEFT JOIN leased ON true"
)


class PostgresStore(PostgresExtras):
    """A store in a PostgreSQL schema, shared safely by any number of processes.

    Args:
        dsn: a libpq connection string or URI (it is never logged nor shown in errors).
        keyring: the keys that encrypt secrets at rest.
        plaintext: store secrets in clear instead (development only; logs a warning).
        schema: the PostgreSQL schema holding the tables (created if missing).
        clock: the time source for ``recorded_at`` and lease expiry (default: UTC now).
        auto_migrate: bring the schema up to date on ``open``.
        policy: the service's policy; a record's next due time (what ``due`` and
            ``lease_due`` index) depends on its durations.
        min_size: connections the pool keeps open.
        max_size: connections the pool may open.
        timeout: seconds to wait for the server or a free pooled connection.

    Raises:
        MissingKeyError: no keyring and not ``plaintext``.
        ValueError: ``schema`` is not a plain lower-case identifier.
    """

    def get(self, connection_id: str) -> StoredConnection:
        """See ``Store.get``."""
        psycopg, _ = driver()
        with self._transaction() as connection:
            try:
                row = connection.execute(_GET, (connection_id,)).fetchone()
            except psycopg.DataError:
                # psycopg refuses to load -infinity or a year past 9999 (lease_until).
                raise CorruptRecordError(connection_id, "a time column is not readable") from None
        if row is None:
            raise ConnectionNotFound(connection_id)
        return self._stored(row, _time)

    def _insert(
        self,
        connection: psycopg.Connection[Any],
        connection_id: str,
        rows: Rows,
        version: int,
        extras: Extras | None = None,
    ) -> None:
        psycopg, _ = driver()
        record = rows.record
        assert record is not None
        try:
            with connection.transaction():  # a savepoint: a duplicate leaves nothing behind
                connection.execute(
                    "INSERT INTO connections (id, record, status, next_due, version, key_id,"
                    " updated_at, agenda, agenda_version)"
                    " VALUES (%s, %s::jsonb, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        connection_id,
                        record.record,
                        record.status,
                        record.next_due,
                        version,
                        record.key_id,
                        self._clock(),
                        record.agenda,
                        version,
                    ),
                )
        except psycopg.errors.UniqueViolation:
            raise DuplicateConnection(connection_id) from None
        connection.execute(
            "INSERT INTO leases (id, version, next_due, claimable_at) VALUES (%s, %s, %s, %s)",
            (connection_id, version, record.next_due, record.next_due),
        )
        self._append(connection, connection_id, rows)
        if extras is not None:
            self._write_extras(connection, connection_id, extras)

    def _append(self, connection: psycopg.Connection[Any], connection_id: str, rows: Rows) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO history (connection_id, seq, at, input_type, input, accepted,"
                " reason, effects, status_after, key_id, recorded_at)"
                " VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s, %s::jsonb, %s, %s, %s)",
                [
                    (
                        connection_id,
                        h.seq,
                        h.at,
                        h.input_type,
                        h.input,
                        h.accepted,
                        h.reason,
                        h.effects,
                        h.status_after,
                        h.key_id,
                        h.recorded_at,
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
        with self._transaction(atomic=True) as connection:
            self._insert(connection, connection_id, rows, 1, extras)
        return StoredConnection(connection_id, record, 1)

    def restore(self, item: StoredConnection, history: Sequence[HistoryEntry]) -> None:
        """See ``Store.restore``."""
        rows = self._restored(item, history)
        with self._transaction(atomic=True) as connection:
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
        version, record, entry = expected_version + 1, rows.record, rows.history[0]
        history = (
            connection_id,
            entry.seq,
            entry.at,
            entry.input_type,
            entry.input,
            entry.accepted,
            entry.reason,
            entry.effects,
            entry.status_after,
            entry.key_id,
            entry.recorded_at,
        )
        # Without extras the commit is one statement (autocommit: one round trip); with
        # them, one transaction: the extras are written only if the compare-and-set won.
        plain = extras == Extras()
        with self._transaction(atomic=not plain) as connection:
            if record is not None:
                row = connection.execute(
                    _COMMIT_ACCEPTED,
                    (
                        record.record,
                        record.status,
                        record.next_due,
                        record.key_id,
                        record.agenda,
                        version,
                        version,
                        self._clock(),
                        connection_id,
                        expected_version,
                        *history,
                    ),
                ).fetchone()
            else:
                row = connection.execute(
                    _COMMIT_REFUSED,
                    (
                        version,
                        self._clock(),
                        version,
                        connection_id,
                        expected_version,
                        *history,
                    ),
                ).fetchone()
            if row is None:
                found = connection.execute(
                    "SELECT version FROM connections WHERE id = %s", (connection_id,)
                ).fetchone()
                if found is None:
                    raise ConnectionNotFound(connection_id)
                raise ConflictError(connection_id, expected_version, int(found["version"]))
            if not plain:
                self._write_extras(connection, connection_id, extras)
        return StoredConnection(
            connection_id, decision.record, version, row["lease_owner"], _time(row["lease_until"])
        )

    def history(self, connection_id: str) -> list[HistoryEntry]:
        """See ``Store.history``."""
        with self._transaction() as connection:
            # One statement, one snapshot: rows committed meanwhile are all in or all out.
            rows = connection.execute(
                "SELECT seq, input::text AS input, accepted, reason, effects::text AS effects,"
                " status_after, key_id, CASE WHEN isfinite(recorded_at) AND recorded_at >"
                " '0002-01-01' AND recorded_at < '9998-01-01' THEN recorded_at END AS recorded_at"
                " FROM history WHERE connection_id = %s ORDER BY seq",
                (connection_id,),
            ).fetchall()
            if (
                not rows
                and connection.execute(
                    "SELECT 1 FROM connections WHERE id = %s", (connection_id,)
                ).fetchone()
                is None
            ):
                raise ConnectionNotFound(connection_id)
        return [self._entry(connection_id, row, _time) for row in rows]

    def _lease(
        self, owner: str, due_by: datetime, lease_until: datetime, now: datetime, limit: int
    ) -> list[Lease]:
        with self._transaction() as connection:  # autocommit: one statement, one round trip
            rows = connection.execute(
                LEASE,
                {
                    "upto": claimable_range(due_by, now),
                    "sure": min(due_by, now),
                    "due_by": due_by,
                    "now": now,
                    "limit": limit,
                    "owner": owner,
                    "until": lease_until,
                },
            ).fetchall()
            leases, bad = lease_rows(
                [(row["id"], row["version"], row["next_due"]) for row in rows],
                owner,
                lease_until,
                _time,
            )
            if bad:
                # The lease statement has committed: undo the unreadable rows' leases at
                # once, so that no row stays leased to a worker that never hears of it.
                connection.execute(_QUARANTINE, (bad,))
        return leases

    def _due(self, due_by: datetime, now: datetime, limit: int) -> list[Due]:
        with self._transaction() as connection:  # autocommit: one statement, no lock
            rows = connection.execute(
                DUE,
                {
                    "upto": claimable_range(due_by, now),
                    "sure": min(due_by, now),
                    "due_by": due_by,
                    "now": now,
                    "limit": limit,
                },
            ).fetchall()
        return due_rows(
            [
                (row["id"], row["next_due"] if row["lease_ok"] else None, row["lease_until"])
                for row in rows
            ],
            _time,
        )

    def release(self, connection_id: str, owner: str) -> None:
        """See ``Store.release``."""
        with self._transaction(atomic=True) as connection:
            row = connection.execute(
                "SELECT lease_owner FROM leases WHERE id = %s FOR UPDATE", (connection_id,)
            ).fetchone()
            if row is None:
                raise ConnectionNotFound(connection_id)
            if row["lease_owner"] is not None and row["lease_owner"] != owner:
                raise LeaseError(connection_id, owner, row["lease_owner"])
            connection.execute(
                "UPDATE leases SET lease_owner = NULL, lease_until = NULL,"
                " claimable_at = next_due WHERE id = %s",
                (connection_id,),
            )

    def connection_ids(self) -> list[str]:
        """See ``Store.connection_ids``."""
        with self._transaction() as connection:
            rows = connection.execute("SELECT id FROM connections ORDER BY id").fetchall()
        return [row["id"] for row in rows]

    def _unsealed_rows(self) -> int:
        active = self._codec.key_id
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT (SELECT count(*) FROM connections WHERE key_id IS DISTINCT FROM %s)"
                " + (SELECT count(*) FROM history WHERE key_id IS DISTINCT FROM %s) AS n",
                (active, active),
            ).fetchone()
        assert row is not None  # an aggregate always answers one row
        return int(row["n"]) + self._unsealed_extras()

    def _reencrypt_batch(
        self, table: str, after: tuple[Any, ...], size: int
    ) -> tuple[int, list[str], tuple[Any, ...] | None]:
        if table in ("states", "answers"):
            return self._reencrypt_extras(table, after, size)
        active = self._codec.key_id
        with self._transaction(atomic=True) as connection:
            if table == "connections":
                rows = connection.execute(
                    "SELECT id, record::text AS data, key_id, NULL::bigint AS seq FROM connections"
                    " WHERE key_id IS DISTINCT FROM %s AND id > %s ORDER BY id LIMIT %s"
                    " FOR UPDATE",
                    (active, after[0], size),
                ).fetchall()
            else:
                rows = connection.execute(
                    "SELECT connection_id AS id, input::text AS data, key_id, seq FROM history"
                    " WHERE key_id IS DISTINCT FROM %s AND (connection_id, seq) > (%s, %s)"
                    " ORDER BY connection_id, seq LIMIT %s FOR UPDATE",
                    (active, after[0], after[1], size),
                ).fetchall()
            updates, failed = self._resealed(rows)
            with connection.cursor() as cursor:
                if table == "connections":
                    cursor.executemany(
                        "UPDATE connections SET record = %s::jsonb, key_id = %s WHERE id = %s",
                        [(data, active, key[0]) for key, data in updates],
                    )
                else:
                    cursor.executemany(
                        "UPDATE history SET input = %s::jsonb, key_id = %s"
                        " WHERE connection_id = %s AND seq = %s",
                        [(data, active, key[0], key[1]) for key, data in updates],
                    )
        last = (rows[-1]["id"], rows[-1]["seq"] or 0) if len(rows) == size else None
        return len(updates), failed, last
