"""SIGTERM in the middle of a batch, and failures: nothing half-done, nothing left leased."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from worker_support import Place, client_for, leased, open_place, run_due_in_process, seed

import lifecycle as core
from adapters.sandbox import Fault, RefreshMode, Sandbox, SandboxConfig
from adapters.service import Connections
from adapters.stores import (
    CorruptRecordError,
    MemoryStore,
    StoreUnavailableError,
)
from adapters.truelayer import Endpoints, TrueLayerClient
from adapters.worker import run_due

COUNT = 120


def test_sigterm_mid_batch_finishes_the_connection_in_hand_and_releases_the_rest(
    place: Place,
) -> None:
    config = SandboxConfig(refresh_mode=RefreshMode.ROTATING, strict_reuse_detection=True)
    with Sandbox(config) as sandbox:
        with open_place(place) as store, client_for(sandbox.base_url) as client:
            ids = seed(
                Connections(store=store, client=client, clock=sandbox.clock.now), sandbox, COUNT
            )
        exchanges = sandbox.calls("/connect/token")
        now = sandbox.clock.advance(timedelta(hours=1))
        # Each refresh takes a while, so that the signal lands in the middle of the batch.
        sandbox.inject("/connect/token", Fault(delay=0.05, count=10 * COUNT))
        context = multiprocessing.get_context("spawn")
        worker = context.Process(
            target=run_due_in_process, args=(place, sandbox.base_url, now.isoformat(), COUNT)
        )
        worker.start()
        deadline = time.monotonic() + 60
        while sandbox.calls("/connect/token") - exchanges < 10:
            assert time.monotonic() < deadline, "the worker never started refreshing"
            time.sleep(0.01)
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGTERM)
        worker.join(timeout=60)
        assert worker.exitcode == -signal.SIGTERM  # it still ends as it was asked to
        refreshes = sandbox.calls("/connect/token") - exchanges

    with open_place(place) as store:
        assert leased(store, ids) == []
        assert not store.open_answers(10)
        records = {cid: store.get(cid).record for cid in ids}
    assert all(record.request is None for record in records.values())  # none half-done
    fresh = [cid for cid, r in records.items() if r.grant.access_expires_at > now]  # type: ignore[operator]
    assert 10 <= len(fresh) == refreshes < COUNT  # each refresh sent was applied, then stopped
    for record in records.values():
        assert core.status_at(record, now) == (core.Status.ACTIVE, None)


class _FailingStore(MemoryStore):
    """A store that fails to read a batch after leasing it (a database gone away)."""

    def due_actions(
        self, connection_ids: Sequence[str], now: datetime
    ) -> dict[str, tuple[core.Action, ...] | CorruptRecordError]:
        raise StoreUnavailableError("the database went away")


def test_a_store_failure_mid_batch_propagates_and_every_lease_is_released() -> None:
    with Sandbox(SandboxConfig()) as sandbox:
        store = _FailingStore(clock=sandbox.clock.now)
        client = TrueLayerClient(
            client_id="sandbox-client",
            client_secret=core.Secret("sandbox-secret"),
            redirect_uri="http://127.0.0.1/callback",
            endpoints=Endpoints.local(sandbox.base_url),
        )
        with client:
            connections = Connections(store=store, client=client, clock=sandbox.clock.now)
            ids = seed(connections, sandbox, 3)
            sandbox.clock.advance(timedelta(hours=1))
            with pytest.raises(StoreUnavailableError):
                run_due(connections)
    assert all(store.get(cid).lease_owner is None for cid in ids)
    assert len(store.due(sandbox.clock.now(), 10)) == 3  # still due, for the next batch
