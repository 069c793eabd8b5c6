"""``lifecycle status [ID]``: the stored connections at a glance, or one in full.

Without an ID: one row per stored connection (up to ``--limit``, by id): its status and
why it is inactive, and the next thing due for it and when. With an ID: that
connection's status, deadlines and agenda (``show``) and its history (``history``).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import lifecycle as core
from adapters.stores import CorruptRecordError

from . import _words as words
from ._connect import Durable, add_store_arguments
from ._history import COLUMNS as HISTORY_COLUMNS
from ._history import history_reports
from ._output import Column, Output, add_format_argument
from ._report import jsonable
from ._show import show_report
from ._stored import at_time, reading

__all__ = ["register", "status_rows"]

_PROG = "lifecycle status"
_CHUNK = 500  # records read per round trip (get_many)


def _next(agenda: tuple[core.AgendaItem, ...]) -> core.AgendaItem | None:
    return agenda[0] if agenda else None


def status_rows(store: Durable, at: datetime, limit: int) -> Iterator[dict[str, Any]]:
    """One JSON-ready row per stored connection (the first ``limit`` by id), as of ``at``.

    A row that cannot be read is listed with ``status`` ``unreadable`` and the store's
    error (which names the row and field, never a value).

    Raises:
        StoreError: the store failed.
    """
    ids = store.connection_ids()[:limit]
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found = store.get_many(chunk)
        for connection_id in chunk:
            stored = found.get(connection_id)
            if stored is None:
                continue  # deleted since it was listed
            if isinstance(stored, CorruptRecordError):
                yield {"connection_id": connection_id, "status": "unreadable", "error": str(stored)}
                continue
            record = stored.record
            status, reason = core.status_at(record, at, core.DEFAULT_POLICY)
            item = _next(core.agenda(record, at, core.DEFAULT_POLICY))
            yield {
                "connection_id": connection_id,
                "region": record.region,
                "status": status.value,
                "inactive_reason": jsonable(reason),
                "next_action": None if item is None else item.action.value,
                "next_due": None if item is None else item.due.isoformat(),
                "version": stored.version,
            }


def _due(row: dict[str, Any], at: datetime) -> str:
    due = row.get("next_due")
    if due is None:
        return "-"
    late = at - datetime.fromisoformat(due)
    if late.total_seconds() >= 0:
        return f"{words.when(due)} (due now)"
    return f"{words.when(due)} (in {words.duration(-late.total_seconds())})"


def _columns(at: datetime) -> tuple[Column, ...]:
    return (
        ("connection", lambda row: str(row["connection_id"])),
        ("region", lambda row: str(row.get("region", "-"))),
        ("status", lambda row: words.status(row) if "error" not in row else "unreadable"),
        ("next", lambda row: str(row.get("next_action") or "-")),
        ("when", lambda row: _due(row, at)),
    )


def _one(store: Durable, connection_id: str, at: datetime, output: Output) -> None:
    report = show_report(store, connection_id, at)
    history = list(history_reports(store, connection_id))
    if not output.tables:
        output.json_lines([{**report, "history": history}])
        return
    rows = [
        ["connection", report["connection_id"]],
        ["region", str(report["region"])],
        ["status", words.status(report)],
        ["at", words.when(report["at"])],
        ["next deadline", words.next_deadline(report)],
    ]
    output.grid(["", ""], rows, header=False)
    deadlines = [[name, words.when(value)] for name, value in report["deadlines"].items() if value]
    if deadlines:
        output.grid(["deadline", "time"], deadlines, title="Deadlines")
    agenda = [[item["action"], words.when(item["due"])] for item in report["agenda"]]
    output.grid(["action", "due"], agenda or [["(nothing to do)", "-"]], title="Agenda")
    output.grid(
        [heading for heading, _ in HISTORY_COLUMNS],
        [[cell(entry) for _, cell in HISTORY_COLUMNS] for entry in history],
        title="History",
    )


def _status(store: Durable, args: argparse.Namespace, output: Output) -> int:
    at = at_time(args.at)
    if args.connection_id is not None:
        _one(store, args.connection_id, at, output)
        return 0
    if args.limit < 1:
        raise ValueError("--limit must be at least 1")
    rows = list(status_rows(store, at, args.limit))
    if output.tables and not rows:
        print("no connections stored", file=output.stdout)
        return 0
    output.table(_columns(at), rows)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``status`` to the ``lifecycle`` command."""
    parser = subparsers.add_parser(
        "status",
        help="the stored connections: status, reason, next due action; or one in full",
        description="Without an ID: a table of the stored connections (the first --limit "
        "by id), each with its status and why it is inactive, the next action due and "
        "when. With an ID: that connection's status, deadlines, agenda and history. "
        "Keys come from LIFECYCLE_KEYS. Exit status 1 when the connection is not found "
        "or the store cannot be read, 2 for bad usage.",
    )
    parser.add_argument(
        "connection_id", metavar="ID", nargs="?", help="a connection's id: show it in full"
    )
    add_store_arguments(parser)
    add_format_argument(parser)
    parser.add_argument(
        "--at",
        metavar="TIME",
        help="as of this time, ISO 8601 with an offset (default: now)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=1000,
        metavar="N",
        help="list at most N connections, by id (default: 1000)",
    )
    parser.set_defaults(run=reading(_PROG, _status))
