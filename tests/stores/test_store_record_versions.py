"""Every stored record form (1, 2, 3) is read by every store, and committed as the current one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from attrs import evolve
from stores_support import T0, Backend, Flow, run_flow

import lifecycle as core
from adapters.stores import CorruptRecordError


def _flat(record: core.Connection) -> dict[str, Any]:
    # The record of an active, unextended connection as versions 1 and 2 wrote it: one
    # flat object (the fields a flow's record uses; the rest as those versions left them).
    grant, consent = record.grant, record.consent
    iso = core.converter.unstructure
    return {
        "schema_version": 2,
        "region": record.region,
        "scopes": list(record.scopes),
        "offline_access": record.offline_access,
        "status": record.status.value,
        "started_at": iso(record.started_at),
        "consent_started_at": iso(consent.started_at),
        "last_input_at": iso(record.last_input_at),
        "inactive_reason": None,
        "state": None,
        "code_verifier": None,
        "code": None,
        "code_received_at": None,
        "code_used": False,
        "access_token": None if grant.access_token is None else grant.access_token.reveal(),
        "access_expires_at": iso(grant.access_expires_at),
        "refresh_token": None if grant.refresh_token is None else grant.refresh_token.reveal(),
        "refresh_received_at": iso(grant.refresh_received_at),
        "refresh_used": grant.refresh_used,
        "reconfirmation": None,
        "user_input_link": None,
        "pending": None,
        "pending_since": None,
        "last_reminder_at": None,
        "last_error": None,
        "reported_consent_expires_at": None,
    }


def _store_as(backend: Backend, connection_id: str, data: dict[str, Any]) -> None:
    # Sealed as the store sealed that version's secrets (top-level fields in 1 and 2).
    raw = backend.raw()
    store = raw.store
    text = store._codec._seal(dict(data), connection_id, "record")  # type: ignore[attr-defined]
    raw.set_record(connection_id, text)


@pytest.mark.parametrize("version", [1, 2, 3])
def test_a_stored_record_of_every_form_is_read_and_committed_as_the_current_one(
    backend: Backend, version: int
) -> None:
    store, flow = backend.open(), Flow()
    run_flow(store, "c-1", flow)
    expected = flow.record()
    if version < 3:
        data = _flat(expected) | {"schema_version": version}
        if version == 1:
            data["reauthenticating"] = False
        _store_as(backend, "c-1", data)
        # Versions 1 and 2 did not count requests: the upgrade starts the count at 0.
        expected = evolve(expected, requests_sent=0)
    assert backend.raw().record("c-1")["schema_version"] == version

    stored = store.get("c-1")
    assert stored.record == expected
    read = core.FetchData(T0 + timedelta(hours=2))  # the token expired: refresh first
    decision = core.apply(stored.record, read)
    assert decision.record is not stored.record
    store.commit("c-1", stored.version, read, decision)

    written = backend.raw().record("c-1")
    assert written["schema_version"] == core.SCHEMA_VERSION == 3
    assert "reauthenticating" not in written and "access_token" not in written
    assert store.get("c-1").record == decision.record


def test_a_version_1_record_whose_flag_disagrees_is_corrupt(backend: Backend) -> None:
    store, flow = backend.open(), Flow()
    run_flow(store, "c-1", flow)
    data = _flat(flow.record()) | {"schema_version": 1, "reauthenticating": True}
    _store_as(backend, "c-1", data)  # but no link is pending

    with pytest.raises(CorruptRecordError, match="disagrees with user_input_link"):
        store.get("c-1")
