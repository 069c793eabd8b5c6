"""Durable stores for connection records: memory, SQLite and PostgreSQL.

All three keep the ``Store`` contract (``adapters.stores.Store``): a record per
connection with a version for compare-and-set commits, an append-only history of every
input decided, and leases that share due connections out among workers. The durable
stores encrypt every secret field at rest with a ``Keyring`` and refuse to start
without one unless told ``plaintext=True``. Beside the records, each store keeps what
the connection service needs: an outbox of events written with their commit, a
journal of raw token answers, and an index of callback states by keyed hash.

Example:
    from adapters.stores import Keyring, SqliteStore

    with SqliteStore("lifecycle.db", keyring=Keyring.from_env()) as store:
        stored = store.get("conn-1")
"""

from ._copy import CopyReport, copy_connections
from ._crypto import Keyring
from ._errors import (
    ConflictError,
    ConnectionNotFound,
    CorruptRecordError,
    DecryptionError,
    DuplicateConnection,
    KeyringError,
    LeaseError,
    MissingDependencyError,
    MissingKeyError,
    ReencryptError,
    SchemaError,
    StoreError,
    StoreUnavailableError,
)
from ._memory import MemoryStore
from ._migrations import LATEST as SCHEMA_VERSION
from ._outbox import OutboxEvent
from ._postgres import PostgresStore
from ._protocol import Due, HistoryEntry, Lease, Store, StoredConnection
from ._sqlite import SqliteStore

__all__ = [
    "SCHEMA_VERSION",
    "ConflictError",
    "ConnectionNotFound",
    "CopyReport",
    "CorruptRecordError",
    "DecryptionError",
    "Due",
    "DuplicateConnection",
    "HistoryEntry",
    "Keyring",
    "KeyringError",
    "Lease",
    "LeaseError",
    "MemoryStore",
    "MissingDependencyError",
    "MissingKeyError",
    "OutboxEvent",
    "PostgresStore",
    "ReencryptError",
    "SchemaError",
    "SqliteStore",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "StoredConnection",
    "copy_connections",
]
