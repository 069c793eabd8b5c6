"""The pytest plugin: fixtures for tests of code that embeds the lifecycle.

Registered through the ``pytest11`` entry point, so installing the package is enough.
Fixtures (all function-scoped, all cleaned up after the test):

- ``lifecycle_clock``: a ``SteppableClock`` at 2026-01-05T09:00Z.
- ``lifecycle_sandbox``: a started TrueLayer-compatible ``Sandbox`` on a free port of
  127.0.0.1, its clock following ``lifecycle_clock``; its admin controls are its
  methods (``inject``, ``configure``, ``clock``, ``consent``) and ``/_admin/*``.
- ``lifecycle_keyring``: a ``Keyring`` with one fresh AES-256 key, id ``test``.
- ``lifecycle_sqlite_store``: an open ``SqliteStore`` in the test's temporary folder,
  sealed with ``lifecycle_keyring``, recording times by ``lifecycle_clock``.
- ``lifecycle_postgres_store``: the same on PostgreSQL, in a schema of its own dropped
  afterwards, when a DSN is given (``--lifecycle-postgres-dsn`` or the environment
  variable ``LIFECYCLE_TEST_POSTGRES_DSN``); skipped, saying why, otherwise.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ._clock import SteppableClock

if TYPE_CHECKING:
    from adapters.sandbox import Sandbox
    from adapters.stores import Keyring, PostgresStore, SqliteStore

__all__ = [
    "DSN_ENV",
    "START",
    "lifecycle_clock",
    "lifecycle_keyring",
    "lifecycle_postgres_dsn",
    "lifecycle_postgres_store",
    "lifecycle_sandbox",
    "lifecycle_sqlite_store",
    "pytest_addoption",
]

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
"""Where ``lifecycle_clock`` starts: a Monday morning."""

DSN_ENV = "LIFECYCLE_TEST_POSTGRES_DSN"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--lifecycle-postgres-dsn``."""
    parser.addoption(
        "--lifecycle-postgres-dsn",
        default=None,
        help=f"PostgreSQL for the lifecycle_postgres_store fixture (else ${DSN_ENV})",
    )


@pytest.fixture
def lifecycle_clock() -> SteppableClock:
    """A clock that stands still at 2026-01-05T09:00Z until the test moves it."""
    return SteppableClock(START)


@pytest.fixture
def lifecycle_sandbox(lifecycle_clock: SteppableClock) -> Iterator[Sandbox]:
    """A TrueLayer-compatible sandbox on a free port of 127.0.0.1, stopped afterwards."""
    from adapters.sandbox import Sandbox, SandboxConfig

    with Sandbox(SandboxConfig(start=lifecycle_clock.now())) as running:
        lifecycle_clock.follow(running.clock)
        yield running


@pytest.fixture
def lifecycle_keyring() -> Keyring:
    """A keyring with one fresh AES-256 key, id ``test``."""
    from adapters.stores import Keyring

    return Keyring({"test": os.urandom(32)}, "test")


@pytest.fixture
def lifecycle_sqlite_store(
    tmp_path: Path, lifecycle_keyring: Keyring, lifecycle_clock: SteppableClock
) -> Iterator[SqliteStore]:
    """An open SQLite store in the test's temporary folder, closed afterwards."""
    from adapters.stores import SqliteStore

    store = SqliteStore(tmp_path / "lifecycle.db", keyring=lifecycle_keyring, clock=lifecycle_clock)
    with store.open():
        yield store


@pytest.fixture
def lifecycle_postgres_dsn(request: pytest.FixtureRequest) -> str:
    """The DSN given for PostgreSQL; skips the test when none is given."""
    dsn = request.config.getoption("--lifecycle-postgres-dsn") or os.environ.get(DSN_ENV)
    if not dsn:
        pytest.skip(f"no PostgreSQL DSN given: pass --lifecycle-postgres-dsn=... or set {DSN_ENV}")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed: pip install 'truelayer-lifecycle[postgres]'")
    return _Dsn(dsn)


class _Dsn(str):
    """A DSN whose repr hides it: pytest shows fixture values in its reports."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<PostgreSQL DSN>"


@pytest.fixture
def lifecycle_postgres_store(
    lifecycle_postgres_dsn: str, lifecycle_keyring: Keyring, lifecycle_clock: SteppableClock
) -> Iterator[PostgresStore]:
    """An open PostgreSQL store in a schema of its own, dropped afterwards.

    A DSN that is given but does not answer fails the test: it is a broken setup, not
    a missing one (the message never shows the DSN, which may hold a password).
    """
    import psycopg

    from adapters.stores import PostgresStore, StoreUnavailableError

    schema = f"lifecycle_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    store = PostgresStore(
        lifecycle_postgres_dsn, keyring=lifecycle_keyring, clock=lifecycle_clock, schema=schema
    )
    try:
        store.open()
    except StoreUnavailableError:
        answered = False
    else:
        answered = True
    if not answered:  # out of the except block: no traceback to show the DSN in
        pytest.fail("the PostgreSQL DSN given does not answer", pytrace=False)
    try:
        yield store
    finally:
        store.close()
        with psycopg.connect(lifecycle_postgres_dsn, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())
