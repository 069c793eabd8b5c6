"""Simulated time for the worker: many connections, many worker processes, the sandbox's
clock moved step by step (shared by the worker's tests and the benchmark).

The driver (the test's process) seeds connections through the service, then for each
step moves the sandbox clock and tells every worker process the new time; each worker
runs ``run_due`` at that time until nothing is left for it, and says what it did. The
workers' service clock is injected: the time of the step, which is the sandbox's (each
worker checks it against ``/_admin/clock``). Between steps, the users react to the
events: every connection picked to be reconfirmed is reconfirmed and extended at its
first reminder (R9).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, NamedTuple

import httpx
from attrs import define, field

import lifecycle as core
from adapters.sandbox import Sandbox
from adapters.service import Connections
from adapters.stores import Keyring, OutboxEvent, PostgresStore, SqliteStore, Store
from adapters.truelayer import Endpoints, ExtendUser, RetryPolicy, TrueLayerClient

SCOPES = ("info", "accounts", "balance", "transactions", "offline_access")
REDIRECT_URI = "http://127.0.0.1/callback"
FAST = RetryPolicy(attempts=3, timeout=5.0, wait_initial=0.001, wait_max=0.005, wait_jitter=0.001)
USER = ExtendUser(id="u-1", name="Ada Lovelace", email="ada@example.test")


class Spot(NamedTuple):
    """Where a store lives, and its raw keys (picklable: for worker processes)."""

    kind: Literal["sqlite", "postgres"]
    location: str
    schema: str | None
    keys: dict[str, bytes]


@contextmanager
def open_spot(spot: Spot, **options: Any) -> Iterator[Store]:
    """The opened store at ``spot``."""
    keys = Keyring(spot.keys, "k1")
    store: Store
    if spot.kind == "sqlite":
        store = SqliteStore(Path(spot.location), keyring=keys, **options)
    else:
        store = PostgresStore(
            spot.location, keyring=keys, schema=spot.schema or "public", **options
        )
    with store:
        yield store


def drop_spot(spot: Spot) -> None:
    """Drop a PostgreSQL spot's schema (a SQLite spot's file goes with its folder)."""
    if spot.kind == "postgres":
        import psycopg

        with psycopg.connect(spot.location, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{spot.schema}" CASCADE'.encode())


def client(base_url: str) -> TrueLayerClient:
    """The test client of the sandbox at ``base_url``."""
    return TrueLayerClient(
        client_id="sandbox-client",
        client_secret=core.Secret("sandbox-secret"),
        redirect_uri=REDIRECT_URI,
        endpoints=Endpoints.local(base_url),
        retry=FAST,
        timeout=10.0,
    )


def worker(spot: Spot, base_url: str, commands: Any, results: Any, limit: int) -> None:
    """A worker process: for each time it is sent, ``run_due`` until nothing is left."""
    from adapters.worker import Done, run_due

    moment: list[datetime] = []
    with open_spot(spot) as store, client(base_url) as tl, httpx.Client() as admin:
        connections = Connections(store=store, client=tl, clock=lambda: moment[-1])
        results.put(("ready", os.getpid()))
        while (command := commands.get()) is not None:
            now = datetime.fromisoformat(command)
            sandbox_now = datetime.fromisoformat(
                admin.get(f"{base_url}/_admin/clock").json()["now"]
            )
            assert sandbox_now == now, (sandbox_now, now)  # one clock for both sides
            moment.append(now)
            del moment[:-1]
            total, started = Done(), time.perf_counter()
            while True:
                done = run_due(connections, now=now, limit=limit)
                total += done
                if not done.leased or not done.actions:
                    break  # nothing left, or only failures (the next step retries)
            results.put(("done", {**total.counts(), "seconds": time.perf_counter() - started}))


@define
class Report:
    """What a simulation did and saw."""

    ids: list[str]
    reconfirmed: set[str]
    expiries: dict[str, datetime]
    events: dict[str, list[OutboxEvent]] = field(factory=dict)
    totals: Counter[str] = field(factory=Counter)
    wall_seconds: float = 0.0
    seed_seconds: float = 0.0
    steps: int = 0
    # Per step: what the workers did together, and the slowest worker's seconds.
    per_step: list[tuple[Counter[str], float]] = field(factory=list)


def seed(connections: Connections, sandbox: Sandbox, count: int, spread: timedelta) -> list[str]:
    """``count`` active connections, made through the service over ``spread`` of time."""
    made = []
    gap = spread / max(count, 1)
    for _ in range(count):
        link = connections.begin(region="uk", scopes=SCOPES, providers="uk-cs-mock")
        outcome = connections.handle_callback(sandbox.consent(link.url))
        assert outcome.connected, outcome
        made.append(link.connection_id)
        sandbox.clock.advance(gap)
    return made


def simulate(
    spot: Spot,
    sandbox: Sandbox,
    *,
    count: int,
    days: int,
    step: timedelta,
    processes: int,
    limit: int = 50,
    reconfirm: int = 2,
) -> Report:
    """Seed ``count`` connections, then move time ``days`` ahead by ``step`` with
    ``processes`` workers; every ``reconfirm``-th connection's user reconfirms."""
    with open_spot(spot) as store, client(sandbox.base_url) as tl:
        connections = Connections(store=store, client=tl, clock=sandbox.clock.now)
        start = sandbox.clock.now()
        seeding = time.perf_counter()
        ids = seed(connections, sandbox, count, spread=timedelta(days=2))
        seed_seconds = time.perf_counter() - seeding
        expiries = {
            cid: core.deadlines(store.get(cid).record, start).consent_expires_at for cid in ids
        }
        report = Report(
            ids,
            {cid for n, cid in enumerate(ids) if n % reconfirm == 0},
            {cid: when for cid, when in expiries.items() if when is not None},
            seed_seconds=seed_seconds,
        )
        context = multiprocessing.get_context("spawn")
        commands = [context.Queue() for _ in range(processes)]
        results = context.Queue()
        pool = [
            context.Process(
                target=worker, args=(spot, sandbox.base_url, commands[n], results, limit)
            )
            for n in range(processes)
        ]
        for process in pool:
            process.start()
        try:
            for _ in pool:
                assert results.get(timeout=120)[0] == "ready"
            cursor, extended = 0, set[str]()
            began = time.perf_counter()
            now = start
            while now < start + timedelta(days=days):
                now = sandbox.clock.set(now + step)
                for queue in commands:
                    queue.put(now.isoformat())
                step_totals, step_seconds = Counter[str](), 0.0
                for _ in pool:
                    kind, counts = results.get(timeout=600)
                    assert kind == "done"
                    step_seconds = max(step_seconds, counts.pop("seconds"))
                    step_totals.update(counts)
                report.totals.update(step_totals)
                report.per_step.append((step_totals, step_seconds))
                report.steps += 1
                cursor = _react(connections, report, cursor, extended)
            report.wall_seconds = time.perf_counter() - began
        finally:
            for queue in commands:
                queue.put(None)
            for process in pool:
                process.join(timeout=60)
                if process.is_alive():
                    process.kill()
    return report


def _react(connections: Connections, report: Report, cursor: int, extended: set[str]) -> int:
    """Read the new events; the users picked to reconfirm do so at their first reminder."""
    while batch := connections.events(after=cursor, limit=1000):
        for event in batch:
            report.events.setdefault(event.connection_id, []).append(event)
            cid = event.connection_id
            if (
                event.type == "connection.consent_expiring"
                and cid in report.reconfirmed
                and cid not in extended
            ):
                connections.reconfirm(cid, evidence="the user ticked the box in the app")
                outcome = connections.extend(cid, user=USER)
                assert outcome.extended, outcome
                extended.add(cid)
        cursor = batch[-1].position
    return cursor
