"""1,000 connections over 120 simulated days, strict rotation, 4 worker processes.

The sandbox's access tokens outlive the refresh tokens' 30-day first-use window, so that
only the worker's keep-alive refresh (R6) keeps each connection alive: a worker that
missed one would lose it. Every other user reconfirms at the first reminder (R9).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from simulation_support import Spot, open_spot, simulate
from worker_support import Place

import lifecycle as core
from adapters.sandbox import RefreshMode, Sandbox, SandboxConfig

COUNT, DAYS, PROCESSES = 1000, 120, 4
STEP = timedelta(hours=6)
LOST = {"connection.reauth_required", "connection.token_lost", "connection.refresh_failed"}


@pytest.mark.parametrize("store_kind", ["sqlite", "postgres"])
def test_a_thousand_connections_over_120_days_are_kept_alive_or_expire_on_time(
    place: Place,
) -> None:
    spot = Spot(*place)
    config = SandboxConfig(
        refresh_mode=RefreshMode.ROTATING,
        strict_reuse_detection=True,
        access_token_ttl=timedelta(days=40),
    )
    with Sandbox(config) as sandbox:
        report = simulate(spot, sandbox, count=COUNT, days=DAYS, step=STEP, processes=PROCESSES)
        end = sandbox.clock.now()
        refresh_calls = sandbox.calls("/connect/token")
    took = f"{report.wall_seconds:.1f} s, {report.steps} steps"
    print(f"\n{place.kind}: {dict(report.totals)} in {took}")

    assert report.totals["failed"] == 0  # no refresh refused: zero invalid_grant (R6, R13)
    assert report.totals["kept_alive"] >= 3 * COUNT  # days 29, 58, 87 at least (R6)
    with open_spot(spot) as store:
        records = store.get_many(report.ids)
        leases = [cid for cid, row in records.items() if getattr(row, "lease_owner", 1)]
        histories = {cid: store.history(cid) for cid in report.ids[:: COUNT // 50]}
    assert leases == []
    for cid in report.ids:
        stored = records[cid]
        assert not isinstance(stored, Exception)
        record, events = stored.record, report.events.get(cid, [])
        kinds = [event.type for event in events]
        assert not LOST & set(kinds), (cid, kinds)  # no refresh token ever lapsed
        assert record.request is None
        if cid in report.reconfirmed:
            assert core.status_at(record, end) == (core.Status.ACTIVE, None), cid
            assert kinds.count("connection.extended") == 1, kinds
            assert kinds.count("connection.consent_expiring") == 1, kinds
            continue
        expiry = report.expiries[cid]
        assert kinds.count("connection.consent_expiring") == 3, (cid, kinds)  # 14, 7, 1 d
        reminders = [e.at for e in events if e.type == "connection.consent_expiring"]
        for at, days_before in zip(reminders, (14, 7, 1), strict=True):
            due = expiry - timedelta(days=days_before)
            assert timedelta(0) <= at - due < STEP, (cid, at, due)  # on time, once
        [expired] = [e for e in events if e.type == "connection.consent_expired"]
        assert expired.consent_expires_at == expiry
        assert timedelta(0) <= expired.at - expiry < STEP  # at its consent expiry (R8)
        assert kinds[-1] == "connection.consent_expired"
        assert (record.status, record.inactive_reason) == (
            core.Status.INACTIVE,
            core.InactiveReason.CONSENT_EXPIRED,
        )
    for cid, history in histories.items():  # a sample: no refresh was ever refused
        assert not [h for h in history if h.input_type == "refresh_rejected"], cid
    # Every token call was an exchange or a keep-alive (extensions have their own
    # endpoint): none wasted, none repeated.
    assert refresh_calls == COUNT + report.totals["kept_alive"]
