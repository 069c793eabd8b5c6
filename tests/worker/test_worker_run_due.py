"""``run_due`` against the sandbox on 127.0.0.1 and real SQLite and PostgreSQL stores."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from worker_support import Place, client_for, leased, open_place, seed

import lifecycle as core
from adapters.sandbox import Fault, RefreshMode, Sandbox, SandboxConfig
from adapters.service import Connections
from adapters.stores import Store
from adapters.worker import Done, run_due

DAY = timedelta(days=1)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    config = SandboxConfig(refresh_mode=RefreshMode.ROTATING, strict_reuse_detection=True)
    with Sandbox(config) as running:
        yield running


@pytest.fixture
def connections(store: Store, sandbox: Sandbox) -> Iterator[Connections]:
    with client_for(sandbox.base_url) as client:
        yield Connections(store=store, client=client, clock=sandbox.clock.now)


def test_nothing_due_leases_nothing_and_does_nothing(
    connections: Connections, sandbox: Sandbox
) -> None:
    seed(connections, sandbox, 2)
    assert run_due(connections) == Done()


def test_an_access_token_near_expiry_is_refreshed_and_the_lease_released(
    connections: Connections, sandbox: Sandbox, store: Store
) -> None:
    ids = seed(connections, sandbox, 3)
    before = {cid: store.get(cid).record.grant.access_expires_at for cid in ids}
    now = sandbox.clock.advance(timedelta(minutes=56))  # within the 5-minute leeway (R5)
    done = run_due(connections)
    assert (done.leased, done.refreshed, done.failed, done.actions) == (3, 3, 0, 3)
    for cid in ids:
        grant = store.get(cid).record.grant
        old = before[cid]
        assert grant.access_expires_at is not None and old is not None
        assert grant.access_expires_at > now > old - timedelta(minutes=5)
    assert leased(store, ids) == []
    assert run_due(connections) == Done()  # nothing is due until the next hour


def test_a_batch_takes_at_most_limit_and_the_next_batch_the_rest(
    connections: Connections, sandbox: Sandbox
) -> None:
    seed(connections, sandbox, 5)
    sandbox.clock.advance(timedelta(hours=1))
    first, second = run_due(connections, limit=3), run_due(connections, limit=3)
    assert (first.refreshed, second.refreshed, run_due(connections).leased) == (3, 2, 0)


def test_a_never_used_refresh_token_is_kept_alive_before_day_30(place: Place) -> None:
    # Access tokens that outlive the refresh token's first-use window: only the
    # keep-alive can save the refresh token (R6).
    config = SandboxConfig(
        refresh_mode=RefreshMode.ROTATING,
        strict_reuse_detection=True,
        access_token_ttl=timedelta(days=40),
    )
    with (
        Sandbox(config) as sandbox,
        open_place(place) as store,
        client_for(sandbox.base_url) as client,
    ):
        connections = Connections(store=store, client=client, clock=sandbox.clock.now)
        [cid] = seed(connections, sandbox, 1)
        received = store.get(cid).record.grant.refresh_token
        sandbox.clock.advance(28 * DAY)
        assert run_due(connections) == Done()
        sandbox.clock.advance(DAY + timedelta(minutes=1))  # past day 29: the margin (1 d)
        done = run_due(connections)
        assert (done.kept_alive, done.refreshed, done.failed) == (1, 0, 0)
        grant = store.get(cid).record.grant
        assert grant.refresh_token != received and not grant.refresh_used  # rotated (R6)
        assert sandbox.calls("/connect/token") == 2  # the exchange and one keep-alive


def test_reminders_are_sent_once_each_then_the_consent_expires(
    connections: Connections, sandbox: Sandbox, store: Store
) -> None:
    [cid] = seed(connections, sandbox, 1)
    expires = core.deadlines(store.get(cid).record, sandbox.clock.now()).consent_expires_at
    assert expires is not None
    reminded: list[int] = []
    for day in range(1, 92):
        sandbox.clock.set(expires - 90 * DAY + day * DAY - timedelta(hours=12))
        while (done := run_due(connections)).leased:
            assert done.failed == 0
            reminded += [day] * done.reminded
            if done.expired:
                assert sandbox.clock.now() >= expires
    # 14, 7 and 1 days before expiry (R9): day n runs at n - 0.5 days since consent.
    assert reminded == [77, 84, 90]
    kinds = [event.type for event in connections.events(limit=1000)]
    assert kinds.count("connection.consent_expiring") == 3
    assert kinds[-1] == "connection.consent_expired"
    assert core.status_at(store.get(cid).record, sandbox.clock.now()) == (
        core.Status.INACTIVE,
        core.InactiveReason.CONSENT_EXPIRED,
    )
    assert store.get(cid).record.status is core.Status.INACTIVE  # recorded, not only derived
    assert run_due(connections) == Done()


def test_a_request_whose_outcome_is_unknown_is_resolved_from_the_sandbox(
    store: Store, sandbox: Sandbox
) -> None:
    with client_for(sandbox.base_url) as client:
        connections = Connections(store=store, client=client, clock=sandbox.clock.now)
        [cid] = seed(connections, sandbox, 1)
    sandbox.clock.advance(timedelta(hours=1))
    # The refresh's answer comes too late for an impatient client: its outcome is unknown.
    sandbox.inject("/connect/token", Fault(delay=1.0, count=3))
    with client_for(sandbox.base_url, timeout=0.2) as impatient:
        hasty = Connections(store=store, client=impatient, clock=sandbox.clock.now)
        done = run_due(hasty)
    assert done.failed == 1
    assert store.get(cid).record.request is not None  # the refresh is unresolved (R15)
    sandbox.clear_faults()
    with client_for(sandbox.base_url) as client:
        connections = Connections(store=store, client=client, clock=sandbox.clock.now)
        total = Done()
        while (done := run_due(connections)).leased:
            total += done
    assert total.resolved == 1 and total.failed == 0
    record = store.get(cid).record
    assert record.request is None
    assert core.status_at(record, sandbox.clock.now()) == (core.Status.ACTIVE, None)
    assert not store.open_answers(10) and leased(store, [cid]) == []


def test_reconcile_every_reads_me_once_per_period(
    connections: Connections, sandbox: Sandbox, store: Store
) -> None:
    [cid] = seed(connections, sandbox, 1)
    sandbox.clock.advance(timedelta(hours=1))
    first = run_due(connections, reconcile_every=timedelta(hours=12))
    assert (first.refreshed, first.reconciled) == (1, 0)  # still in its first period
    sandbox.clock.advance(timedelta(hours=12))
    second = run_due(connections, reconcile_every=timedelta(hours=12))
    assert (second.refreshed, second.reconciled, second.failed) == (1, 1, 0)
    assert store.get(cid).record.consent.reported_expires_at is not None  # R10
    sandbox.clock.advance(timedelta(hours=1))
    third = run_due(connections, reconcile_every=timedelta(hours=12))
    assert (third.refreshed, third.reconciled) == (1, 0)
    assert sandbox.calls("/data/v1/me") == 1


def test_two_workers_at_once_handle_each_connection_once(place: Place, sandbox: Sandbox) -> None:
    with open_place(place) as store, client_for(sandbox.base_url) as client:
        ids = seed(Connections(store=store, client=client, clock=sandbox.clock.now), sandbox, 40)
    exchanges = sandbox.calls("/connect/token")
    sandbox.clock.advance(timedelta(hours=1))
    results: list[Done] = []
    lock = threading.Lock()

    def work() -> None:
        with open_place(place) as store, client_for(sandbox.base_url) as client:
            connections = Connections(store=store, client=client, clock=sandbox.clock.now)
            total = Done()
            while (done := run_due(connections, limit=5)).leased:
                total += done
        with lock:
            results.append(total)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(done.refreshed for done in results) == 40
    assert sum(done.failed for done in results) == 0
    assert sandbox.calls("/connect/token") - exchanges == 40  # one refresh each
    with open_place(place) as store:
        assert leased(store, ids) == []


def test_a_bad_limit_or_a_naive_time_is_refused(connections: Connections) -> None:
    with pytest.raises(ValueError, match="limit"):
        run_due(connections, limit=0)
    with pytest.raises(ValueError, match="reconcile_every"):
        run_due(connections, reconcile_every=timedelta(0))
    with pytest.raises(ValueError, match="timezone"):
        run_due(connections, now=connections.now().replace(tzinfo=None))
