"""``lifecycle store migrate | reencrypt | copy | keygen`` against real databases."""

from __future__ import annotations

import argparse
import base64
import importlib
import os
import sqlite3
import sys
from pathlib import Path

import pytest
from stores_support import Backend, Flow, keys_text, open_spec, run_flow

from adapters.stores import SCHEMA_VERSION, Keyring, PostgresStore


def lifecycle(*argv: str) -> int:
    """Run ``lifecycle ARGV`` with the store commands registered, as the dispatcher does."""
    module = importlib.import_module("adapters.cli._store")
    parser = argparse.ArgumentParser(prog="lifecycle")
    module.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


def test_importing_the_command_module_does_nothing_and_reads_no_key() -> None:
    sys.modules.pop("adapters.cli._store", None)
    env_before = dict(os.environ)
    importlib.import_module("adapters.cli._store")
    assert dict(os.environ) == env_before


def test_migrate_upgrades_a_first_schema_sqlite_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "old.db")
    assert lifecycle("store", "migrate", "--sqlite", path, "--to", "1") == 0
    assert lifecycle("store", "migrate", "--sqlite", path) == 0

    out = capsys.readouterr().out
    assert "applied 1; the schema is at version 1" in out
    assert f"applied 2, 3, 4, 5, 6; the schema is at version {SCHEMA_VERSION}" in out
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT max(version) FROM schema_migrations").fetchone() == (
            SCHEMA_VERSION,
        )


def test_reencrypt_moves_rows_to_the_first_key_of_lifecycle_keys(
    durable: Backend,
    keys: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    flow = Flow()
    run_flow(durable.open(), "conn-1", flow)
    rotated = {"k2": os.urandom(32), **keys}
    monkeypatch.setenv("LIFECYCLE_KEYS", keys_text(rotated))
    where = (
        ["--sqlite", durable.location]
        if durable.kind == "sqlite"
        else ["--postgres", durable.location, "--schema", durable.schema or ""]
    )

    assert lifecycle("store", "reencrypt", *where) == 0

    assert "re-encrypted 6 rows with key 'k2'" in capsys.readouterr().out
    assert durable.raw().key_ids() == {"k2"}
    only_k2 = open_spec(durable.spec({"k2": rotated["k2"]}))
    assert only_k2.get("conn-1").record == flow.record()
    only_k2.close()


def test_reencrypt_without_lifecycle_keys_fails_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LIFECYCLE_KEYS", raising=False)

    assert lifecycle("store", "reencrypt", "--sqlite", str(tmp_path / "x.db")) == 1

    assert capsys.readouterr().err.strip() == (
        "lifecycle store reencrypt: LIFECYCLE_KEYS is not set: no key to encrypt secrets with"
    )


def test_copy_moves_every_connection_from_sqlite_to_postgres(
    tmp_path: Path,
    postgres_dsn: str,
    postgres_schema: str,
    keys: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LIFECYCLE_KEYS", keys_text(keys))
    path = str(tmp_path / "source.db")
    source = open_spec(("sqlite", path, None, keys_text(keys)))
    flows = {f"conn-{n}": Flow() for n in range(3)}
    for connection_id, flow in flows.items():
        run_flow(source, connection_id, flow)
    source.close()

    argv = [
        "store",
        "copy",
        "--from-sqlite",
        path,
        "--to-postgres",
        postgres_dsn,
        "--schema",
        postgres_schema,
    ]
    assert lifecycle(*argv) == 0
    assert "copied 3 connections; skipped 0" in capsys.readouterr().out

    target = PostgresStore(postgres_dsn, keyring=Keyring(keys, "k1"), schema=postgres_schema)
    with target:
        for connection_id, flow in flows.items():
            assert target.get(connection_id).record == flow.record()
            assert [e.input for e in target.history(connection_id)] == [flow.started, *flow.inputs]
    assert lifecycle(*argv) == 1  # a second copy would duplicate: refused
    assert "already exists" in capsys.readouterr().err
    assert lifecycle(*argv, "--skip-existing") == 0
    assert "copied 0 connections; skipped 3" in capsys.readouterr().out


def test_keygen_prints_a_usable_lifecycle_keys_entry(capsys: pytest.CaptureFixture[str]) -> None:
    assert lifecycle("store", "keygen", "2026-q1") == 0
    entry = capsys.readouterr().out.strip()
    assert Keyring.parse(entry).active == "2026-q1"
    assert len(base64.b64decode(entry.partition(":")[2])) == 32
