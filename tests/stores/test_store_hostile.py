"""Hostile rows, keys and DSNs: a typed store error naming the row, nothing half-done."""

from __future__ import annotations

import base64
import logging
import os
import sqlite3
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stores_support import T0, Backend, Flow, ids, make_due, run_flow

import lifecycle as core
from adapters.stores import (
    CorruptRecordError,
    Keyring,
    KeyringError,
    MemoryStore,
    PostgresStore,
    SqliteStore,
    StoreError,
    StoreUnavailableError,
    copy_connections,
)

LATER = T0 + timedelta(days=400)


# -- the lease table ------------------------------------------------------------------


def _garbage_due(backend: Backend) -> str:
    # SQLite holds any text; a timestamptz holds -infinity, which Python cannot read.
    # (The SQLite garbage sorts before any time, so the lease statement picks it.)
    return "0000-garbage" if backend.kind == "sqlite" else "-infinity"


def test_a_lease_row_with_a_garbage_next_due_is_not_left_leased_to_anyone(
    durable: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    store = durable.open()
    made = make_due(store, 5)
    raw = durable.raw()
    raw._sql("UPDATE leases SET next_due = %s WHERE id = %s", (_garbage_due(durable), made[2]))

    with caplog.at_level(logging.ERROR, logger="adapters.stores"):
        leases = store.lease_due("w1", LATER, LATER, 10, now=T0)

    assert ids(leases) == tuple(i for i in made if i != made[2])
    owners = dict(raw._sql("SELECT id, lease_owner FROM leases"))
    assert owners[made[2]] is None  # leased to no worker that received nothing
    assert all(owners[i] == "w1" for i in made if i != made[2])
    assert made[2] in caplog.text
    assert store.lease_due("w2", LATER, LATER, 10, now=T0) == ()
    assert made[2] not in [item.connection_id for item in store.due(LATER, 10, now=T0)]


def test_the_next_commit_heals_a_quarantined_lease_row(durable: Backend) -> None:
    store = durable.open()
    flow = Flow()
    run_flow(store, "conn-1", flow)
    raw = durable.raw()
    raw._sql("UPDATE leases SET next_due = %s WHERE id = %s", (_garbage_due(durable), "conn-1"))
    assert store.lease_due("w1", LATER, LATER, 10, now=T0) == ()

    stored = store.get("conn-1")
    refresh = core.Refresh(T0 + timedelta(minutes=50))
    store.commit("conn-1", stored.version, refresh, core.apply(stored.record, refresh))

    assert ids(store.lease_due("w1", LATER, LATER, 10, now=T0)) == ("conn-1",)


def test_due_leaves_out_a_row_whose_lease_cannot_be_read(durable: Backend) -> None:
    store = durable.open()
    made = make_due(store, 3)
    raw = durable.raw()
    raw._sql("UPDATE leases SET next_due = %s WHERE id = %s", (_garbage_due(durable), made[1]))

    listed = store.due(LATER, 10, now=T0)

    assert [item.connection_id for item in listed] == [made[0], made[2]]


# -- other columns --------------------------------------------------------------------

_BAD_COLUMNS = {
    "sqlite": {
        "version": ("UPDATE connections SET version = 'x' WHERE id = %s", "get"),
        "lease_until": ("UPDATE leases SET lease_until = 'soon' WHERE id = %s", "get"),
        "recorded_at": ("UPDATE history SET recorded_at = 'then' WHERE connection_id = %s", "h"),
        "seq": ("UPDATE history SET seq = 'x' WHERE connection_id = %s AND seq = 2", "h"),
    },
    "postgres": {
        "version": ("UPDATE connections SET version = 0 WHERE id = %s", "get"),
        "lease_until": ("UPDATE leases SET lease_until = '-infinity' WHERE id = %s", "get"),
        "recorded_at": (
            "UPDATE history SET recorded_at = 'infinity' WHERE connection_id = %s",
            "h",
        ),
        "seq": ("UPDATE history SET seq = -2 WHERE connection_id = %s AND seq = 2", "h"),
    },
}


@pytest.mark.parametrize("column", ["version", "lease_until", "recorded_at", "seq"])
def test_a_bad_value_in_a_plain_column_is_a_corrupt_record_error(
    durable: Backend, column: str
) -> None:
    store = durable.open()
    run_flow(store, "conn-1", Flow())
    run_flow(store, "conn-2", Flow())
    sql, call = _BAD_COLUMNS[durable.kind][column]
    durable.raw()._sql(sql, ("conn-1",))

    with pytest.raises(CorruptRecordError) as raised:
        store.get("conn-1") if call == "get" else store.history("conn-1")

    assert raised.value.connection_id == "conn-1"
    assert store.get("conn-2").version == 5
    assert len(store.history("conn-2")) == 5
    report = copy_connections(store, MemoryStore())
    assert (report.copied, report.failed) == (1, ("conn-1",))


# -- driver errors --------------------------------------------------------------------


def test_a_driver_error_is_a_store_error(durable: Backend) -> None:
    store = durable.open()
    flow = Flow()
    run_flow(store, "conn-1", flow)
    raw = durable.raw()
    if durable.kind == "sqlite":
        raw._sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON history"
            " BEGIN SELECT RAISE(ABORT, 'boom-9f2'); END"
        )
    else:
        raw._sql(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'boom-9f2'; END $$"
        )
        raw._sql("CREATE TRIGGER refuse BEFORE INSERT ON history EXECUTE FUNCTION refuse()")
    stored = store.get("conn-1")
    refresh = core.Refresh(T0 + timedelta(minutes=50))

    with pytest.raises(StoreError) as raised:
        store.commit("conn-1", stored.version, refresh, core.apply(stored.record, refresh))

    assert type(raised.value) is StoreError
    assert "boom-9f2" not in str(raised.value)  # the server's text is not repeated
    assert store.get("conn-1").version == stored.version  # nothing half-written


