"""Refresh exactly once, everywhere: 8 processes of 8 threads over 1,000 connections, all
due for refresh at once, the sandbox rotating refresh tokens strictly (R6, R15)."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from connections_support import hammer, open_store, seed, sync_client

import lifecycle as core
from adapters.sandbox import RefreshMode, Sandbox, SandboxConfig
from adapters.service import Connections
from adapters.stores import Keyring

CONNECTIONS, PROCESSES, THREADS = 1000, 8, 8


@pytest.mark.parametrize("store_kind", ["sqlite", "postgres"])
def test_every_connection_is_refreshed_exactly_once_by_8_processes_of_8_threads(
    location: dict[str, Any],
) -> None:
    raw = {"k1": os.urandom(32)}
    keys = Keyring(raw, "k1")
    config = SandboxConfig(refresh_mode=RefreshMode.ROTATING, strict_reuse_detection=True)
    with (
        Sandbox(config) as sandbox,
        open_store(
            location["kind"], location["location"], keys=keys, schema=location["schema"]
        ) as store,
    ):
        with sync_client(sandbox) as client:
            connections = Connections(store=store, client=client, clock=sandbox.clock.now)
            ids = seed(connections, sandbox, CONNECTIONS)
        first = {cid: store.get(cid).record.grant.refresh_token for cid in ids}
        exchanges = sandbox.calls("/connect/token")
        now = sandbox.clock.advance(timedelta(hours=1))  # every access token has expired

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
            runs = [
                pool.submit(
                    hammer,
                    location["kind"],
                    location["location"],
                    location["schema"],
                    raw,
                    sandbox.base_url,
                    now.isoformat(),
                    ids,
                    THREADS,
                    n,
                )
                for n in range(PROCESSES)
            ]
            failures = [run.result(timeout=600) for run in runs]

        assert failures == [{}] * PROCESSES  # no caller saw an error
        # Exactly one refresh per connection, each with the connection's first token.
        assert sandbox.calls("/connect/token") - exchanges == CONNECTIONS
        for cid in ids:
            token = first[cid]
            assert token is not None and sandbox.calls_by_token(token.reveal()) == 1, cid
            stored = store.get(cid)
            assert core.status_at(stored.record, now) == (core.Status.ACTIVE, None), cid
            assert stored.record.request is None
            grant = stored.record.grant
            # The rotated token is the one the connection holds: nothing lost (R15).
            assert grant.refresh_token != token and grant.access_expires_at is not None
            assert grant.access_expires_at > now
        assert not store.open_answers(10)
