"""procrastinate: 3 worker processes on the local PostgreSQL, each due connection once."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from worker_support import Place, client_for, leased, open_place, seed, worker_environment

from adapters.sandbox import RefreshMode, Sandbox, SandboxConfig
from adapters.service import Connections

procrastinate = pytest.importorskip("procrastinate")
psycopg = pytest.importorskip("psycopg")

COUNT, WORKERS, JOBS = 200, 3, 6
HERE = Path(__file__).parent


@pytest.mark.parametrize("store_kind", ["postgres"])
def test_three_procrastinate_workers_handle_each_due_connection_once(place: Place) -> None:
    assert place.schema is not None
    conninfo = psycopg.conninfo.make_conninfo(
        place.location, options=f"-c search_path={place.schema}"
    )
    config = SandboxConfig(refresh_mode=RefreshMode.ROTATING, strict_reuse_detection=True)
    with Sandbox(config) as sandbox:
        with open_place(place) as store, client_for(sandbox.base_url) as client:
            ids = seed(
                Connections(store=store, client=client, clock=sandbox.clock.now), sandbox, COUNT
            )
            first = {cid: store.get(cid).record.grant.refresh_token for cid in ids}
        exchanges = sandbox.calls("/connect/token")
        app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=conninfo))
        with app.open():
            app.schema_manager.apply_schema()
            sandbox.clock.advance(timedelta(hours=1))  # every access token is due (R5)
            for _ in range(JOBS):  # a backlog: more batches at once than one worker takes
                app.configure_task("lifecycle:run_due_batch").defer(limit=20)
        env = {
            **worker_environment(place, sandbox.base_url),
            "LIFECYCLE_SCHEMA": place.schema,
            "LIFECYCLE_CLOCK": "sandbox",
            "LIFECYCLE_TEST_PROCRASTINATE": conninfo,
            "PYTHONPATH": str(HERE),
        }
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "procrastinate", "--app=procrastinate_app.app", "worker"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(WORKERS)
        ]
        try:
            deadline = time.monotonic() + 180
            while sandbox.calls("/connect/token") - exchanges < COUNT:
                assert time.monotonic() < deadline, "the workers did not refresh everything"
                assert all(worker.poll() is None for worker in workers)
                time.sleep(0.1)
            time.sleep(2.5)  # the periodic task runs a few more times: nothing is due
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            errors = [worker.communicate(timeout=60)[1] for worker in workers]
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
        assert sandbox.calls("/connect/token") - exchanges == COUNT  # once each
        for cid in ids:
            token = first[cid]
            assert token is not None and sandbox.calls_by_token(token.reveal()) == 1, cid
    assert all(worker.returncode == 0 for worker in workers), errors
    with open_place(place) as store:
        assert leased(store, ids) == []
    with psycopg.connect(conninfo) as connection:
        rows = connection.execute(
            "SELECT task_name, status, count(*) FROM procrastinate_jobs GROUP BY 1, 2"
        ).fetchall()
    jobs = {(name, status): n for name, status, n in rows}
    assert jobs[("lifecycle:run_due_batch", "succeeded")] == JOBS
    assert jobs[("lifecycle:run_due_periodic", "succeeded")] >= 1
    assert not [key for key in jobs if key[1] == "failed"], jobs
