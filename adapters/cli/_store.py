"""``lifecycle store ...``: migrate, re-encrypt and copy the durable stores.

Keys come from the environment variable ``LIFECYCLE_KEYS`` (``kid:base64key,...``; the
first is active), never from the command line, where other users could read them.
Importing this module does nothing; each command opens what it needs when it runs.
Exit status: 0 done, 1 the store refused or failed (one line on stderr), 2 bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from adapters.stores import (
    Keyring,
    PostgresStore,
    ReencryptError,
    SqliteStore,
    StoreError,
    copy_connections,
)

__all__ = ["register"]

Durable = SqliteStore | PostgresStore


def _where(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--sqlite", metavar="PATH", help="a SQLite database file")
    where.add_argument(
        "--postgres",
        metavar="DSN",
        help="a PostgreSQL connection string (put the password in PGPASSWORD, not here)",
    )
    parser.add_argument("--schema", default="public", help="the PostgreSQL schema (public)")


def _open(sqlite: str | None, postgres: str | None, schema: str, keyring: Keyring) -> Durable:
    if sqlite is not None:
        return SqliteStore(sqlite, keyring=keyring)
    assert postgres is not None  # argparse requires one of the two
    return PostgresStore(postgres, keyring=keyring, schema=schema)


def _migrate(args: argparse.Namespace) -> int:
    # Migrating writes no secret, so it must not need the keys: a throwaway key satisfies
    # the store's refusal to run without one, and seals nothing.
    keyring = Keyring({"unused": os.urandom(32)}, "unused")
    store = _open(args.sqlite, args.postgres, args.schema, keyring)
    try:
        applied = store.migrate(args.to)
        version = store.schema_version()
    finally:
        store.close()
    done = ", ".join(map(str, applied)) if applied else "nothing"
    print(f"applied {done}; the schema is at version {version}")
    return 0


def _reencrypt(args: argparse.Namespace) -> int:
    keyring = Keyring.from_env()
    with _open(args.sqlite, args.postgres, args.schema, keyring) as store:
        try:
            count = store.reencrypt()
        except ReencryptError as error:
            print(f"re-encrypted {error.rewritten} rows with key {keyring.active!r}")
            raise
    print(f"re-encrypted {count} rows with key {keyring.active!r}")
    return 0


def _copy(args: argparse.Namespace) -> int:
    keyring = Keyring.from_env()
    source = SqliteStore(args.from_sqlite, keyring=keyring, auto_migrate=False)
    target = PostgresStore(args.to_postgres, keyring=keyring, schema=args.schema)
    with source, target:
        report = copy_connections(source, target, skip_existing=args.skip_existing)
    print(f"copied {report.copied} connections; skipped {len(report.skipped)} already there")
    if report.failed:
        names = ", ".join(report.failed[:20])
        print(
            f"lifecycle store copy: {len(report.failed)} unreadable, not copied: {names}",
            file=sys.stderr,
        )
        return 1
    return 0


def _keygen(args: argparse.Namespace) -> int:
    print(Keyring.generate(args.key_id))
    return 0


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except StoreError as error:  # messages name rows and fields, never values or DSNs
            print(f"lifecycle store {args.store_command}: {error}", file=sys.stderr)
            return 1

    return run


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``store`` (``migrate``, ``reencrypt``, ``copy``, ``keygen``) to ``lifecycle``."""
    parser = subparsers.add_parser(
        "store",
        help="migrate, re-encrypt or copy a connection store",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="store_command", required=True, metavar="ACTION")

    migrate = commands.add_parser("migrate", help="bring the schema up to date (in place)")
    _where(migrate)
    migrate.add_argument("--to", type=int, metavar="N", help="stop at schema version N")
    migrate.set_defaults(run=_guarded(_migrate))

    reencrypt = commands.add_parser(
        "reencrypt", help="rewrite every row with the active key of LIFECYCLE_KEYS"
    )
    _where(reencrypt)
    reencrypt.set_defaults(run=_guarded(_reencrypt))

    copy = commands.add_parser(
        "copy", help="copy every connection and its history from SQLite to PostgreSQL"
    )
    copy.add_argument("--from-sqlite", required=True, metavar="PATH")
    copy.add_argument("--to-postgres", required=True, metavar="DSN")
    copy.add_argument("--schema", default="public", help="the PostgreSQL schema (public)")
    copy.add_argument(
        "--skip-existing",
        action="store_true",
        help="leave connections the target already has (to resume a copy)",
    )
    copy.set_defaults(run=_guarded(_copy))

    keygen = commands.add_parser("keygen", help="print a new kid:base64key for LIFECYCLE_KEYS")
    keygen.add_argument("key_id", nargs="?", default="k1", help="the new key's id (k1)")
    keygen.set_defaults(run=_guarded(_keygen))
