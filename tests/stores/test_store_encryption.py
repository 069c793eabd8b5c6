"""Encryption at rest: no secret in the files, key rotation, reencrypt, tampering."""

from __future__ import annotations

import base64
import json
import logging
import os

import pytest
from stores_support import Backend, Flow, flip, run_flow

import lifecycle as core
from adapters.stores import (
    DecryptionError,
    Keyring,
    KeyringError,
    MissingKeyError,
    PostgresStore,
    ReencryptError,
    SqliteStore,
    _codec,
)


def test_no_token_code_state_or_verifier_is_stored_in_clear(durable: Backend) -> None:
    store = durable.open()
    flow = Flow()
    run_flow(store, "conn-1", flow)
    # A refused input carrying secrets is recorded too, and encrypted the same way.
    late = core.UserAuthorised(flow.inputs[-1].at, code=core.Secret("CODE-LATE-" + "x" * 8))
    store.commit("conn-1", 5, late, core.apply(store.get("conn-1").record, late))
    store.close()

    at_rest = durable.raw().dump()

    assert b"enc:v1:k1:" in at_rest
    for value in [*flow.secrets.values(), "CODE-LATE-xxxxxxxx"]:
        assert value.encode() not in at_rest, f"{value.split('-')[0]} is stored in clear"


def test_secrets_read_back_decrypted(durable: Backend) -> None:
    flow = Flow()
    run_flow(durable.open(), "conn-1", flow)

    reopened = durable.open()

    assert reopened.get("conn-1").record == flow.record()
    history = reopened.history("conn-1")
    assert [entry.input for entry in history] == [flow.started, *flow.inputs]


def test_a_store_without_a_keyring_refuses_to_start(tmp_path: os.PathLike[str]) -> None:
    with pytest.raises(MissingKeyError, match="Keyring"):
        SqliteStore(f"{tmp_path}/x.db")
    with pytest.raises(MissingKeyError):
        PostgresStore("postgresql://nowhere.invalid/db")


