"""``lifecycle replay FILE``: feed a connection's history to the core, line by line.

Each input line is ``{"at": ..., "type": ..., ...fields}``; each output line says what
the core decided and what the connection looks like at that time. This is how a user
debugs a connection's history. A malformed line stops the replay with a one-line error
on stderr naming the line, and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import lifecycle as core

from .._json import NotJSON, loads

__all__ = ["ReplayError", "register", "replay"]


class ReplayError(ValueError):
    """A line of the replay file cannot be read; names the line."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _report(decision: core.Decision, input: core.Input, policy: core.Policy) -> dict[str, Any]:
    record, at = decision.record, input.at
    status, inactive_reason = core.status_at(record, at, policy)
    limits = core.deadlines(record, at, policy)
    return {
        "at": at.isoformat(),
        "type": input.TYPE,
        "accepted": decision.accepted,
        "reason": None if decision.reason is None else decision.reason.value,
        "status": status.value,
        "inactive_reason": None if inactive_reason is None else inactive_reason.value,
        "effects": [effect.value for effect in decision.effects],
        "request": _request(record),
        "reauthenticating": record.reauthenticating,
        "deadlines": {
            "code_expires_at": _iso(limits.code_expires_at),
            "access_expires_at": _iso(limits.access_expires_at),
            "refresh_use_by": _iso(limits.refresh_use_by),
            "consent_expires_at": _iso(limits.consent_expires_at),
            "extend_until": _iso(limits.extend_until),
        },
        "agenda": [
            {"action": item.action.value, "due": item.due.isoformat()}
            for item in core.agenda(record, at, policy)
        ],
    }


def _request(record: core.Connection) -> dict[str, Any] | None:
    # R15: the request in flight, if any, that the next answer must answer.
    request = record.request
    if request is None:
        return None
    return {
        "effect": request.effect.value,
        "number": request.number,
        "sent_at": request.sent_at.isoformat(),
        "outcome_unknown": request.outcome_unknown,
    }


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

    Blank lines are skipped. The first input must be ``connection_started``.

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
        yield _report(decision, input, policy)
    if record is None:
        raise ReplayError(None, "the file holds no input")


def _run(args: argparse.Namespace) -> int:
    out: IO[str] = sys.stdout
    try:
        with Path(args.file).open(encoding="utf-8") as lines:
            for report in replay(lines):
                out.write(json.dumps(report) + "\n")
    except ReplayError as error:
        print(f"lifecycle replay: {args.file}: {error}", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError) as error:
        print(f"lifecycle replay: cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``replay`` to the ``lifecycle`` command."""
    parser = subparsers.add_parser(
        "replay",
        help="replay a connection's inputs (JSON Lines) and print what the core decides",
        description=__doc__,
    )
    parser.add_argument("file", help="a JSON Lines file, one input per line")
    parser.set_defaults(run=_run)
