"""Fixtures of the relay's tests: the sandbox, the service on a SQLite file or PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from relay_support import Receiver, client

from adapters.sandbox import Sandbox, SandboxConfig
from adapters.service import Connections
from adapters.stores import Keyring, PostgresStore, SqliteStore, Store

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig()) as running:
        yield running


@pytest.fixture
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


@pytest.fixture(params=["sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store of the kind asked for: a SQLite file, or a schema of its own in PostgreSQL."""
    keys = Keyring({"k1": os.urandom(32)}, "k1")
    if request.param == "sqlite":
        with SqliteStore(tmp_path / "relay.db", keyring=keys) as opened:
            yield opened
        return
    import psycopg

    dsn = request.getfixturevalue("postgres_dsn")
    schema = f"relay_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with PostgresStore(dsn, keyring=keys, schema=schema) as opened:
            yield opened
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())


@pytest.fixture
def connections(store: Store, sandbox: Sandbox) -> Iterator[Connections]:
    with client(sandbox) as opened:
        yield Connections(store=store, client=opened, clock=sandbox.clock.now)


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    """A receiver (not started yet), killed at the end of the test if still running."""
    made = Receiver(tmp_path / "received.jsonl")
    yield made
    made.stop()
