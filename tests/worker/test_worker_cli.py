"""``lifecycle worker``: a real process, a real SQLite file, the sandbox on 127.0.0.1."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from worker_support import Place, client_for, leased, open_place, seed, worker_environment

from adapters.sandbox import RefreshMode, Sandbox, SandboxConfig
from adapters.service import Connections

WORKER = [sys.executable, "-m", "adapters.cli", "worker"]


@pytest.fixture
def sqlite_place(tmp_path: Path) -> Place:
    import os

    return Place("sqlite", str(tmp_path / "worker.db"), None, {"k1": os.urandom(32)})


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    config = SandboxConfig(refresh_mode=RefreshMode.ROTATING, strict_reuse_detection=True)
    with Sandbox(config) as running:
        yield running


def _seeded(place: Place, sandbox: Sandbox, count: int) -> list[str]:
    with open_place(place) as store, client_for(sandbox.base_url) as client:
        return seed(
            Connections(store=store, client=client, clock=sandbox.clock.now), sandbox, count
        )


def test_once_does_what_is_due_logs_one_line_per_action_and_prints_the_counts(
    sqlite_place: Place, sandbox: Sandbox
) -> None:
    ids = _seeded(sqlite_place, sandbox, 3)
    sandbox.clock.advance(timedelta(hours=1))
    done = subprocess.run(
        [*WORKER, "--once", "--clock", "sandbox", "--format", "json"],
        env=worker_environment(sqlite_place, sandbox.base_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)
    assert (counts["leased"], counts["refreshed"], counts["failed"]) == (3, 3, 0)
    actions = [line for line in done.stderr.splitlines() if " refresh_access_token " in line]
    assert sorted(line.rsplit(" ", 1)[1] for line in actions) == sorted(ids)
    with open_place(sqlite_place) as store:
        assert leased(store, ids) == []
        tokens = [store.get(cid).record.grant for cid in ids]
    for grant in tokens:  # nothing secret is logged
        assert grant.refresh_token is not None and grant.access_token is not None
        assert grant.refresh_token.reveal() not in done.stderr
        assert grant.access_token.reveal() not in done.stderr
    assert "sandbox-secret" not in done.stderr + done.stdout


def test_the_loop_acts_when_time_moves_and_stops_cleanly_on_sigterm(
    sqlite_place: Place, sandbox: Sandbox
) -> None:
    ids = _seeded(sqlite_place, sandbox, 2)
    exchanges = sandbox.calls("/connect/token")
    worker = subprocess.Popen(
        [*WORKER, "--clock", "sandbox", "--max-sleep", "0.2", "--format", "json"],
        env=worker_environment(sqlite_place, sandbox.base_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)
        assert sandbox.calls("/connect/token") == exchanges  # nothing due: it sleeps
        sandbox.clock.advance(timedelta(hours=1))
        deadline = time.monotonic() + 30
        while sandbox.calls("/connect/token") < exchanges + 2:
            assert time.monotonic() < deadline, "the worker never refreshed"
            time.sleep(0.05)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert "SIGTERM: stopping" in err
    assert json.loads(out)["refreshed"] == 2
    with open_place(sqlite_place) as store:
        assert leased(store, ids) == []


def test_missing_settings_are_named_and_nothing_runs(sqlite_place: Place, sandbox: Sandbox) -> None:
    _seeded(sqlite_place, sandbox, 1)
    env = worker_environment(sqlite_place, sandbox.base_url)
    del env["LIFECYCLE_CLIENT_SECRET"], env["LIFECYCLE_TRUELAYER"]
    done = subprocess.run(
        [*WORKER, "--once"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert "LIFECYCLE_CLIENT_SECRET, LIFECYCLE_TRUELAYER" in done.stderr
    webhook = subprocess.run(
        [*WORKER, "--once", "--webhook", "http://127.0.0.1:9/hook"],
        env=worker_environment(sqlite_place, sandbox.base_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert webhook.returncode == 2
    assert "--webhook needs LIFECYCLE_WEBHOOK_SECRET" in webhook.stderr
