"""Fixtures of the service's tests: the sandbox on 127.0.0.1, SQLite and PostgreSQL stores."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from connections_support import StoreKind, keyring, open_store, sync_client

from adapters.sandbox import Sandbox, SandboxConfig
from adapters.service import Connections
from adapters.stores import Keyring, Store

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

    name = f"service_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(postgres_dsn, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'.encode())


@pytest.fixture
def keys() -> Keyring:
    return keyring()


@pytest.fixture(params=["sqlite", "postgres"])
def store_kind(request: pytest.FixtureRequest) -> StoreKind:
    kind: StoreKind = request.param
    return kind


@pytest.fixture
def location(
    store_kind: StoreKind, tmp_path: Path, request: pytest.FixtureRequest
) -> dict[str, Any]:
    """Where a store of ``store_kind`` lives: a file, or a DSN and a schema."""
    if store_kind == "sqlite":
        return {"kind": "sqlite", "location": str(tmp_path / "service.db"), "schema": None}
    return {
        "kind": "postgres",
        "location": request.getfixturevalue("postgres_dsn"),
        "schema": request.getfixturevalue("schema"),
    }


@pytest.fixture
def store(location: dict[str, Any], keys: Keyring) -> Iterator[Store]:
    with open_store(
        location["kind"], location["location"], keys=keys, schema=location["schema"]
    ) as opened:
        yield opened


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig()) as running:
        yield running


@pytest.fixture
def connections(store: Store, sandbox: Sandbox) -> Iterator[Connections]:
    """The service over ``store`` and the sandbox, on the sandbox's clock."""
    with sync_client(sandbox) as client:
        yield Connections(store=store, client=client, clock=sandbox.clock.now)
