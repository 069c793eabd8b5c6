"""``lifecycle worker``: keep every stored connection alive, unattended.

A loop over ``adapters.worker.run_due``: lease what is due, do it through the
connection service, release, then sleep until the next due time (at most
``--max-sleep``). SIGTERM and SIGINT stop it cleanly: the connection in hand is
finished, the rest of the batch released. ``--once`` runs until nothing is due now and
exits (for cron). One log line per action on standard error, never a secret.

Settings come from the environment, so that no secret is ever on a command line:
``LIFECYCLE_STORE`` (or ``--store``), ``LIFECYCLE_KEYS``, ``LIFECYCLE_CLIENT_ID``,
``LIFECYCLE_CLIENT_SECRET``, ``LIFECYCLE_REDIRECT_URI``, ``LIFECYCLE_TRUELAYER``
(``live``, ``sandbox`` or the base URL of a local sandbox) and, with ``--webhook``,
``LIFECYCLE_WEBHOOK_SECRET``.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from types import FrameType
from typing import Any

from adapters.service import Connections, ServiceError
from adapters.stores import StoreError
from adapters.truelayer import TrueLayerClient
from adapters.worker import Done, RelayError, run_due
from adapters.worker import relay as relay_events
from adapters.worker._settings import (
    ENVIRONMENT,
    SettingsError,
    sandbox_clock,
    truelayer_settings,
)

from ._connect import NoStoreError, add_store_arguments, make_store
from ._output import Column, Output, add_format_argument

__all__ = ["register"]

_PROG = "lifecycle worker"
log = logging.getLogger("adapters.worker")


@contextmanager
def _stopping_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop``: the batch in hand ends cleanly, then the loop."""

    def handle(signum: int, frame: FrameType | None) -> None:
        log.info("%s: stopping after the connection in hand", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False


def _sleep_for(connections: Connections, max_sleep: float) -> float:
    """Seconds until the next due connection, at most ``max_sleep``; at least a second
    when something is due already (it failed: do not hammer the bank)."""
    now = connections.now()
    bound = now + timedelta(seconds=max_sleep)
    nxt = connections.store.due(bound, 1, now=now)
    if not nxt:
        return max_sleep
    return min(max(1.0, (nxt[0].due - now).total_seconds()), max_sleep)


def _relay_function() -> Callable[..., int]:
    """``adapters.worker.relay``, used when ``--webhook`` is given."""
    return relay_events


def _relay(relay: Callable[..., int], connections: Connections, url: str, secret: bytes) -> None:
    try:
        sent = relay(connections, url, secret=secret)
    except (ServiceError, RelayError) as error:
        # The receiver is down or refused: the next batch starts again at that event.
        log.warning("webhook: %s", error)
        return
    if sent:
        log.info("webhook: %d event(s) delivered", sent)


def _loop(args: argparse.Namespace, environ: Mapping[str, str], output: Output) -> int:
    settings = truelayer_settings(environ)
    clock = sandbox_clock(environ) if args.clock == "sandbox" else None
    relay = None
    if args.webhook:
        if not environ.get("LIFECYCLE_WEBHOOK_SECRET"):
            raise SettingsError("--webhook needs LIFECYCLE_WEBHOOK_SECRET")
        relay = _relay_function()
        secret = environ["LIFECYCLE_WEBHOOK_SECRET"].encode()
    reconcile = None if args.reconcile_every is None else timedelta(hours=args.reconcile_every)
    stop = threading.Event()
    total = Done()
    with (
        make_store(args.store, schema=args.schema) as store,
        TrueLayerClient(**settings) as client,
        _stopping_on_signals(stop),
    ):
        connections = Connections(
            store=store, client=client, clock=clock, lease=timedelta(seconds=args.lease)
        )
        recovered = connections.recover()
        if recovered:
            log.info("recovered %d answer(s) stored but not applied", recovered)
        while not stop.is_set():
            done = run_due(connections, limit=args.limit, reconcile_every=reconcile, stop=stop)
            total += done
            if done.leased:
                log.info("batch: %s", " ".join(f"{k}={v}" for k, v in done.counts().items() if v))
            if relay is not None:
                _relay(relay, connections, args.webhook, secret)
            if done.leased == args.limit and done.actions:
                continue  # more may be due now
            if args.once:
                break
            stop.wait(_sleep_for(connections, args.max_sleep))
    output.table(_COLUMNS, [total.counts()])
    return 0


def _column(name: str) -> Column:
    return (name, lambda counts: str(counts[name]))


_COLUMNS = [_column(name) for name in Done().counts()]


def _run(args: argparse.Namespace) -> int:
    _logging(args.verbose)
    try:
        output = Output(args.format)
        return _loop(args, os.environ, output)
    except (NoStoreError, SettingsError, ValueError) as error:
        print(f"{_PROG}: {error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        print(f"{_PROG}: {error.name} is not installed", file=sys.stderr)
        return 2
    except StoreError as error:  # messages name rows and fields, never values or DSNs
        print(f"{_PROG}: {error}", file=sys.stderr)
        return 1


def _positive(kind: type[int] | type[float]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, not {text}")
        return value

    return parse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``worker`` to the ``lifecycle`` command."""
    variables = "\n".join(f"  {name:<26}{meaning}" for name, meaning in ENVIRONMENT.items())
    parser = subparsers.add_parser(
        "worker",
        help="keep every stored connection alive: refresh, keep-alive, remind, expire",
        description="Act on every stored connection's agenda unattended, from as many "
        "processes and machines as you like (PostgreSQL for several machines): refresh "
        "access tokens ahead of expiry (R5), use refresh tokens before their 30 days run "
        "out (R6), record reminders to reconfirm (R9) and expiry (R8), resolve requests "
        "whose outcome is unknown (R15). Stops cleanly on SIGTERM or SIGINT. Exit "
        "status 0 when stopped, 1 when the store failed, 2 for bad usage or settings.",
        epilog=f"environment:\n{variables}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_store_arguments(parser)
    add_format_argument(parser)
    parser.add_argument(
        "--once", action="store_true", help="do what is due now, then exit (for cron)"
    )
    parser.add_argument(
        "--limit", type=_positive(int), default=100, help="connections per batch (100)"
    )
    parser.add_argument(
        "--max-sleep",
        type=_positive(float),
        default=60.0,
        metavar="SECONDS",
        help="the longest sleep between batches (60)",
    )
    parser.add_argument(
        "--lease",
        type=_positive(float),
        default=300.0,
        metavar="SECONDS",
        help="how long a batch's lease lasts if the worker dies holding it (300)",
    )
    parser.add_argument(
        "--reconcile-every",
        type=_positive(float),
        metavar="HOURS",
        help="reconcile each active connection with /data/v1/me this often (R10; default: never)",
    )
    parser.add_argument(
        "--clock",
        choices=("system", "sandbox"),
        default="system",
        help="system: the machine's UTC clock; sandbox: the local sandbox's clock "
        "(LIFECYCLE_TRUELAYER=<its URL>), for demos and tests that move time",
    )
    parser.add_argument(
        "--webhook",
        metavar="URL",
        help="after each batch, POST the new outbox events to URL, signed with "
        "LIFECYCLE_WEBHOOK_SECRET",
    )
    parser.add_argument("--verbose", action="store_true", help="also log each batch's details")
    parser.set_defaults(run=_run)
