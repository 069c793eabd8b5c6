"""PostgreSQL plumbing: the optional driver, the pool, transactions, migrations.

psycopg is an optional extra (``truelayer-lifecycle[postgres-binary]``): imported when a
store opens, never at import, and its absence is a ``MissingDependencyError`` saying
what to install. Pooled connections run in autocommit mode, so that a save or a lease,
each one statement, costs one round trip; work of several statements opens a
transaction explicitly (``atomic=True``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._base import BaseStore
from ._codec import utc
from ._crypto import Keyring
from ._errors import MissingDependencyError, StoreError, StoreUnavailableError
from ._migrations import pending

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

__all__ = ["PostgresDatabase", "driver", "postgres_time"]

_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def driver() -> tuple[Any, Any]:
    """The ``psycopg`` and ``psycopg_pool`` modules.

    Raises:
        MissingDependencyError: they are not installed.
    """
    try:
        import psycopg
        import psycopg_pool
    except ImportError as error:
        raise MissingDependencyError(
            "PostgresStore needs psycopg 3 and psycopg_pool: "
            "pip install 'truelayer-lifecycle[postgres-binary]'"
        ) from error
    return psycopg, psycopg_pool


def postgres_time(value: object) -> datetime | None:
    """A ``timestamptz`` column as an aware UTC datetime."""
    return None if value is None else utc(value)  # type: ignore[arg-type]


class PostgresDatabase(BaseStore):
    """The connection half of ``PostgresStore`` (see there for the arguments)."""

    def __init__(
        self,
        dsn: str,
        *,
        keyring: Keyring | None = None,
        plaintext: bool = False,
        schema: str = "public",
        clock: Callable[[], datetime] | None = None,
        auto_migrate: bool = True,
        min_size: int = 1,
        max_size: int = 8,
        timeout: float = 10.0,
    ) -> None:
        if not _SCHEMA.fullmatch(schema):
            raise ValueError("schema must be a lower-case identifier: [a-z_][a-z0-9_]*")
        super().__init__(keyring, plaintext, clock, auto_migrate, "PostgresStore")
        self.schema = schema
        self._dsn = dsn
        self._sizes = (min_size, max_size)
        self._timeout = timeout
        self._pool: ConnectionPool[Any] | None = None

    def __repr__(self) -> str:
        return f"PostgresStore(schema={self.schema!r}, key_id={self._codec.key_id!r})"

    # -- connections and transactions ------------------------------------------------

    def _pool_ready(self) -> ConnectionPool[Any]:
        with self._lock:
            if self._closed:
                raise StoreError("the store is closed")
            if self._pool is None:
                psycopg, psycopg_pool = driver()
                pool = psycopg_pool.ConnectionPool(
                    self._dsn,
                    min_size=self._sizes[0],
                    max_size=self._sizes[1],
                    timeout=self._timeout,
                    open=False,
                    # Unqualified table names resolve in our schema, and only there.
                    kwargs={
                        "options": f"-c search_path={self.schema}",
                        "row_factory": psycopg.rows.dict_row,
                        # One statement is one transaction: a save, a lease is one round
                        # trip. Multi-statement work opens a transaction explicitly.
                        "autocommit": True,
                    },
                )
                try:
                    pool.open(wait=True, timeout=self._timeout)
                except psycopg_pool.PoolTimeout:
                    pool.close()
                    raise StoreUnavailableError(
                        f"PostgreSQL did not answer within {self._timeout} s"
                    ) from None
                self._pool = pool
            return self._pool

    @contextmanager
    def _transaction(
        self, atomic: bool = False, migrating: bool = False
    ) -> Iterator[psycopg.Connection[Any]]:
        if not migrating:
            self._ready()
        psycopg, psycopg_pool = driver()
        try:
            with self._pool_ready().connection() as connection:
                if not atomic:
                    yield connection
                    return
                # Commits when the block ends, rolls back when it raises.
                with connection.transaction():
                    yield connection
        except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as error:
            first = str(error).strip().splitlines()[:1]
            raise StoreUnavailableError(
                f"PostgreSQL: {type(error).__name__}: {first[0] if first else ''}"
            ) from None

    def migrate(self, target: int | None = None) -> list[int]:
        """Apply the missing migrations up to ``target`` (default: the latest).

        An advisory lock serialises migrating processes, so many can start at once.

        Returns:
            The versions applied now.

        Raises:
            SchemaError: the database is newer than this library.
            StoreUnavailableError: the server cannot be reached.
        """
        psycopg, _ = driver()
        with self._transaction(atomic=True, migrating=True) as connection:
            connection.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"lifecycle:{self.schema}",)
            )
            connection.execute(
                psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                    psycopg.sql.Identifier(self.schema)
                )
            )
            connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
                " name text NOT NULL, applied_at timestamptz NOT NULL)"
            )
            rows = connection.execute("SELECT version FROM schema_migrations").fetchall()
            steps = pending([row["version"] for row in rows], target)
            for step in steps:
                for statement in step.postgres:
                    connection.execute(statement)
                connection.execute(
                    "INSERT INTO schema_migrations VALUES (%s, %s, %s)",
                    (step.version, step.name, self._clock()),
                )
        return [step.version for step in steps]

    def schema_version(self) -> int:
        """The highest migration applied (0 for an empty schema)."""
        with self._transaction(migrating=True) as connection:
            row = connection.execute(
                "SELECT to_regclass('schema_migrations') IS NOT NULL AS present"
            ).fetchone()
            if not row or not row["present"]:
                return 0
            row = connection.execute("SELECT max(version) AS v FROM schema_migrations").fetchone()
        return int(row["v"] or 0) if row else 0

    def close(self) -> None:
        """Close the pool; idempotent."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
