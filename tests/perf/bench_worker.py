"""Benchmark the worker in simulated time; prints a Markdown table. Run on demand:

    .venv/bin/python tests/perf/bench_worker.py [--connections 10000] [--days 120]
        [--step-hours 6] [--processes 1 4 8] [--dsn DSN]

For each store (SQLite, and PostgreSQL when ``--dsn`` answers) and each number of worker
processes: ``--connections`` connections seeded through the service over two days, then
``--days`` days of the sandbox's clock in steps of ``--step-hours``, each step run by the
processes with ``run_due`` until nothing is due; every ``--reconfirm``-th user reconfirms
and extends at the first reminder (R9), the others' connections expire at day 90. The
sandbox rotates refresh tokens strictly and its access tokens outlive the 30-day
first-use window (as in the worker's simulation test): the token traffic is the
keep-alive refreshes (R6), which a worker that missed one would pay for with the
connection. Each run checks that nothing failed and that every token call was an exchange
or a keep-alive (zero ``invalid_grant``).

Figures, each with its baseline measured in the same run:
- connection-days kept per second of wall time (the steps, the users' reconfirmations
  and extensions included; the seeding not);
- refreshes per second through ``run_due`` in the steps that had keep-alives to do (the
  slowest process's time of each such step) against the sandbox's raw token-endpoint
  rate: the same number of processes each POSTing ``grant_type=refresh_token`` in a loop
  with httpx (each its own connection's token, following the rotation), nothing else.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulation_support import Report, Spot, client, drop_spot, open_spot, simulate

from adapters.sandbox import RefreshMode, Sandbox, SandboxConfig
from adapters.service import Connections

CONFIG = SandboxConfig(
    refresh_mode=RefreshMode.ROTATING,
    strict_reuse_detection=True,
    access_token_ttl=timedelta(days=40),
)


def _raw_refresher(base_url: str, token: str, seconds: float, results: Any) -> None:
    """One process: refresh one token chain as fast as the endpoint answers."""
    import httpx

    count, until = 0, time.perf_counter() + seconds
    with httpx.Client(base_url=base_url, timeout=10.0) as http:
        while time.perf_counter() < until:
            answer = http.post(
                "/connect/token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": "sandbox-client",
                    "client_secret": "sandbox-secret",
                    "refresh_token": token,
                },
            )
            answer.raise_for_status()
            token = answer.json()["refresh_token"]
            count += 1
    results.put(count / seconds)


def raw_token_rate(processes: int, seconds: float = 3.0) -> float:
    """Refreshes per second the sandbox's token endpoint answers to ``processes``."""
    with Sandbox(CONFIG) as sandbox, tempfile.TemporaryDirectory() as folder:
        spot = Spot("sqlite", str(Path(folder) / "raw.db"), None, {"k1": os.urandom(32)})
        with open_spot(spot) as store, client(sandbox.base_url) as tl:
            connections = Connections(store=store, client=tl, clock=sandbox.clock.now)
            tokens = []
            for _ in range(processes):
                link = connections.begin(
                    region="uk", scopes=("info", "offline_access"), providers="uk-cs-mock"
                )
                connections.handle_callback(sandbox.consent(link.url))
                grant = store.get(link.connection_id).record.grant
                assert grant.refresh_token is not None
                tokens.append(grant.refresh_token.reveal())
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        pool = [
            context.Process(target=_raw_refresher, args=(sandbox.base_url, t, seconds, results))
            for t in tokens
        ]
        for process in pool:
            process.start()
        rates = [results.get(timeout=120) for _ in pool]
        for process in pool:
            process.join()
    return float(sum(rates))


def _spots(args: argparse.Namespace, folder: str) -> list[Spot]:
    keys = {"k1": os.urandom(32)}
    spots = [Spot("sqlite", str(Path(folder) / f"bench-{uuid.uuid4().hex[:6]}.db"), None, keys)]
    if args.dsn:
        spots.append(Spot("postgres", args.dsn, f"bench_worker_{uuid.uuid4().hex[:8]}", keys))
    return spots


def burst_rate(report: Report) -> float:
    """Keep-alives per second in the steps that had keep-alives to do."""
    steps = [(totals, seconds) for totals, seconds in report.per_step if totals["kept_alive"]]
    return sum(totals["kept_alive"] for totals, _ in steps) / sum(s for _, s in steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--step-hours", type=float, default=6.0)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--reconfirm", type=int, default=2)
    parser.add_argument("--dsn", default=os.environ.get("LIFECYCLE_TEST_POSTGRES_DSN"))
    args = parser.parse_args()
    print(
        f"{args.connections:,} connections, {args.days} days in steps of {args.step_hours} h,"
        f" 1 user in {args.reconfirm} reconfirms\n"
    )
    print(
        "| store | processes | seeding s | steps s | connection-days/s | keep-alives "
        "| refreshes/s in keep-alive steps | raw token endpoint/s | ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for processes in args.processes:
            raw = raw_token_rate(processes)
            for spot in _spots(args, folder):
                try:
                    with Sandbox(CONFIG) as sandbox:
                        report = simulate(
                            spot,
                            sandbox,
                            count=args.connections,
                            days=args.days,
                            step=timedelta(hours=args.step_hours),
                            processes=processes,
                            limit=100,
                            reconfirm=args.reconfirm,
                        )
                        token_calls = sandbox.calls("/connect/token")
                finally:
                    drop_spot(spot)
                totals = report.totals
                assert totals["failed"] == 0, totals
                # Every token call an exchange or a keep-alive: no refresh refused or lost.
                assert token_calls == args.connections + totals["kept_alive"], totals
                rate = burst_rate(report)
                kept = args.connections * args.days / report.wall_seconds
                print(
                    f"| {spot.kind} | {processes} | {report.seed_seconds:,.0f} "
                    f"| {report.wall_seconds:,.0f} | {kept:,.0f} | {totals['kept_alive']:,} "
                    f"| {rate:,.0f} | {raw:,.0f} | {rate / raw:.2f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
