"""Benchmark: decisions per second of the core against the common ways with transitions.

Run on demand (not collected by pytest): ``python tests/perf/bench_core.py``. Every
figure is measured in this one run and reported as a ratio against its baseline, never
as an absolute target. The work is the same for every contender: a realistic history of
inputs per connection, replayed decision by decision.

Contenders:
- the core: ``lifecycle.apply`` (a dict lookup, guards, ``attrs.evolve`` of a few parts);
- the real per-request cost: load the record from a SQLite store (encrypted at rest),
  decide, commit durably (``synchronous=FULL``) — what a service pays per input;
- transitions, a ``Machine`` per connection built when its record is loaded for a
  decision (what a stateless service that keeps connections in a database must do);
- transitions, a ``Machine`` per connection built once and kept for its whole history;
- transitions, one shared ``Machine`` with ``add_model``/``remove_model`` per decision.
The transitions contenders only move the status (no guards, no clocks, no record): they
do less work than the core, which makes the ratios conservative.
"""

from __future__ import annotations

import gc
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from transitions import Machine

import lifecycle as core
from adapters.stores import Keyring, SqliteStore

CONNECTIONS = 400
ROUNDS = 7
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
S, M, H, D = (timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1), timedelta(days=1))


def history(n: int) -> tuple[core.ConnectionStarted, list[core.Input]]:
    """One connection's realistic life: connect, read data daily for two months, extend."""
    t = T0 + n * S
    code, state = core.Secret(f"code-{n}"), core.Secret(f"state-{n}")
    # Answers name nothing: each answers the request in flight (R15).
    inputs: list[core.Input] = [
        core.LinkIssued(t, state=state, code_verifier=core.Secret(f"v-{n}")),
        core.UserAuthorised(t + 40 * S, code=code, state=state),
        core.ExchangeCode(t + 41 * S),
        core.ExchangeCode(t + 41 * S),  # a reloaded callback: refused (R3)
        core.CodeExchanged(t + 42 * S, expires_in=3600, refresh_token=core.Secret(f"rt-{n}")),
    ]
    at = t + 42 * S
    for day in range(60):
        # A service reading once a day: the first read finds the token expired and
        # refreshes first (R5, R11), the next reads in the hour use the new token.
        at = t + day * D + 10 * H
        inputs += [
            core.FetchData(at),
            core.TokenRefreshed(at + S, expires_in=3600),
            core.FetchData(at + M),
            core.FetchData(at + 5 * M),
            core.FetchData(at + 30 * M),
            core.Tick(at + 40 * M),
        ]
    at = t + 76 * D
    inputs += [
        core.ReminderSent(at),
        core.ConsentReconfirmed(at + H, evidence="in-app banner"),
        core.Extend(at + H + S),
        core.ExtensionGranted(at + H + 2 * S, expires_in=3600, refresh_token=core.Secret("rt-x")),
        core.FetchData(at + 2 * H),
        core.Revoke(at + 3 * H),
        core.Revoked(at + 3 * H + S),
    ]
    started = core.ConnectionStarted(
        t, region="uk", scopes=("info", "accounts", "balance", "offline_access")
    )
    return started, inputs


HISTORIES = [history(n) for n in range(CONNECTIONS)]
DECISIONS = sum(len(inputs) for _, inputs in HISTORIES)
STATES = ["new", *(status.value for status in core.Status)]
TRANSITIONS = [
    {
        "trigger": row.input,
        "source": "new" if row.source is None else row.source.value,
        "dest": row.dest.value,
    }
    for row in core.TABLE
]


# The slow contenders replay only the first histories, so that the run stays short;
# rates (decisions per second) are compared, not totals.
SLOW = 40
DURABLE = 4  # histories committed to SQLite: ~1,500 durable commits a round


def run_core(
    histories: list[tuple[core.ConnectionStarted, list[core.Input]]] = HISTORIES,
) -> list[str]:
    statuses = []
    for started, inputs in histories:
        record = core.start(started)
        for input in inputs:
            record = core.apply(record, input).record
        statuses.append(record.status.value)
    return statuses


class Model:
    """What a transitions user keeps per connection: the state, and nothing else."""

    state: str

    def __init__(self, state: str = "authorization_required") -> None:
        self.state = state


def _machine(model: Model | None, state: str) -> Machine:
    return Machine(
        model=model,
        states=STATES,
        transitions=TRANSITIONS,
        initial=state,
        auto_transitions=False,
        ignore_invalid_triggers=True,
    )


def run_machine_per_decision() -> list[str]:
    statuses = []
    for _, inputs in HISTORIES[:SLOW]:
        state = "authorization_required"
        for input in inputs:
            model = Model(state)  # the record loaded from the store
            _machine(model, state)
            model.trigger(input.TYPE)  # type: ignore[attr-defined]
            state = model.state
        statuses.append(state)
    return statuses


def run_machine_per_connection() -> list[str]:
    statuses = []
    for _, inputs in HISTORIES:
        model = Model()
        _machine(model, model.state)
        for input in inputs:
            model.trigger(input.TYPE)  # type: ignore[attr-defined]
        statuses.append(model.state)
    return statuses


