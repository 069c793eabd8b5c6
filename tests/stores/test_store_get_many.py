"""``get_many``: a worker's batch of records in one round trip, corrupt rows isolated."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from service_support import sql
from stores_support import Backend, Flow, make_due, postgres_statements, run_flow

from adapters.stores import CorruptRecordError, SqliteStore, Store, StoredConnection


def test_get_many_reads_every_known_id_as_get_does_and_leaves_out_the_unknown(
    store: Store,
) -> None:
    flow = Flow()
    run_flow(store, "conn-1", flow)
    ids = make_due(store, 5)
    store.lease_due("w1", flow.record().last_input_at, flow.record().last_input_at, 1)

    found = store.get_many(["conn-1", *ids, "nobody", ids[0]])

    assert set(found) == {"conn-1", *ids}
    assert all(found[i] == store.get(i) for i in found)
    first = found["conn-1"]
    assert isinstance(first, StoredConnection) and first.record == flow.record()
    assert store.get_many([]) == {}
    with pytest.raises(TypeError, match="sequence"):
        store.get_many("conn-1")


def test_a_corrupt_row_is_its_own_error_and_never_fails_the_batch(backend: Backend) -> None:
    store = backend.open()
    ids = make_due(store, 4)
    raw = backend.raw()
    raw.set_record(ids[1], '["not", "a", "record"]')

    found = store.get_many(ids)

    assert set(found) == set(ids)
    bad = found[ids[1]]
    assert isinstance(bad, CorruptRecordError) and bad.connection_id == ids[1]
    assert all(isinstance(found[i], StoredConnection) for i in ids if i != ids[1])


@pytest.mark.parametrize("durable", ["postgres"], indirect=True)
def test_postgres_an_unreadable_lease_time_fails_only_its_own_row(durable: Backend) -> None:
    store = durable.open()
    ids = make_due(store, 3)
    sql(durable, "UPDATE leases SET lease_until = '-infinity' WHERE id = %s", (ids[0],))

    found = store.get_many(ids)

    bad = found[ids[0]]
    assert isinstance(bad, CorruptRecordError) and "time" in bad.problem
    assert all(isinstance(found[i], StoredConnection) for i in ids[1:])


@contextmanager
def _sqlite_statements(store: SqliteStore) -> Iterator[list[str]]:
    """Every statement the calling thread's connection runs, through sqlite3's trace."""
    seen: list[str] = []
    connection = store._connection()
    connection.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        connection.set_trace_callback(None)


@pytest.mark.parametrize("durable", ["sqlite"], indirect=True)
def test_sqlite_get_many_of_200_is_one_statement(durable: Backend) -> None:
    store = durable.open()
    assert isinstance(store, SqliteStore)
    ids = make_due(store, 200)
    store.get(ids[0])  # the connection is open and migrated before we count

    with _sqlite_statements(store) as statements:
        found = store.get_many(ids)
    with _sqlite_statements(store) as one_by_one:
        for connection_id in ids[:10]:
            store.get(connection_id)

    assert len(found) == 200
    assert len(statements) == 1 and "json_each" in statements[0], statements
    assert len(one_by_one) == 10  # the counting sees every statement


@pytest.mark.parametrize("durable", ["postgres"], indirect=True)
def test_postgres_get_many_of_200_is_one_statement(
    durable: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = durable.open()
    ids = make_due(store, 200)
    store.get(ids[0])
    sent = postgres_statements(monkeypatch)  # then each statement, to the real server
    found = store.get_many(ids)
    batched = list(sent)
    sent.clear()
    for connection_id in ids[:10]:
        store.get(connection_id)

    assert len(found) == 200
    assert len(batched) == 1 and "ANY" in str(batched[0]), batched
    assert len(sent) == 10  # the counting sees every statement


def test_get_many_of_ids_that_all_are_unknown_is_empty(store: Store) -> None:
    assert store.get_many(["a", "b"]) == {}


def _sqlite_plan(path: str, sql_text: str) -> str:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(f"EXPLAIN QUERY PLAN {sql_text}", ('["a"]',)).fetchall()
    return " | ".join(row[-1] for row in rows)


@pytest.mark.parametrize("durable", ["sqlite"], indirect=True)
def test_sqlite_get_many_reads_by_primary_key(durable: Backend) -> None:
    from adapters.stores._sqlite_extras import GET_MANY

    durable.open()

    plan = _sqlite_plan(durable.location, GET_MANY)

    assert "SEARCH c USING INDEX sqlite_autoindex_connections_1 (id=?)" in plan, plan
    assert "SCAN c" not in plan, plan


def test_ids_no_database_can_hold_are_absent_rather_than_an_error(store: Store) -> None:
    ids = make_due(store, 2)

    found = store.get_many([ids[0], "nul\x00id", "lone\udc80surrogate", ids[1]])

    assert set(found) == set(ids)
