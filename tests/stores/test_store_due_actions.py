"""``due_actions``: what a worker does for a batch, in one round trip, without a record."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from service_support import sql
from stores_support import Backend, Flow, make_due, postgres_statements, run_flow

import lifecycle as core
from adapters.stores import CorruptRecordError, SqliteStore, Store
from adapters.stores._codec import Codec
from lifecycle import Action

D, H = timedelta(days=1), timedelta(hours=1)


def _moments(record: core.Connection) -> list[datetime]:
    # Each time on the record's agenda, a second either side, and some later times.
    at = record.last_input_at
    dues = [item.due for item in core.standing_agenda(record)]
    hug = timedelta(seconds=1)
    return sorted({at, *(d + s for d in dues for s in (-hug, 0 * hug, hug)), at + 100 * D})


def test_the_due_actions_are_those_of_the_record_s_standing_agenda_at_every_moment(
    store: Store,
) -> None:
    flow = Flow()
    run_flow(store, "conn-1", flow)
    record = flow.record()
    seen = set()
    for now in _moments(record):
        found = store.due_actions(["conn-1"], now)
        assert found == {"conn-1": core.due_actions(core.standing_agenda(record), now)}, now
        seen.add(found["conn-1"])
    # The moments cover nothing due, a refresh, a keep-alive, and the consent's end.
    assert {(), (Action.REFRESH_ACCESS_TOKEN,), (Action.KEEP_REFRESH_TOKEN_ALIVE,)} <= seen
    assert (Action.EXPIRE,) in seen


def test_a_commit_writes_the_new_agenda_with_the_record(store: Store) -> None:
    flow = Flow()
    run_flow(store, "conn-1", flow)
    stored = store.get("conn-1")
    later = stored.record.last_input_at + 2 * H
    assert store.due_actions(["conn-1"], later)["conn-1"] == (Action.REFRESH_ACCESS_TOKEN,)

    refresh = core.Refresh(later)
    sent = store.commit("conn-1", stored.version, refresh, core.apply(stored.record, refresh))
    answer = core.TokenRefreshed(
        later + timedelta(seconds=1),
        request=sent.record.requests_sent,
        expires_in=3600,
        access_token=core.Secret("new-access"),
        refresh_token=core.Secret("new-refresh"),
    )
    done = store.commit("conn-1", sent.version, answer, core.apply(sent.record, answer))

    assert store.due_actions(["conn-1"], later + H / 2) == {"conn-1": ()}
    assert store.due_actions(["conn-1"], later + 2 * H) == {
        "conn-1": core.due_actions(core.standing_agenda(done.record), later + 2 * H)
    }


def test_unknown_ids_are_absent_and_bad_arguments_are_refused(store: Store) -> None:
    ids = make_due(store, 2)
    now = Flow().record().last_input_at

    assert set(store.due_actions([ids[0], "nobody", ids[1], "nul\x00id"], now)) == set(ids)
    assert store.due_actions([], now) == {}
    with pytest.raises(TypeError, match="sequence"):
        store.due_actions("conn-1", now)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.due_actions(ids, now.replace(tzinfo=None))


@pytest.mark.parametrize(
    "agenda",
    [
        "2026-01-05T09:00:00.000000Z dance",
        "tomorrow expire",
        "2026-01-05T09:00:00.000000Z",
        "2026-01-05T09:00:00.000000Z expire;",
        "2026-01-05 09:00:00.000000+00 expire",
    ],
    ids=["unknown-action", "bad-time", "no-action", "empty-item", "other-time-form"],
)
def test_a_corrupt_agenda_is_its_own_error_and_never_fails_the_batch(
    durable: Backend, agenda: str
) -> None:
    store = durable.open()
    ids = make_due(store, 3)
    sql(durable, "UPDATE connections SET agenda = %s WHERE id = %s", (agenda, ids[1]))
    now = store.get(ids[0]).record.last_input_at + 2 * H

    found = store.due_actions(ids, now)

    bad = found[ids[1]]
    assert isinstance(bad, CorruptRecordError) and bad.connection_id == ids[1]
    assert "agenda" in bad.problem
    assert found[ids[0]] == found[ids[2]] == (Action.REFRESH_ACCESS_TOKEN,)


def test_a_row_written_before_the_store_kept_agendas_is_read_off_its_record(
    durable: Backend,
) -> None:
    store = durable.open()
    ids = make_due(store, 3)
    sql(durable, "UPDATE connections SET agenda = NULL WHERE id = %s", (ids[0],))
    sql(durable, "UPDATE connections SET record = '[1]' WHERE id = %s", (ids[1],))
    sql(durable, "UPDATE connections SET agenda = NULL WHERE id = %s", (ids[1],))
    record = Flow().record()
    now = record.last_input_at + 2 * H

    found = store.due_actions(ids, now)

    assert found[ids[0]] == found[ids[2]] == (Action.REFRESH_ACCESS_TOKEN,)
    assert isinstance(found[ids[1]], CorruptRecordError)  # nothing to read it off


def test_the_agenda_column_holds_no_secret(durable: Backend) -> None:
    store = durable.open()
    flow = Flow()
    run_flow(store, "conn-1", flow)

    [(agenda,)] = sql(durable, "SELECT agenda FROM connections WHERE id = %s", ("conn-1",))

    assert not any(secret in agenda for secret in flow.secrets.values())
    assert agenda == Codec(None).encode_record("conn-1", flow.record()).agenda


@pytest.mark.parametrize("durable", ["sqlite"], indirect=True)
def test_sqlite_due_actions_of_200_is_one_statement_by_primary_key(durable: Backend) -> None:
    import sqlite3

    from adapters.stores._sqlite_extras import AGENDAS

    store = durable.open()
    assert isinstance(store, SqliteStore)
    ids = make_due(store, 200)
    now = store.get(ids[0]).record.last_input_at + 2 * H
    seen: list[str] = []
    connection = store._connection()
    connection.set_trace_callback(seen.append)
    try:
        found = store.due_actions(ids, now)
    finally:
        connection.set_trace_callback(None)
    with sqlite3.connect(durable.location) as raw:
        plan = raw.execute(f"EXPLAIN QUERY PLAN {AGENDAS}", ('["a"]',)).fetchall()

    assert len(found) == 200 and len(seen) == 1, seen
    assert "USING INDEX sqlite_autoindex_connections_1 (id=?)" in str(plan), plan


@pytest.mark.parametrize("durable", ["postgres"], indirect=True)
def test_postgres_due_actions_of_200_is_one_statement(
    durable: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = durable.open()
    ids = make_due(store, 200)
    now = store.get(ids[0]).record.last_input_at + 2 * H
    sent = postgres_statements(monkeypatch)  # then each statement, to the real server
    found = store.due_actions(ids, now)

    assert len(found) == 200 and len(sent) == 1, sent
    assert set(found.values()) == {(Action.REFRESH_ACCESS_TOKEN,)}


def test_a_fifth_schema_database_is_upgraded_in_place_and_its_rows_get_agendas_on_commit(
    durable: Backend,
) -> None:
    from test_store_migration_5 import _store, _write_as_schema_4

    assert _store(durable).migrate(target=5) == [1, 2, 3, 4, 5]
    flow = Flow()
    _write_as_schema_4(durable, "old", flow)  # the columns schema 5 has: no agenda
    store = durable.open()
    record = flow.record()
    now = record.last_input_at + 2 * H

    assert sql(durable, "SELECT agenda FROM connections WHERE id = %s", ("old",)) == [(None,)]
    assert store.due_actions(["old"], now) == {"old": (Action.REFRESH_ACCESS_TOKEN,)}
    stored = store.get("old")
    tick = core.Tick(now)
    store.commit("old", stored.version, tick, core.apply(stored.record, tick))
    [(agenda,)] = sql(durable, "SELECT agenda FROM connections WHERE id = %s", ("old",))
    assert agenda is not None
    assert store.due_actions(["old"], now) == {"old": (Action.REFRESH_ACCESS_TOKEN,)}


def test_an_agenda_a_writer_did_not_keep_is_not_read_and_the_record_says_what_is_due(
    durable: Backend,
) -> None:
    # An older library still running writes the record and its version, not the agenda.
    store = durable.open()
    [cid] = make_due(store, 1)
    now = store.get(cid).record.last_input_at + 2 * H
    stale = "2026-01-05T09:00:00.000000Z remind_reconfirm"
    sql(durable, "UPDATE connections SET agenda = %s, version = 7 WHERE id = %s", (stale, cid))
    sql(durable, "UPDATE leases SET version = 7 WHERE id = %s", (cid,))

    assert store.due_actions([cid], now) == {cid: (Action.REFRESH_ACCESS_TOKEN,)}


def test_a_refused_input_leaves_the_agenda_standing(durable: Backend) -> None:
    store = durable.open()
    [cid] = make_due(store, 1)
    stored = store.get(cid)
    now = stored.record.last_input_at + 2 * H
    # A second exchange of the code: refused, the record stays as it was.
    refused = core.ExchangeCode(now)
    decision = core.apply(stored.record, refused)
    assert not decision.accepted
    store.commit(cid, stored.version, refused, decision)

    [(agenda_version, version)] = sql(
        durable, "SELECT agenda_version, version FROM connections WHERE id = %s", (cid,)
    )
    assert agenda_version == version == stored.version + 1
    assert store.due_actions([cid], now) == {cid: (Action.REFRESH_ACCESS_TOKEN,)}
