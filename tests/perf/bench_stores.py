"""Benchmark the durable stores; prints Markdown tables. Run on demand, not by pytest:

    .venv/bin/python tests/perf/bench_stores.py [--rows 1000000] [--dsn DSN] [--dir PATH]

Every figure comes with a baseline measured in the same run, as a ratio:
- durable saves/s (``store.commit``: CAS + record + history row, one durable transaction)
  against a plain one-row INSERT per transaction with the same durability settings;
- "next 1,000 due" over ``--rows`` connections: ``store.due(limit=1000)`` (read only,
  through the ``(claimable_at, id)`` index, no lock, no write) against the plain indexed
  query (ids only, same index), median of 20;
- "lease the next 1,000 due" over ``--rows`` connections: ``lease_due(limit=1000)`` (pick
  and lease in one durable statement; no record read) against the plain indexed query
  (ids only, through the same index), with the query plans of both; five calls in a row,
  as a worker leases batch after batch (each must find 1,000 new rows); then ``get()``
  of each leased connection (what a worker reads as it works: decrypt and decode);
- the records of that leased batch of 1,000 in one round trip, ``get_many`` (one SELECT,
  then decrypt and decode), against a bare batched SELECT of the same rows and columns
  by primary key (no join, no decoding), with what ``json.loads`` of each
  record alone adds to the bare SELECT (the least any reader of records pays);
- what a worker reads of that batch: what is due for each, ``due_actions`` (one SELECT
  of the agendas kept beside the records, then parsed), against its statement run bare;
  both comparisons run the two alternately, 15 times each, medians;
- 8 concurrent workers leasing every due connection: duplicates (must be 0) and time,
  against one worker leasing the same set.
Bulk-loaded connections share one record (secrets sealed per row with their own id);
their ``next_due`` is spread uniformly over 90 days; each has its lease row (nobody holds
it: claimable from its ``next_due``), as ``create`` writes. The worker's clock is the
benchmark's ``due_by`` (it leases what is due now). They have no history rows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import psycopg

import lifecycle as core
from adapters.stores import (
    Keyring,
    Lease,
    MemoryStore,
    PostgresStore,
    SqliteStore,
    Store,
    _postgres,
    _sqlite,
)
from adapters.stores._codec import _context, encode_agenda, iso_utc

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SCOPES = ("info", "accounts", "balance", "transactions", "offline_access")


def active_record() -> tuple[core.ConnectionStarted, core.Connection]:
    started = core.ConnectionStarted(T0, region="uk", scopes=SCOPES)
    record = core.start(started)
    s = timedelta(seconds=1)
    for input in (
        core.LinkIssued(T0, state=core.Secret("st"), code_verifier=core.Secret("ver")),
        core.UserAuthorised(T0 + s, code=core.Secret("code"), state=core.Secret("st")),
        core.ExchangeCode(T0 + 2 * s),
        core.CodeExchanged(
            T0 + 3 * s,
            expires_in=3600,
            access_token=core.Secret("a" * 600),
            refresh_token=core.Secret("r" * 64),
        ),
    ):
        record = core.apply(record, input).record
    return started, record


def chain(record: core.Connection, length: int) -> list[tuple[core.Input, core.Decision]]:
    """``length`` accepted Ticks one second apart, decided in advance (we time the store)."""
    pairs: list[tuple[core.Input, core.Decision]] = []
    for _ in range(length):
        input = core.Tick(record.last_input_at + timedelta(seconds=1))
        decision = core.apply(record, input)
        pairs.append((input, decision))
        record = decision.record
    return pairs


def in_threads(count: int, work: Callable[[int], None]) -> float:
    """Run ``work(n)`` in ``count`` threads started together; returns the seconds taken."""
    barrier = threading.Barrier(count + 1)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            work(n)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - began


def store_saves(store: Store, threads: int, per_thread: int, tag: str) -> float:
    started, record = active_record()
    pairs = chain(record, per_thread)
    for n in range(threads):
        store.create(f"save-{tag}-{n}", record, started)

    def work(n: int) -> None:
        for version, (input, decision) in enumerate(pairs, start=1):
            store.commit(f"save-{tag}-{n}", version, input, decision)

    return threads * per_thread / in_threads(threads, work)


def plain_saves(insert: Callable[[str, int], None], threads: int, per_thread: int) -> float:
    def work(n: int) -> None:
        for seq in range(per_thread):
            insert(f"{threads}-{n}", seq)

    return threads * per_thread / in_threads(threads, work)


BODY = json.dumps({"padding": "x" * 1400})  # about the size of a record plus its input


def sqlite_plain(path: str) -> Callable[[str, int], None]:
    local = threading.local()
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute(
        "CREATE TABLE IF NOT EXISTS plain (id TEXT, seq INT, body TEXT, PRIMARY KEY (id, seq))"
    )
    setup.close()

    def insert(n: str, seq: int) -> None:
        if not hasattr(local, "db"):
            local.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            local.db.execute("PRAGMA synchronous=FULL")
        local.db.execute("INSERT INTO plain VALUES (?, ?, ?)", (f"p{n}", seq, BODY))

    return insert


def postgres_plain(dsn: str, schema: str) -> Callable[[str, int], None]:
    local = threading.local()
    with psycopg.connect(dsn, autocommit=True, options=f"-c search_path={schema}") as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS plain (id text, seq int, body jsonb, PRIMARY KEY (id, seq))"
        )

    def insert(n: str, seq: int) -> None:
        if not hasattr(local, "db"):
            local.db = psycopg.connect(dsn, autocommit=True, options=f"-c search_path={schema}")
        local.db.execute("INSERT INTO plain VALUES (%s, %s, %s::jsonb)", (f"p{n}", seq, BODY))

    return insert


def chunks(
    keyring: Keyring,
    total: int,
    size: int,
    *,
    first_due: datetime = T0,
    spread: timedelta = timedelta(days=90),
    prefix: str = "c",
    first: int = 0,
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows for ``connections``: one record template and its standing agenda, secrets
    sealed per row, ids ``prefix`` + a number from ``first``, ``next_due`` spread
    uniformly over ``spread`` from ``first_due``."""
    _, record = active_record()
    template = core.record_to_json(record)
    agenda = encode_agenda(core.standing_agenda(record))
    rng = random.Random(7 + first)
    seconds = int(spread.total_seconds())
    for start in range(first, first + total, size):
        rows = []
        for number in range(start, min(start + size, first + total)):
            connection_id = f"{prefix}{number:07d}"
            data = {k: dict(v) if isinstance(v, dict) else v for k, v in template.items()}
            for part, name in core.SECRET_PATHS:  # sealed where the store seals them
                holder = data.get(part)
                if isinstance(holder, dict) and isinstance(holder.get(name), str):
                    holder[name] = keyring.seal(
                        holder[name], _context(connection_id, "record", f"{part}.{name}")
                    )
            due = first_due + timedelta(seconds=rng.randrange(seconds))
            text = json.dumps(data, separators=(",", ":"))
            rows.append((connection_id, text, "active", due, agenda))
        yield rows


