"""The store contract, run against memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from stores_support import T0, Backend, Flow, ids, make_due, run_flow

import lifecycle as core
from adapters.stores import (
    ConflictError,
    ConnectionNotFound,
    DuplicateConnection,
    Lease,
    LeaseError,
    MemoryStore,
    Store,
    StoredConnection,
)
from lifecycle.testing import lifecycle_machine, store_system

LATER = T0 + timedelta(days=400)
D = timedelta(days=1)


def test_every_store_satisfies_the_store_protocol(store: Store) -> None:
    assert isinstance(store, Store)


def test_a_record_read_back_equals_the_record_written(store: Store) -> None:
    flow = Flow()
    run_flow(store, "conn-1", flow)

    stored = store.get("conn-1")

    assert stored.record == flow.record()
    assert stored.record.status is core.Status.ACTIVE
    assert stored.record.grant.access_token == core.Secret(flow.secrets["access"])
    assert stored.version == 1 + len(flow.inputs)


def test_history_holds_every_input_applied_in_order_with_its_decision(store: Store) -> None:
    flow = Flow()
    decisions = run_flow(store, "conn-1", flow)

    history = store.history("conn-1")

    assert [entry.seq for entry in history] == [1, 2, 3, 4, 5]
    assert [entry.input for entry in history] == [flow.started, *flow.inputs]
    assert [entry.input_type for entry in history] == [
        "connection_started",
        "link_issued",
        "user_authorised",
        "exchange_code",
        "code_exchanged",
    ]
    assert [entry.effects for entry in history[1:]] == [d.effects for d in decisions]
    assert history[3].effects == (core.Effect.EXCHANGE_CODE,)
    assert [entry.status_after for entry in history][-1] is core.Status.ACTIVE
    assert all(entry.at == entry.input.at for entry in history)
    assert all(entry.recorded_at.utcoffset() == timedelta(0) for entry in history)


def test_a_refused_input_is_recorded_and_bumps_the_version_but_keeps_the_record(
    store: Store,
) -> None:
    flow = Flow()
    run_flow(store, "conn-1", flow)
    before = store.get("conn-1")
    refused_input = core.ExchangeCode(T0 + timedelta(minutes=1))  # the code is used (R3)
    decision = core.apply(before.record, refused_input)
    assert not decision.accepted

    after = store.commit("conn-1", before.version, refused_input, decision)

    assert after.version == before.version + 1
    assert store.get("conn-1").record == before.record
    last = store.history("conn-1")[-1]
    assert (last.seq, last.accepted, last.reason) == (after.version, False, decision.reason)
    assert last.status_after is before.record.status


def test_the_version_always_equals_the_number_of_history_rows(store: Store) -> None:
    run_flow(store, "conn-1", Flow())
    assert store.get("conn-1").version == len(store.history("conn-1"))


def test_creating_an_id_that_exists_raises_duplicate_connection(store: Store) -> None:
    flow = Flow()
    store.create("conn-1", core.start(flow.started), flow.started)

    with pytest.raises(DuplicateConnection) as raised:
        store.create("conn-1", core.start(flow.started), flow.started)

    assert raised.value.connection_id == "conn-1"
    assert len(store.history("conn-1")) == 1


@pytest.mark.parametrize("bad_id", ["", "x" * 201])
def test_an_empty_or_overlong_id_is_refused(store: Store, bad_id: str) -> None:
    flow = Flow()
    with pytest.raises(ValueError, match="connection id"):
        store.create(bad_id, core.start(flow.started), flow.started)


def test_an_unknown_id_raises_connection_not_found_everywhere(store: Store) -> None:
    flow = Flow()
    record = core.start(flow.started)
    decision = core.apply(record, flow.inputs[0])

    with pytest.raises(ConnectionNotFound, match="nobody"):
        store.get("nobody")
    with pytest.raises(ConnectionNotFound):
        store.history("nobody")
    with pytest.raises(ConnectionNotFound):
        store.commit("nobody", 1, flow.inputs[0], decision)
    with pytest.raises(ConnectionNotFound):
        store.release("nobody", "worker")


def test_two_writers_with_the_same_version_one_wins_and_the_loser_writes_nothing(
    store: Store,
) -> None:
    flow = Flow()
    stored = store.create("conn-1", core.start(flow.started), flow.started)
    for round_ in range(10):
        input = core.Tick(T0 + round_ * timedelta(seconds=1))
        decision = core.apply(stored.record, input)
        barrier = threading.Barrier(4)
        results: list[StoredConnection | ConflictError] = []

        def write(
            base: StoredConnection = stored,
            input: core.Input = input,
            decision: core.Decision = decision,
            barrier: threading.Barrier = barrier,
            results: list[StoredConnection | ConflictError] = results,
        ) -> None:
            barrier.wait()
            try:
                results.append(store.commit("conn-1", base.version, input, decision))
            except ConflictError as error:
                results.append(error)

        threads = [threading.Thread(target=write) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        winners = [r for r in results if isinstance(r, StoredConnection)]
        losers = [r for r in results if isinstance(r, ConflictError)]
        assert len(winners) == 1 and len(losers) == 3
        assert all((e.expected, e.actual) == (stored.version, stored.version + 1) for e in losers)
        stored = winners[0]
        assert len(store.history("conn-1")) == stored.version == round_ + 2


def test_a_commit_with_a_stale_version_writes_nothing(store: Store) -> None:
    flow = Flow()
    first = store.create("conn-1", core.start(flow.started), flow.started)
    decision = core.apply(first.record, flow.inputs[0])
    store.commit("conn-1", 1, flow.inputs[0], decision)

    with pytest.raises(ConflictError) as raised:
        store.commit("conn-1", 1, flow.inputs[0], decision)

    assert (raised.value.expected, raised.value.actual) == (1, 2)
    assert len(store.history("conn-1")) == 2


def test_due_connections_are_leased_earliest_first_up_to_the_limit(store: Store) -> None:
    for offset, name in ((3, "late"), (1, "early"), (2, "middle")):
        flow = Flow(at=T0 + offset * timedelta(hours=1))
        store.create(name, flow.record(), flow.started)
    waiting = Flow()
    store.create("not-due", core.start(waiting.started), waiting.started)  # no agenda

    leases = store.lease_due("w1", LATER, LATER + D, limit=2, now=T0)

    assert ids(leases) == ("early", "middle")
    assert all(store.get(i).lease_owner == "w1" for i in ids(leases))
    assert ids(store.lease_due("w2", LATER, LATER + D, limit=10, now=T0)) == ("late",)


def test_a_lease_says_what_was_leased_to_whom_until_when(store: Store) -> None:
    flow = Flow()
    run_flow(store, "conn-1", flow)
    stored = store.get("conn-1")
    due = core.next_due(stored.record, stored.record.last_input_at)
    assert due is not None

    (lease,) = store.lease_due("w1", LATER, LATER + D, limit=5, now=T0)

    assert lease == Lease("conn-1", stored.version, due, LATER + D, "w1")
    assert lease.due.utcoffset() == lease.lease_until.utcoffset() == timedelta(0)
    again = store.get("conn-1")
    assert (again.lease_owner, again.lease_until, again.version) == ("w1", LATER + D, 5)


def test_a_connection_due_after_due_by_is_not_leased(store: Store) -> None:
    flow = Flow()
    store.create("conn-1", flow.record(), flow.started)
    refresh_due = core.next_due(flow.record(), flow.record().last_input_at)
    assert refresh_due is not None

    assert store.lease_due("w1", refresh_due - timedelta(seconds=1), LATER, 10, now=T0) == ()
    assert ids(store.lease_due("w1", refresh_due, LATER, 10, now=T0)) == ("conn-1",)


def test_a_commit_moves_the_connection_on_the_due_index(store: Store) -> None:
    flow = Flow()
    run_flow(store, "conn-1", flow)  # active: a refresh is due before the hour is up

    leases = store.lease_due("w1", T0 + timedelta(hours=1), LATER, 10, now=T0)
    assert ids(leases) == ("conn-1",)


def test_a_running_lease_is_skipped_and_an_expired_one_is_taken_over(store: Store) -> None:
    make_due(store, 3)
    until = T0 + timedelta(minutes=5)
    first = store.lease_due("w1", LATER, until, 10, now=T0)
    assert len(first) == 3

    during = store.lease_due("w2", LATER, until + D, 10, now=until - timedelta(seconds=1))
    after = store.lease_due("w2", LATER, until + D, 10, now=until)

    assert during == ()
    assert ids(after) == ids(first)
    assert {lease.owner for lease in after} == {"w2"}
    assert {store.get(i).lease_owner for i in ids(after)} == {"w2"}


def test_the_store_clock_judges_expiry_when_now_is_not_given(backend: Backend) -> None:
    moments = [T0]
    if backend.kind == "memory":
        store: Store = MemoryStore(clock=lambda: moments[0])
    else:
        store = backend.open(clock=lambda: moments[0])
    make_due(store, 2, prefix="clock")
    until = T0 + timedelta(minutes=5)
    assert len(store.lease_due("w1", LATER, until, 10)) == 2

    moments[0] = until - timedelta(microseconds=1)
    assert store.lease_due("w2", LATER, until + D, 10) == ()
    moments[0] = until
    assert ids(store.lease_due("w2", LATER, until + D, 10)) == ("clock-0000", "clock-0001")


def test_only_the_lease_owner_can_release(store: Store) -> None:
    (connection_id,) = make_due(store, 1)
    store.lease_due("w1", LATER, LATER, 1, now=T0)

    with pytest.raises(LeaseError) as raised:
        store.release(connection_id, "w2")
    assert (raised.value.owner, raised.value.holder) == ("w2", "w1")
    assert store.get(connection_id).lease_owner == "w1"

    store.release(connection_id, "w1")
    released = store.get(connection_id)
    assert (released.lease_owner, released.lease_until) == (None, None)
    store.release(connection_id, "w2")  # nobody holds it: releasing is a no-op
    assert ids(store.lease_due("w2", LATER, LATER, 1, now=T0)) == (connection_id,)


def test_a_commit_keeps_the_lease(store: Store) -> None:
    (connection_id,) = make_due(store, 1)
    (lease,) = store.lease_due("w1", LATER, LATER, 1, now=T0)
    leased = store.get(lease.connection_id)
    assert leased.version == lease.version
    input = core.Refresh(leased.record.last_input_at + timedelta(minutes=1))

    after = store.commit(connection_id, leased.version, input, core.apply(leased.record, input))

    assert (after.lease_owner, after.lease_until) == ("w1", LATER)
    assert store.get(connection_id).lease_owner == "w1"


def test_lease_arguments_are_checked(store: Store) -> None:
    with pytest.raises(ValueError, match="limit"):
        store.lease_due("w1", LATER, LATER, 0, now=T0)
    with pytest.raises(ValueError, match="limit"):
        store.lease_due("w1", LATER, LATER, True, now=T0)
    with pytest.raises(ValueError, match="owner"):
        store.lease_due("", LATER, LATER, 1, now=T0)
    with pytest.raises(ValueError, match="timezone"):
        store.lease_due("w1", LATER.replace(tzinfo=None), LATER, 1, now=T0)
    with pytest.raises(ValueError, match="timezone"):
        store.lease_due("w1", LATER, LATER, 1, now=T0.replace(tzinfo=None))


def test_eight_threads_never_lease_the_same_connection_twice(backend: Backend) -> None:
    store = backend.open()
    made = make_due(store, 200)
    taken: list[list[str]] = [[] for _ in range(8)]
    barrier = threading.Barrier(8)

    def work(slot: int) -> None:
        barrier.wait()
        for _ in range(200):  # bounded: a store that re-leases rows fails, not hangs
            batch = ids(store.lease_due(f"w{slot}", LATER, LATER, 7, now=T0))
            if not batch:
                return
            taken[slot].extend(batch)

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    everything = [i for batch in taken for i in batch]
    assert len(everything) == len(set(everything)) == 200
    assert set(everything) == set(made)
    assert all(store.get(i).lease_owner == f"w{slot}" for slot in range(8) for i in taken[slot])


def test_a_connection_copied_to_another_store_keeps_record_history_and_version(
    store: Store,
) -> None:
    source = MemoryStore()
    flow = Flow()
    run_flow(source, "conn-1", flow)
    item = source.get("conn-1")

    store.restore(item, source.history("conn-1"))

    copied = store.get("conn-1")
    assert (copied.record, copied.version) == (item.record, item.version)
    assert store.history("conn-1") == source.history("conn-1")
    assert store.connection_ids() == ["conn-1"]
    with pytest.raises(DuplicateConnection):
        store.restore(item, source.history("conn-1"))


def test_a_restore_with_a_gap_in_its_history_is_refused(store: Store) -> None:
    source = MemoryStore()
    run_flow(source, "conn-1", Flow())
    history = source.history("conn-1")

    with pytest.raises(ValueError, match=r"history must run 1\.\.5"):
        store.restore(source.get("conn-1"), history[:2] + history[3:])
    assert store.connection_ids() == []


# -- claimable: what lease_due may take, and when (migration 4's lease table) ----------

DUE = T0 + D  # make_due's connections are all due by then: a worker's "now"
M = timedelta(minutes=5)


def test_a_leased_row_is_not_leasable_again_until_its_lease_ends(store: Store) -> None:
    make_due(store, 3)
    first = store.lease_due("w1", DUE, DUE + M, 10, now=DUE)
    assert len(first) == 3

    # A worker leasing what is due now, again and again: nothing until the lease ends.
    assert store.lease_due("w2", DUE, DUE + 2 * M, 10, now=DUE) == ()
    end = DUE + M
    assert store.lease_due("w2", end, end + M, 10, now=end - timedelta(microseconds=1)) == ()
    again = store.lease_due("w2", end, end + M, 10, now=end)

    assert ids(again) == ids(first)
    assert {store.get(i).lease_owner for i in ids(again)} == {"w2"}


def test_a_later_due_by_than_now_does_not_take_a_running_lease(store: Store) -> None:
    (leased, free) = make_due(store, 2)
    store.lease_due("w1", DUE, DUE + M, 1, now=DUE)  # the earliest (by id): "due-0000"

    # due_by beyond the lease's end, now before it: only the free row may be taken.
    taken = store.lease_due("w2", DUE + 2 * M, DUE + 3 * M, 10, now=DUE + timedelta(minutes=1))

    assert ids(taken) == (free,)
    assert store.get(leased).lease_owner == "w1"


def test_an_earlier_due_by_than_now_takes_an_expired_lease_but_nothing_due_later(
    store: Store,
) -> None:
    (expired,) = make_due(store, 1, prefix="expired")
    store.lease_due("w1", DUE, DUE + M, 1, now=DUE)
    late = Flow(at=T0 + 2 * D)
    store.create("due-later", late.record(), late.started)  # due on day 2, not by DUE

    # now is past both the lease's end and the later row's due time; due_by is not.
    taken = store.lease_due("w2", DUE, DUE + 4 * D, 10, now=DUE + 3 * D)

    assert ids(taken) == (expired,)


def test_release_makes_a_due_row_leasable_at_once(store: Store) -> None:
    (connection_id,) = make_due(store, 1)
    store.lease_due("w1", DUE, DUE + D, 1, now=DUE)
    assert store.lease_due("w2", DUE, DUE + D, 1, now=DUE) == ()

    store.release(connection_id, "w1")

    assert ids(store.lease_due("w2", DUE, DUE + D, 1, now=DUE)) == (connection_id,)


def test_a_released_row_not_yet_due_stays_out_of_the_due_range(store: Store) -> None:
    (connection_id,) = make_due(store, 1)
    due = store.lease_due("w1", DUE, DUE + D, 1, now=DUE)[0].due
    store.release(connection_id, "w1")

    before = due - timedelta(seconds=1)
    assert store.lease_due("w2", before, DUE + D, 1, now=before) == ()
    assert ids(store.lease_due("w2", due, DUE + D, 1, now=due)) == (connection_id,)


def _refreshed(store: Store, connection_id: str, hours: int) -> StoredConnection:
    """Commit a refresh and its new token (valid ``hours``): next_due moves later."""
    stored = store.get(connection_id)
    for input in (
        core.Refresh(stored.record.last_input_at + timedelta(minutes=1)),
        core.TokenRefreshed(
            stored.record.last_input_at + timedelta(minutes=2),
            expires_in=3600 * hours,
            access_token=core.Secret("new-access"),
            refresh_token=core.Secret("new-refresh"),
        ),
    ):
        decision = core.apply(stored.record, input)
        assert decision.accepted
        stored = store.commit(connection_id, stored.version, input, decision)
    return stored


def test_a_commit_that_moves_next_due_later_takes_the_row_out_of_the_due_range(
    store: Store,
) -> None:
    (connection_id,) = make_due(store, 1)
    stored = _refreshed(store, connection_id, hours=5)
    due = core.next_due(stored.record, stored.record.last_input_at)
    assert due is not None and due > DUE - D + timedelta(hours=4)

    at = due - timedelta(seconds=1)
    assert store.lease_due("w1", at, at + M, 1, now=at) == ()
    (lease,) = store.lease_due("w1", due, due + M, 1, now=due)
    assert (lease.connection_id, lease.due, lease.version) == (connection_id, due, 3)


def test_a_commit_under_a_lease_keeps_the_row_out_until_the_lease_ends(store: Store) -> None:
    (connection_id,) = make_due(store, 1)
    until = DUE + D
    store.lease_due("w1", DUE, until, 1, now=DUE)
    stored = _refreshed(store, connection_id, hours=1)  # due again well before `until`
    due = core.next_due(stored.record, stored.record.last_input_at)
    assert due is not None and due < until

    assert stored.lease_owner == "w1"
    assert store.lease_due("w2", due, until + M, 1, now=due) == ()
    (lease,) = store.lease_due("w2", until, until + M, 1, now=until)
    assert (lease.connection_id, lease.version, lease.due) == (connection_id, 3, due)


def test_a_refused_commit_still_moves_the_version_a_lease_reports(store: Store) -> None:
    (connection_id,) = make_due(store, 1)
    stored = store.get(connection_id)
    input = core.ExchangeCode(stored.record.last_input_at + timedelta(seconds=1))
    decision = core.apply(stored.record, input)
    assert not decision.accepted
    store.commit(connection_id, stored.version, input, decision)

    (lease,) = store.lease_due("w1", DUE, DUE + M, 1, now=DUE)

    assert lease.version == stored.version + 1 == store.get(connection_id).version


# -- every reachable record, through the store (lifecycle.testing's stateful test) ------

STATEFUL = settings(
    max_examples=12,
    stateful_step_count=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_every_store_keeps_every_record_the_core_decides_over_generated_histories(
    store: Store,
) -> None:
    # Each run starts a connection and feeds it generated inputs and time steps, valid
    # and hostile; after every commit the store must hold the decided record, one more
    # version and the history row of the input and its decision.
    machine = lifecycle_machine(store_system(store), hostile=True)
    run_state_machine_as_test(machine, settings=STATEFUL)
    assert len(store.connection_ids()) >= STATEFUL.max_examples
