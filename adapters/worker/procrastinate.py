"""``run_due`` on procrastinate: a job engine on PostgreSQL alone (no broker).

For teams that already run procrastinate workers, or outgrow one ``lifecycle worker``
process: add the blueprint to your app and run as many procrastinate workers as you
like; leases make sure each due connection is handled by one of them.

Example:
    import procrastinate
    from adapters.worker import procrastinate as lifecycle_tasks

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=DSN))
    app.add_tasks_from(lifecycle_tasks.blueprint, namespace="lifecycle")
    # optional: how a worker process builds its service (default: from the environment)
    lifecycle_tasks.use(make_connections)

The periodic task ``run_due_periodic`` runs every minute; ``run_due_batch`` is the same
work as a plain task, to defer more of it at once when a backlog builds up. Needs the
optional extra ``truelayer-lifecycle[procrastinate]``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

try:
    import procrastinate
except ImportError as error:  # pragma: no cover - only without the extra
    raise ImportError(
        "adapters.worker.procrastinate needs procrastinate: "
        "pip install 'truelayer-lifecycle[procrastinate]'"
    ) from error

from adapters.service import Connections

from ._run import Done, run_due

__all__ = ["blueprint", "connections_from_environment", "make_blueprint", "use"]

Factory = Callable[[], Connections]

_lock = threading.Lock()
_factory: Factory | None = None
_service: Connections | None = None


def connections_from_environment(environ: Mapping[str, str] | None = None) -> Connections:
    """The service built from the environment ``lifecycle worker`` reads (its store,
    keys, TrueLayer client; ``LIFECYCLE_CLOCK=sandbox`` follows a local sandbox's clock).
    The store and client stay open for the life of the process.

    Raises:
        SettingsError: a variable is missing or malformed.
        StoreError: the store cannot be opened.
    """
    from adapters.cli._connect import make_store
    from adapters.truelayer import TrueLayerClient

    from ._settings import sandbox_clock, truelayer_settings

    environ = os.environ if environ is None else environ
    settings = truelayer_settings(environ)
    clock = sandbox_clock(environ) if environ.get("LIFECYCLE_CLOCK") == "sandbox" else None
    store = make_store(None, schema=environ.get("LIFECYCLE_SCHEMA", "public"), environ=environ)
    return Connections(store=store.open(), client=TrueLayerClient(**settings), clock=clock)


def use(factory: Factory | None) -> None:
    """Say how a worker process builds its service (``None``: from the environment).

    Called once per process, at its first job; the service is kept for the next ones.
    """
    global _factory, _service
    with _lock:
        _factory, _service = factory, None


def _connections() -> Connections:
    global _service
    with _lock:
        if _service is None:
            _service = (_factory or connections_from_environment)()
        return _service


def _drain(limit: int, reconcile_hours: float | None) -> dict[str, int]:
    """Batches until one comes back short: what is due now is done (or leased by others)."""
    connections = _connections()
    every = None if reconcile_hours is None else timedelta(hours=reconcile_hours)
    total = Done()
    while True:
        done = run_due(connections, limit=limit, reconcile_every=every)
        total += done
        if done.leased < limit or not done.actions:
            return total.counts()


def make_blueprint(*, cron: str = "* * * * *", limit: int = 100) -> procrastinate.Blueprint:
    """A blueprint with the worker's tasks, on a cron of your choice.

    Args:
        cron: when the periodic task runs (procrastinate's cron; a 6th column counts
            seconds). Default: every minute.
        limit: connections per batch.
    """
    tasks = procrastinate.Blueprint()

    @tasks.periodic(cron=cron)
    @tasks.task(name="run_due_periodic", queueing_lock="lifecycle-run-due-periodic")
    def run_due_periodic(timestamp: int) -> dict[str, int]:
        return _drain(limit, None)

    @tasks.task(name="run_due_batch")
    def run_due_batch(limit: int = limit, reconcile_hours: float | None = None) -> Any:
        return _drain(limit, reconcile_hours)

    return tasks


blueprint = make_blueprint()
"""The worker's tasks, every minute: ``app.add_tasks_from(blueprint, namespace=...)``."""
