"""Schema migrations: a database of the first schema is upgraded in place."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from stores_support import T0, Backend, Flow, ids, open_spec

import lifecycle as core
from adapters.stores import (
    SCHEMA_VERSION,
    LeaseError,
    PostgresStore,
    SchemaError,
    SqliteStore,
    Store,
)
from adapters.stores._codec import Codec, iso_utc
from adapters.stores._migrations import pending

D = timedelta(days=1)


def _store(backend: Backend, **options: Any) -> SqliteStore | PostgresStore:
    """An unopened durable store on the backend (so that a test chooses what runs)."""
    from adapters.stores import Keyring

    keyring = Keyring(backend.keys, "k1")
    if backend.kind == "sqlite":
        return SqliteStore(backend.location, keyring=keyring, **options)
    assert backend.schema is not None
    return PostgresStore(backend.location, keyring=keyring, schema=backend.schema, **options)


def _insert_first_schema_row(backend: Backend, connection_id: str, flow: Flow) -> None:
    """Write a connection as version 1 of the library did: no lease columns."""
    from adapters.stores import Keyring

    codec = Codec(Keyring(backend.keys, "k1"))
    record = codec.encode_record(connection_id, flow.record())
    entry = codec.encode_decision(
        connection_id, 1, flow.started, core.Decision(core.start(flow.started), True), T0
    )
    if backend.kind == "sqlite":
        with sqlite3.connect(backend.location) as connection:
            connection.execute(
                "INSERT INTO connections VALUES (?, ?, ?, ?, 1, ?, ?)",
                (
                    connection_id,
                    record.record,
                    record.status,
                    iso_utc(record.next_due) if record.next_due else None,
                    record.key_id,
                    iso_utc(T0),
                ),
            )
            connection.execute(
                "INSERT INTO history VALUES (?, 1, ?, ?, ?, 1, NULL, ?, ?, ?, ?)",
                (
                    connection_id,
                    iso_utc(entry.at),
                    entry.input_type,
                    entry.input,
                    entry.effects,
                    entry.status_after,
                    entry.key_id,
                    iso_utc(entry.recorded_at),
                ),
            )
        return
    import psycopg

    with psycopg.connect(backend.location, options=f"-c search_path={backend.schema}") as pg:
        pg.execute(
            "INSERT INTO connections VALUES (%s, %s::jsonb, %s, %s, 1, %s, %s)",
            (connection_id, record.record, record.status, record.next_due, record.key_id, T0),
        )
        pg.execute(
            "INSERT INTO history VALUES (%s, 1, %s, %s, %s::jsonb, true, NULL, %s::jsonb, %s,"
            " %s, %s)",
            (
                connection_id,
                entry.at,
                entry.input_type,
                entry.input,
                entry.effects,
                entry.status_after,
                entry.key_id,
                entry.recorded_at,
            ),
        )


def test_a_first_schema_database_is_upgraded_in_place_and_its_rows_survive(
    durable: Backend,
) -> None:
    old = _store(durable)
    assert old.migrate(target=1) == [1]
    old.close()
    flow = Flow()
    _insert_first_schema_row(durable, "from-v1", flow)

    store = durable.open()

    assert _store(durable).schema_version() == SCHEMA_VERSION == 6
    survivor = store.get("from-v1")
    assert (survivor.record, survivor.version, survivor.lease_owner) == (flow.record(), 1, None)
    assert [entry.input for entry in store.history("from-v1")] == [flow.started]
    # The due index (migration 2) and the lease table (migration 3) work on the old row.
    leases = store.lease_due("w1", T0 + timedelta(days=400), T0 + timedelta(days=401), 5, now=T0)
    assert ids(leases) == ("from-v1",)


def test_opening_an_up_to_date_database_applies_nothing(durable: Backend) -> None:
    durable.open().close()
    assert _store(durable).migrate() == []


def test_a_database_newer_than_the_library_is_refused(durable: Backend) -> None:
    store = _store(durable)
    store.migrate()
    if durable.kind == "sqlite":
        with sqlite3.connect(durable.location) as connection:
            connection.execute("INSERT INTO schema_migrations VALUES (7, 'future', 'x')")
    else:
        import psycopg

        with psycopg.connect(durable.location, options=f"-c search_path={durable.schema}") as pg:
            pg.execute("INSERT INTO schema_migrations VALUES (7, 'future', now())")

    with pytest.raises(SchemaError, match="newer than this library"):
        _store(durable).open()


def test_without_auto_migrate_an_old_database_is_refused_with_what_to_run(
    durable: Backend,
) -> None:
    _store(durable).migrate(target=1)

    with pytest.raises(SchemaError, match="lifecycle store migrate"):
        _store(durable, auto_migrate=False).open()
    _store(durable).migrate()
    opened: Store = _store(durable, auto_migrate=False).open()
    opened.close()


def test_many_stores_opening_a_new_database_at_once_migrate_it_once(durable: Backend) -> None:
    import threading

    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            open_spec(durable.spec()).close()
        except BaseException as error:  # a thread's failure must reach the test
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert _store(durable).schema_version() == SCHEMA_VERSION


def test_pending_refuses_a_gap_and_an_unknown_target() -> None:
    assert [step.version for step in pending([])] == [1, 2, 3, 4, 5, 6]
    assert [step.version for step in pending([1])] == [2, 3, 4, 5, 6]
    with pytest.raises(SchemaError, match="gap"):
        pending([2])
    with pytest.raises(SchemaError, match="no schema version 7"):
        pending([], target=7)


def test_sqlite_times_are_fixed_width_utc_text_that_sorts_as_time_sorts() -> None:
    paris = datetime(2026, 3, 1, 10, 0, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Paris")
    )
    assert iso_utc(paris) == "2026-03-01T10:00:00.000000Z"
    times = [T0 + timedelta(microseconds=n * 999_999) for n in range(50)]
    assert sorted(iso_utc(t) for t in reversed(times)) == [iso_utc(t) for t in times]


def test_a_lease_held_under_the_second_schema_survives_the_move_to_its_own_table(
    durable: Backend,
) -> None:
    old = _store(durable)
    assert old.migrate(target=1) == [1]
    old.close()
    flow = Flow()
    _insert_first_schema_row(durable, "leased-v2", flow)
    _insert_first_schema_row(durable, "free-v2", Flow())
    assert _store(durable).migrate(target=2) == [2]
    until = T0 + timedelta(days=500)
    if durable.kind == "sqlite":
        with sqlite3.connect(durable.location) as connection:
            connection.execute(
                "UPDATE connections SET lease_owner = 'w-old', lease_until = ? WHERE id = ?",
                (iso_utc(until), "leased-v2"),
            )
    else:
        import psycopg

        with psycopg.connect(durable.location, options=f"-c search_path={durable.schema}") as pg:
            pg.execute(
                "UPDATE connections SET lease_owner = 'w-old', lease_until = %s WHERE id = %s",
                (until, "leased-v2"),
            )

    store = durable.open()

    held = store.get("leased-v2")
    assert (held.lease_owner, held.lease_until, held.version) == ("w-old", until, 1)
    due_by = T0 + timedelta(days=400)
    assert ids(store.lease_due("w-new", due_by, until, 5, now=T0)) == ("free-v2",)
    with pytest.raises(LeaseError):
        store.release("leased-v2", "w-new")
    store.release("leased-v2", "w-old")
    assert ids(store.lease_due("w-new", due_by, until, 5, now=T0)) == ("leased-v2",)


def _sql(backend: Backend, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run SQL on the backend's database directly (``%s`` placeholders)."""
    if backend.kind == "sqlite":
        with sqlite3.connect(backend.location) as connection:
            return connection.execute(sql.replace("%s", "?"), params).fetchall()
    import psycopg

    with psycopg.connect(backend.location, options=f"-c search_path={backend.schema}") as pg:
        cursor = pg.execute(sql.encode(), params)
        return cursor.fetchall() if cursor.description else []


