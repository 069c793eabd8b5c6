"""The callback state index (R14): a keyed hash through an index, never the state."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import sqlite3
from datetime import datetime, timedelta

import pytest
from service_support import at_rest, sql
from stores_support import T0, Backend, Flow

import lifecycle as core
from adapters.stores import Keyring, SqliteStore, Store, _codec
from adapters.stores._crypto import DEVELOPMENT_INDEX_KEY
from adapters.stores._postgres_extras import FIND_STATE as PG_FIND_STATE
from adapters.stores._sqlite_extras import FIND_STATE

S = timedelta(seconds=1)


def _issue(store: Store, connection_id: str, state: str, at: datetime = T0) -> None:
    """Create a connection and commit its link, indexing the link's state."""
    flow = Flow(at=at)
    stored = store.create(connection_id, core.start(flow.started), flow.started)
    link = core.LinkIssued(at, state=core.Secret(state), code_verifier=core.Secret("v" * 43))
    decision = core.apply(stored.record, link)
    store.commit(connection_id, stored.version, link, decision, link_state=core.Secret(state))


def test_a_link_state_committed_finds_its_connection(store: Store) -> None:
    _issue(store, "conn-1", "STATE-one")
    _issue(store, "conn-2", "STATE-two")

    assert store.find_by_state(core.Secret("STATE-one")) == "conn-1"
    assert store.find_by_state(core.Secret("STATE-two")) == "conn-2"


def test_a_state_given_to_create_finds_its_connection(store: Store) -> None:
    flow = Flow()
    store.create(
        "conn-1", core.start(flow.started), flow.started, link_state=core.Secret("STATE-c")
    )

    assert store.find_by_state(core.Secret("STATE-c")) == "conn-1"


def test_an_unknown_or_forged_state_finds_nothing(store: Store) -> None:
    _issue(store, "conn-1", "STATE-one")

    assert store.find_by_state(core.Secret("STATE-on")) is None
    assert store.find_by_state(core.Secret("")) is None
    with pytest.raises(TypeError, match="Secret"):
        store.find_by_state("STATE-one")  # type: ignore[arg-type]


def test_a_later_link_state_replaces_the_earlier_and_a_commit_without_one_keeps_it(
    store: Store,
) -> None:
    _issue(store, "conn-1", "STATE-first")
    stored = store.get("conn-1")
    tick = core.Tick(stored.record.last_input_at + S)
    store.commit("conn-1", stored.version, tick, core.apply(stored.record, tick))
    assert store.find_by_state(core.Secret("STATE-first")) == "conn-1"
    stored = store.get("conn-1")
    again = core.Tick(stored.record.last_input_at + S)

    store.commit(
        "conn-1",
        stored.version,
        again,
        core.apply(stored.record, again),
        link_state=core.Secret("STATE-second"),
    )

    assert store.find_by_state(core.Secret("STATE-first")) is None
    assert store.find_by_state(core.Secret("STATE-second")) == "conn-1"


def test_two_connections_holding_one_state_find_neither(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="adapters.stores")
    _issue(store, "conn-1", "STATE-same")
    _issue(store, "conn-2", "STATE-same")

    assert store.find_by_state(core.Secret("STATE-same")) is None
    assert "STATE-same" not in caplog.text


def test_the_raw_state_never_reaches_the_database(durable: Backend, keys: dict[str, bytes]) -> None:
    store = durable.open()
    state = "STATE-raw-" + os.urandom(8).hex()
    _issue(store, "conn-1", state)
    store.close()

    dump = at_rest(durable)

    assert state.encode() not in dump
    ((key,),) = sql(durable, "SELECT state_key FROM connections")
    # A keyed hash: neither the state nor its plain SHA-256 is what the row holds.
    assert key != hashlib.sha256(state.encode()).hexdigest()
    assert key == Keyring(keys, "k1").digest(state)
    assert key.encode() in dump


