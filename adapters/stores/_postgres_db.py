"""PostgreSQL plumbing: the optional driver, the pool, transactions, migrations.

psycopg is an optional extra (``truelayer-lifecycle[postgres-binary]``): imported when a
store opens, never at import, and its absence is a ``MissingDependencyError`` saying
what to install. Pooled connections run in autocommit mode, so that a save or a lease,
each one statement, costs one round trip; work of several statements opens a
transaction explicitly (``atomic=True``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import lifecycle as core

from ._codec import utc
from ._crypto import Keyring
from ._errors import MissingDependencyError, StoreError, StoreUnavailableError
from ._extras import ExtrasStore
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


# SQLSTATEs of a refused connection (PostgreSQL's errcodes), in words without the DSN.
_REFUSALS = {
    "28P01": "authentication failed: wrong user name or password",
    "28000": "authentication refused for this user (see the server's pg_hba.conf)",
    "3D000": "the database does not exist",
    "53300": "the server has too many connections",
    "57P03": "the server is starting up or shutting down",
}


def _connect_failure(error: Exception) -> str:
    """What a failed connection attempt means, told without libpq's text (it may quote
    the host, the user or, from a malformed DSN, the password)."""
    state = getattr(error, "sqlstate", None)
    if state in _REFUSALS:
        return _REFUSALS[state]
    text = str(error).lower()
    if "password authentication failed" in text or "no password supplied" in text:
        return _REFUSALS["28P01"]
    if "does not exist" in text and "database" in text:
        return _REFUSALS["3D000"]
    if "does not exist" in text and "role" in text:
        return "the user (role) does not exist"
    if "connection refused" in text:
        return "connection refused: no server listens at that host and port"
    if "timeout expired" in text or "timed out" in text:
        return "the server did not answer in time"
    if "could not translate host name" in text or "name or service not known" in text:
        return "the host name is unknown"
    return f"cannot connect ({type(error).__name__})"


class _RedactPoolLog(logging.Filter):
    """psycopg_pool logs a failed connection with libpq's text, which may quote a DSN:
    keep only the kind of error in its lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(arg, BaseException) for arg in record.args
        ):
            record.args = tuple(
                f"{type(arg).__name__} (details withheld)"
                if isinstance(arg, BaseException)
                else arg
                for arg in record.args
            )
        return True


_POOL_LOG_FILTER = _RedactPoolLog()


def postgres_time(value: object) -> datetime | None:
    """A ``timestamptz`` column as an aware UTC datetime."""
    return None if value is None else utc(value)  # type: ignore[arg-type]


class PostgresDatabase(ExtrasStore):
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
        policy: core.Policy = core.DEFAULT_POLICY,
        min_size: int = 1,
        max_size: int = 8,
        timeout: float = 10.0,
    ) -> None:
        if not _SCHEMA.fullmatch(schema):
            raise ValueError("schema must be a lower-case identifier: [a-z_][a-z0-9_]*")
        super().__init__(keyring, plaintext, clock, auto_migrate, "PostgresStore", policy)
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
                # One plain attempt first: the pool retries a failed connection until
                # its timeout, and logs each failure with libpq's text (which can quote
                # the DSN). This says at once what went wrong, in our own words.
                self._probe(psycopg)
                logging.getLogger("psycopg.pool").addFilter(_POOL_LOG_FILTER)
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

    def _probe(self, psycopg: Any) -> None:
        try:
            connection = psycopg.connect(
                self._dsn, connect_timeout=max(1, round(self._timeout)), autocommit=True
            )
        except psycopg.ProgrammingError:
            # libpq could not parse the DSN; its message quotes the DSN around the fault.
            raise StoreUnavailableError(
                "PostgreSQL: the DSN is not a valid connection string or URI (quote a value"
                " holding spaces, e.g. password='a b', or percent-encode it in a URI)"
            ) from None
        except psycopg.OperationalError as error:
            raise StoreUnavailableError(f"PostgreSQL: {_connect_failure(error)}") from None
        connection.close()

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
        except psycopg.Error as error:
            # Any other refusal by the driver or the server (a NUL in text, a table
            # missing): its message may quote a value, so only its kind is told.
            raise StoreError(
                f"PostgreSQL refused the operation: {type(error).__name__}"
                f" (SQLSTATE {error.sqlstate or 'none'})"
            ) from None
        except UnicodeEncodeError:
            raise StoreError(
                "PostgreSQL cannot store a value: it holds a lone surrogate, which is not text"
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
