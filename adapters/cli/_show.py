"""``lifecycle show ID``: a stored connection now (or ``--at``): status, reason,
deadlines and agenda."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

import lifecycle as core

from . import _words as words
from ._connect import Durable
from ._output import Output
from ._report import jsonable, state_report
from ._stored import add_arguments, at_time, reading

__all__ = ["register", "show_report"]

_PROG = "lifecycle show"


def show_report(store: Durable, connection_id: str, at: datetime) -> dict[str, Any]:
    """What ``show`` prints about a connection at ``at``, as JSON-ready data.

    Raises:
        ConnectionNotFound: no such connection.
        CorruptRecordError: its row cannot be read.
    """
    stored = store.get(connection_id)
    return {
        "connection_id": stored.connection_id,
        "at": at.isoformat(),
        "version": stored.version,
        "region": stored.record.region,
        **state_report(stored.record, at, core.DEFAULT_POLICY),
        "lease_owner": stored.lease_owner,
        "lease_until": jsonable(stored.lease_until),
    }


def _tables(output: Output, report: dict[str, Any]) -> None:
    at = report["at"]
    rows = [
        ["connection", report["connection_id"]],
        ["region", str(report["region"])],
        ["status", words.status(report)],
        ["at", words.when(at)],
        ["version", str(report["version"])],
        ["next deadline", words.next_deadline(report)],
    ]
    if report["lease_owner"] is not None:
        until = words.when(report["lease_until"])
        rows.append(["leased to", f"{report['lease_owner']} until {until}"])
    output.grid(["", ""], rows, header=False)
    deadlines = [
        [name, words.when(value)]
        for name, value in report["deadlines"].items()
        if value is not None
    ]
    if deadlines:
        output.grid(["deadline", "time"], deadlines, title="Deadlines")
    agenda = [[item["action"], words.when(item["due"])] for item in report["agenda"]]
    output.grid(["action", "due"], agenda or [["(nothing to do)", "-"]], title="Agenda")


def _show(store: Durable, args: argparse.Namespace, output: Output) -> int:
    report = show_report(store, args.connection_id, at_time(args.at))
    if output.tables:
        _tables(output, report)
    else:
        output.json_lines([report])
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``show`` to the ``lifecycle`` command."""
    parser = subparsers.add_parser(
        "show",
        help="show a stored connection: its status, deadlines and what is due next",
        description="Show a stored connection as it is now (or at --at): its status and "
        "why it is inactive, its deadlines, and its agenda (the next actions and when they "
        "are due). Keys come from LIFECYCLE_KEYS. Exit status 1 when the connection is "
        "not found or cannot be read, 2 for bad usage.",
    )
    add_arguments(parser)
    parser.add_argument(
        "--at",
        metavar="TIME",
        help="look at the connection as of this time, ISO 8601 with an offset (default: now)",
    )
    parser.set_defaults(run=reading(_PROG, _show))