def test_a_state_is_found_after_a_key_rotation_and_after_reencrypt_without_the_old_key(
    durable: Backend, keys: dict[str, bytes]
) -> None:
    _issue(durable.open(), "conn-1", "STATE-rotated")
    rotated = {"k2": os.urandom(32), **keys}

    both = durable.open(rotated)
    assert both.find_by_state(core.Secret("STATE-rotated")) == "conn-1"  # under k1 still
    assert both.reencrypt() == 1 + 2 + 1  # the record, two history rows, the state index

    only_new = durable.open({"k2": rotated["k2"]})
    assert only_new.find_by_state(core.Secret("STATE-rotated")) == "conn-1"
    assert sql(durable, "SELECT state_key FROM connections") == [
        (Keyring({"k2": rotated["k2"]}, "k2").digest("STATE-rotated"),)
    ]
    assert durable.open(rotated).reencrypt() == 0


def test_a_store_without_keys_indexes_states_with_the_development_key(
    tmp_path: os.PathLike[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_codec, "_warned_plaintext", True)
    path = f"{tmp_path}/clear.db"
    store = SqliteStore(path, plaintext=True).open()
    _issue(store, "conn-1", "STATE-dev")

    assert store.find_by_state(core.Secret("STATE-dev")) == "conn-1"
    with sqlite3.connect(path) as connection:
        row = connection.execute("SELECT state_key, state_sealed FROM connections").fetchone()
    expected = hmac.new(DEVELOPMENT_INDEX_KEY, b"STATE-dev", hashlib.sha256).hexdigest()
    assert row == (expected, None)
    store.close()


def _many_states(backend: Backend, count: int) -> None:
    """``count`` connections with a state key each, written straight into the tables."""
    if backend.kind == "sqlite":
        with sqlite3.connect(backend.location) as connection:
            connection.executemany(
                "INSERT INTO connections (id, record, status, version, updated_at, state_key)"
                " VALUES (?, '{}', 'active', 1, 'x', ?)",
                [(f"bulk-{n:05d}", hashlib.sha256(b"%d" % n).hexdigest()) for n in range(count)],
            )
            connection.execute("ANALYZE")
        return
    sql(
        backend,
        "INSERT INTO connections (id, record, status, version, updated_at, state_key)"
        " SELECT 'bulk-' || n, '{}', 'active', 1, now(), md5(n::text) || md5((n + 1)::text)"
        " FROM generate_series(1, %s) AS n",
        (count,),
    )
    sql(backend, "ANALYZE connections")


@pytest.mark.parametrize("durable", ["sqlite"], indirect=True)
def test_sqlite_finds_a_state_through_the_state_key_index(durable: Backend) -> None:
    store = durable.open()
    _many_states(durable, 3000)
    _issue(store, "conn-1", "STATE-indexed")

    with sqlite3.connect(durable.location) as connection:
        plan = connection.execute(f"EXPLAIN QUERY PLAN {FIND_STATE}", ('["a", "b"]',)).fetchall()

    steps = " | ".join(row[-1] for row in plan)
    assert "connections USING" in steps and "INDEX connections_state_key" in steps, steps
    assert "SCAN connections" not in steps, steps
    assert store.find_by_state(core.Secret("STATE-indexed")) == "conn-1"


@pytest.mark.parametrize("durable", ["postgres"], indirect=True)
def test_postgres_finds_a_state_through_the_state_key_index(durable: Backend) -> None:
    store = durable.open()
    _many_states(durable, 5000)
    _issue(store, "conn-1", "STATE-indexed")
    import psycopg

    with psycopg.connect(durable.location, options=f"-c search_path={durable.schema}") as pg:
        plan = pg.execute(f"EXPLAIN {PG_FIND_STATE}".encode(), (["a" * 64, "b" * 64],)).fetchall()

    steps = " | ".join(row[0] for row in plan)
    assert "connections_state_key" in steps, steps  # an index scan, on 5,000 rows
    assert "Seq Scan" not in steps, steps
    assert store.find_by_state(core.Secret("STATE-indexed")) == "conn-1"
