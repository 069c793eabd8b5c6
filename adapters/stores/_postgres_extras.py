"""The SQL of PostgreSQL's outbox, journal, state index and batched read.

Outbox positions follow commit order: a write with events takes the one row of
``outbox_positions`` (``UPDATE ... RETURNING``), which stays locked until its
transaction commits, so a later writer waits and numbers its events after. A sequence
would not do: two transactions may draw 5 and 6 and commit 6 first, and a reader that
has seen 6 would never see 5.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._base import TimeReader
from ._errors import ConnectionNotFound
from ._journal import Extras
from ._postgres_db import PostgresDatabase, driver, postgres_time

if TYPE_CHECKING:
    import psycopg

__all__ = ["FIND_STATE", "GET_MANY", "PostgresExtras"]

# A time psycopg can load, else NULL and a flag: one unreadable lease_until must fail its
# own row, not the batch (psycopg refuses -infinity and years past 9999).
_READABLE = (
    "isfinite(l.lease_until) AND l.lease_until > '0002-01-01' AND l.lease_until < '9998-01-01'"
)
# Built from constants only (every value is a parameter): S608 does not apply.
GET_MANY = (
    "SELECT c.id, c.record::text AS record, c.status, c.version, c.key_id, l.lease_owner,"  # noqa: S608
    f" CASE WHEN {_READABLE} THEN l.lease_until END AS lease_until,"
    f" (l.lease_until IS NULL OR {_READABLE}) AS lease_ok"
    " FROM connections c LEFT JOIN leases l ON l.id = c.id WHERE c.id = ANY(%s)"
)
# An agenda is read only if it was written for the row's version (see _sqlite_extras).
AGENDAS = (
    "SELECT id, CASE WHEN agenda_version = version THEN agenda END AS agenda"
    " FROM connections WHERE id = ANY(%s)"
)
# Through the partial index connections_state_key; two rows at most: more than one is
# refused by the caller.
FIND_STATE = "SELECT id FROM connections WHERE state_key = ANY(%s) LIMIT 2"
_EVENT_COLUMNS = (
    "position, event_id, connection_id, type, status, reason, consent_expires_at, at, recorded_at"
)


class PostgresExtras(PostgresDatabase):
    """The outbox, the journal, the state index and ``get_many`` of ``PostgresStore``."""

    def _row_time(self) -> TimeReader:
        return postgres_time

    def _write_extras(
        self, connection: psycopg.Connection[Any], connection_id: str, extras: Extras
    ) -> None:
        """Write a commit's extras, in its transaction (after its compare-and-set)."""
        if extras.state is not None:
            connection.execute(
                "UPDATE connections SET state_key = %s, state_sealed = %s WHERE id = %s",
                (extras.state.key, extras.state.sealed, connection_id),
            )
        if extras.close_answer is not None:
            connection.execute(
                "DELETE FROM answers WHERE connection_id = %s AND request = %s",
                (connection_id, extras.close_answer),
            )
        if extras.events:
            row = connection.execute(
                "UPDATE outbox_positions SET last = last + %s RETURNING last",
                (len(extras.events),),
            ).fetchone()
            assert row is not None  # migration 5 wrote the one row
            first = int(row["last"]) - len(extras.events) + 1
            now = self._clock()
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO outbox (position, event_id, connection_id, type, status,"
                    " reason, consent_expires_at, at, recorded_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        (
                            first + n,
                            e.event_id,
                            e.connection_id,
                            e.type,
                            e.status.value,
                            e.reason,
                            e.consent_expires_at,
                            e.at,
                            now,
                        )
                        for n, e in enumerate(extras.events)
                    ],
                )

    def _events(
        self, after: int, limit: int, connection_id: str | None, include_acked: bool
    ) -> list[Any]:
        where = ["position > %s"]
        params: list[Any] = [after]
        if not include_acked:
            where.append("acked_at IS NULL")
        if connection_id is not None:
            where.append("connection_id = %s")
            params.append(connection_id)
        # Built from constants only (every value is a parameter): S608 does not apply.
        sql = (
            f"SELECT {_EVENT_COLUMNS} FROM outbox WHERE {' AND '.join(where)}"  # noqa: S608
            " ORDER BY position LIMIT %s"
        )
        with self._transaction() as connection:
            return connection.execute(sql.encode(), (*params, limit)).fetchall()

    def _ack(self, event_ids: list[str]) -> int:
        with self._transaction() as connection:
            cursor = connection.execute(
                "UPDATE outbox SET acked_at = %s WHERE acked_at IS NULL AND event_id = ANY(%s)",
                (self._clock(), event_ids),
            )
            return int(cursor.rowcount)

    def _put_answer(self, connection_id: str, request: int, text: str, key_id: str | None) -> None:
        with self._transaction() as connection:  # autocommit: one statement, durable
            row = connection.execute(
                "INSERT INTO answers (connection_id, request, answer, key_id, recorded_at)"
                " SELECT %s, %s, %s, %s, %s WHERE EXISTS"
                " (SELECT 1 FROM connections WHERE id = %s)"
                " ON CONFLICT (connection_id, request) DO UPDATE SET answer = excluded.answer,"
                " key_id = excluded.key_id, recorded_at = excluded.recorded_at RETURNING 1 AS ok",
                (connection_id, request, text, key_id, self._clock(), connection_id),
            ).fetchone()
        if row is None:
            raise ConnectionNotFound(connection_id)

    def _get_answer(self, connection_id: str, request: int) -> tuple[object, str | None] | None:
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT answer, key_id FROM answers WHERE connection_id = %s AND request = %s",
                (connection_id, request),
            ).fetchone()
        return None if row is None else (row["answer"], row["key_id"])

    def _open_answers(self, limit: int) -> list[tuple[str, int]]:
        with self._transaction() as connection:
            rows = connection.execute(
                "SELECT connection_id, request FROM answers"
                " ORDER BY recorded_at, connection_id, request LIMIT %s",
                (limit,),
            ).fetchall()
        return [(row["connection_id"], int(row["request"])) for row in rows]

    def _find_state(self, digests: list[str]) -> list[str]:
        with self._transaction() as connection:
            rows = connection.execute(FIND_STATE, (digests,)).fetchall()
        return [row["id"] for row in rows]

    def _many(self, connection_ids: list[str]) -> list[Any]:
        with self._transaction() as connection:  # one statement, one round trip
            # A row whose lease_ok is false is reported corrupt by get_many, alone.
            return connection.execute(GET_MANY, (connection_ids,)).fetchall()

    def _agendas(self, connection_ids: list[str]) -> list[tuple[str, object]]:
        psycopg, _ = driver()
        with (
            self._transaction() as connection,  # one statement, one round trip
            connection.cursor(row_factory=psycopg.rows.tuple_row) as cursor,
        ):
            return cursor.execute(AGENDAS, (connection_ids,)).fetchall()

    # -- key rotation ----------------------------------------------------------------

    def _unsealed_extras(self) -> int:
        """State index entries and answers not sealed with the active key."""
        active = self._codec.key_id
        prefix = f"enc:v1:{active}:"
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT (SELECT count(*) FROM connections WHERE state_sealed IS NOT NULL"
                " AND substr(state_sealed, 1, %s) != %s)"
                " + (SELECT count(*) FROM answers WHERE key_id IS DISTINCT FROM %s) AS n",
                (len(prefix), prefix, active),
            ).fetchone()
        assert row is not None  # an aggregate always answers one row
        return int(row["n"])

    def _reencrypt_extras(
        self, table: str, after: tuple[Any, ...], size: int
    ) -> tuple[int, list[str], tuple[Any, ...] | None]:
        """``_reencrypt_batch`` of the state index ("states") and the journal."""
        active = self._codec.key_id
        prefix = f"enc:v1:{active}:"
        with self._transaction(atomic=True) as connection, connection.cursor() as cursor:
            if table == "states":
                rows = connection.execute(
                    "SELECT id, state_sealed FROM connections WHERE state_sealed IS NOT NULL"
                    " AND substr(state_sealed, 1, %s) != %s AND id > %s ORDER BY id LIMIT %s"
                    " FOR UPDATE",
                    (len(prefix), prefix, after[0], size),
                ).fetchall()
                states, failed = self._resealed_states(rows)
                cursor.executemany(
                    "UPDATE connections SET state_key = %s, state_sealed = %s WHERE id = %s",
                    [(index.key, index.sealed, key) for key, index in states],
                )
                count = len(states)
                last: tuple[Any, ...] | None = (rows[-1]["id"],) if len(rows) == size else None
            else:
                rows = connection.execute(
                    "SELECT connection_id, request, answer, key_id FROM answers"
                    " WHERE key_id IS DISTINCT FROM %s AND (connection_id, request) > (%s, %s)"
                    " ORDER BY connection_id, request LIMIT %s FOR UPDATE",
                    (active, after[0], after[1], size),
                ).fetchall()
                answers, failed = self._resealed_answers(rows)
                cursor.executemany(
                    "UPDATE answers SET answer = %s, key_id = %s"
                    " WHERE connection_id = %s AND request = %s",
                    [(text, active, key[0], key[1]) for key, text in answers],
                )
                count = len(answers)
                last = None
                if len(rows) == size:
                    last = (rows[-1]["connection_id"], rows[-1]["request"])
        return count, failed, last