def test_migration_4_fills_the_lease_table_from_a_third_schema_database(
    durable: Backend,
) -> None:
    assert _store(durable).migrate(target=1) == [1]
    for name in ("held-v3", "expired-v3", "free-v3", "far-v3"):
        _insert_first_schema_row(
            durable, name, Flow(at=T0 + timedelta(days=30 * (name == "far-v3")))
        )
    _sql(durable, "UPDATE connections SET version = 7 WHERE id = %s", ("free-v3",))
    assert _store(durable).migrate(target=3) == [2, 3]
    until = T0 + timedelta(days=2)
    leased = "UPDATE leases SET lease_owner = %s, lease_until = %s WHERE id = %s"
    if durable.kind == "sqlite":
        until_value: Any = iso_utc(until)
        gone: Any = iso_utc(T0 - timedelta(days=1))
    else:
        until_value, gone = until, T0 - timedelta(days=1)
    _sql(durable, leased, ("w-old", until_value, "held-v3"))
    _sql(durable, leased, ("w-gone", gone, "expired-v3"))

    store = durable.open()

    assert _store(durable).schema_version() == SCHEMA_VERSION == 6
    held = store.get("held-v3")
    assert (held.lease_owner, held.lease_until, held.version) == ("w-old", until, 1)
    now = T0 + D
    taken = store.lease_due("w-new", now, now + timedelta(minutes=5), 10, now=now)
    assert ids(taken) == ("expired-v3", "free-v3")  # both due at the same time: by id
    assert [lease.version for lease in taken] == [1, 7]
    just_before = until - timedelta(microseconds=1)  # w-new's 5-minute leases ran out
    again = store.lease_due("w-again", just_before, until + D, 10, now=just_before)
    assert ids(again) == ("expired-v3", "free-v3")  # held-v3's lease still runs
    assert ids(store.lease_due("w-again", until, until + D, 10, now=until)) == ("held-v3",)
    far = T0 + timedelta(days=30)
    # The others' leases have run out by then; far-v3 is due an hour after `far`.
    assert ids(store.lease_due("w-far", far, far + 2 * D, 10, now=far)) == (
        "expired-v3",
        "free-v3",
        "held-v3",
    )
    assert ids(store.lease_due("w-far", far + D, far + D, 10, now=far + D)) == ("far-v3",)


def test_migration_4_from_the_first_schema_keeps_the_row_and_its_due_time(
    durable: Backend,
) -> None:
    assert _store(durable).migrate(target=1) == [1]
    flow = Flow()
    _insert_first_schema_row(durable, "from-v1", flow)

    store = durable.open()

    due = core.next_due(flow.record(), flow.record().last_input_at)
    assert due is not None
    rows = _sql(durable, "SELECT version, next_due, claimable_at FROM leases")
    assert len(rows) == 1 and rows[0][0] == 1
    before = due - timedelta(microseconds=1)
    assert store.lease_due("w1", before, before + D, 5, now=before) == ()
    (lease,) = store.lease_due("w1", due, due + D, 5, now=due)
    assert (lease.connection_id, lease.version, lease.due) == ("from-v1", 1, due)
    assert store.get("from-v1").record == flow.record()
