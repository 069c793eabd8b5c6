"""Leasing on the durable stores: one statement, through the due index, no record read."""

from __future__ import annotations

import os
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from stores_support import T0, Backend, Flow, ids, make_due, run_flow

from adapters.stores import DecryptionError, Keyring, SqliteStore, _postgres, _sqlite

LATER = T0 + timedelta(days=400)


def test_leasing_decrypts_nothing_so_rows_under_a_missing_key_are_still_leased(
    durable: Backend,
) -> None:
    run_flow(durable.open({"gone": os.urandom(32)}), "sealed-elsewhere", Flow())
    store = durable.open()  # holds only k1: the row's key is not in its ring

    assert ids(store.lease_due("w1", LATER, LATER, 10, now=T0)) == ("sealed-elsewhere",)
    with pytest.raises(DecryptionError, match="unknown key id"):
        store.get("sealed-elsewhere")


def test_a_sqlite_lease_is_one_statement_in_one_immediate_transaction(
    tmp_path: Path, keyring: Keyring
) -> None:
    store = SqliteStore(tmp_path / "leases.db", keyring=keyring).open()
    make_due(store, 3)
    statements: list[str] = []
    store._connection().set_trace_callback(statements.append)

    assert len(store.lease_due("w1", LATER, LATER, 10, now=T0)) == 3

    assert statements == ["BEGIN IMMEDIATE", statements[1], "COMMIT"]
    assert statements[1].startswith("UPDATE leases SET lease_owner")
    assert "record" not in statements[1]  # the wide rows are read for the due index only
    store.close()


PARAMS = {
    "owner": "w",
    "until": LATER,
    "upto": LATER,
    "sure": T0,
    "due_by": LATER,
    "now": T0,
    "limit": 10,
}


def test_the_lease_statement_reads_only_the_lease_table_through_its_claimable_index(
    durable: Backend,
) -> None:
    durable.open()
    assert "connections" not in _sqlite.LEASE
    assert "connections" not in _postgres.LEASE
    if durable.kind == "sqlite":
        with sqlite3.connect(durable.location) as connection:
            params = {k: str(v) for k, v in PARAMS.items()}
            plan = connection.execute(f"EXPLAIN QUERY PLAN {_sqlite.LEASE}", params).fetchall()
            indexes = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        text = "; ".join(row[-1] for row in plan)
        assert "USING INDEX leases_claimable (claimable_at<?)" in text
        assert "SCAN leases" not in text
        assert "TEMP B-TREE" not in text  # the index gives the order: no sort
        assert "connections_next_due" not in indexes
        return
    import psycopg

    with psycopg.connect(durable.location, options=f"-c search_path={durable.schema}") as pg:
        # An empty table: plan as a big one would (the benchmark shows the plan at 1M).
        pg.execute("SET enable_seqscan = off")
        pg.execute("SET enable_bitmapscan = off")
        rows = pg.execute(f"EXPLAIN {_postgres.LEASE}".encode(), PARAMS).fetchall()
        index = pg.execute("SELECT to_regclass('connections_next_due') AS old").fetchone()
    text = " | ".join(row[0] for row in rows)
    assert "LockRows" in text
    assert "Index Scan using leases_claimable" in text
    assert "Sort" not in text
    assert index is not None and index[0] is None