SHARED = _machine(None, "authorization_required")


def run_shared_machine() -> list[str]:
    statuses = []
    for _, inputs in HISTORIES[:SLOW]:
        state = "authorization_required"
        for input in inputs:
            model = Model(state)
            SHARED.add_model(model, initial=state)
            model.trigger(input.TYPE)  # type: ignore[attr-defined]
            SHARED.remove_model(model)
            state = model.state
        statuses.append(state)
    return statuses


_FOLDER = tempfile.TemporaryDirectory(prefix="bench-core-")
_KEYS = Keyring({"k1": bytes(range(32))}, active="k1")


def run_sqlite_round_trip() -> list[str]:
    """Per input: load the record from SQLite, decide, commit durably (with history)."""
    path = Path(_FOLDER.name) / f"round-{time.perf_counter_ns()}.db"
    statuses = []
    with SqliteStore(path, keyring=_KEYS) as store:
        for n, (started, inputs) in enumerate(HISTORIES[:DURABLE]):
            connection_id = f"c-{n}"
            store.create(connection_id, core.start(started), started)
            for input in inputs:
                stored = store.get(connection_id)
                decision = core.apply(stored.record, input)
                store.commit(connection_id, stored.version, input, decision)
            statuses.append(store.get(connection_id).record.status.value)
    return statuses


def timed(run: Callable[[], list[str]]) -> tuple[float, list[str]]:
    gc.collect()
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def record_size() -> tuple[float, int]:
    """Bytes per active record (with its own datetimes, secrets and strings)."""
    count = 1000
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    records: list[Any] = []
    for n in range(count):
        t = T0 + n * D + n * S
        record = core.start(
            core.ConnectionStarted(t, region="uk", scopes=("info", "accounts", "offline_access"))
        )
        state = core.Secret(f"s{n:08}")
        record = core.apply(record, core.LinkIssued(t, state=state)).record
        callback = core.UserAuthorised(t + S, code=core.Secret(f"c{n:08}"), state=state)
        record = core.apply(record, callback).record
        record = core.apply(record, core.ExchangeCode(t + 2 * S)).record
        record = core.apply(
            record,
            core.CodeExchanged(
                t + 3 * S,
                expires_in=3600,
                access_token=core.Secret(f"at-{n:08}" + "x" * 200),
                refresh_token=core.Secret(f"rt-{n:08}" + "y" * 40),
            ),
        ).record
        records.append(record)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    total = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return total / count, len(records)


def main() -> int:
    contenders = {
        "core (lifecycle.apply)": run_core,
        "SQLite: load, decide, commit durably": run_sqlite_round_trip,
        "transitions: Machine per connection, built per decision": run_machine_per_decision,
        "transitions: Machine per connection, kept for its history": run_machine_per_connection,
        "transitions: shared Machine, add_model per decision": run_shared_machine,
    }
    # The prepared histories are fixtures, not work: keep the collector from rescanning
    # them on every collection, for every contender alike.
    gc.freeze()
    # Rounds interleave the contenders, so that load from elsewhere on the machine
    # falls on all of them alike; each round gives its own ratios, and the median
    # round is reported, with the spread.
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(ROUNDS):
        reference: list[str] = []
        for name, run in contenders.items():
            seconds, statuses = timed(run)
            reference = reference or statuses
            assert statuses == reference[: len(statuses)], f"{name} disagrees with the core"
            decisions = sum(len(inputs) for _, inputs in HISTORIES[: len(statuses)])
            rates[name].append(decisions / seconds)
    core_rates = rates["core (lifecycle.apply)"]
    print(
        f"{DECISIONS} decisions over {CONNECTIONS} connection histories (the slow contenders: "
        f"the first {SLOW}); {ROUNDS} interleaved rounds; Python {sys.version.split()[0]}"
    )
    print()
    print("| contender | decisions/s (median) | the core is faster by (median) | (range) |")
    print("|---|---:|---:|---:|")
    for name, measured in rates.items():
        ratios = [core / rate for core, rate in zip(core_rates, measured, strict=True)]
        print(
            f"| {name} | {statistics.median(measured):,.0f} | "
            f"{statistics.median(ratios):,.1f}x | {min(ratios):,.0f}x-{max(ratios):,.0f}x |"
        )
    sqlite = [
        c / r
        for c, r in zip(core_rates, rates["SQLite: load, decide, commit durably"], strict=True)
    ]
    print()
    print(
        f"A decision is {100 / statistics.median(sqlite):.2f}% of a durable SQLite round trip "
        f"(median; range {100 / max(sqlite):.2f}%-{100 / min(sqlite):.2f}%; target <= 1%)"
    )
    size, _ = record_size()
    print()
    print(
        f"Memory per active record (tracemalloc, 1,000 records): {size:,.0f} bytes "
        f"= {size / 1024:.2f} KiB (target <= 1 KiB: {'met' if size <= 1024 else 'NOT met'})"
    )
    per = statistics.mean(len(i) for _, i in HISTORIES)
    print(f"(each history has {per:.0f} inputs; the final statuses of all contenders agree)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