def load_sqlite(lite: sqlite3.Connection, key_id: str, rows: list[tuple[Any, ...]]) -> None:
    """Insert ``chunks`` rows and their lease rows (claimable from ``next_due``)."""
    updated = iso_utc(T0)
    lite.execute("BEGIN")
    lite.executemany(
        "INSERT INTO connections (id, record, status, next_due, version, key_id,"
        " updated_at, agenda, agenda_version) VALUES (?, ?, ?, ?, 1, ?, ?, ?, 1)",
        [
            (i, text, status, iso_utc(due), key_id, updated, agenda)
            for i, text, status, due, agenda in rows
        ],
    )
    lite.executemany(
        "INSERT INTO leases (id, version, next_due, claimable_at) VALUES (?, 1, ?, ?)",
        [(r[0], iso_utc(r[3]), iso_utc(r[3])) for r in rows],
    )
    lite.execute("COMMIT")


def copy_postgres(pg: psycopg.Connection[Any], key_id: str, rows: list[tuple[Any, ...]]) -> None:
    """COPY ``chunks`` rows and their lease rows in, and commit."""
    with (
        pg.cursor() as cursor,
        cursor.copy(
            "COPY connections (id, record, status, next_due, version, key_id, updated_at,"
            " agenda, agenda_version) FROM STDIN"
        ) as copy,
    ):
        for i, text, status, due, agenda in rows:
            copy.write_row((i, text, status, due, 1, key_id, T0, agenda, 1))
    with (
        pg.cursor() as cursor,
        cursor.copy("COPY leases (id, version, next_due, claimable_at) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row((row[0], 1, row[3], row[3]))
    pg.commit()


def bulk_load(
    keyring: Keyring, total: int, sqlite_path: str, dsn: str, schema: str
) -> dict[str, float]:
    timings = {"generate": 0.0, "sqlite": 0.0, "postgres": 0.0}
    lite = sqlite3.connect(sqlite_path, isolation_level=None)
    lite.execute("PRAGMA synchronous=NORMAL")  # a bulk load, not a service's commits
    with psycopg.connect(dsn, options=f"-c search_path={schema}") as pg:
        began = time.perf_counter()
        for rows in chunks(keyring, total, 50_000):
            timings["generate"] += time.perf_counter() - began
            began = time.perf_counter()
            load_sqlite(lite, keyring.active, rows)
            timings["sqlite"] += time.perf_counter() - began
            began = time.perf_counter()
            copy_postgres(pg, keyring.active, rows)
            timings["postgres"] += time.perf_counter() - began
            began = time.perf_counter()
        pg.execute("ANALYZE connections")
        pg.execute("ANALYZE leases")
        pg.commit()
    lite.execute("ANALYZE")
    lite.close()
    return timings


def bare_select(
    name: str, sqlite_path: Path, dsn: str, schema: str, batch: list[str]
) -> Callable[[], Any]:
    """The baseline of get_many: the same rows and columns of ``connections`` in one
    SELECT by primary key, fetched as tuples (no join, no decrypting, no decoding)."""
    if name == "SQLite":
        lite = sqlite3.connect(sqlite_path, check_same_thread=False)
        return lambda: lite.execute(
            "SELECT id, record, status, version, key_id FROM connections"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(batch),),  # the ids as the statement takes them
        ).fetchall()
    pg = psycopg.connect(dsn, autocommit=True, options=f"-c search_path={schema}_big")
    return lambda: pg.execute(
        "SELECT id, record::text, status, version, key_id FROM connections WHERE id = ANY(%s)",
        (batch,),
    ).fetchall()


def bare_agendas(
    name: str, sqlite_path: Path, dsn: str, schema: str, batch: list[str]
) -> Callable[[], Any]:
    """The baseline of due_actions: its statement (each row's agenda, if written for its
    version) in one SELECT by primary key, fetched as tuples (nothing parsed)."""
    if name == "SQLite":
        from adapters.stores._sqlite_extras import AGENDAS

        lite = sqlite3.connect(sqlite_path, check_same_thread=False)
        return lambda: lite.execute(AGENDAS, (json.dumps(batch),)).fetchall()
    from adapters.stores._postgres_extras import AGENDAS as PG_AGENDAS

    pg = psycopg.connect(dsn, autocommit=True, options=f"-c search_path={schema}_big")
    return lambda: pg.execute(PG_AGENDAS, (batch,)).fetchall()


def paired_ms(
    action: Callable[[], Any], baseline: Callable[[], Any], repeat: int
) -> tuple[float, float]:
    """The median ms of ``action`` and of ``baseline``, each run once to warm up, then
    alternately, so that neither is favoured by a cache the other warmed."""
    action()
    baseline()
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeat):
        for samples, run in ((ours, action), (theirs, baseline)):
            began = time.perf_counter()
            run()
            samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(ours), statistics.median(theirs)


