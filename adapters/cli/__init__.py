"""The ``lifecycle`` command. Each subcommand lives in its own module with a ``register``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from .._version import __version__

__all__ = ["main"]

# Subcommand modules, imported lazily so that ``lifecycle replay`` never pays for a
# server or a database driver it does not use.
_SUBCOMMANDS = (
    "_demo",
    "_replay",
    "_show",
    "_history",
    "_status",
    "_events",
    "_diagram",
    "_sandbox",
    "_store",
    "_worker",
)

_DESCRIPTION = (
    "Follow the lifecycle of TrueLayer Data API connections: replay a connection's "
    "history, look at a stored connection, manage the store, draw the diagrams, run a "
    "local sandbox. The rule codes in the help texts (R1 to R15) are defined in the "
    "documentation's glossary."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lifecycle", description=_DESCRIPTION)
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
        help="print the version of truelayer-lifecycle and exit",
    )
    subparsers = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", title="commands"
    )
    for name in _SUBCOMMANDS:
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lifecycle`` command line; returns the exit status."""
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except BrokenPipeError:
        # The reader went away (`lifecycle replay FILE | head`): stop quietly, as a
        # command killed by SIGPIPE would, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
