"""Fixtures of the worker's tests: the sandbox on 127.0.0.1, SQLite and PostgreSQL stores."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from worker_support import Place, StoreKind, open_place

from adapters.stores import Store

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """A PostgreSQL server that answers, or skip (fail when ``LIFECYCLE_REQUIRE_POSTGRES=1``)."""
    dsn = os.environ.get("LIFECYCLE_TEST_POSTGRES_DSN", DEFAULT_DSN)
    try:
        import psycopg

        with psycopg.connect(dsn, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except Exception as error:
        problem = f"no PostgreSQL at LIFECYCLE_TEST_POSTGRES_DSN ({type(error).__name__})"
        if os.environ.get("LIFECYCLE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{problem}, and LIFECYCLE_REQUIRE_POSTGRES=1")
        pytest.skip(problem)
    return dsn


@pytest.fixture
def schema(postgres_dsn: str) -> Iterator[str]:
    """A schema of this test's own, dropped afterwards."""
    import psycopg

    name = f"worker_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(postgres_dsn, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'.encode())


@pytest.fixture(params=["sqlite", "postgres"])
def store_kind(request: pytest.FixtureRequest) -> StoreKind:
    kind: StoreKind = request.param
    return kind


@pytest.fixture
def place(store_kind: StoreKind, tmp_path: Path, request: pytest.FixtureRequest) -> Place:
    """Where a store of ``store_kind`` lives, with its keys (picklable, for processes)."""
    keys = {"k1": os.urandom(32)}
    if store_kind == "sqlite":
        return Place("sqlite", str(tmp_path / "worker.db"), None, keys)
    return Place(
        "postgres",
        request.getfixturevalue("postgres_dsn"),
        request.getfixturevalue("schema"),
        keys,
    )


@pytest.fixture
def store(place: Place) -> Iterator[Store]:
    with open_place(place) as opened:
        yield opened
