"""``lifecycle demo``: one connection's whole life in a few seconds, with nothing to set up.

Starts the local sandbox on 127.0.0.1 and a SQLite store in a temporary folder (both gone
when the demo ends), then walks one UK connection from its auth link to its revocation
by moving the sandbox's clock (``_demo_life``), and prints the timeline: a table for a
person, JSON Lines for a program (``--json``, or when piped).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lifecycle as core
from adapters.sandbox import RefreshMode, Sandbox, SandboxConfig
from adapters.service import Connections, ServiceError
from adapters.stores import Keyring, SqliteStore, StoreError
from adapters.truelayer import Endpoints, TrueLayerClient

from ._demo_life import Step, live
from ._output import Output, add_format_argument

__all__ = ["register", "run_demo", "step_json"]

_PROG = "lifecycle demo"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# About how many simulated days the walk covers, for the progress bar.
_DAYS = 165


def step_json(step: Step) -> dict[str, Any]:
    """A step of the timeline as one JSON object."""
    return {
        "kind": "step",
        "at": step.at.isoformat(),
        "day": step.day,
        "until_day": step.until_day,
        "who": step.who,
        "what": step.what,
        "status": step.status,
        "reason": step.reason,
        "consent_expires_at": None
        if step.consent_expires_at is None
        else step.consent_expires_at.isoformat(),
        "events": list(step.events),
        "worker": dict(step.worker),
        "runs": step.runs,
    }


def _walk(output: Output) -> tuple[list[Step], int]:
    steps: list[Step] = []
    with tempfile.TemporaryDirectory(prefix="lifecycle-demo-") as folder:
        # Strict rotation (R6): every refresh answers a new refresh token and the old
        # one is dead at once, the most demanding of the behaviours TrueLayer may have.
        config = SandboxConfig(refresh_mode=RefreshMode.ROTATING, start=START)
        keyring = Keyring({"demo": os.urandom(32)}, "demo")
        with (
            Sandbox(config) as sandbox,
            SqliteStore(Path(folder) / "demo.db", keyring=keyring) as store,
            TrueLayerClient(
                client_id=config.client_id,
                client_secret=core.Secret(config.client_secret),
                redirect_uri=config.redirect_uris[0],
                endpoints=Endpoints.local(sandbox.base_url),
            ) as client,
            output.progress("simulated days", total=_DAYS) as progress,
        ):
            connections = Connections(store=store, client=client, clock=sandbox.clock.now)

            def day(number: int) -> None:
                progress.advance(max(0, number - progress.done))

            for step in live(connections, sandbox, on_day=day):
                steps.append(step)
                day(step.until_day or step.day)
            progress.total(progress.done)
            total_days = (sandbox.clock.now() - START).days
    return steps, total_days


def _when(step: Step) -> str:
    if step.until_day is not None and step.until_day != step.day:
        return f"day {step.day}-{step.until_day}"
    return f"day {step.day} {step.at:%H:%M}"


def _tables(output: Output, steps: list[Step], summary: dict[str, Any]) -> None:
    print(
        f"One connection's whole life, from {START:%Y-%m-%d} on the local sandbox's clock "
        "(simulated time; nothing leaves 127.0.0.1)",
        file=output.stdout,
    )
    rows = [
        [
            _when(step),
            step.who,
            step.what,
            step.status if step.reason is None else f"{step.status} ({step.reason})",
            "-"
            if step.consent_expires_at is None or step.status == "inactive"
            else f"day {(step.consent_expires_at - START).days}",
            ", ".join(event.removeprefix("connection.") for event in step.events),
        ]
        for step in steps
    ]
    output.grid(["when", "who", "what happened", "status", "consent ends", "events"], rows)
    print(
        f"{summary['days']} simulated days, {summary['worker_runs']} worker runs, "
        f"{summary['events']} events, in {summary['seconds']:.1f} s. The store was a SQLite "
        "file in a temporary folder, now deleted.",
        file=output.stdout,
        flush=True,
    )


def run_demo(output: Output) -> int:
    """Walk the life and print it; returns the exit status (1 when a step failed)."""
    began = time.monotonic()
    try:
        steps, days = _walk(output)
    except (ServiceError, StoreError, OSError) as error:
        print(f"{_PROG}: stopped: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    summary = {
        "kind": "summary",
        "days": days,
        "steps": len(steps),
        "worker_runs": sum(step.runs for step in steps if step.who == "worker"),
        "events": sum(len(step.events) for step in steps),
        "final_status": steps[-1].status,
        "seconds": round(time.monotonic() - began, 3),
    }
    if output.tables:
        _tables(output, steps, summary)
    else:
        output.json_lines([*(step_json(step) for step in steps), summary])
    return 0


def _run(args: argparse.Namespace) -> int:
    return run_demo(Output(args.format))


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``demo`` to the ``lifecycle`` command."""
    parser = subparsers.add_parser(
        "demo",
        help="walk one connection through its whole life on the local sandbox, in seconds",
        description="Start the local sandbox on 127.0.0.1 and a SQLite store in a "
        "temporary folder, then walk one UK connection through its whole life by moving "
        "the sandbox's clock: the auth link, consent in the bank's dialog, the callback, "
        "reading accounts, the worker's refreshes and keep-alive (R5, R6), reminders, "
        "reconfirmation and extension (R9), re-authentication, and revocation (R12). "
        "Prints the timeline: each step, who acted, the status after it and the outbox "
        "events. Needs no setup and no network beyond 127.0.0.1; takes a few seconds. "
        "Exit status 1 when a step fails.",
    )
    add_format_argument(parser)
    parser.set_defaults(run=_run)
