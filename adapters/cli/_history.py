"""``lifecycle history ID``: every input decided against a stored connection, in order,
accepted or refused."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

from . import _words as words
from ._connect import Durable
from ._output import Column, Output
from ._report import jsonable
from ._stored import add_arguments, reading

__all__ = ["history_reports", "register"]

_PROG = "lifecycle history"

COLUMNS: tuple[Column, ...] = (
    ("#", lambda entry: str(entry["seq"])),
    ("time", lambda entry: words.when(entry["at"])),
    ("input", lambda entry: str(entry["type"])),
    ("outcome", words.outcome),
    ("status after", lambda entry: str(entry["status_after"])),
    ("effects", words.effects),
)


def history_reports(store: Durable, connection_id: str) -> Iterator[dict[str, Any]]:
    """Each history row of a connection as JSON-ready data; secrets by fingerprint only.

    Raises:
        ConnectionNotFound: no such connection.
        CorruptRecordError: a history row cannot be read.
    """
    for entry in store.history(connection_id):
        fields = jsonable(entry.input)
        fields.pop("at", None)
        yield {
            "seq": entry.seq,
            "at": entry.at.isoformat(),
            "type": entry.input_type,
            "accepted": entry.accepted,
            "reason": jsonable(entry.reason),
            "effects": jsonable(entry.effects),
            "status_after": jsonable(entry.status_after),
            "recorded_at": entry.recorded_at.isoformat(),
            "input": fields,
        }


def _history(store: Durable, args: argparse.Namespace, output: Output) -> int:
    output.table(COLUMNS, history_reports(store, args.connection_id))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``history`` to the ``lifecycle`` command."""
    parser = subparsers.add_parser(
        "history",
        help="list every input decided against a stored connection, accepted or refused",
        description="List every input decided against a stored connection, in order: "
        "when it happened, accepted or refused with the reason, the status after it and "
        "the effects asked for. Secrets are shown by fingerprint only. Keys come from "
        "LIFECYCLE_KEYS. Exit status 1 when the connection is not found or cannot be "
        "read, 2 for bad usage.",
    )
    add_arguments(parser)
    parser.set_defaults(run=reading(_PROG, _history))
