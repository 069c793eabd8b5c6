"""A record stored in an older JSON form is read as it was, and written in the current one."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from stores_support import T0, Backend, Flow, run_flow

import lifecycle as core
from adapters.stores import CorruptRecordError


def _store_as_version_1(backend: Backend, connection_id: str, reauthenticating: bool) -> None:
    # Version 1 kept ``reauthenticating`` beside ``user_input_link``.
    raw = backend.raw()
    current = raw.record(connection_id)
    assert current["schema_version"] == core.SCHEMA_VERSION == 2
    old = {**current, "schema_version": 1, "reauthenticating": reauthenticating}
    raw.set_record(connection_id, json.dumps(old))


def test_a_version_1_record_is_read_and_committed_as_version_2(backend: Backend) -> None:
    store, flow = backend.open(), Flow()
    run_flow(store, "c-1", flow)
    _store_as_version_1(backend, "c-1", reauthenticating=False)

    stored = store.get("c-1")
    assert stored.record == flow.record()
    read = core.FetchData(T0 + timedelta(hours=2))  # the token expired: refresh first
    decision = core.apply(stored.record, read)
    assert decision.record is not stored.record
    store.commit("c-1", stored.version, read, decision)

    written = backend.raw().record("c-1")
    assert written["schema_version"] == 2
    assert "reauthenticating" not in written
    assert store.get("c-1").record == decision.record


def test_a_version_1_record_whose_flag_disagrees_is_corrupt(backend: Backend) -> None:
    store = backend.open()
    run_flow(store, "c-1", Flow())
    _store_as_version_1(backend, "c-1", reauthenticating=True)  # but no link is pending

    with pytest.raises(CorruptRecordError, match="disagrees with user_input_link"):
        store.get("c-1")