def test_plaintext_mode_warns_once_and_stores_in_clear(
    tmp_path: os.PathLike[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_codec, "_warned_plaintext", False)
    caplog.set_level(logging.WARNING, logger="adapters.stores")
    store = SqliteStore(f"{tmp_path}/x.db", plaintext=True)
    SqliteStore(f"{tmp_path}/x.db", plaintext=True)
    flow = Flow()
    run_flow(store, "conn-1", flow)

    assert [r.message for r in caplog.records].count(
        "SqliteStore stores tokens in CLEAR (plaintext=True): development only"
    ) == 1
    assert store.get("conn-1").record == flow.record()
    store.close()


def test_rows_written_in_clear_are_readable_with_keys_and_reencrypted(
    durable: Backend,
    keys: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_codec, "_warned_plaintext", True)
    from stores_support import open_spec

    kind, location, schema, _ = durable.spec()
    clear = open_spec((kind, location, schema, None))
    flow = Flow()
    run_flow(clear, "conn-1", flow)
    clear.close()

    keyed = durable.open()
    assert keyed.get("conn-1").record == flow.record()
    assert keyed.reencrypt() == 1 + 5
    assert durable.raw().key_ids() == {"k1"}
    assert flow.secrets["refresh"].encode() not in durable.raw().dump()


def test_old_rows_stay_readable_after_a_key_rotation(
    durable: Backend, keys: dict[str, bytes]
) -> None:
    old, new = Flow(), Flow()
    run_flow(durable.open(), "old", old)
    rotated = {"k2": os.urandom(32), **keys}  # k2 first: the new active key

    store = durable.open(rotated)
    run_flow(store, "new", new)

    assert store.get("old").record == old.record()
    assert store.get("new").record == new.record()
    assert store.history("old")[2].input == old.inputs[1]
    assert durable.raw().record("new")["grant"]["access_token"].startswith("enc:v1:k2:")
    assert durable.raw().record("old")["grant"]["access_token"].startswith("enc:v1:k1:")


def test_reencrypt_moves_every_row_to_the_active_key(
    durable: Backend, keys: dict[str, bytes]
) -> None:
    flows = {name: Flow() for name in ("a", "b", "c")}
    for name, flow in flows.items():
        run_flow(durable.open(), name, flow)
    k2 = {"k2": os.urandom(32)}

    assert durable.open({**k2, **keys}).reencrypt() == 3 * (1 + 5)
    assert durable.open({**k2, **keys}).reencrypt() == 0  # nothing left to move

    only_new = durable.open(k2)
    for name, flow in flows.items():
        assert only_new.get(name).record == flow.record()
        assert [e.input for e in only_new.history(name)] == [flow.started, *flow.inputs]
    assert durable.raw().key_ids() == {"k2"}


def test_a_tampered_ciphertext_raises_decryption_error_naming_the_connection(
    durable: Backend,
) -> None:
    flow = Flow()
    store = durable.open()
    run_flow(store, "conn-1", flow)
    raw = durable.raw()
    record = raw.record("conn-1")
    record["grant"]["refresh_token"] = flip(record["grant"]["refresh_token"])
    raw.set_record("conn-1", json.dumps(record))

    with pytest.raises(DecryptionError) as raised:
        store.get("conn-1")

    error = raised.value
    assert (error.connection_id, error.field, error.key_id) == (
        "conn-1",
        "grant.refresh_token",
        "k1",
    )
    assert "conn-1" in str(error) and "grant.refresh_token" in str(error)
    assert flow.secrets["refresh"] not in f"{error} {error!r}"


def test_a_ciphertext_moved_to_another_connection_does_not_decrypt(durable: Backend) -> None:
    store = durable.open()
    run_flow(store, "alice", Flow())
    run_flow(store, "mallory", Flow())
    raw = durable.raw()
    mallory = raw.record("mallory")
    mallory["grant"]["access_token"] = raw.record("alice")["grant"]["access_token"]
    raw.set_record("mallory", json.dumps(mallory))

    with pytest.raises(DecryptionError, match=r"mallory.*access_token.*another row"):
        store.get("mallory")
    assert store.get("alice").record.grant.access_token is not None


def test_a_history_ciphertext_moved_to_another_row_does_not_decrypt(durable: Backend) -> None:
    store = durable.open()
    flow = Flow()
    run_flow(store, "conn-1", flow)
    raw = durable.raw()
    # Row 2 (link_issued) holds a state; give row 3's state to it.
    stolen = raw.history_input("conn-1", 3)["state"]
    row = raw.history_input("conn-1", 2)
    row["state"] = stolen
    raw.set_history_input("conn-1", 2, json.dumps(row))

    with pytest.raises(DecryptionError) as raised:
        store.history("conn-1")
    assert (raised.value.seq, raised.value.field) == (2, "state")


def test_a_row_sealed_with_an_unknown_key_raises_decryption_error(
    durable: Backend,
) -> None:
    run_flow(durable.open({"gone": os.urandom(32)}), "conn-1", Flow())

    with pytest.raises(DecryptionError, match="unknown key id") as raised:
        durable.open().get("conn-1")
    assert raised.value.key_id == "gone"


def test_reencrypt_moves_the_readable_rows_and_names_the_unreadable(
    durable: Backend, keys: dict[str, bytes]
) -> None:
    store = durable.open()
    run_flow(store, "good", Flow())
    run_flow(store, "bad", Flow())
    raw = durable.raw()
    record = raw.record("bad")
    record["grant"]["access_token"] = flip(record["grant"]["access_token"])
    raw.set_record("bad", json.dumps(record))

    with pytest.raises(ReencryptError) as raised:
        durable.open({"k2": os.urandom(32), **keys}).reencrypt()

    assert raised.value.failed == ("bad",)
    assert raised.value.rewritten == 1 + 2 * 5  # the good row, and every history row


def test_keys_are_read_from_the_lifecycle_keys_format() -> None:
    one, two = os.urandom(32), os.urandom(32)
    text = f"new:{base64.b64encode(one).decode()}, old:{base64.b64encode(two).decode()}"

    keyring = Keyring.parse(text)

    assert keyring.active == "new"
    assert keyring.key_ids == ("new", "old")
    assert base64.b64encode(one).decode() not in repr(keyring)
    assert Keyring.from_env({"LIFECYCLE_KEYS": text}).active == "new"
    assert Keyring.parse(Keyring.generate("fresh")).active == "fresh"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no key"),
        ("k1", "not kid:base64key"),
        ("k1:!!notbase64!!", "not valid base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", "32 bytes"),
        (f"bad id:{base64.b64encode(bytes(32)).decode()}", "bad key id"),
        (
            f"k1:{base64.b64encode(bytes(32)).decode()},k1:{base64.b64encode(bytes(32)).decode()}",
            "twice",
        ),
    ],
)
def test_a_malformed_keyring_is_refused_without_echoing_keys(text: str, message: str) -> None:
    with pytest.raises(KeyringError, match=message) as raised:
        Keyring.parse(text)
    secret_part = text.partition(":")[2]
    assert not secret_part or secret_part not in str(raised.value)


def test_an_unset_lifecycle_keys_is_a_missing_key_error() -> None:
    with pytest.raises(MissingKeyError, match="LIFECYCLE_KEYS"):
        Keyring.from_env({})
