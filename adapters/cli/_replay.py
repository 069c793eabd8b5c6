"""``lifecycle replay FILE``: feed a connection's history to the core, line by line.

Each input line is ``{"at": ..., "type": ..., ...fields}``; for each one the command says
what the core decided and what the connection looks like at that time. This is how a
user debugs a connection's history. A malformed line stops the replay with a one-line
error on stderr naming the line, and exit status 2.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import lifecycle as core

from .._json import NotJSON, loads
from . import _words as words
from ._output import Column, Output, add_format_argument
from ._report import decision_report

__all__ = ["LONGEST_LINE", "ReplayError", "bounded_lines", "register", "replay"]

# A real input is a few hundred characters; a line of a mebibyte is not a history (it
# could be /dev/zero, which has no newline at all), and reading it whole would exhaust
# the memory.
LONGEST_LINE = 1_048_576
# An error message quotes at most this much of what it was given.
_LONGEST_MESSAGE = 300

_DESCRIPTION = (
    "Feed a connection's history to the core, one input a line (JSON Lines, the first "
    "being connection_started), and show what the core decides for each: accepted or "
    "refused with the reason, the status at that time and the deadline that comes next "
    "(the JSON form also lists the effects to perform and the whole agenda). FILE - "
    "reads standard input. A malformed line stops the replay with a one-line error "
    "naming the line (exit status 2). The input format: see 'Replay format' in the "
    "documentation."
)

COLUMNS: tuple[Column, ...] = (
    ("time", lambda report: words.when(report["at"])),
    ("input", lambda report: str(report["type"])),
    ("outcome", words.outcome),
    ("status", words.status),
    ("next deadline", words.next_deadline),
)


class ReplayError(ValueError):
    """A line of the replay file cannot be read; names the line."""

    def __init__(self, line: int | None, message: str) -> None:
        if len(message) > _LONGEST_MESSAGE:
            message = f"{message[:_LONGEST_MESSAGE]}... ({len(message)} characters)"
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


def bounded_lines(stream: IO[str], longest: int = LONGEST_LINE) -> Iterator[str]:
    """The lines of ``stream``, each read with a bounded buffer.

    Raises:
        ReplayError: a line is longer than ``longest`` characters.
    """
    number = 0
    while line := stream.readline(longest + 1):
        number += 1
        if len(line.rstrip("\r\n")) > longest:
            raise ReplayError(number, f"longer than {longest:,} characters")
        yield line


def _parse(number: int, text: str) -> core.Input:
    try:
        data = loads(text)
    except NotJSON as error:
        raise ReplayError(number, f"not JSON ({error.reason})") from None
    try:
        return core.input_from_json(data)
    except core.MalformedInputError as error:
        raise ReplayError(number, str(error)) from None


def replay(
    lines: Iterable[str], policy: core.Policy = core.DEFAULT_POLICY
) -> Iterator[dict[str, Any]]:
    """Decide each JSON line in turn and yield one report per input.

    Blank lines are skipped. The first input must be ``connection_started``. Each
    report holds the input's ``at`` and ``type``, every field of the core's decision
    but the record, and the record's status, deadlines and agenda at that time.

    Raises:
        ReplayError: a line is not JSON, not a valid input, or the first is not a start.
    """
    record: core.Connection | None = None
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        input = _parse(number, text)
        if record is None:
            if not isinstance(input, core.ConnectionStarted):
                raise ReplayError(
                    number, f"the first input must be connection_started, not {input.TYPE}"
                )
            try:
                record = core.start(input, policy)
            except core.MalformedInputError as error:
                raise ReplayError(number, str(error)) from None
            decision = core.Decision(record=record, accepted=True)
        else:
            decision = core.apply(record, input, policy)
            record = decision.record
        yield decision_report(input, decision, policy)
    if record is None:
        raise ReplayError(None, "the file holds no input")


def _open(name: str) -> IO[str]:
    if name == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline=None)
    return Path(name).open(encoding="utf-8")


def _run(args: argparse.Namespace) -> int:
    output = Output(args.format)
    where = "standard input" if args.file == "-" else args.file
    try:
        with _open(args.file) as stream:
            reports = replay(bounded_lines(stream))
            if output.tables:
                output.table(COLUMNS, list(reports))
            else:
                output.json_lines(reports)
    except ReplayError as error:
        print(f"lifecycle replay: {where}: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # the reader went away: not a reading error (see ``main``)
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        print(f"lifecycle replay: cannot read {where}: {reason}", file=sys.stderr)
        return 2
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``replay`` to the ``lifecycle`` command."""
    parser = subparsers.add_parser(
        "replay",
        help="replay a connection's inputs (JSON Lines) and show what the core decides",
        description=_DESCRIPTION,
    )
    parser.add_argument(
        "file", metavar="FILE", help="a JSON Lines file, one input a line (- : standard input)"
    )
    add_format_argument(parser)
    parser.set_defaults(run=_run)
