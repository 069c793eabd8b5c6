"""The SQL of SQLite's outbox, journal, state index and batched read.

Every write happens inside ``BEGIN IMMEDIATE`` (the file's single write lock), so outbox
positions, given by ``INTEGER PRIMARY KEY AUTOINCREMENT``, follow commit order.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from ._base import TimeReader
from ._codec import iso_utc
from ._errors import ConnectionNotFound
from ._journal import Extras
from ._sqlite_db import SqliteDatabase, sqlite_time

__all__ = ["FIND_STATE", "GET_MANY", "SqliteExtras"]

# A list of values travels as one JSON parameter (json_each), so that a batch of any
# size is one statement with one parameter, far below SQLite's variable limit.
GET_MANY = (
    "SELECT c.*, l.lease_owner, l.lease_until FROM connections c"
    " LEFT JOIN leases l ON l.id = c.id WHERE c.id IN (SELECT value FROM json_each(?))"
)
# An agenda is read only if it was written for the row's version: one a writer did not
# keep (an older library still running, a hand edit) is not read, and the record says
# what is due instead (``due_of_records``).
AGENDAS = (
    "SELECT id, CASE WHEN agenda_version = version THEN agenda END AS agenda"
    " FROM connections WHERE id IN (SELECT value FROM json_each(?))"
)
# Through the partial index connections_state_key; two rows at most: more than one is
# refused by the caller.
FIND_STATE = (
    "SELECT id FROM connections WHERE state_key IN (SELECT value FROM json_each(?)) LIMIT 2"
)
_EVENT_COLUMNS = (
    "position, event_id, connection_id, type, status, reason, consent_expires_at, at, recorded_at"
)


class SqliteExtras(SqliteDatabase):
    """The outbox, the journal, the state index and ``get_many`` of ``SqliteStore``."""

    def _row_time(self) -> TimeReader:
        return sqlite_time

    def _write_extras(
        self, connection: sqlite3.Connection, connection_id: str, extras: Extras
    ) -> None:
        """Write a commit's extras, in its transaction (after its compare-and-set)."""
        if extras.state is not None:
            connection.execute(
                "UPDATE connections SET state_key = ?, state_sealed = ? WHERE id = ?",
                (extras.state.key, extras.state.sealed, connection_id),
            )
        if extras.close_answer is not None:
            connection.execute(
                "DELETE FROM answers WHERE connection_id = ? AND request = ?",
                (connection_id, extras.close_answer),
            )
        if extras.events:
            now = iso_utc(self._clock())
            connection.executemany(
                "INSERT INTO outbox (event_id, connection_id, type, status, reason,"
                " consent_expires_at, at, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        e.event_id,
                        e.connection_id,
                        e.type,
                        e.status.value,
                        e.reason,
                        None if e.consent_expires_at is None else iso_utc(e.consent_expires_at),
                        iso_utc(e.at),
                        now,
                    )
                    for e in extras.events
                ],
            )

    def _events(
        self, after: int, limit: int, connection_id: str | None, include_acked: bool
    ) -> list[Any]:
        where = ["position > ?"]
        params: list[Any] = [after]
        if not include_acked:
            where.append("acked_at IS NULL")
        if connection_id is not None:
            where.append("connection_id = ?")
            params.append(connection_id)
        # Built from constants only (every value is a parameter): S608 does not apply.
        sql = (
            f"SELECT {_EVENT_COLUMNS} FROM outbox WHERE {' AND '.join(where)}"  # noqa: S608
            " ORDER BY position LIMIT ?"
        )
        with self._read() as connection:
            rows: list[Any] = connection.execute(sql, (*params, limit)).fetchall()
        return rows

    def _ack(self, event_ids: list[str]) -> int:
        with self._write() as connection:
            cursor = connection.execute(
                "UPDATE outbox SET acked_at = ? WHERE acked_at IS NULL"
                " AND event_id IN (SELECT value FROM json_each(?))",
                (iso_utc(self._clock()), json.dumps(event_ids)),
            )
            return int(cursor.rowcount)

    def _put_answer(self, connection_id: str, request: int, text: str, key_id: str | None) -> None:
        with self._write() as connection:
            if (
                connection.execute(
                    "SELECT 1 FROM connections WHERE id = ?", (connection_id,)
                ).fetchone()
                is None
            ):
                raise ConnectionNotFound(connection_id)
            connection.execute(
                "INSERT INTO answers (connection_id, request, answer, key_id, recorded_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (connection_id, request) DO UPDATE SET"
                " answer = excluded.answer, key_id = excluded.key_id,"
                " recorded_at = excluded.recorded_at",
                (connection_id, request, text, key_id, iso_utc(self._clock())),
            )

    def _get_answer(self, connection_id: str, request: int) -> tuple[object, str | None] | None:
        with self._read() as connection:
            row = connection.execute(
                "SELECT answer, key_id FROM answers WHERE connection_id = ? AND request = ?",
                (connection_id, request),
            ).fetchone()
        return None if row is None else (row["answer"], row["key_id"])

    def _open_answers(self, limit: int) -> list[tuple[str, int]]:
        with self._read() as connection:
            rows = connection.execute(
                "SELECT connection_id, request FROM answers"
                " ORDER BY recorded_at, connection_id, request LIMIT ?",
                (limit,),
            ).fetchall()
        return [(row[0], int(row[1])) for row in rows]

    def _find_state(self, digests: list[str]) -> list[str]:
        with self._read() as connection:
            rows = connection.execute(FIND_STATE, (json.dumps(digests),)).fetchall()
        return [row[0] for row in rows]

    def _many(self, connection_ids: list[str]) -> list[Any]:
        with self._read() as connection:
            rows: list[Any] = connection.execute(GET_MANY, (json.dumps(connection_ids),)).fetchall()
        return rows

    def _agendas(self, connection_ids: list[str]) -> list[tuple[str, object]]:
        with self._read() as connection:
            cursor = connection.cursor()
            cursor.row_factory = None  # plain tuples: a worker reads this for every batch
            rows: list[tuple[str, object]] = cursor.execute(
                AGENDAS, (json.dumps(connection_ids),)
            ).fetchall()
        return rows

    # -- key rotation ----------------------------------------------------------------

    def _unsealed_extras(self) -> int:
        """State index entries and answers not sealed with the active key."""
        active = self._codec.key_id
        prefix = f"enc:v1:{active}:"
        with self._read() as connection:
            row = connection.execute(
                "SELECT (SELECT count(*) FROM connections WHERE state_sealed IS NOT NULL"
                " AND substr(state_sealed, 1, ?) != ?)"
                " + (SELECT count(*) FROM answers WHERE key_id IS NULL OR key_id != ?)",
                (len(prefix), prefix, active),
            ).fetchone()
        return int(row[0])

    def _reencrypt_extras(
        self, table: str, after: tuple[Any, ...], size: int
    ) -> tuple[int, list[str], tuple[Any, ...] | None]:
        """``_reencrypt_batch`` of the state index ("states") and the journal."""
        active = self._codec.key_id
        prefix = f"enc:v1:{active}:"
        with self._write() as connection:
            if table == "states":
                rows = connection.execute(
                    "SELECT id, state_sealed FROM connections WHERE state_sealed IS NOT NULL"
                    " AND substr(state_sealed, 1, ?) != ? AND id > ? ORDER BY id LIMIT ?",
                    (len(prefix), prefix, after[0], size),
                ).fetchall()
                states, failed = self._resealed_states(rows)
                connection.executemany(
                    "UPDATE connections SET state_key = ?, state_sealed = ? WHERE id = ?",
                    [(index.key, index.sealed, key) for key, index in states],
                )
                count = len(states)
                last: tuple[Any, ...] | None = (rows[-1]["id"],) if len(rows) == size else None
            else:
                rows = connection.execute(
                    "SELECT connection_id, request, answer, key_id FROM answers"
                    " WHERE (key_id IS NULL OR key_id != ?) AND (connection_id, request) > (?, ?)"
                    " ORDER BY connection_id, request LIMIT ?",
                    (active, after[0], after[1], size),
                ).fetchall()
                answers, failed = self._resealed_answers(rows)
                connection.executemany(
                    "UPDATE answers SET answer = ?, key_id = ?"
                    " WHERE connection_id = ? AND request = ?",
                    [(text, active, key[0], key[1]) for key, text in answers],
                )
                count = len(answers)
                last = None
                if len(rows) == size:
                    last = (rows[-1]["connection_id"], rows[-1]["request"])
        return count, failed, last
