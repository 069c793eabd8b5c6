"""Helpers for the tests of the outbox, the journal, the state index and ``get_many``,
and the writer processes they spawn (importable by module name, unlike a conftest)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from stores_support import Backend, Spec, open_spec

import lifecycle as core
from adapters.stores import ConflictError, OutboxEvent, Store


def event(
    connection_id: str, at: datetime, name: str = "connection.tick", **fields: Any
) -> OutboxEvent:
    """An event to pass to ``commit``: a fresh id unless ``event_id`` is given."""
    return OutboxEvent(
        event_id=fields.pop("event_id", f"{connection_id}:{uuid.uuid4().hex}"),
        connection_id=connection_id,
        type=name,
        status=fields.pop("status", core.Status.ACTIVE),
        reason=fields.pop("reason", None),
        consent_expires_at=fields.pop("consent_expires_at", None),
        at=at,
        **fields,
    )


def tick(store: Store, connection_id: str, **options: Any) -> int:
    """Commit one accepted Tick (a second after the last input), retrying lost races;
    each commit carries the event ``<connection_id>@v<version>``. Returns the version."""
    while True:
        stored = store.get(connection_id)
        input = core.Tick(stored.record.last_input_at + timedelta(seconds=1))
        decision = core.apply(stored.record, input)
        version = stored.version + 1
        mark = event(connection_id, input.at, event_id=f"{connection_id}@v{version:05d}")
        try:
            store.commit(connection_id, stored.version, input, decision, events=[mark], **options)
        except ConflictError:
            continue
        return version


def version_of(item: OutboxEvent) -> int:
    """The version an event made by ``tick`` names."""
    return int(item.event_id.rpartition("@v")[2])


def tick_many(spec: Spec, connection_ids: list[str], rounds: int, start: Any) -> None:
    """Writer process: ``rounds`` ticks on each connection, interleaved."""
    store = open_spec(spec, max_size=2) if spec[0] == "postgres" else open_spec(spec)
    try:
        start.wait(timeout=60)
        for _ in range(rounds):
            for connection_id in connection_ids:
                tick(store, connection_id)
    finally:
        store.close()


def at_rest(backend: Backend) -> bytes:
    """Every byte at rest: the SQLite files, or a pg_dump of the PostgreSQL schema (its
    data, every table)."""
    if backend.kind == "sqlite":
        with sqlite3.connect(backend.location) as connection:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        files = [Path(backend.location), Path(backend.location + "-wal")]
        return b"".join(path.read_bytes() for path in files if path.exists())
    assert backend.schema is not None
    done = subprocess.run(
        ["pg_dump", "--data-only", f"--schema={backend.schema}", backend.location],
        capture_output=True,
        check=True,
        timeout=60,
        env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
    )
    assert backend.schema.encode() in done.stdout  # the dump is of our schema
    return done.stdout


def sql(backend: Backend, text: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run SQL on the backend's database directly (``%s`` placeholders)."""
    if backend.kind == "sqlite":
        with sqlite3.connect(backend.location) as connection:
            return connection.execute(text.replace("%s", "?"), params).fetchall()
    import psycopg

    with psycopg.connect(
        backend.location, autocommit=True, options=f"-c search_path={backend.schema}"
    ) as connection:
        cursor = connection.execute(text.encode(), params)
        return cursor.fetchall() if cursor.description else []
