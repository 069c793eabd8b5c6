"""Fixtures for the store contract: one ``store`` fixture over memory, SQLite, PostgreSQL.

PostgreSQL tests use ``LIFECYCLE_TEST_POSTGRES_DSN`` (default: the local server) and a
schema of their own, dropped afterwards, so parallel runs never meet. When no server
answers they skip, unless ``LIFECYCLE_REQUIRE_POSTGRES=1`` (CI), which makes them fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from stores_support import Backend

from adapters.stores import Keyring, Store

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """The DSN of a PostgreSQL server that answers, or skip (fail when required)."""
    dsn = os.environ.get("LIFECYCLE_TEST_POSTGRES_DSN", DEFAULT_DSN)
    problem = None
    try:
        import psycopg
    except ImportError:
        problem = "psycopg is not installed (pip install 'truelayer-lifecycle[postgres-binary]')"
    else:
        try:
            with psycopg.connect(dsn, connect_timeout=3) as connection:
                connection.execute("SELECT 1")
        except psycopg.Error as error:
            problem = (
                f"no PostgreSQL answers at LIFECYCLE_TEST_POSTGRES_DSN ({type(error).__name__})"
            )
    if problem is not None:
        if os.environ.get("LIFECYCLE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{problem}, and LIFECYCLE_REQUIRE_POSTGRES=1")
        pytest.skip(problem)
    return dsn


@pytest.fixture
def postgres_schema(postgres_dsn: str) -> Iterator[str]:
    """A schema name unique to this test; the schema is dropped after it."""
    import psycopg

    name = f"lifecycle_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(postgres_dsn, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'.encode())


@pytest.fixture
def keys() -> dict[str, bytes]:
    """One fresh AES-256 key, id ``k1``."""
    return {"k1": os.urandom(32)}


@pytest.fixture
def keyring(keys: dict[str, bytes]) -> Keyring:
    return Keyring(keys, "k1")


def _backend(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, keys: dict[str, bytes]
) -> Backend:
    if kind == "postgres":
        dsn = request.getfixturevalue("postgres_dsn")
        return Backend(kind, dsn, request.getfixturevalue("postgres_schema"), keys)
    return Backend(kind, str(tmp_path / "lifecycle.db"), None, keys)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, keys: dict[str, bytes]
) -> Iterator[Backend]:
    """Each of the three stores in turn."""
    made = _backend(request.param, request, tmp_path, keys)
    yield made
    made.close()


@pytest.fixture(params=["sqlite", "postgres"])
def durable(
    request: pytest.FixtureRequest, tmp_path: Path, keys: dict[str, bytes]
) -> Iterator[Backend]:
    """The two stores that keep data at rest (and encrypt it)."""
    made = _backend(request.param, request, tmp_path, keys)
    yield made
    made.close()


@pytest.fixture
def store(backend: Backend) -> Store:
    """An open, empty store of each kind."""
    return backend.open()