# -- keys and DSNs --------------------------------------------------------------------


@pytest.mark.parametrize("padded", [True, False])
def test_a_keys_entry_written_the_wrong_way_round_is_not_echoed(padded: bool) -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    key = key if padded else key.rstrip("=")

    with pytest.raises(KeyringError) as raised:
        Keyring.parse(f"{key}:k1")

    assert key not in str(raised.value)
    assert key[:20] not in str(raised.value)


def _open_fails(dsn: str, caplog: pytest.LogCaptureFixture) -> tuple[str, float]:
    store = PostgresStore(dsn, plaintext=True, timeout=10)
    started = time.monotonic()
    with caplog.at_level(logging.DEBUG), pytest.raises(StoreUnavailableError) as raised:
        store.open()
    store.close()
    return str(raised.value), time.monotonic() - started


@pytest.mark.parametrize(
    ("dsn", "said"),
    [
        ("postgresql://postgres:hunter2@127.0.0.1:5432/no_such_db_x", "database does not exist"),
        ("postgresql://no_such_role_x:hunter2@127.0.0.1:5432/test", "user (role) does not exist"),
        ("postgresql://postgres:hunter2@127.0.0.1:1/test", "connection refused"),
        ("host=127.0.0.1 password=hunter2 x user=postgres", "not a valid connection string"),
    ],
    ids=["unknown-database", "unknown-user", "refused-port", "unquoted-space"],
)
def test_a_postgres_connection_failure_says_which_at_once_without_the_password(
    postgres_dsn: str, caplog: pytest.LogCaptureFixture, dsn: str, said: str
) -> None:
    message, took = _open_fails(dsn, caplog)

    assert said in message
    assert took < 5  # not the pool's 10 s of retries
    assert "hunter2" not in message + caplog.text


def test_the_pool_s_log_lines_carry_no_error_text(
    postgres_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    from adapters.stores._postgres_db import _POOL_LOG_FILTER

    record = logging.LogRecord(
        "psycopg.pool",
        logging.WARNING,
        "x",
        1,
        "error connecting: %s",
        (ValueError("pw=hunter2"),),
        None,
    )
    assert _POOL_LOG_FILTER.filter(record)
    assert "hunter2" not in record.getMessage()
    assert "ValueError" in record.getMessage()


# -- the fuzz: any value in any column, and reading raises only CorruptRecordError --------

_COLUMNS = [
    ("connections", "record"),
    ("connections", "status"),
    ("connections", "version"),
    ("connections", "key_id"),
    ("leases", "lease_until"),
    ("leases", "next_due"),
    ("leases", "version"),
    ("history", "input"),
    ("history", "effects"),
    ("history", "status_after"),
    ("history", "recorded_at"),
    ("history", "seq"),
    ("history", "reason"),
]
_VALUES = (
    st.none()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.binary(max_size=20)
    | st.sampled_from(["2026-01-05T09:00:00.000000Z", "-infinity", "{}", "[]", '"x"', "active"])
)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> SqliteStore:
    path: Path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    return SqliteStore(path, keyring=Keyring({"k1": os.urandom(32)}, "k1")).open()


# Each example is a durable SQLite commit (fsync): a hundred keep the test to seconds.
_PROFILE = settings.default
assert _PROFILE is not None


@settings(
    max_examples=min(_PROFILE.max_examples, 100),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(column=st.sampled_from(_COLUMNS), value=_VALUES)
def test_any_value_in_any_column_reads_as_a_row_or_a_corrupt_record_error(
    fuzzed: SqliteStore, column: tuple[str, str], value: object
) -> None:
    store, connection_id = fuzzed, f"c-{uuid.uuid4().hex}"
    run_flow(store, connection_id, Flow())
    table, name = column
    key = "connection_id" if table == "history" else "id"
    with sqlite3.connect(store.path) as connection:
        try:
            connection.execute(
                f"UPDATE {table} SET {name} = ? WHERE {key} = ?",  # noqa: S608  (constants)
                (value, connection_id),
            )
        except sqlite3.IntegrityError:
            return  # the schema itself refuses the value: nothing to read back

    for read in (store.get, store.history):
        named = connection_id
        try:
            read(connection_id)
        except CorruptRecordError as error:
            named = error.connection_id or ""
        assert named == connection_id
    # Leasing and listing never fail for one row, and never lease what they do not return.
    leases = store.lease_due("fuzz", LATER, LATER, 10_000, now=T0)
    store.due(LATER, 10_000, now=T0)
    for lease in leases:
        store.release(lease.connection_id, "fuzz")
    with sqlite3.connect(store.path) as connection:
        held = connection.execute("SELECT count(*) FROM leases WHERE lease_owner = 'fuzz'")
        assert held.fetchone()[0] == 0
