"""Fixtures of the worker's tests: the sandbox on 127.0.0.1, SQLite and PostgreSQL stores."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from worker_support import Place, StoreKind, open_place

from adapters.stores import Store


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
