"""Benchmark: what the connection service costs over the bare client, on the same sandbox.

Run on demand (not collected by pytest): ``python tests/perf/bench_service.py``. Every
figure is a ratio against a baseline measured in this one run:

- per call: ``access_token()`` (a live token: one store read) and ``accounts()`` (a
  store read and the HTTP call) against the bare client's ``accounts()``;
- refreshes per second through the service (decide, commit, call, journal the answer,
  commit) with 1, 4 and 8 processes on SQLite and PostgreSQL, against the sandbox's raw
  token-endpoint rate (the bare client refreshing, as many processes).
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

import lifecycle as core
from adapters.sandbox import Sandbox, SandboxConfig
from adapters.service import Connections
from adapters.stores import Keyring, PostgresStore, SqliteStore, Store
from adapters.truelayer import Endpoints, RetryPolicy, TrueLayerClient

SCOPES = ("info", "accounts", "balance", "offline_access")
DSN = os.environ.get("LIFECYCLE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
CALLS, PER_PROCESS, ROUNDS = 300, 60, 3


def _client(base_url: str) -> TrueLayerClient:
    return TrueLayerClient(
        client_id="sandbox-client",
        client_secret=core.Secret("sandbox-secret"),
        redirect_uri="http://127.0.0.1/callback",
        endpoints=Endpoints.local(base_url),
        retry=RetryPolicy(attempts=1),
    )


def _store(kind: str, where: str, raw: dict[str, bytes]) -> Store:
    keys = Keyring(raw, "k1")
    if kind == "sqlite":
        return SqliteStore(Path(where), keyring=keys)
    return PostgresStore(DSN, keyring=keys, schema=where)


def _seed(connections: Connections, sandbox: Sandbox, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        link = connections.begin(region="uk", scopes=SCOPES, providers="uk-cs-mock")
        assert connections.handle_callback(sandbox.consent(link.url)).connected
        ids.append(link.connection_id)
    return ids


def _warm(_: int) -> int:
    # Start the pool's processes (and their imports) before anything is timed: each
    # task takes long enough that every process gets one.
    time.sleep(0.3)
    return os.getpid()


def _rate(seconds: float, count: int) -> float:
    return count / seconds


def _raw_refreshes(base_url: str, tokens: list[str]) -> float:
    """In a process: the bare client refreshing each token once; seconds taken."""
    with _client(base_url) as client:
        start = time.perf_counter()
        for token in tokens:
            client.refresh(core.Secret(token))
        return time.perf_counter() - start


def _service_refreshes(
    kind: str, where: str, raw: dict[str, bytes], base_url: str, now: str, ids: list[str]
) -> float:
    """In a process: the service refreshing each connection once; seconds taken."""
    at = datetime.fromisoformat(now)  # the sandbox's clock, which stands still
    with _store(kind, where, raw) as store, _client(base_url) as client:
        connections = Connections(store=store, client=client, clock=lambda: at)
        start = time.perf_counter()
        for connection_id in ids:
            connections.refresh(connection_id)
        return time.perf_counter() - start


def per_call(sandbox: Sandbox, connections: Connections, client: TrueLayerClient) -> None:
    (cid,) = _seed(connections, sandbox, 1)
    token = connections.access_token(cid)
    rows: dict[str, list[float]] = {"bare": [], "access_token": [], "accounts": []}
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(CALLS):
            client.accounts(token)
        rows["bare"].append((time.perf_counter() - start) / CALLS)
        start = time.perf_counter()
        for _ in range(CALLS):
            connections.access_token(cid)
        rows["access_token"].append((time.perf_counter() - start) / CALLS)
        start = time.perf_counter()
        for _ in range(CALLS):
            connections.accounts(cid)
        rows["accounts"].append((time.perf_counter() - start) / CALLS)
    bare = statistics.median(rows["bare"])
    print("| per call | median | against the bare client's accounts() |")
    print("|---|---:|---:|")
    for name, times in rows.items():
        median = statistics.median(times)
        print(f"| {name} | {median * 1e3:.2f} ms | {median / bare:.2f}x |")


def refreshes(sandbox: Sandbox, kind: str, raw: dict[str, bytes]) -> None:
    context = multiprocessing.get_context("spawn")
    where = (
        str(Path(tempfile.mkdtemp(prefix="bench-service-")) / "service.db")
        if kind == "sqlite"
        else f"bench_service_{uuid.uuid4().hex[:8]}"
    )
    with _store(kind, where, raw) as store, _client(sandbox.base_url) as client:
        connections = Connections(store=store, client=client, clock=sandbox.clock.now)
        print(f"\n| {kind}: processes | service refreshes/s | raw token endpoint/s | ratio |")
        print("|---:|---:|---:|---:|")
        for processes in (1, 4, 8):
            ids = _seed(connections, sandbox, processes * PER_PROCESS)
            tokens = [
                t.reveal()
                for cid in ids
                if (t := store.get(cid).record.grant.refresh_token) is not None
            ]
            chunks = [ids[n::processes] for n in range(processes)]
            with ProcessPoolExecutor(processes, mp_context=context) as pool:
                list(pool.map(_warm, range(processes)))
                start = time.perf_counter()
                list(pool.map(_raw_refreshes, [sandbox.base_url] * processes,
                              [tokens[n::processes] for n in range(processes)]))  # fmt: skip
                raw_rate = _rate(time.perf_counter() - start, len(tokens))
                start = time.perf_counter()
                list(pool.map(_service_refreshes, [kind] * processes, [where] * processes,
                              [raw] * processes, [sandbox.base_url] * processes,
                              [sandbox.clock.now().isoformat()] * processes, chunks))  # fmt: skip
                service_rate = _rate(time.perf_counter() - start, len(ids))
            print(
                f"| {processes} | {service_rate:,.0f} | {raw_rate:,.0f} | "
                f"{service_rate / raw_rate:.2f}x |"
            )


def main() -> int:
    raw = {"k1": os.urandom(32)}
    # Reusable refresh tokens: the raw baseline refreshes the same tokens the service
    # refreshes afterwards, and both stay valid.
    with Sandbox(SandboxConfig()) as sandbox, tempfile.TemporaryDirectory() as folder:
        keys = Keyring(raw, "k1")
        with (
            SqliteStore(Path(folder) / "calls.db", keyring=keys) as store,
            _client(sandbox.base_url) as client,
        ):
            connections = Connections(store=store, client=client, clock=sandbox.clock.now)
            per_call(sandbox, connections, client)
        for kind in ("sqlite", "postgres"):
            refreshes(sandbox, kind, raw)
    print(f"\nPython {sys.version.split()[0]}; {ROUNDS} rounds of {CALLS} calls; "
          f"{PER_PROCESS} refreshes a process")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
