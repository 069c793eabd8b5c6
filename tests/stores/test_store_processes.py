"""Leases across processes: several OS processes share one durable store safely."""

from __future__ import annotations

import multiprocessing

from stores_support import Backend, lease_all, make_due


def test_four_processes_never_lease_the_same_connection_twice(durable: Backend) -> None:
    ids = make_due(durable.open(), 200)
    context = multiprocessing.get_context("spawn")  # no inherited connections or locks
    start, results = context.Barrier(4), context.Queue()
    workers = [
        context.Process(target=lease_all, args=(durable.spec(), f"proc-{n}", 3, start, results))
        for n in range(4)
    ]
    for worker in workers:
        worker.start()
    taken = dict(results.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)

    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    everything = [i for batch in taken.values() for i in batch]
    assert len(everything) == len(set(everything)) == 200
    assert set(everything) == set(ids)
    assert sum(1 for batch in taken.values() if batch) >= 2, "the work was not shared out"
