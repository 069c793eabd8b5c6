"""``lifecycle diagram``: write the diagrams generated from the core, or check them.

Writes into ``--out`` (default ``diagrams``): the state diagram as Mermaid
(``lifecycle.mmd``), Graphviz DOT (``lifecycle.dot``) and SVG (``lifecycle.svg``,
rendered by Graphviz's ``dot``), and one clocks chart per region (``clocks-REGION.mmd``).
With ``--check`` nothing is written: the exit status is 1 and each stale file is named
when a file differs from what the code generates, 0 when all match. Exit status 2: the
diagrams could not be generated (e.g. Graphviz is not installed) or the directory could
not be read or written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from adapters.diagrams import GraphvizError, find_stale, generate, write_diagrams

__all__ = ["register"]

_PROG = "lifecycle diagram"

# The module docstring, in plain text for --help (no reST markup).
_DESCRIPTION = (
    "Write the diagrams generated from the core into DIR: the state diagram as Mermaid "
    "(lifecycle.mmd), Graphviz DOT (lifecycle.dot) and SVG (lifecycle.svg, rendered by "
    "Graphviz's dot), and one clocks chart per region (clocks-REGION.mmd). With --check, "
    "write nothing: exit 1 naming each stale file, 0 when all match. Exit 2 when the "
    "diagrams cannot be generated (Graphviz missing) or DIR cannot be read or written."
)


def _check(out: Path) -> int:
    stale = find_stale(out, generate())
    for item in stale:
        print(f"{_PROG}: stale: {out / item.name} ({item.why})", file=sys.stderr)
    if stale:
        print(
            f"{_PROG}: run `lifecycle diagram --out {out}` and commit the result", file=sys.stderr
        )
        return 1
    print(f"{out}: all diagrams match the code")
    return 0


def _write(out: Path) -> int:
    changed = write_diagrams(out, generate())
    for item in changed:
        verb = "removed" if item.why == "no longer generated" else "wrote"
        print(f"{verb} {out / item.name}")
    if not changed:
        print(f"{out}: already up to date")
    return 0


def _run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        return _check(out) if args.check else _write(out)
    except GraphvizError as error:
        print(f"{_PROG}: {error}", file=sys.stderr)
    except OSError as error:
        print(f"{_PROG}: {out}: {error}", file=sys.stderr)
    return 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``diagram`` to the ``lifecycle`` command."""
    parser = subparsers.add_parser(
        "diagram",
        help="write the state diagram and clocks charts generated from the core, or check them",
        description=_DESCRIPTION,
    )
    parser.add_argument(
        "--out",
        default="diagrams",
        metavar="DIR",
        help="the directory to write into or check (default: diagrams)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 naming each file that differs from what the code generates",
    )
    parser.set_defaults(run=_run)
