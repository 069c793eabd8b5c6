"""``lifecycle events``: the outbox events not yet acknowledged, in order; ``--ack``
acknowledges what was printed, ``--follow`` keeps printing new ones as they come.

At least once: an event is acknowledged only after it was printed, so a reader that
stops in between sees it again next time, never loses it.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from adapters.worker import event_json

from . import _words as words
from ._connect import Durable, add_store_arguments
from ._output import Column, Output, add_format_argument
from ._stored import reading

__all__ = ["COLUMNS", "register"]

_PROG = "lifecycle events"

COLUMNS: tuple[Column, ...] = (
    ("#", lambda event: str(event["position"])),
    ("time", lambda event: words.when(event["at"])),
    ("connection", lambda event: str(event["connection_id"])),
    ("event", lambda event: str(event["type"])),
    ("status", lambda event: words.status({**event, "inactive_reason": event["reason"]})),
)


@contextmanager
def _stop_on_sigterm(stop: threading.Event) -> Iterator[None]:
    # --follow ends cleanly on SIGTERM as on Ctrl-C: what was printed was acknowledged
    # (with --ack), nothing else was.
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _batch(
    store: Durable, args: argparse.Namespace, output: Output, after: int, header: bool
) -> tuple[int, int]:
    """Print the next batch after ``after`` (and acknowledge it with ``--ack``).

    Returns:
        The last position printed (``after`` if none) and how many were printed.
    """
    events = store.events(after=after, limit=args.limit, connection_id=args.connection)
    if not events:
        return after, 0
    rows: list[dict[str, Any]] = [event_json(event) for event in events]
    if output.tables:
        output.grid(
            [heading for heading, _ in COLUMNS],
            [[cell(row) for _, cell in COLUMNS] for row in rows],
            header=header,
        )
    else:
        output.json_lines(rows)
    if args.ack:
        store.ack([event.event_id for event in events])
    return events[-1].position, len(events)


def _events(store: Durable, args: argparse.Namespace, output: Output) -> int:
    if args.limit < 1:
        raise ValueError("--limit must be at least 1")
    if not args.interval > 0:
        raise ValueError("--interval must be more than 0 seconds")
    if args.after < 0:
        raise ValueError("--after must not be negative")
    after, printed = _batch(store, args, output, args.after, header=True)
    if not args.follow:
        if printed == 0 and output.tables:
            print("no events waiting", file=output.stdout)
        return 0
    stop = threading.Event()
    with _stop_on_sigterm(stop):
        try:
            while not stop.wait(args.interval):
                after, count = _batch(store, args, output, after, header=printed == 0)
                printed += count
        except KeyboardInterrupt:
            pass  # Ctrl-C: stop following; what was printed stays as it is
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``events`` to the ``lifecycle`` command."""
    parser = subparsers.add_parser(
        "events",
        help="print the outbox events not yet acknowledged, in order; --ack, --follow",
        description="Print the outbox events not yet acknowledged, in order (commit "
        "order, hence in order per connection): what happened to which connection, and "
        "its status after it. With --ack, acknowledge the events once printed, so the "
        "next run starts after them; with --follow, keep printing new events as they "
        "are written, until Ctrl-C or SIGTERM. Keys come from LIFECYCLE_KEYS. Exit "
        "status 1 when the store cannot be read, 2 for bad usage.",
    )
    add_store_arguments(parser)
    add_format_argument(parser)
    parser.add_argument(
        "--ack", action="store_true", help="acknowledge each event once it is printed"
    )
    parser.add_argument(
        "--follow", action="store_true", help="keep printing new events until interrupted"
    )
    parser.add_argument("--connection", metavar="ID", help="only the events of this connection")
    parser.add_argument(
        "--after",
        type=int,
        default=0,
        metavar="POSITION",
        help="only events after this position (default: from the oldest)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=100,
        metavar="N",
        help="print at most N events at a time (default: 100)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="with --follow, how long to wait between looks (default: 1)",
    )
    parser.set_defaults(run=reading(_PROG, _events))
