"""Benchmark one ``run_due`` batch as the store grows; prints a Markdown table. On demand:

    .venv/bin/python tests/perf/bench_batch.py [--sizes 1000 10000 100000 1000000]
        [--batches 10] [--dsn DSN]

For each store (SQLite, and PostgreSQL when ``--dsn`` answers): 1,000 connections made
through the service against the sandbox (one-hour access tokens, strict rotation), then,
for each size, the store filled up to that many connections with bulk-loaded ones that
are not due in the measured hours (each with its lease row, claimable from its
``next_due`` 30 to 90 days ahead, as ``create`` writes), the sandbox's clock moved two
hours on so that every real connection's access token is due, and ``--batches`` calls of
``run_due(limit=100)``: lease 100, read them in one round trip, refresh each through
the service against the sandbox (one durable commit per step), release. Each call must
refresh 100 and fail none.

The figure is the median batch time at each size against the median at the first size,
measured in the same run: it must stay flat, the due index finding the due rows, not a
scan of the stored ones.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from bench_stores import chunks, copy_postgres, load_sqlite
from simulation_support import Spot, client, drop_spot, open_spot, seed

from adapters.sandbox import RefreshMode, Sandbox, SandboxConfig
from adapters.service import Connections
from adapters.stores import Keyring
from adapters.worker import run_due

CONFIG = SandboxConfig(refresh_mode=RefreshMode.ROTATING, strict_reuse_detection=True)
REAL = 1000
LIMIT = 100


def fill(spot: Spot, sandbox: Sandbox, first: int, count: int) -> None:
    """Bulk-load ``count`` connections that are not due for the next 30 days."""
    keyring = Keyring(spot.keys, "k1")
    rows = chunks(
        keyring,
        count,
        50_000,
        first_due=sandbox.clock.now() + timedelta(days=30),
        spread=timedelta(days=60),
        prefix="filler-",
        first=first,
    )
    if spot.kind == "sqlite":
        lite = sqlite3.connect(spot.location, isolation_level=None)
        for chunk in rows:
            load_sqlite(lite, "k1", chunk)
        lite.execute("ANALYZE")
        lite.close()
        return
    with psycopg.connect(spot.location, options=f"-c search_path={spot.schema}") as pg:
        for chunk in rows:
            copy_postgres(pg, "k1", chunk)
        pg.execute("ANALYZE connections")
        pg.execute("ANALYZE leases")
        pg.commit()


def batches(connections: Connections, sandbox: Sandbox, count: int) -> list[float]:
    """Move two hours on (every real access token due), then time ``count`` batches."""
    sandbox.clock.advance(timedelta(hours=2))
    seconds = []
    for _ in range(count):
        began = time.perf_counter()
        done = run_due(connections, limit=LIMIT)
        seconds.append(time.perf_counter() - began)
        assert (done.leased, done.refreshed, done.failed) == (LIMIT, LIMIT, 0), done
    return seconds


def measure(spot: Spot, sizes: list[int], count: int) -> list[tuple[int, float]]:
    """The median batch time (ms) at each size of the store at ``spot``."""
    assert count * LIMIT <= REAL, "each batch needs 100 due connections of its own"
    figures = []
    with Sandbox(CONFIG) as sandbox, open_spot(spot) as store, client(sandbox.base_url) as tl:
        connections = Connections(store=store, client=tl, clock=sandbox.clock.now)
        seed(connections, sandbox, REAL, spread=timedelta(minutes=1))
        stored = REAL
        for size in sizes:
            if size > stored:
                fill(spot, sandbox, stored - REAL, size - stored)
                stored = size
            figures.append((size, statistics.median(batches(connections, sandbox, count)) * 1000))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--dsn", default=os.environ.get("LIFECYCLE_TEST_POSTGRES_DSN"))
    args = parser.parse_args()
    assert args.sizes == sorted(args.sizes) and args.sizes[0] >= REAL, args.sizes
    keys = {"k1": os.urandom(32)}
    print(f"one run_due batch of {LIMIT} refreshes, median of {args.batches}\n")
    print("| store | connections stored | batch ms | ms per refresh | against the first size |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        spots = [Spot("sqlite", str(Path(folder) / "batch.db"), None, keys)]
        if args.dsn:
            spots.append(Spot("postgres", args.dsn, f"bench_batch_{uuid.uuid4().hex[:8]}", keys))
        for spot in spots:
            try:
                figures: list[Any] = measure(spot, args.sizes, args.batches)
            finally:
                drop_spot(spot)
            baseline = figures[0][1]
            for size, ms in figures:
                print(
                    f"| {spot.kind} | {size:,} | {ms:,.1f} | {ms / LIMIT:.2f} "
                    f"| {ms / baseline:.2f}x |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
