"""Bad stored data: a clear CorruptRecordError for that row, and no harm to the others."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from stores_support import T0, Backend, Flow, Raw, ids, make_due, run_flow

from adapters.stores import CorruptRecordError, Store

LATER = T0 + timedelta(days=400)


def _not_json(raw: Raw, connection_id: str) -> None:
    garbage = '{"region": "uk", "scopes": ['
    if raw.kind == "postgres":
        # jsonb refuses text that is not JSON; the nearest garbage it holds is that
        # text as a JSON string, which must not be parsed a second time as a record.
        garbage = json.dumps('{"region": "uk", "scopes": []}')
    raw.set_record(connection_id, garbage)


def _not_an_object(raw: Raw, connection_id: str) -> None:
    raw.set_record(connection_id, '["garbage", 1, 2]')


def _number_too_long(raw: Raw, connection_id: str) -> None:
    # Valid JSON (PostgreSQL's jsonb keeps it), but Python refuses to read such an int.
    text = json.dumps({**raw.record(connection_id), "region": 7})
    raw.set_record(connection_id, text.replace('"region": 7', '"region": ' + "9" * 5_000))


def _nested_too_deep(raw: Raw, connection_id: str) -> None:
    deep = "[" * 5_000 + "]" * 5_000
    raw.set_record(connection_id, '{"region": "uk", "scopes": ' + deep + "}")


def _schema_99(raw: Raw, connection_id: str) -> None:
    raw.set_record(connection_id, json.dumps({**raw.record(connection_id), "schema_version": 99}))


def _zombie(raw: Raw, connection_id: str) -> None:
    record = {**raw.record(connection_id), "status": "zombie"}
    raw.set_record(connection_id, json.dumps(record), status="zombie")


def _zombie_column_only(raw: Raw, connection_id: str) -> None:
    raw.set_record(connection_id, json.dumps(raw.record(connection_id)), status="zombie")


def _missing_field(raw: Raw, connection_id: str) -> None:
    record = raw.record(connection_id)
    del record["started_at"]
    raw.set_record(connection_id, json.dumps(record))


CASES: dict[str, tuple[Callable[[Raw, str], None], str]] = {
    "garbage JSON": (_not_json, "not (a )?JSON"),
    "JSON that is not an object": (_not_an_object, "not a JSON object"),
    "a number too long to read": (_number_too_long, "a number too long to read"),
    "JSON nested too deeply": (_nested_too_deep, "nested too deeply"),
    "schema_version 99": (_schema_99, "schema_version 99"),
    "status zombie": (_zombie, "zombie"),
    "status column zombie": (_zombie_column_only, "zombie"),
    "a missing field": (_missing_field, "started_at"),
}


@pytest.fixture(params=list(CASES))
def corrupted(request: pytest.FixtureRequest, backend: Backend) -> tuple[Store, str, list[str]]:
    """A store with 5 due connections, of which ``due-0002`` was corrupted in place."""
    breaker, _ = CASES[request.param]
    store = backend.open()
    ids = make_due(store, 5)
    breaker(backend.raw(), "due-0002")
    return store, request.param, ids


def test_get_raises_corrupt_record_error_naming_the_connection(
    corrupted: tuple[Store, str, list[str]],
) -> None:
    store, case, _ = corrupted

    with pytest.raises(CorruptRecordError) as raised:
        store.get("due-0002")

    assert raised.value.connection_id == "due-0002"
    assert "'due-0002' is unreadable" in str(raised.value)
    assert re.search(CASES[case][1], raised.value.problem)


def test_the_other_rows_still_load(corrupted: tuple[Store, str, list[str]]) -> None:
    store, _, ids = corrupted
    for connection_id in ids:
        if connection_id != "due-0002":
            assert store.get(connection_id).version == 1


def test_lease_due_leases_a_corrupt_row_like_any_other_and_get_names_it(
    corrupted: tuple[Store, str, list[str]],
) -> None:
    store, case, made = corrupted

    leases = store.lease_due("w1", LATER, LATER, 10, now=T0)

    # Leasing reads no record: the corrupt row cannot fail the batch. It is leased to
    # the caller too, so that other workers do not trip over it meanwhile.
    assert ids(leases) == tuple(made)
    assert store.lease_due("w2", LATER, LATER, 10, now=T0) == ()
    read, failed = [], []
    for lease in leases:
        try:
            read.append(store.get(lease.connection_id).connection_id)
        except CorruptRecordError as error:
            failed.append(error)
    assert read == [i for i in made if i != "due-0002"]
    assert [error.connection_id for error in failed] == ["due-0002"]
    assert re.search(CASES[case][1], failed[0].problem)


def test_due_lists_a_corrupt_row_like_any_other(
    corrupted: tuple[Store, str, list[str]],
) -> None:
    store, _, made = corrupted

    listed = store.due(LATER, 10, now=T0)

    # ``due`` reads the lease table alone: a corrupt record cannot fail it.
    assert tuple(item.connection_id for item in listed) == tuple(made)
    assert len(store.lease_due("w1", LATER, LATER, 10, now=T0)) == len(made)  # none held


def test_a_corrupt_history_row_is_named_by_connection_and_seq(backend: Backend) -> None:
    store = backend.open()
    flow = Flow()
    run_flow(store, "conn-1", flow)
    raw = backend.raw()
    row: dict[str, Any] = raw.history_input("conn-1", 3)
    row["type"] = "teleported"
    raw.set_history_input("conn-1", 3, json.dumps(row))

    with pytest.raises(CorruptRecordError) as raised:
        store.history("conn-1")

    assert (raised.value.connection_id, raised.value.seq) == ("conn-1", 3)
    assert "teleported" in str(raised.value)
    assert flow.secrets["code"] not in str(raised.value)
    assert store.get("conn-1").record == flow.record()  # the record itself is fine
