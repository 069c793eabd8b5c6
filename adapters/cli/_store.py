"""``lifecycle store ...``: migrate, re-encrypt and copy the durable stores."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from adapters.stores import (
    CorruptRecordError,
    Keyring,
    PostgresStore,
    ReencryptError,
    SqliteStore,
    StoreError,
    copy_connections,
)

from ._connect import NoStoreError, add_store_arguments, make_store
from ._output import Output

__all__ = ["register"]

_DESCRIPTION = """Migrate, re-encrypt and copy the durable connection stores.

The store is named by --store (a SQLite file or a postgresql:// URI), else by the
environment variable LIFECYCLE_STORE. Keys come from the environment variable
LIFECYCLE_KEYS (kid:base64key,...; the first is the active one), never from the command
line, where other users could read them. Long work shows a progress bar on a terminal
and ends with a summary; rows that cannot be read are listed once, at the end.
Exit status: 0 done, 1 the store refused or failed, or some rows could not be read;
2 bad usage (no store named, a SQLite file that does not exist).
"""


def _where(parser: argparse.ArgumentParser) -> None:
    add_store_arguments(parser)
    # The first names of --store, kept so that existing scripts go on working.
    parser.add_argument("--sqlite", metavar="PATH", help="the same as --store PATH")
    parser.add_argument("--postgres", metavar="DSN", help="the same as --store DSN")


def _location(args: argparse.Namespace) -> dict[str, Any]:
    # The arguments of ``make_store`` that say where the store is.
    given = [value for value in (args.store, args.sqlite, args.postgres) if value is not None]
    if len(given) > 1:
        raise NoStoreError("name the store once: --store, --sqlite or --postgres")
    if args.postgres is not None:  # any libpq form, "host=... dbname=..." too
        return {"given": args.postgres, "postgres": True}
    if args.sqlite is not None:
        return {"given": args.sqlite, "postgres": False}
    return {"given": args.store}


@contextmanager
def _collected(errors: list[str]) -> Iterator[None]:
    # The stores log each unreadable row; here they are listed once, at the end,
    # instead of one log line per row scrolling past the progress bar.
    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            errors.append(record.getMessage().removeprefix("reencrypt: "))

    logger = logging.getLogger("adapters.stores")
    handler, propagate = Collect(logging.ERROR), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _migrate(args: argparse.Namespace, output: Output) -> int:
    # Migrating writes no secret, so it must not need the keys: a throwaway key satisfies
    # the store's refusal to run without one, and seals nothing.
    keyring = Keyring({"unused": os.urandom(32)}, "unused")
    store = make_store(**_location(args), schema=args.schema, keyring=keyring, must_exist=False)
    try:
        applied = store.migrate(args.to)
        version = store.schema_version()
    finally:
        store.close()
    done = ", ".join(map(str, applied)) if applied else "nothing"
    print(f"applied {done}; the schema is at version {version}", file=output.stdout)
    return 0


def _reencrypt(args: argparse.Namespace, output: Output) -> int:
    keyring = Keyring.from_env()
    errors: list[str] = []
    with (
        make_store(**_location(args), schema=args.schema, keyring=keyring) as store,
        output.progress("re-encrypting rows", 0) as bar,
        _collected(errors),
    ):

        def progress(done: int, todo: int) -> None:
            bar.total(todo)
            bar.advance(done - bar.done)

        try:
            count = store.reencrypt(progress)
        except ReencryptError as error:
            count, failed = error.rewritten, error.failed
        else:
            failed = ()
    print(f"re-encrypted {count} rows with key {keyring.active!r}", file=output.stdout)
    if failed:
        output.problems(
            "lifecycle store reencrypt",
            errors or [repr(name) for name in failed],
        )
        print(
            f"lifecycle store reencrypt: {len(failed)} connection(s) keep their old key: "
            "repair or remove their rows, then run it again",
            file=output.stderr,
        )
        return 1
    return 0


def _copy(args: argparse.Namespace, output: Output) -> int:
    keyring = Keyring.from_env()
    if not Path(args.from_sqlite).is_file():
        raise NoStoreError(f"{args.from_sqlite}: no such file (nothing was created)")
    source = SqliteStore(args.from_sqlite, keyring=keyring, auto_migrate=False)
    target = PostgresStore(args.to_postgres, keyring=keyring, schema=args.schema)
    errors: list[str] = []
    with source, target:
        total = len(source.connection_ids())
        with output.progress("copying connections", total) as bar:

            def progress(connection_id: str, error: CorruptRecordError | None) -> None:
                if error is not None:
                    errors.append(str(error))
                bar.advance()

            report = copy_connections(
                source, target, skip_existing=args.skip_existing, progress=progress
            )
    print(
        f"copied {report.copied} connections; skipped {len(report.skipped)} already there; "
        f"{len(report.failed)} unreadable, not copied",
        file=output.stdout,
    )
    if report.failed:
        output.problems("lifecycle store copy", errors)
        return 1
    return 0


def _keygen(args: argparse.Namespace, output: Output) -> int:
    print(Keyring.generate(args.key_id), file=output.stdout)
    return 0


def _guarded(
    command: Callable[[argparse.Namespace, Output], int],
) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args, Output())
        except NoStoreError as error:
            print(f"lifecycle store {args.store_command}: {error}", file=sys.stderr)
            return 2
        except StoreError as error:  # messages name rows and fields, never values or DSNs
            print(f"lifecycle store {args.store_command}: {error}", file=sys.stderr)
            return 1

    return run


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``store`` (``migrate``, ``reencrypt``, ``copy``, ``keygen``) to ``lifecycle``."""
    parser = subparsers.add_parser(
        "store",
        help="migrate, re-encrypt or copy a connection store",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="store_command", required=True, metavar="ACTION")

    migrate = commands.add_parser(
        "migrate",
        help="bring the store's tables up to date, in place (creates a new SQLite file)",
        description="Bring the store's tables up to date, in place. A SQLite file that "
        "does not exist yet is created. Needs no keys: migrating writes no secret.",
    )
    _where(migrate)
    migrate.add_argument("--to", type=int, metavar="N", help="stop at schema version N")
    migrate.set_defaults(run=_guarded(_migrate))

    reencrypt = commands.add_parser(
        "reencrypt",
        help="seal every row again with the first key of LIFECYCLE_KEYS (key rotation)",
        description="Seal every row that is not sealed with the active key (the first of "
        "LIFECYCLE_KEYS) with it, in batches of 500 rows, safe while the service runs. "
        "Keep the old key in LIFECYCLE_KEYS until this has finished.",
    )
    _where(reencrypt)
    reencrypt.set_defaults(run=_guarded(_reencrypt))

    copy = commands.add_parser(
        "copy",
        help="copy every connection and its history from SQLite to PostgreSQL",
        description="Copy every connection and its whole history from a SQLite file to a "
        "PostgreSQL schema (stop the writers first). Rows that cannot be read are "
        "skipped, listed at the end, and make the exit status 1.",
    )
    copy.add_argument(
        "--from-sqlite", required=True, metavar="PATH", help="the SQLite file to copy from"
    )
    copy.add_argument(
        "--to-postgres",
        required=True,
        metavar="DSN",
        help="the PostgreSQL database to copy into, a postgresql:// URI "
        "(put the password in PGPASSWORD, not here)",
    )
    copy.add_argument(
        "--schema", default="public", help="the PostgreSQL schema to copy into (default: public)"
    )
    copy.add_argument(
        "--skip-existing",
        action="store_true",
        help="leave connections the target already has (to resume a copy)",
    )
    copy.set_defaults(run=_guarded(_copy))

    keygen = commands.add_parser(
        "keygen",
        help="print a new kid:base64key entry for LIFECYCLE_KEYS",
        description="Print a new key entry (kid:base64key, 32 random bytes) to put first "
        "in LIFECYCLE_KEYS; then run `lifecycle store reencrypt`.",
    )
    keygen.add_argument("key_id", nargs="?", default="k1", help="the new key's id (default: k1)")
    keygen.set_defaults(run=_guarded(_keygen))
