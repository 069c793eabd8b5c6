"""How every command finds the connection store: ``--store``, else ``LIFECYCLE_STORE``.

A store is named by a SQLite file path or a PostgreSQL connection URI
(``postgresql://...``; put the password in ``PGPASSWORD`` or ``~/.pgpass``, not in the
URI, where other users of the machine could read it). Keys come from ``LIFECYCLE_KEYS``
as the stores read them (``Keyring.from_env``), never from the command line.

Nothing here prints a PostgreSQL URI: it may hold a password.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path

from adapters.stores import Keyring, PostgresStore, SqliteStore, StoreError

__all__ = [
    "ENV_VAR",
    "Durable",
    "NoStoreError",
    "add_store_arguments",
    "is_postgres",
    "make_store",
    "store_name",
]

ENV_VAR = "LIFECYCLE_STORE"
Durable = SqliteStore | PostgresStore
_POSTGRES = ("postgresql://", "postgres://")


class NoStoreError(StoreError):
    """No store was named, or the SQLite file named does not exist."""


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--store`` and ``--schema`` to a command that reads or writes a store."""
    parser.add_argument(
        "--store",
        metavar="URL",
        help="the connection store: a SQLite file, or a postgresql:// URI "
        f"(default: the environment variable {ENV_VAR})",
    )
    parser.add_argument(
        "--schema",
        default="public",
        help="the PostgreSQL schema that holds the tables (default: public)",
    )


def is_postgres(location: str) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than a SQLite file."""
    return location.startswith(_POSTGRES)


def store_name(location: str) -> str:
    """How a message may name the store: a file path, or just "the PostgreSQL store"."""
    return "the PostgreSQL store" if is_postgres(location) else location


def _location(given: str | None, environ: Mapping[str, str]) -> str:
    location = given if given is not None else environ.get(ENV_VAR, "")
    if not location.strip():
        raise NoStoreError(f"no store given: pass --store URL or set {ENV_VAR}")
    return location


def make_store(
    given: str | None,
    *,
    schema: str = "public",
    keyring: Keyring | None = None,
    must_exist: bool = True,
    auto_migrate: bool = False,
    postgres: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> Durable:
    """The store named by ``given`` (``--store``) or ``LIFECYCLE_STORE``, not yet opened:
    ``with make_store(...) as store:`` opens it and closes it.

    Args:
        given: the ``--store`` value, or ``None`` to read the environment.
        schema: the PostgreSQL schema.
        keyring: the keys (default: ``LIFECYCLE_KEYS``).
        must_exist: refuse a SQLite file that does not exist, rather than create one.
        auto_migrate: bring the schema up to date (for commands that write).
        postgres: ``True`` when ``given`` is a PostgreSQL connection string of any form
            (``--postgres``); by default only a ``postgresql://`` URI is one.
        environ: the environment (default: ``os.environ``).

    Raises:
        NoStoreError: no store given, or a SQLite file that must exist does not.
        MissingKeyError: ``LIFECYCLE_KEYS`` is not set.
        KeyringError: ``LIFECYCLE_KEYS`` is malformed.
    """
    environ = os.environ if environ is None else environ
    location = _location(given, environ)
    keyring = Keyring.from_env(environ) if keyring is None else keyring
    if postgres or (postgres is None and is_postgres(location)):
        store: Durable = PostgresStore(
            location, keyring=keyring, schema=schema, auto_migrate=auto_migrate
        )
    else:
        if must_exist and not Path(location).is_file():
            raise NoStoreError(f"{location}: no such file (nothing was created)")
        store = SqliteStore(location, keyring=keyring, auto_migrate=auto_migrate)
    return store
