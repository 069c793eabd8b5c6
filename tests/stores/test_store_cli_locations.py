"""How ``lifecycle store`` finds the store: --store, LIFECYCLE_STORE, --sqlite, --postgres."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import Any

import pytest

store_cli: Any = importlib.import_module("adapters.cli._store")


def lifecycle(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="lifecycle")
    store_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


def test_postgres_takes_a_key_value_connection_string_too(
    postgres_dsn: str, postgres_schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # --postgres always means PostgreSQL, whatever the form of the string.
    from psycopg.conninfo import conninfo_to_dict  # the fixture skips without psycopg

    info = conninfo_to_dict(postgres_dsn)
    words = " ".join(f"{key}={value}" for key, value in info.items())

    assert lifecycle("store", "migrate", "--postgres", words, "--schema", postgres_schema) == 0

    assert "the schema is at version" in capsys.readouterr().out


def test_migrate_finds_the_store_in_lifecycle_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "from-env.db"
    monkeypatch.setenv("LIFECYCLE_STORE", str(path))

    assert lifecycle("store", "migrate") == 0

    assert path.is_file()  # migrate is the one command that creates a SQLite file
    assert "the schema is at version" in capsys.readouterr().out


def test_naming_the_store_twice_is_bad_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "a.db")

    assert lifecycle("store", "migrate", "--store", db, "--sqlite", db) == 2

    assert "name the store once" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_reencrypt_of_a_missing_sqlite_file_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LIFECYCLE_KEYS", "k1:" + "A" * 43 + "=")
    missing = tmp_path / "typo.db"

    assert lifecycle("store", "reencrypt", "--store", str(missing)) == 2

    assert capsys.readouterr().err == (
        f"lifecycle store reencrypt: {missing}: no such file (nothing was created)\n"
    )
    assert list(tmp_path.iterdir()) == []