def median_ms(action: Callable[[], Any], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows",
        type=int,
        default=1_000_000,
        help="connections stored (default 1,000,000; e.g. 50000 for a quick check)",
    )
    parser.add_argument("--saves", type=int, default=1000, help="saves per writer thread")
    parser.add_argument(
        "--dsn",
        default=os.environ.get(
            "LIFECYCLE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--dir", default=None, help="where the SQLite files go (a temp dir)")
    args = parser.parse_args()
    keyring = Keyring({"bench": os.urandom(32)}, "bench")
    folder = Path(args.dir or tempfile.mkdtemp(prefix="bench-stores-"))
    schema = f"bench_{os.getpid()}"
    table: list[tuple[str, str, str, str, str]] = []
    plans: list[str] = []
    try:
        # 1. durable saves per second
        memory = MemoryStore()
        lite = SqliteStore(folder / "saves.db", keyring=keyring).open()
        pg = PostgresStore(args.dsn, keyring=keyring, schema=schema, max_size=8).open()
        plain_lite = sqlite_plain(str(folder / "plain.db"))
        plain_pg = postgres_plain(args.dsn, schema)
        for threads in (1, 4):
            mem = store_saves(memory, threads, args.saves, f"m{threads}")
            for name, store, plain in (("SQLite", lite, plain_lite), ("PostgreSQL", pg, plain_pg)):
                rate = store_saves(store, threads, args.saves, f"{name}{threads}")
                base = plain_saves(plain, threads, args.saves)
                table.append(
                    (
                        f"durable saves/s, {threads} writer(s)",
                        name,
                        f"{rate:,.0f}",
                        f"plain 1-row INSERT/s: {base:,.0f}",
                        f"{rate / base:.2f}",
                    )
                )
            table.append(
                (
                    f"saves/s, {threads} writer(s)",
                    "memory",
                    f"{mem:,.0f}",
                    "(reference: no I/O)",
                    "-",
                )
            )
        lite.close()
        pg.close()

        # 2. next 1,000 due over --rows connections
        big = SqliteStore(folder / "big.db", keyring=keyring).open()
        bigpg = PostgresStore(args.dsn, keyring=keyring, schema=schema + "_big").open()
        began = time.perf_counter()
        load = bulk_load(keyring, args.rows, str(folder / "big.db"), args.dsn, schema + "_big")
        total_load = time.perf_counter() - began
        # About 20,000 connections due: enough for every lease below (five lease_due
        # calls and three bare leases of 1,000, a reader's, three worker batches, then
        # 8 workers leasing the rest). Needs --rows of 20,000 or more.
        due_by = T0 + timedelta(days=90 * min(1.0, 20000 / args.rows))
        # A worker leases what is due now: its clock is due_by (the rows are due from T0).
        now = due_by
        until = now + timedelta(hours=1)
        lite_db = sqlite3.connect(folder / "big.db")
        due_sql = (
            "SELECT id FROM leases WHERE claimable_at <= ? ORDER BY claimable_at, id LIMIT 1000"
        )
        plain_ms = median_ms(lambda: lite_db.execute(due_sql, (iso_utc(due_by),)).fetchall(), 20)
        lease_params: dict[str, Any] = {
            "owner": "x",
            "until": until,
            "upto": due_by,
            "sure": due_by,
            "due_by": due_by,
            "now": now,
            "limit": 1000,
        }
        plan = lite_db.execute(
            f"EXPLAIN QUERY PLAN {_sqlite.LEASE}",
            {k: iso_utc(v) if isinstance(v, datetime) else v for k, v in lease_params.items()},
        ).fetchall()
        plans.append(
            "SQLite plain: "
            + "; ".join(
                row[-1]
                for row in lite_db.execute(
                    f"EXPLAIN QUERY PLAN {due_sql}", (iso_utc(due_by),)
                ).fetchall()
            )
        )
        plans.append("SQLite lease_due: " + "; ".join(row[-1] for row in plan))
        due_plan = lite_db.execute(
            f"EXPLAIN QUERY PLAN {_sqlite.DUE}",
            {
                k: iso_utc(v) if isinstance(v, datetime) else v
                for k, v in lease_params.items()
                if k not in ("owner", "until")
            },
        ).fetchall()
        plans.append("SQLite due: " + "; ".join(row[-1] for row in due_plan))
        listed: list[int] = []
        due_ms = median_ms(lambda: listed.append(len(big.due(due_by, 1000, now=now))), 20)
        assert set(listed) == {1000}, listed
        table.append(
            (
                f"next 1,000 due of {args.rows:,}: `due(limit=1000)`",
                "SQLite",
                f"{due_ms:.1f} ms",
                f"plain indexed query: {plain_ms:.1f} ms",
                f"{due_ms / plain_ms:.1f}",
            )
        )
        # Five calls in a row, as a worker leases batch after batch: each must find new
        # rows without stepping over those the calls before it leased.
        owners = iter(range(100))
        leased: list[int] = []
        lease_ms = median_ms(
            lambda: leased.append(
                len(big.lease_due(f"o{next(owners)}", due_by, until, 1000, now=now))
            ),
            5,
        )
        assert leased == [1000] * 5, leased
        table.append(
            (
                f"lease the next 1,000 due of {args.rows:,}: `lease_due(limit=1000)`",
                "SQLite",
                f"{lease_ms:.1f} ms lease_due",
                f"plain indexed query: {plain_ms:.1f} ms",
                f"{lease_ms / plain_ms:.1f}",
            )
        )
        with psycopg.connect(args.dsn, options=f"-c search_path={schema}_big") as raw:
            pg_sql = due_sql.replace("?", "%s")
            plain_pg_ms = median_ms(lambda: raw.execute(pg_sql, (due_by,)).fetchall(), 20)
            for label, sql in (
                ("plain", pg_sql),
                ("due", _postgres.DUE),
                ("lease_due", _postgres.LEASE),
            ):
                params: Any = (due_by,) if label == "plain" else lease_params
                rows = raw.execute(f"EXPLAIN {sql}".encode(), params).fetchall()
                plans.append(f"PostgreSQL {label}: " + " | ".join(r[0].strip() for r in rows[:8]))
            raw.rollback()
        listed = []
        due_pg_ms = median_ms(lambda: listed.append(len(bigpg.due(due_by, 1000, now=now))), 20)
        assert set(listed) == {1000}, listed
        table.append(
            (
                f"next 1,000 due of {args.rows:,}: `due(limit=1000)`",
                "PostgreSQL",
                f"{due_pg_ms:.1f} ms",
                f"plain indexed query: {plain_pg_ms:.1f} ms",
                f"{due_pg_ms / plain_pg_ms:.1f}",
            )
        )
        owners = iter(range(100, 200))
        leased = []
        lease_pg_ms = median_ms(
            lambda: leased.append(
                len(bigpg.lease_due(f"o{next(owners)}", due_by, until, 1000, now=now))
            ),
            5,
        )
        assert leased == [1000] * 5, leased
        table.append(
            (
                f"lease the next 1,000 due of {args.rows:,}: `lease_due(limit=1000)`",
                "PostgreSQL",
                f"{lease_pg_ms:.1f} ms lease_due",
                f"plain indexed query: {plain_pg_ms:.1f} ms",
                f"{lease_pg_ms / plain_pg_ms:.1f}",
            )
        )
        # The bare baseline of lease_due: the same UPDATE ... RETURNING of the next 1,000
        # claimable rows through the same (claimable_at, id) index, in one durable
        # transaction, as a plain connection runs it.
        bare_sqlite = sqlite3.connect(folder / "big.db", isolation_level=None)
        bare_sqlite.execute("PRAGMA journal_mode=WAL")
        bare_sqlite.execute("PRAGMA synchronous=FULL")
        bare_update = (
            "UPDATE leases SET lease_owner = ?, lease_until = ?, claimable_at = ?"
            " WHERE id IN (SELECT id FROM leases WHERE claimable_at <= ?"
            " ORDER BY claimable_at, id LIMIT 1000) RETURNING id"
        )
        updated: list[int] = []

        def bare_lease_sqlite() -> None:
            bare_sqlite.execute("BEGIN IMMEDIATE")
            rows = bare_sqlite.execute(
                bare_update, ("bare", iso_utc(until), iso_utc(until), iso_utc(due_by))
            ).fetchall()
            bare_sqlite.execute("COMMIT")
            updated.append(len(rows))

        bare_ms = median_ms(bare_lease_sqlite, 3)
        assert updated == [1000] * 3, updated
        table.append(
            (
                f"lease the next 1,000 due of {args.rows:,}: `lease_due` against a bare"
                " `UPDATE ... RETURNING`",
                "SQLite",
                f"{lease_ms:.1f} ms lease_due",
                f"bare UPDATE ... RETURNING, one transaction: {bare_ms:.1f} ms",
                f"{lease_ms / bare_ms:.1f}",
            )
        )
        bare_sqlite.close()
        with psycopg.connect(args.dsn, options=f"-c search_path={schema}_big") as raw:
            pg_update = bare_update.replace("?", "%s").replace(
                "LIMIT 1000)", "LIMIT 1000 FOR UPDATE SKIP LOCKED)"
            )
            updated = []

            def bare_lease_pg() -> None:
                with raw.transaction():
                    updated.append(
                        len(raw.execute(pg_update, ("bare", until, until, due_by)).fetchall())
                    )

            bare_pg_ms = median_ms(bare_lease_pg, 3)
        assert updated == [1000] * 3, updated
        table.append(
            (
                f"lease the next 1,000 due of {args.rows:,}: `lease_due` against a bare"
                " `UPDATE ... RETURNING`",
                "PostgreSQL",
                f"{lease_pg_ms:.1f} ms lease_due",
                f"bare UPDATE ... RETURNING, one transaction: {bare_pg_ms:.1f} ms",
                f"{lease_pg_ms / bare_pg_ms:.1f}",
            )
        )
        # A worker's batch without its actions: lease 1,000, read them in one round
        # trip, release them. Compare this line across --rows: it must stay flat.
        owners_of_batches = iter(range(1000))
        for name, store in (("SQLite", big), ("PostgreSQL", bigpg)):

            def worker_batch(store: Store = store) -> None:
                owner = f"batch{next(owners_of_batches)}"
                leases = store.lease_due(owner, due_by, until, 1000, now=now)
                store.due_actions([lease.connection_id for lease in leases], now)
                for lease in leases:
                    store.release(lease.connection_id, owner)

            batch_ms = median_ms(worker_batch, 3)
            table.append(
                (
                    f"a worker's batch of 1,000 of {args.rows:,} (lease, due_actions, release)",
                    name,
                    f"{batch_ms:.1f} ms",
                    "compare across --rows",
                    "-",
                )
            )
        # What a worker then reads: get() each leased connection (decrypt + decode).
        for name, store, base in (("SQLite", big, plain_ms), ("PostgreSQL", bigpg, plain_pg_ms)):
            leases = store.lease_due("reader", due_by, until, 1000, now=now)

            def read_all(store: Store = store, leases: tuple[Lease, ...] = leases) -> None:
                for lease in leases:
                    store.get(lease.connection_id)

            get_ms = median_ms(read_all, 3)
            table.append(
                (
                    f"then get() each of the {len(leases):,} leased, one by one",
                    name,
                    f"{get_ms:.1f} ms",
                    f"plain indexed query: {base:.1f} ms",
                    f"{get_ms / base:.1f}",
                )
            )
            # The same batch in one round trip: get_many (one SELECT, then decrypt and
            # decode each record), against a bare batched SELECT of the same rows and
            # columns (no lease join, nothing decrypted or decoded), in the same run.
            batch = [lease.connection_id for lease in leases]
            got: list[int] = []

            def read_many(
                store: Store = store, batch: list[str] = batch, got: list[int] = got
            ) -> None:
                got.append(len(store.get_many(batch)))

            def select_only(store: Any = store, batch: list[str] = batch) -> None:
                store._many(batch)  # get_many's one statement, without decoding

            bare = bare_select(name, folder / "big.db", args.dsn, schema, batch)
            many_ms, bare_ms = paired_ms(read_many, bare, 15)
            assert set(got) == {len(batch)}, got
            statement_ms = median_ms(select_only, 9)

            def parse_all(bare: Callable[[], Any] = bare) -> None:
                [json.loads(row[1]) for row in bare()]

            parse_ms = median_ms(parse_all, 9)
            table.append(
                (
                    f"then get_many() of the {len(batch):,} leased, one round trip",
                    name,
                    f"{many_ms:.1f} ms (its SELECT alone: {statement_ms:.1f} ms)",
                    f"bare batched SELECT: {bare_ms:.1f} ms (and json.loads of each"
                    f" record: {parse_ms:.1f} ms)",
                    f"{many_ms / bare_ms:.2f}",
                )
            )
            # What a worker reads of its batch: what is due for each, from the agenda
            # kept beside each record (no record decoded), against the same statement
            # run bare (no decoding, no checks).
            with_work: list[int] = []

            def read_due(
                store: Store = store, batch: list[str] = batch, with_work: list[int] = with_work
            ) -> None:
                found = store.due_actions(batch, due_by)
                with_work.append(sum(1 for due in found.values() if due))

            agendas = bare_agendas(name, folder / "big.db", args.dsn, schema, batch)
            due_ms, bare_due_ms = paired_ms(read_due, agendas, 15)
            assert set(with_work) == {len(batch)}, with_work  # every leased one has work
            table.append(
                (
                    f"then due_actions() of the {len(batch):,} leased, one round trip",
                    name,
                    f"{due_ms:.1f} ms",
                    f"bare batched SELECT of the agendas: {bare_due_ms:.1f} ms",
                    f"{due_ms / bare_due_ms:.2f}",
                )
            )

        # 3. 8 workers lease every connection due within the first day
        for name, store in (("SQLite", big), ("PostgreSQL", bigpg)):
            counts = []
            for workers, start in ((1, now + timedelta(hours=2)), (8, now + timedelta(hours=4))):
                taken: list[list[str]] = [[] for _ in range(workers)]

                def work(
                    n: int,
                    store: Store = store,
                    start: datetime = start,
                    taken: list[list[str]] = taken,
                ) -> None:
                    while leases := store.lease_due(
                        f"w{n}", due_by, start + timedelta(hours=1), 100, now=start
                    ):
                        taken[n].extend(lease.connection_id for lease in leases)

                seconds = in_threads(workers, work)
                everything = [i for batch in taken for i in batch]
                counts.append((len(everything), len(everything) - len(set(everything)), seconds))
            (one, _, t1), (eight, dupes, t8) = counts
            table.append(
                (
                    f"8 workers lease all due ({eight:,} rows)",
                    name,
                    f"{dupes} leased twice; {t8:.2f} s",
                    f"1 worker, same {one:,} rows: {t1:.2f} s",
                    f"{t8 / t1:.2f}",
                )
            )
        big.close()
        bigpg.close()
    finally:
        with psycopg.connect(args.dsn, autocommit=True) as cleanup:
            for name in (schema, schema + "_big"):
                cleanup.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'.encode())
    print(f"## Store benchmark ({args.rows:,} connections; {os.cpu_count()} CPUs)\n")
    print("| measure | store | value | baseline (same run) | ratio |")
    print("|---|---|---|---|---|")
    for row in table:
        print("| " + " | ".join(row) + " |")
    print(
        f"\nBulk load of {args.rows:,} rows: {total_load:.0f} s (generating and sealing "
        f"{load['generate']:.0f} s, SQLite executemany {load['sqlite']:.0f} s, "
        f"PostgreSQL COPY {load['postgres']:.0f} s).\n"
    )
    print("Query plans:\n")
    for line in plans:
        print(f"- `{line}`")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
