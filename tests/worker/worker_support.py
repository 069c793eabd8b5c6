"""Helpers of the worker's tests: stores to run on, users at the sandbox's dialog, and
the worker processes they spawn (importable by module name, unlike a conftest)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, NamedTuple

import lifecycle as core
from adapters.sandbox import Sandbox
from adapters.service import Connections
from adapters.stores import Keyring, PostgresStore, SqliteStore, Store
from adapters.truelayer import Endpoints, RetryPolicy, TrueLayerClient

SCOPES = ("info", "accounts", "balance", "transactions", "offline_access")
PROVIDERS = "uk-cs-mock"
REDIRECT_URI = "http://127.0.0.1/callback"
FAST = RetryPolicy(attempts=3, timeout=5.0, wait_initial=0.001, wait_max=0.005, wait_jitter=0.001)
StoreKind = Literal["sqlite", "postgres"]


class Place(NamedTuple):
    """Where a store lives, and its raw keys: all a process of its own needs to open it."""

    kind: StoreKind
    location: str
    schema: str | None
    keys: dict[str, bytes]


@contextmanager
def open_place(place: Place, **options: Any) -> Iterator[Store]:
    """The opened store at ``place``: a SQLite file, or a PostgreSQL schema."""
    keys = Keyring(place.keys, "k1")
    store: Store
    if place.kind == "sqlite":
        store = SqliteStore(Path(place.location), keyring=keys, **options)
    else:
        store = PostgresStore(
            place.location, keyring=keys, schema=place.schema or "public", **options
        )
    with store:
        yield store


def client_for(base_url: str, **changes: Any) -> TrueLayerClient:
    """The test client of the sandbox at ``base_url`` (fast retries)."""
    settings: dict[str, Any] = {
        "client_id": "sandbox-client",
        "client_secret": core.Secret("sandbox-secret"),
        "redirect_uri": REDIRECT_URI,
        "endpoints": Endpoints.local(base_url),
        "retry": FAST,
        "timeout": 10.0,
        **changes,
    }
    return TrueLayerClient(**settings)


def seed(connections: Connections, sandbox: Sandbox, count: int) -> list[str]:
    """``count`` active connections made through the service (link, consent, exchange)."""
    made = []
    for _ in range(count):
        link = connections.begin(region="uk", scopes=SCOPES, providers=PROVIDERS)
        outcome = connections.handle_callback(sandbox.consent(link.url))
        assert outcome.connected, outcome
        made.append(link.connection_id)
    return made


def leased(store: Store, connection_ids: list[str]) -> list[str]:
    """The connections of ``connection_ids`` someone holds a lease on."""
    rows = store.get_many(connection_ids)
    return [
        cid
        for cid, row in rows.items()
        if not isinstance(row, Exception) and row.lease_owner is not None
    ]


def run_due_in_process(place: Place, base_url: str, now_iso: str, limit: int) -> None:
    """In a process of its own: one ``run_due`` batch at ``now`` (killed by the test)."""
    from datetime import datetime

    from adapters.worker import run_due

    now = datetime.fromisoformat(now_iso)
    with open_place(place) as store, client_for(base_url) as client:
        connections = Connections(store=store, client=client, clock=lambda: now)
        run_due(connections, limit=limit)


def worker_environment(place: Place, base_url: str) -> dict[str, str]:
    """The environment ``lifecycle worker`` reads, for the store at ``place`` and the
    sandbox at ``base_url``."""
    import base64
    import os

    keys = ",".join(f"{kid}:{base64.b64encode(key).decode()}" for kid, key in place.keys.items())
    return {
        **os.environ,
        "LIFECYCLE_STORE": place.location,
        "LIFECYCLE_KEYS": keys,
        "LIFECYCLE_CLIENT_ID": "sandbox-client",
        "LIFECYCLE_CLIENT_SECRET": "sandbox-secret",
        "LIFECYCLE_REDIRECT_URI": REDIRECT_URI,
        "LIFECYCLE_TRUELAYER": base_url,
    }
