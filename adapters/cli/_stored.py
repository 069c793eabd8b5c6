"""What ``show`` and ``history`` share: open the store, read, turn errors into one line.

Exit status of both: 0 done; 1 the store refused (no such connection, an unreadable
row, no keys, unreachable); 2 bad usage (no store named, a malformed ``--at``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from adapters.stores import StoreError

from ._connect import Durable, NoStoreError, add_store_arguments, make_store
from ._output import Output, add_format_argument

__all__ = ["add_arguments", "at_time", "reading"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of a command that reads one stored connection."""
    parser.add_argument("connection_id", metavar="ID", help="the connection's id in the store")
    add_store_arguments(parser)
    add_format_argument(parser)


def at_time(text: str | None) -> datetime:
    """``--at``: an ISO 8601 time with its offset, or now.

    Raises:
        ValueError: not an ISO 8601 time, or one without an offset.
    """
    if text is None:
        return datetime.now(UTC)
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError("--at needs a time with its offset, e.g. 2026-01-05T09:00:00+00:00")
    return at


def reading(
    prog: str, command: Callable[[Durable, argparse.Namespace, Output], int]
) -> Callable[[argparse.Namespace], int]:
    """Run ``command`` on the opened store; every failure becomes one line on stderr."""

    def run(args: argparse.Namespace) -> int:
        try:
            output = Output(args.format)
            with make_store(args.store, schema=args.schema) as store:
                return command(store, args, output)
        except NoStoreError as error:
            print(f"{prog}: {error}", file=sys.stderr)
            return 2
        except StoreError as error:  # messages name rows and fields, never values or DSNs
            print(f"{prog}: {error}", file=sys.stderr)
            return 1
        except ValueError as error:
            print(f"{prog}: {error}", file=sys.stderr)
            return 2

    return run
