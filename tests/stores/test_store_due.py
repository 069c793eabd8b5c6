"""``Store.due``: the next due connections, read only, through the lease table's index."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from stores_support import T0, Backend, Flow, ids, make_due, run_flow

import lifecycle as core
from adapters.stores import Due, Keyring, MemoryStore, SqliteStore, Store, _postgres, _sqlite

LATER = T0 + timedelta(days=400)
D = timedelta(days=1)
DUE = T0 + D  # make_due's connections are all due by then
M = timedelta(minutes=5)


def due_ids(found: tuple[Due, ...]) -> tuple[str, ...]:
    return tuple(item.connection_id for item in found)


def snapshot(backend: Backend, store: Store, names: list[str]) -> Any:
    """Everything ``due`` must leave alone: versions, leases, history, lease rows."""
    seen: list[Any] = [
        (s.version, s.lease_owner, s.lease_until, len(store.history(n)))
        for n in names
        for s in (store.get(n),)
    ]
    if backend.kind != "memory":
        seen.append(backend.raw()._sql("SELECT * FROM leases ORDER BY id"))
    return seen


def test_due_lists_the_earliest_due_first_up_to_the_limit(store: Store) -> None:
    for offset, name in ((3, "late"), (1, "early"), (2, "middle")):
        flow = Flow(at=T0 + offset * timedelta(hours=1))
        store.create(name, flow.record(), flow.started)
    waiting = Flow()
    store.create("not-due", core.start(waiting.started), waiting.started)  # no agenda

    first_two = store.due(LATER, 2, now=T0)
    every = store.due(LATER, 10, now=T0)

    assert due_ids(first_two) == ("early", "middle")
    assert due_ids(every) == ("early", "middle", "late")
    for item in every:
        record = store.get(item.connection_id).record
        due = core.next_due(record, record.last_input_at)
        assert due is not None
        assert item == Due(item.connection_id, due, None)
        assert item.due.utcoffset() == timedelta(0)


def test_due_by_is_inclusive_and_nothing_due_later_is_listed(store: Store) -> None:
    flow = Flow()
    store.create("conn-1", flow.record(), flow.started)
    refresh_due = core.next_due(flow.record(), flow.record().last_input_at)
    assert refresh_due is not None

    assert store.due(refresh_due - timedelta(microseconds=1), 10, now=T0) == ()
    assert store.due(refresh_due, 10, now=T0) == (Due("conn-1", refresh_due, None),)


def test_a_running_lease_is_left_out_and_a_lapsed_one_is_listed_with_its_end(
    store: Store,
) -> None:
    leased, free = make_due(store, 2)
    store.lease_due("w1", DUE, DUE + M, 1, now=DUE)  # the earliest by id: leased

    during = store.due(DUE, 10, now=DUE)
    after = store.due(DUE + M, 10, now=DUE + M)

    assert due_ids(during) == (free,)
    assert during[0].leased_until is None
    assert {item.connection_id: item.leased_until for item in after} == {
        leased: DUE + M,
        free: None,
    }


def test_due_lists_exactly_what_lease_due_would_lease_with_the_same_arguments(
    store: Store,
) -> None:
    make_due(store, 6)
    store.lease_due("w1", DUE, DUE + M, 2, now=DUE)  # two held until DUE + M
    late = Flow(at=T0 + 2 * D)
    store.create("due-later", late.record(), late.started)

    for due_by, now in ((DUE, DUE), (DUE + 3 * D, DUE + timedelta(minutes=1)), (DUE, DUE + 3 * D)):
        listed = store.due(due_by, 3, now=now)
        leased = store.lease_due("probe", due_by, now, 3, now=now)  # ends at once
        assert due_ids(listed) == ids(leased)
        assert [item.due for item in listed] == [lease.due for lease in leased]


def test_due_writes_nothing_takes_no_lease_and_moves_no_version(backend: Backend) -> None:
    store = backend.open()
    names = make_due(store, 4)
    run_flow(store, "active", Flow())
    store.lease_due("w1", DUE, DUE + M, 1, now=DUE)
    names.append("active")
    before = snapshot(backend, store, names)

    for _ in range(3):
        assert len(store.due(DUE + M, 10, now=DUE + M)) == 5

    assert snapshot(backend, store, names) == before
    assert len(store.lease_due("w2", DUE + M, DUE + D, 10, now=DUE + M)) == 5


def test_due_decrypts_nothing_so_rows_under_a_missing_key_are_listed(durable: Backend) -> None:
    run_flow(durable.open({"gone": os.urandom(32)}), "sealed-elsewhere", Flow())
    store = durable.open()  # holds only k1: the row's key is not in its ring

    assert due_ids(store.due(LATER, 10, now=T0)) == ("sealed-elsewhere",)


def test_due_arguments_are_checked(store: Store) -> None:
    naive = datetime(2026, 1, 5, 9, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.due(naive, 10, now=T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.due(LATER, 10, now=naive)
    for limit in (0, -1, True):
        with pytest.raises(ValueError, match="limit"):
            store.due(LATER, limit, now=T0)


def test_the_store_clock_judges_leases_when_now_is_not_given(backend: Backend) -> None:
    clock = [DUE]
    if backend.kind == "memory":
        store: Store = MemoryStore(clock=lambda: clock[0])
    else:
        store = backend.open(clock=lambda: clock[0])
    (connection_id,) = make_due(store, 1)
    store.lease_due("w1", DUE, DUE + M, 1)

    assert store.due(DUE + M, 10) == ()
    clock[0] = DUE + M
    assert due_ids(store.due(DUE + M, 10)) == (connection_id,)


def test_a_sqlite_due_is_one_select_in_a_read_transaction(tmp_path: Path, keyring: Keyring) -> None:
    store = SqliteStore(tmp_path / "due.db", keyring=keyring).open()
    make_due(store, 3)
    statements: list[str] = []
    store._connection().set_trace_callback(statements.append)

    assert len(store.due(LATER, 10, now=T0)) == 3

    selects = [s for s in statements if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]
    assert selects == [selects[0]] and selects[0].startswith("SELECT id, next_due")
    assert "BEGIN IMMEDIATE" not in statements
    assert "record" not in selects[0]
    store.close()


PARAMS = {"upto": LATER, "sure": T0, "due_by": LATER, "now": T0, "limit": 1000}


def test_due_reads_only_the_lease_table_through_its_claimable_index(durable: Backend) -> None:
    durable.open()
    assert "connections" not in _sqlite.DUE
    assert "connections" not in _postgres.DUE
    if durable.kind == "sqlite":
        with sqlite3.connect(durable.location) as connection:
            params = {k: str(v) for k, v in PARAMS.items()}
            plan = connection.execute(f"EXPLAIN QUERY PLAN {_sqlite.DUE}", params).fetchall()
        text = "; ".join(row[-1] for row in plan)
        assert "USING INDEX leases_claimable (claimable_at<?)" in text
        assert "SCAN leases" not in text
        assert "TEMP B-TREE" not in text  # the index gives the order: no sort
        return
    import psycopg

    with psycopg.connect(durable.location, options=f"-c search_path={durable.schema}") as pg:
        # An empty table: plan as a big one would (the benchmark shows the plan at 1M).
        pg.execute("SET enable_seqscan = off")
        pg.execute("SET enable_bitmapscan = off")
        rows = pg.execute(f"EXPLAIN {_postgres.DUE}".encode(), PARAMS).fetchall()
    text = " | ".join(row[0] for row in rows)
    assert "Index Scan using leases_claimable" in text
    assert "LockRows" not in text
    assert "Sort" not in text
