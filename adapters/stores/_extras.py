"""What the durable stores share for the service: outbox, journal, state index, batches.

Each public method checks its arguments and encodes or decodes values here, once; the
SQL of each database is a small hook (``_sqlite_extras``, ``_postgres_extras``).
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import lifecycle as core

from ._base import BaseStore, TimeReader
from ._codec import due_in_agenda, iso_utc, utc
from ._errors import ConnectionNotFound, CorruptRecordError
from ._journal import (
    Extras,
    StateIndex,
    check_request,
    open_answer,
    reseal_answer,
    reseal_state,
    seal_answer,
    state_digests,
)
from ._outbox import OutboxEvent, check_ack, check_events_query, event_from_row, storable
from ._protocol import StoredConnection

__all__ = ["ExtrasStore", "check_ids", "due_of_records"]

log = logging.getLogger("adapters.stores")


def due_of_records(
    records: Mapping[str, StoredConnection | CorruptRecordError], now: datetime, policy: core.Policy
) -> dict[str, tuple[core.Action, ...] | CorruptRecordError]:
    """What is due by ``now`` for rows written before the store kept their agenda
    (schema version 6): read off their records, until their next commit writes it."""
    return {
        connection_id: stored
        if isinstance(stored, CorruptRecordError)
        else core.due_actions(core.standing_agenda(stored.record, policy), now)
        for connection_id, stored in records.items()
    }


def check_ids(connection_ids: Sequence[str]) -> list[str]:
    """The ids given to ``get_many``, each once, in the order given.

    Raises:
        TypeError: not a sequence of strings (a lone string is refused).
    """
    if isinstance(connection_ids, str | bytes) or not isinstance(connection_ids, Sequence):
        raise TypeError("get_many takes a sequence of connection ids")
    ids = list(dict.fromkeys(connection_ids))
    if not all(isinstance(connection_id, str) for connection_id in ids):
        raise TypeError("get_many takes a sequence of connection ids (strings)")
    return [connection_id for connection_id in ids if storable(connection_id)]  # else absent


class ExtrasStore(BaseStore):
    """The outbox, the journal, the state index and ``get_many`` of a durable store."""

    # -- what each database provides -------------------------------------------------

    @abstractmethod
    def _events(
        self, after: int, limit: int, connection_id: str | None, include_acked: bool
    ) -> list[Any]:
        """Outbox rows (mappings) with position > ``after``, in position order."""

    @abstractmethod
    def _ack(self, event_ids: list[str]) -> int:
        """Acknowledge the unacknowledged events among ``event_ids``; how many."""

    @abstractmethod
    def _put_answer(self, connection_id: str, request: int, text: str, key_id: str | None) -> None:
        """Insert or replace an answer, in its own transaction.

        Raises:
            ConnectionNotFound: no such connection.
        """

    @abstractmethod
    def _get_answer(self, connection_id: str, request: int) -> tuple[object, str | None] | None:
        """The stored answer and its key id, or ``None``."""

    @abstractmethod
    def _open_answers(self, limit: int) -> list[tuple[str, int]]:
        """(connection id, request) of the oldest ``limit`` answers."""

    @abstractmethod
    def _find_state(self, digests: list[str]) -> list[str]:
        """The ids (at most two) whose state key is one of ``digests``, by the index."""

    @abstractmethod
    def _many(self, connection_ids: list[str]) -> list[Any]:
        """The rows ``get`` reads, of every id given that exists, in one statement."""

    @abstractmethod
    def _agendas(self, connection_ids: list[str]) -> list[tuple[str, object]]:
        """(id, agenda) of every id given that exists, in one statement (the agenda
        ``None`` where it was not written for the row's version)."""

    @abstractmethod
    def _row_time(self) -> TimeReader:
        """How this database's time columns read."""

    def _extras(
        self,
        connection_id: str,
        events: Sequence[OutboxEvent],
        close_answer: int | None,
        link_state: core.Secret | None,
    ) -> Extras:
        return Extras.of(self._codec, connection_id, events, close_answer, link_state)

    # -- the outbox ------------------------------------------------------------------

    def events(
        self,
        *,
        after: int = 0,
        limit: int = 100,
        connection_id: str | None = None,
        include_acked: bool = False,
    ) -> tuple[OutboxEvent, ...]:
        """See ``Store.events``.

        Raises:
            ValueError: ``after`` < 0, ``limit`` < 1, or a bad connection id.
            CorruptRecordError: an event row cannot be read.
        """
        check_events_query(after, limit, connection_id)
        if connection_id is not None and not storable(connection_id):
            return ()  # no connection has such an id
        rows = self._events(after, limit, connection_id, bool(include_acked))
        time = self._row_time()
        return tuple(event_from_row(row, time) for row in rows)

    def ack(self, event_ids: Iterable[str]) -> int:
        """See ``Store.ack``.

        Raises:
            TypeError: not an iterable of event ids.
        """
        ids = check_ack(event_ids)
        return self._ack(ids) if ids else 0

    # -- the journal -----------------------------------------------------------------

    def record_answer(self, connection_id: str, request: int, answer: Mapping[str, Any]) -> None:
        """See ``Store.record_answer``.

        Raises:
            ConnectionNotFound: no such connection.
            TypeError: the answer is not a mapping of JSON values.
            ValueError: a bad request number.
        """
        check_request(request)
        if not storable(connection_id):
            raise ConnectionNotFound(connection_id)  # no connection has such an id
        text, key_id = seal_answer(self._codec, connection_id, request, answer)
        self._put_answer(connection_id, request, text, key_id)

    def answer(self, connection_id: str, request: int) -> Mapping[str, Any] | None:
        """See ``Store.answer``.

        Raises:
            CorruptRecordError: the stored answer is unreadable (``DecryptionError``).
        """
        check_request(request)
        if not storable(connection_id):
            return None
        found = self._get_answer(connection_id, request)
        if found is None:
            return None
        return open_answer(self._codec, connection_id, request, found[0], found[1])

    def open_answers(self, limit: int = 100) -> tuple[tuple[str, int], ...]:
        """See ``Store.open_answers``.

        Raises:
            ValueError: ``limit`` < 1.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError("open_answers needs a limit of at least 1")
        return tuple(self._open_answers(limit))

    # -- the state index -------------------------------------------------------------

    def find_by_state(self, state: core.Secret) -> str | None:
        """See ``Store.find_by_state``.

        Raises:
            TypeError: ``state`` is not a ``lifecycle.Secret``.
        """
        if not isinstance(state, core.Secret):
            raise TypeError("find_by_state takes the state as a lifecycle.Secret")
        found = self._find_state(state_digests(self._codec, state))
        if len(found) > 1:
            # R14: a state names one attempt. Two connections holding it is a caller's
            # bug; routing the callback to either one could hand a code to the wrong one.
            log.error("find_by_state: %d connections hold the same state; refused", len(found))
            return None
        return found[0] if found else None

    # -- batched reads ---------------------------------------------------------------

    def get_many(
        self, connection_ids: Sequence[str]
    ) -> dict[str, StoredConnection | CorruptRecordError]:
        """See ``Store.get_many``.

        Raises:
            TypeError: not a sequence of connection ids.
        """
        ids = check_ids(connection_ids)
        if not ids:
            return {}
        time = self._row_time()
        found: dict[str, StoredConnection | CorruptRecordError] = {}
        for row in self._many(ids):
            # sqlite3.Row has no ``in`` for its keys (it iterates over values).
            if "lease_ok" in row.keys() and not row["lease_ok"]:  # noqa: SIM118
                # As ``get`` says of a time psycopg refuses to load (PostgreSQL).
                found[row["id"]] = CorruptRecordError(row["id"], "a time column is not readable")
                continue
            try:
                found[row["id"]] = self._stored(row, time)
            except CorruptRecordError as error:
                found[row["id"]] = error
        return found

    def due_actions(
        self, connection_ids: Sequence[str], now: datetime
    ) -> dict[str, tuple[core.Action, ...] | CorruptRecordError]:
        """See ``Store.due_actions``.

        Raises:
            TypeError: not a sequence of connection ids.
            ValueError: a naive ``now``.
        """
        ids = check_ids(connection_ids)
        when = utc(now, "now")
        at = iso_utc(when)
        found: dict[str, tuple[core.Action, ...] | CorruptRecordError] = {}
        unwritten = []
        for connection_id, agenda in self._agendas(ids) if ids else ():
            if agenda is None:
                unwritten.append(connection_id)
                continue
            try:
                found[connection_id] = due_in_agenda(connection_id, agenda, at)
            except CorruptRecordError as error:
                found[connection_id] = error
        found.update(due_of_records(self.get_many(unwritten), when, self._codec.policy))
        return found

    # -- key rotation of the extras --------------------------------------------------

    def _resealed_states(
        self, rows: Sequence[Any]
    ) -> tuple[list[tuple[str, StateIndex]], list[str]]:
        updates, failed = [], []
        for row in rows:
            try:
                index = reseal_state(self._codec, row["id"], row["state_sealed"])
            except CorruptRecordError as error:
                log.error("reencrypt: %s", error)
                failed.append(row["id"])
                continue
            if index is not None:
                updates.append((row["id"], index))
        return updates, failed

    def _resealed_answers(
        self, rows: Sequence[Any]
    ) -> tuple[list[tuple[tuple[str, int], str]], list[str]]:
        updates, failed = [], []
        for row in rows:
            key = (row["connection_id"], int(row["request"]))
            try:
                text = reseal_answer(self._codec, key[0], key[1], row["answer"], row["key_id"])
            except CorruptRecordError as error:
                log.error("reencrypt: %s", error)
                failed.append(key[0])
                continue
            if text is not None:
                updates.append((key, text))
        return updates, failed
