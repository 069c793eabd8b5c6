"""The outbox: events written with their commit, in commit order, acknowledged."""

from __future__ import annotations

import multiprocessing
import threading
from collections import defaultdict
from datetime import timedelta

import pytest
from service_support import event, tick, tick_many, version_of
from stores_support import T0, Backend, Flow, make_due, run_flow

import lifecycle as core
from adapters.stores import ConflictError, OutboxEvent, Store, StoreError

S = timedelta(seconds=1)


def _active(store: Store, connection_id: str = "conn-1") -> None:
    run_flow(store, connection_id, Flow())


def test_events_are_written_with_create_and_commit_in_position_order(store: Store) -> None:
    flow = Flow()
    expires = T0 + timedelta(days=90)
    created = event("conn-1", T0, "connection.created", status=core.Status.AUTHORIZATION_REQUIRED)
    store.create("conn-1", core.start(flow.started), flow.started, events=[created])
    stored = store.get("conn-1")
    input = flow.inputs[0]
    both = [
        event("conn-1", input.at, "connection.a", reason="why", consent_expires_at=expires),
        event("conn-1", input.at, "connection.b"),
    ]

    store.commit("conn-1", stored.version, input, core.apply(stored.record, input), events=both)

    found = store.events()
    assert [item.event_id for item in found] == [created.event_id, *(e.event_id for e in both)]
    assert [item.position for item in found] == sorted({item.position for item in found})
    assert found[0].position >= 1
    first, second = found[1], found[2]
    assert (first.type, first.status, first.reason) == ("connection.a", core.Status.ACTIVE, "why")
    assert (first.consent_expires_at, first.at, first.connection_id) == (expires, T0, "conn-1")
    assert (second.reason, second.consent_expires_at) == (None, None)
    assert all(item.recorded_at is not None for item in found)
    assert all(item.recorded_at.utcoffset() == timedelta(0) for item in found if item.recorded_at)


def test_a_commit_that_loses_its_race_writes_none_of_its_events(store: Store) -> None:
    _active(store)
    stored = store.get("conn-1")
    input = core.Tick(stored.record.last_input_at + S)
    decision = core.apply(stored.record, input)
    store.commit("conn-1", stored.version, input, decision, events=[event("conn-1", input.at)])

    with pytest.raises(ConflictError):
        store.commit(
            "conn-1", stored.version, input, decision, events=[event("conn-1", input.at, "lost")]
        )

    assert [item.type for item in store.events()] == ["connection.tick"]


def test_ack_counts_what_it_newly_acknowledged_and_ignores_unknown_ids(store: Store) -> None:
    _active(store)
    versions = [tick(store, "conn-1") for _ in range(3)]
    ids = [item.event_id for item in store.events()]
    assert [version_of(item) for item in store.events()] == versions

    assert store.ack([ids[0], "no-such-event", ids[0]]) == 1
    assert store.ack([ids[0], ids[1]]) == 1
    assert store.ack([]) == 0

    assert [item.event_id for item in store.events()] == [ids[2]]
    assert [item.event_id for item in store.events(include_acked=True)] == ids
    with pytest.raises(TypeError):
        store.ack(ids[2])  # a lone string would be acked letter by letter


def test_events_are_read_after_a_position_up_to_a_limit_and_per_connection(
    store: Store,
) -> None:
    _active(store, "a")
    _active(store, "b")
    for _ in range(3):
        tick(store, "a")
        tick(store, "b")
    everything = store.events()

    assert len(everything) == 6
    assert store.events(after=everything[1].position) == everything[2:]
    assert store.events(limit=2) == everything[:2]
    assert [item.connection_id for item in store.events(connection_id="b")] == ["b"] * 3
    assert store.events(after=everything[-1].position) == ()
    with pytest.raises(ValueError, match="limit"):
        store.events(limit=0)
    with pytest.raises(ValueError, match="after"):
        store.events(after=-1)


def test_a_bad_event_is_refused_and_nothing_of_the_commit_is_written(store: Store) -> None:
    _active(store)
    stored = store.get("conn-1")
    input = core.Tick(stored.record.last_input_at + S)
    decision = core.apply(stored.record, input)
    bad = [
        ([event("other", input.at)], "not 'conn-1'"),
        (
            [event("conn-1", input.at, event_id="x"), event("conn-1", input.at, event_id="x")],
            "twice",
        ),
        ([event("conn-1", input.at, position=7)], "the store's to set"),
        ([event("conn-1", input.at.replace(tzinfo=None))], "timezone-aware"),
        ([event("conn-1", input.at, name="")], "type is a string"),
    ]
    for events, why in bad:
        with pytest.raises(ValueError, match=why):
            store.commit("conn-1", stored.version, input, decision, events=events)
    with pytest.raises(TypeError):
        store.commit("conn-1", stored.version, input, decision, events=["not an event"])  # type: ignore[list-item]
    tick(store, "conn-1")
    taken = store.events()[0].event_id
    now = store.get("conn-1")

    with pytest.raises(StoreError):  # an id already in the outbox
        store.commit(
            "conn-1",
            now.version,
            core.Tick(now.record.last_input_at + S),
            core.apply(now.record, core.Tick(now.record.last_input_at + S)),
            events=[event("conn-1", now.record.last_input_at + S, event_id=taken)],
        )

    assert store.get("conn-1").version == now.version == stored.version + 1
    assert len(store.events()) == 1


