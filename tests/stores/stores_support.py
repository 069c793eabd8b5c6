"""Helpers shared by the store tests and by the worker processes they spawn.

Kept out of ``conftest.py`` because a process started with ``spawn`` must import the
worker function by module name; pytest's conftest modules are not importable that way.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import lifecycle as core
from adapters.stores import Keyring, Lease, MemoryStore, PostgresStore, SqliteStore, Store

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)
SCOPES = ("info", "accounts", "balance", "transactions", "offline_access")

# (kind, location, schema, LIFECYCLE_KEYS text): enough to open the same store anywhere.
Spec = tuple[str, str, str | None, str | None]


def ids(leases: tuple[Lease, ...]) -> tuple[str, ...]:
    """The connection ids of some leases, in order."""
    return tuple(lease.connection_id for lease in leases)


def keys_text(keyring_keys: dict[str, bytes]) -> str:
    """The ``LIFECYCLE_KEYS`` form of some keys, the first active."""
    return ",".join(f"{kid}:{base64.b64encode(key).decode()}" for kid, key in keyring_keys.items())


def open_spec(spec: Spec, **options: Any) -> Store:
    """Open the store a spec names (a memory spec cannot cross processes)."""
    kind, location, schema, keys = spec
    keyring = None if keys is None else Keyring.parse(keys)
    plaintext = keyring is None
    if kind == "sqlite":
        return SqliteStore(location, keyring=keyring, plaintext=plaintext, **options).open()
    if kind == "postgres":
        assert schema is not None
        return PostgresStore(
            location, keyring=keyring, plaintext=plaintext, schema=schema, **options
        ).open()
    raise ValueError(f"a {kind} store cannot be reopened from a spec")


def lease_all(spec: Spec, owner: str, batch: int, start: Any, results: Any) -> None:
    """Worker process: once all have started, lease batches until none is left; puts
    ``(owner, ids leased)`` on ``results``."""
    store = open_spec(spec, max_size=2) if spec[0] == "postgres" else open_spec(spec)
    taken: list[str] = []
    try:
        start.wait(timeout=60)  # every process is ready: now they really compete
        for _ in range(300):  # bounded: a store that re-leases rows fails, not hangs
            leases = store.lease_due(
                owner, T0 + timedelta(days=400), T0 + timedelta(days=500), batch, now=T0
            )
            if not leases:
                break
            taken.extend(ids(leases))
            time.sleep(0.002)  # the work a worker does between leases: let others in
    finally:
        store.close()
        results.put((owner, taken))


class Flow:
    """A connection taken from start to active with secrets unique to the test."""

    def __init__(self, at: datetime = T0, tag: str | None = None) -> None:
        tag = tag or uuid.uuid4().hex[:10]
        self.secrets = {
            name: f"{name.upper()}-{tag}"
            for name in ("state", "verifier", "code", "access", "refresh")
        }
        self.started = core.ConnectionStarted(at, region="uk", scopes=SCOPES)
        secret = {name: core.Secret(value) for name, value in self.secrets.items()}
        self.inputs: list[core.Input] = [
            core.LinkIssued(at, state=secret["state"], code_verifier=secret["verifier"]),
            core.UserAuthorised(at + S, code=secret["code"], state=secret["state"]),
            core.ExchangeCode(at + 2 * S),
            core.CodeExchanged(
                at + 3 * S,
                expires_in=3600,
                access_token=secret["access"],
                refresh_token=secret["refresh"],
            ),
        ]

    def record(self) -> core.Connection:
        """The record after every input of the flow."""
        record = core.start(self.started)
        for input in self.inputs:
            record = core.apply(record, input).record
        return record


def run_flow(store: Store, connection_id: str, flow: Flow) -> list[core.Decision]:
    """Create the connection and commit every input of the flow; returns the decisions."""
    stored = store.create(connection_id, core.start(flow.started), flow.started)
    decisions = []
    for input in flow.inputs:
        decision = core.apply(stored.record, input)
        stored = store.commit(connection_id, stored.version, input, decision)
        decisions.append(decision)
    return decisions


def make_due(store: Store, count: int, prefix: str = "due") -> list[str]:
    """Create ``count`` active connections, each due (a refresh) within the first day."""
    flow = Flow()
    base = flow.record()
    ids = []
    for number in range(count):
        connection_id = f"{prefix}-{number:04d}"
        store.create(connection_id, base, flow.started)
        ids.append(connection_id)
    return ids


class Raw:
    """Direct access to a store's rows, bypassing it: to corrupt, tamper and inspect."""

    def __init__(self, kind: str, store: Store, location: str = "", schema: str = "") -> None:
        self.kind, self.store, self.location, self.schema = kind, store, location, schema

    def _sql(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.kind == "sqlite":
            with sqlite3.connect(self.location) as connection:
                return connection.execute(sql.replace("%s", "?"), params).fetchall()
        import psycopg

        with psycopg.connect(
            self.location, autocommit=True, options=f"-c search_path={self.schema}"
        ) as connection:
            cursor = connection.execute(sql.encode(), params)
            return cursor.fetchall() if cursor.description else []

    def record(self, connection_id: str) -> Any:
        """The stored record JSON, parsed (secrets as stored)."""
        if self.kind == "memory":
            row = self.store._rows[connection_id]  # type: ignore[attr-defined]
            return json.loads(row.record.record)
        rows = self._sql("SELECT record FROM connections WHERE id = %s", (connection_id,))
        value = rows[0][0]
        return json.loads(value) if isinstance(value, str) else value

    def set_record(self, connection_id: str, text: str, status: str | None = None) -> None:
        """Overwrite a row's record column with ``text`` (and its status column)."""
        if self.kind == "memory":
            from attrs import evolve

            row = self.store._rows[connection_id]  # type: ignore[attr-defined]
            row.record = evolve(row.record, record=text, status=status or row.record.status)
            return
        # psycopg sends a str untyped, so PostgreSQL reads it as jsonb for a jsonb column.
        self._sql("UPDATE connections SET record = %s WHERE id = %s", (text, connection_id))
        if status is not None:
            self._sql("UPDATE connections SET status = %s WHERE id = %s", (status, connection_id))

    def history_input(self, connection_id: str, seq: int) -> Any:
        """The stored input JSON of one history row, parsed."""
        if self.kind == "memory":
            row = self.store._rows[connection_id]  # type: ignore[attr-defined]
            return json.loads(row.history[seq - 1].input)
        rows = self._sql(
            "SELECT input FROM history WHERE connection_id = %s AND seq = %s", (connection_id, seq)
        )
        value = rows[0][0]
        return json.loads(value) if isinstance(value, str) else value

    def set_history_input(self, connection_id: str, seq: int, text: str) -> None:
        """Overwrite one history row's input column."""
        if self.kind == "memory":
            from attrs import evolve

            row = self.store._rows[connection_id]  # type: ignore[attr-defined]
            row.history[seq - 1] = evolve(row.history[seq - 1], input=text)
            return
        self._sql(
            "UPDATE history SET input = %s WHERE connection_id = %s AND seq = %s",
            (text, connection_id, seq),
        )

    def key_ids(self) -> set[str | None]:
        """Every key id named by a connection or history row."""
        rows = self._sql("SELECT key_id FROM connections UNION ALL SELECT key_id FROM history")
        return {row[0] for row in rows}

    def dump(self) -> bytes:
        """Everything at rest: the SQLite files' bytes, or PostgreSQL's rows as text."""
        if self.kind == "sqlite":
            files = [Path(self.location), Path(self.location + "-wal")]
            return b"".join(path.read_bytes() for path in files if path.exists())
        rows = self._sql(
            "SELECT record::text FROM connections UNION ALL SELECT input::text FROM history"
        )
        return "\n".join(row[0] for row in rows).encode()


def flip(value: str) -> str:
    """A sealed value with one byte of its ciphertext changed."""
    head, _, encoded = value.rpartition(":")
    blob = bytearray(base64.b64decode(encoded))
    blob[-1] ^= 0x01
    return f"{head}:{base64.b64encode(bytes(blob)).decode()}"


class Backend:
    """One place to keep connections: opens stores on it and reaches under them."""

    def __init__(self, kind: str, location: str, schema: str | None, keys: dict[str, bytes]):
        self.kind, self.location, self.schema, self.keys = kind, location, schema, keys
        self._memory = MemoryStore() if kind == "memory" else None
        self._opened: list[Store] = []

    def spec(self, keys: dict[str, bytes] | None = None) -> Spec:
        return (self.kind, self.location, self.schema, keys_text(keys or self.keys))

    def open(self, keys: dict[str, bytes] | None = None, **options: Any) -> Store:
        """A store on this backend (the same one each time for memory)."""
        if self._memory is not None:
            return self._memory
        store = open_spec(self.spec(keys), **options)
        self._opened.append(store)
        return store

    def raw(self) -> Raw:
        return Raw(self.kind, self.open(), self.location, self.schema or "")

    def close(self) -> None:
        for store in self._opened:
            store.close()
        if self._memory is not None:
            self._memory.close()


def postgres_statements(monkeypatch: Any) -> list[Any]:
    """Every statement psycopg's cursors send from now on, each then sent for real."""
    import psycopg

    sent: list[Any] = []
    execute = psycopg.Cursor.execute

    def counted(self: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(query)
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    return sent
