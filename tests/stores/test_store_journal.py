"""The journal of raw answers (R15): sealed, durable at once, closed with its commit."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any

import pytest
from service_support import at_rest, sql
from stores_support import Backend, Flow, flip, run_flow

import lifecycle as core
from adapters.stores import (
    ConflictError,
    ConnectionNotFound,
    CorruptRecordError,
    DecryptionError,
    MemoryStore,
    Store,
    copy_connections,
)

S = timedelta(seconds=1)


def _answer(tag: str = "") -> dict[str, Any]:
    return {
        "access_token": f"ACCESS-IN-JOURNAL-{tag}",
        "refresh_token": f"ROTATED-REFRESH-{tag}",
        "expires_in": 3600,
        "token_type": "Bearer",
        "scope": f"info accounts offline_access {tag}-scope",
    }


def _tick(store: Store, connection_id: str) -> tuple[int, core.Input, core.Decision]:
    stored = store.get(connection_id)
    input = core.Tick(stored.record.last_input_at + S)
    return stored.version, input, core.apply(stored.record, input)


def test_an_answer_is_journalled_and_read_back_whatever_the_version(store: Store) -> None:
    run_flow(store, "conn-1", Flow())

    store.record_answer("conn-1", 3, _answer("a"))

    assert store.answer("conn-1", 3) == _answer("a")
    assert store.answer("conn-1", 4) is None
    assert store.answer("nobody", 3) is None
    assert store.get("conn-1").version == 5  # no compare-and-set, no version bump


def test_journalling_the_same_request_again_replaces_its_answer(store: Store) -> None:
    run_flow(store, "conn-1", Flow())
    store.record_answer("conn-1", 3, _answer("first"))

    store.record_answer("conn-1", 3, _answer("second"))

    assert store.answer("conn-1", 3) == _answer("second")
    assert store.open_answers() == (("conn-1", 3),)


def test_an_answer_for_an_unknown_connection_raises_connection_not_found(store: Store) -> None:
    for nobody in ("nobody", "nul\x00id", "lone\udc80"):
        with pytest.raises(ConnectionNotFound):
            store.record_answer(nobody, 1, _answer())
        assert store.answer(nobody, 1) is None
    assert store.open_answers() == ()


def test_an_answer_that_is_not_json_or_a_bad_request_number_is_refused(store: Store) -> None:
    run_flow(store, "conn-1", Flow())

    with pytest.raises(TypeError, match="not JSON"):
        store.record_answer("conn-1", 1, {"access_token": object()})
    with pytest.raises(TypeError, match="not JSON"):
        store.record_answer("conn-1", 1, {"expires_in": float("nan")})
    with pytest.raises(TypeError, match="mapping"):
        store.record_answer("conn-1", 1, ["not", "a", "mapping"])  # type: ignore[arg-type]
    for bad in (0, -1, True):
        with pytest.raises(ValueError, match="request number"):
            store.record_answer("conn-1", bad, _answer())

    assert store.open_answers() == ()


def test_a_commit_with_close_answer_deletes_the_answer_in_its_transaction(store: Store) -> None:
    run_flow(store, "conn-1", Flow())
    store.record_answer("conn-1", 3, _answer())
    store.record_answer("conn-1", 4, _answer("other"))
    version, input, decision = _tick(store, "conn-1")

    store.commit("conn-1", version, input, decision, close_answer=3)

    assert store.answer("conn-1", 3) is None
    assert store.open_answers() == (("conn-1", 4),)


def test_a_commit_that_loses_its_race_leaves_the_answer_open(store: Store) -> None:
    run_flow(store, "conn-1", Flow())
    store.record_answer("conn-1", 3, _answer())
    version, input, decision = _tick(store, "conn-1")
    store.commit("conn-1", version, input, decision)

    with pytest.raises(ConflictError):
        store.commit("conn-1", version, input, decision, close_answer=3)

    assert store.answer("conn-1", 3) == _answer()
    assert store.open_answers() == (("conn-1", 3),)


def test_open_answers_lists_every_unclosed_answer_oldest_first(store: Store) -> None:
    for name in ("a", "b", "c"):
        run_flow(store, name, Flow())
    for name, request in (("a", 2), ("b", 1), ("c", 7), ("a", 3)):
        store.record_answer(name, request, _answer(name))

    assert store.open_answers() == (("a", 2), ("b", 1), ("c", 7), ("a", 3))
    assert store.open_answers(limit=2) == (("a", 2), ("b", 1))
    with pytest.raises(ValueError, match="limit"):
        store.open_answers(limit=0)


def test_an_answer_is_sealed_whole_at_rest_and_survives_reopening(durable: Backend) -> None:
    store = durable.open()
    run_flow(store, "conn-1", Flow())
    answer = _answer("secret-tag-77")
    store.record_answer("conn-1", 3, answer)
    store.close()

    dump = at_rest(durable)

    # The whole answer is sealed, not only its tokens: no field name or value shows.
    for value in (answer["access_token"], answer["refresh_token"], answer["scope"], "token_type"):
        assert value.encode() not in dump, f"{value[:12]} is stored in clear"
    ((stored, key_id),) = sql(durable, "SELECT answer, key_id FROM answers")
    assert stored.startswith("enc:v1:k1:") and key_id == "k1"
    assert durable.open().answer("conn-1", 3) == answer


def test_a_tampered_or_moved_answer_raises_decryption_error_naming_the_connection(
    durable: Backend,
) -> None:
    store = durable.open()
    run_flow(store, "conn-1", Flow())
    store.record_answer("conn-1", 3, _answer())
    ((sealed,),) = sql(durable, "SELECT answer FROM answers")
    sql(durable, "UPDATE answers SET answer = %s", (flip(sealed),))

    with pytest.raises(DecryptionError, match="conn-1") as raised:
        store.answer("conn-1", 3)
    assert "ACCESS-IN-JOURNAL" not in str(raised.value)

    # Moved to another request number: the associated data names the request.
    sql(durable, "UPDATE answers SET answer = %s, request = 4", (sealed,))
    with pytest.raises(DecryptionError, match="answer 4"):
        store.answer("conn-1", 4)


def test_an_answer_stored_in_clear_under_a_key_or_not_json_is_corrupt(durable: Backend) -> None:
    store = durable.open()
    run_flow(store, "conn-1", Flow())
    store.record_answer("conn-1", 3, _answer())
    sql(durable, "UPDATE answers SET answer = %s", (json.dumps(_answer()),))

    with pytest.raises(DecryptionError, match="stored in clear"):
        store.answer("conn-1", 3)
    sql(durable, "UPDATE answers SET answer = %s, key_id = NULL", ("[1, 2",))
    with pytest.raises(CorruptRecordError, match="not JSON"):
        store.answer("conn-1", 3)


def test_reencrypt_moves_journalled_answers_to_the_active_key(
    durable: Backend, keys: dict[str, bytes]
) -> None:
    store = durable.open()
    run_flow(store, "conn-1", Flow())
    store.record_answer("conn-1", 3, _answer())
    rotated = {"k2": os.urandom(32), **keys}

    moved = durable.open(rotated).reencrypt()

    assert moved == 1 + 5 + 1  # the record, its five history rows, the answer
    only_new = {"k2": rotated["k2"]}
    assert durable.open(only_new).answer("conn-1", 3) == _answer()
    assert sql(durable, "SELECT key_id FROM answers") == [("k2",)]


def test_copying_a_store_carries_the_answers_no_commit_has_closed(durable: Backend) -> None:
    store = durable.open()
    run_flow(store, "conn-1", Flow())
    run_flow(store, "conn-2", Flow())
    store.record_answer("conn-1", 3, _answer("one"))
    store.record_answer("conn-2", 5, _answer("two"))
    ((sealed,),) = sql(durable, "SELECT answer FROM answers WHERE connection_id = 'conn-2'")
    sql(durable, "UPDATE answers SET answer = %s WHERE connection_id = 'conn-2'", (flip(sealed),))
    target = MemoryStore()

    report = copy_connections(store, target)

    assert (report.copied, report.answers, report.failed) == (2, 1, ("conn-2",))
    assert target.answer("conn-1", 3) == _answer("one")
    assert target.open_answers() == (("conn-1", 3),)
