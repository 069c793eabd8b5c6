"""A pytest plugin with fixtures for testing code that embeds the lifecycle.

Installed with the package and registered through the ``pytest11`` entry point: the
fixtures (``lifecycle_clock``, ``lifecycle_sandbox``, ``lifecycle_keyring``,
``lifecycle_sqlite_store``, ``lifecycle_postgres_store``) are there in every test, with
nothing to import. Strategies and the stateful test are in ``lifecycle.testing``.
"""

from ._clock import SteppableClock
from ._plugin import (
    DSN_ENV,
    START,
    lifecycle_clock,
    lifecycle_keyring,
    lifecycle_postgres_dsn,
    lifecycle_postgres_store,
    lifecycle_sandbox,
    lifecycle_sqlite_store,
    pytest_addoption,
)

__all__ = [
    "DSN_ENV",
    "START",
    "SteppableClock",
    "lifecycle_clock",
    "lifecycle_keyring",
    "lifecycle_postgres_dsn",
    "lifecycle_postgres_store",
    "lifecycle_sandbox",
    "lifecycle_sqlite_store",
    "pytest_addoption",
]
