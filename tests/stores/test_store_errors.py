"""The error family: what a store says when it cannot work, and that it says no secret."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from adapters.stores import (
    ConflictError,
    CorruptRecordError,
    DecryptionError,
    Keyring,
    MissingDependencyError,
    PostgresStore,
    SqliteStore,
    StoreError,
    StoreUnavailableError,
)


def test_without_psycopg_the_postgres_store_says_what_to_install(
    keyring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # makes `import psycopg` fail

    store = PostgresStore("postgresql://127.0.0.1/none", keyring=keyring)
    with pytest.raises(MissingDependencyError, match=r"truelayer-lifecycle\[postgres-binary\]"):
        store.open()


def test_an_unreachable_postgres_is_store_unavailable_without_the_dsn(keyring: Keyring) -> None:
    dsn = "postgresql://someone:hunter2@127.0.0.1:1/none?connect_timeout=1"
    store = PostgresStore(dsn, keyring=keyring, timeout=1.5)

    with pytest.raises(StoreUnavailableError) as raised:
        store.open()
    assert "hunter2" not in str(raised.value)
    store.close()


def test_an_unopenable_sqlite_path_is_store_unavailable(keyring: Keyring, tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailableError, match="cannot open"):
        SqliteStore(tmp_path / "missing-dir" / "x.db", keyring=keyring).open()


def test_a_schema_name_that_is_not_an_identifier_is_refused(keyring: Keyring) -> None:
    with pytest.raises(ValueError, match="schema"):
        PostgresStore("postgresql://x", keyring=keyring, schema='x"; DROP TABLE y; --')


def test_a_closed_store_refuses_work(keyring: Keyring, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "x.db", keyring=keyring).open()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.open()


def test_every_error_is_a_store_error_with_its_fields() -> None:
    conflict = ConflictError("c1", 3, 4)
    decryption = DecryptionError("c1", "code", "authentication failed", "k1", seq=2)

    assert isinstance(conflict, StoreError) and isinstance(decryption, CorruptRecordError)
    assert (conflict.connection_id, conflict.expected, conflict.actual) == ("c1", 3, 4)
    assert str(decryption) == (
        "connection 'c1' history #2 is unreadable: cannot decrypt code (key 'k1'): "
        "authentication failed"
    )
