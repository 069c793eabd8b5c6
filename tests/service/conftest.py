"""Fixtures of the service's tests: the sandbox on 127.0.0.1, SQLite and PostgreSQL stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from connections_support import StoreKind, keyring, open_store, sync_client

from adapters.sandbox import Sandbox, SandboxConfig
from adapters.service import Connections
from adapters.stores import Keyring, Store


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
