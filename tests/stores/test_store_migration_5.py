"""Migration 5 (outbox, journal, state index): from schema 4 in place, and from scratch."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from service_support import event, sql
from stores_support import Backend, Flow

import lifecycle as core
from adapters.stores import SCHEMA_VERSION, Keyring, PostgresStore, SqliteStore, StoredConnection
from adapters.stores._codec import Codec, iso_utc

S = timedelta(seconds=1)


def _store(backend: Backend, **options: Any) -> SqliteStore | PostgresStore:
    keyring = Keyring(backend.keys, "k1")
    if backend.kind == "sqlite":
        return SqliteStore(backend.location, keyring=keyring, **options)
    assert backend.schema is not None
    return PostgresStore(backend.location, keyring=keyring, schema=backend.schema, **options)


def _write_as_schema_4(backend: Backend, connection_id: str, flow: Flow) -> None:
    """A connection as the library wrote it at schema 4: record, lease row, history."""
    codec = Codec(Keyring(backend.keys, "k1"))
    record = codec.encode_record(connection_id, flow.record())
    entry = codec.encode_decision(
        connection_id,
        1,
        flow.started,
        core.Decision(core.start(flow.started), True),
        flow.started.at,
    )
    due: Any = record.next_due
    at: Any = flow.started.at
    if backend.kind == "sqlite":
        due, at = iso_utc(due), iso_utc(at)
    sql(
        backend,
        "INSERT INTO connections (id, record, status, next_due, version, key_id, updated_at)"
        " VALUES (%s, %s, %s, %s, 1, %s, %s)",
        (connection_id, record.record, record.status, due, record.key_id, at),
    )
    sql(
        backend,
        "INSERT INTO leases (id, version, next_due, claimable_at) VALUES (%s, 1, %s, %s)",
        (connection_id, due, due),
    )
    sql(
        backend,
        "INSERT INTO history (connection_id, seq, at, input_type, input, accepted, reason,"
        " effects, status_after, key_id, recorded_at)"
        " VALUES (%s, 1, %s, %s, %s, %s, NULL, %s, %s, %s, %s)",
        (
            connection_id,
            at,
            entry.input_type,
            entry.input,
            1 if backend.kind == "sqlite" else True,
            entry.effects,
            entry.status_after,
            entry.key_id,
            at,
        ),
    )


def test_migration_5_upgrades_a_fourth_schema_database_whose_rows_then_use_every_new_call(
    durable: Backend,
) -> None:
    assert _store(durable).migrate(target=4) == [1, 2, 3, 4]
    flow = Flow()
    _write_as_schema_4(durable, "from-v4", flow)

    store = durable.open()

    assert _store(durable).schema_version() == SCHEMA_VERSION == 6
    found = store.get_many(["from-v4"])["from-v4"]
    assert isinstance(found, StoredConnection) and found.record == flow.record()
    assert store.find_by_state(core.Secret(flow.secrets["state"])) is None  # never indexed
    assert store.events() == () and store.open_answers() == ()
    store.record_answer("from-v4", 1, {"refresh_token": "R"})
    tick = core.Tick(found.record.last_input_at + S)
    store.commit(
        "from-v4",
        1,
        tick,
        core.apply(found.record, tick),
        events=[event("from-v4", tick.at)],
        close_answer=1,
        link_state=core.Secret("STATE-after-migration"),
    )
    assert [item.connection_id for item in store.events()] == ["from-v4"]
    assert store.open_answers() == ()
    assert store.find_by_state(core.Secret("STATE-after-migration")) == "from-v4"
    assert [entry.seq for entry in store.history("from-v4")] == [1, 2]


def test_a_new_database_gets_the_tables_and_indexes_of_migration_5(durable: Backend) -> None:
    durable.open()

    if durable.kind == "sqlite":
        rows = sql(durable, "SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")
    else:
        rows = sql(
            durable,
            "SELECT tablename FROM pg_tables WHERE schemaname = %s"
            " UNION ALL SELECT indexname FROM pg_indexes WHERE schemaname = %s",
            (durable.schema, durable.schema),
        )
    names = {row[0] for row in rows}

    assert {"outbox", "answers", "outbox_unacked", "outbox_connection"} <= names
    assert {"answers_oldest", "connections_state_key"} <= names
    assert _store(durable).schema_version() == SCHEMA_VERSION
    assert (durable.kind == "postgres") == ("outbox_positions" in names)