def test_events_survive_reopening_the_store(durable: Backend) -> None:
    store = durable.open()
    _active(store)
    tick(store, "conn-1")
    tick(store, "conn-1")
    first = store.events()[0]
    store.ack([first.event_id])
    store.close()

    reopened = durable.open()

    assert [version_of(item) for item in reopened.events()] == [7]
    assert reopened.events(include_acked=True)[0] == first


def _check_order(events: tuple[OutboxEvent, ...], expected: int) -> None:
    positions = [item.position for item in events]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    per_connection: dict[str, list[int]] = defaultdict(list)
    for item in events:
        per_connection[item.connection_id].append(version_of(item))
    assert sum(len(versions) for versions in per_connection.values()) == expected
    for versions in per_connection.values():
        assert versions == sorted(versions), "events of a connection out of commit order"
        assert len(set(versions)) == len(versions)


def _follow(store: Store, until: int, seen: list[OutboxEvent], stop: threading.Event) -> None:
    """Read the outbox as a relay does, from the last position seen, until ``until``
    events came (or told to stop)."""
    after = 0
    while len(seen) < until and not stop.is_set():
        batch = store.events(after=after, limit=50)
        if batch:
            seen.extend(batch)
            after = batch[-1].position
        else:
            stop.wait(0.005)


def test_eight_threads_keep_each_connections_events_in_order_and_a_follower_misses_none(
    backend: Backend,
) -> None:
    store = backend.open()
    ids = make_due(store, 4, prefix="busy")
    rounds, errors = 6, []
    seen: list[OutboxEvent] = []
    stop = threading.Event()
    follower = threading.Thread(target=_follow, args=(store, 8 * rounds * 4, seen, stop))

    def write() -> None:
        try:
            for _ in range(rounds):
                for connection_id in ids:
                    tick(store, connection_id)
        except BaseException as error:  # a thread's failure must reach the test
            errors.append(error)

    writers = [threading.Thread(target=write) for _ in range(8)]
    follower.start()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    follower.join(timeout=30)
    stop.set()

    assert errors == []
    everything = store.events(limit=1000)
    _check_order(everything, 8 * rounds * 4)
    assert [item.event_id for item in seen] == [item.event_id for item in everything]


def test_two_processes_writing_keep_commit_order_and_a_follower_misses_none(
    durable: Backend,
) -> None:
    store = durable.open()
    shared = make_due(store, 2, prefix="shared")
    context = multiprocessing.get_context("spawn")  # no inherited connections or locks
    start = context.Barrier(3)
    rounds = 15
    writers = [
        context.Process(target=tick_many, args=(durable.spec(), [*shared, own], rounds, start))
        for own in make_due(store, 2, prefix="own")
    ]
    for writer in writers:
        writer.start()
    seen: list[OutboxEvent] = []
    stop = threading.Event()
    follower = threading.Thread(target=_follow, args=(store, 2 * rounds * 3, seen, stop))
    follower.start()
    start.wait(timeout=60)
    for writer in writers:
        writer.join(timeout=120)
    follower.join(timeout=30)
    stop.set()

    assert [writer.exitcode for writer in writers] == [0, 0]
    everything = store.events(limit=1000)
    _check_order(everything, 2 * rounds * 3)
    assert [item.event_id for item in seen] == [item.event_id for item in everything]
    assert {item.connection_id for item in everything} == {*shared, "own-0000", "own-0001"}


def test_text_no_database_can_hold_is_refused_in_events_and_unknown_to_ack_and_events(
    store: Store,
) -> None:
    _active(store)
    stored = store.get("conn-1")
    input = core.Tick(stored.record.last_input_at + S)
    decision = core.apply(stored.record, input)
    for bad in ("nul\x00", "lone\udc80"):
        with pytest.raises(ValueError, match="NUL"):
            store.commit(
                "conn-1", stored.version, input, decision, events=[event("conn-1", input.at, bad)]
            )

    assert store.ack(["nul\x00", "lone\udc80"]) == 0
    assert store.events(connection_id="nul\x00") == ()
    assert store.get("conn-1").version == stored.version
