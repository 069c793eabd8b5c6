"""``lifecycle store copy`` and ``reencrypt`` on 3,000 connections: a progress bar with
counts, one summary, and unreadable rows listed once (not one line each), then skipped."""

from __future__ import annotations

import argparse
import importlib
import io
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from stores_support import Flow, keys_text

import lifecycle as core
from adapters.cli._output import Output
from adapters.stores import Keyring, SqliteStore

COUNT = 3_000
BROKEN = ("c-0007", "c-1500", "c-2999")
store_cli: Any = importlib.import_module("adapters.cli._store")


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lifecycle")
    store_cli.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def terminal() -> Output:
    """An output whose stderr is a 100-column terminal, captured."""
    return Output(stdout=io.StringIO(), stderr=io.StringIO(), interactive=True, width=100)


def screen(output: Output) -> str:
    """What the terminal showed, without the cursor and colour codes."""
    assert isinstance(output.stderr, io.StringIO)
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output.stderr.getvalue())


def summary(output: Output) -> str:
    assert isinstance(output.stdout, io.StringIO)
    return output.stdout.getvalue()


@pytest.fixture
def source(tmp_path: Path, keys: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite file with 3,000 connections (two history rows each), three of them broken."""
    monkeypatch.setenv("LIFECYCLE_KEYS", keys_text(keys))
    path = str(tmp_path / "source.db")
    flow = Flow()
    with SqliteStore(path, keyring=Keyring(keys, "k1")) as store:
        for number in range(COUNT):
            connection_id = f"c-{number:04d}"
            item = store.create(connection_id, core.start(flow.started), flow.started)
            store.commit(connection_id, 1, flow.inputs[0], core.apply(item.record, flow.inputs[0]))
    with sqlite3.connect(path) as connection:
        connection.executemany(
            "UPDATE connections SET record = '{\"region\": ' WHERE id = ?",
            [(name,) for name in BROKEN],
        )
    return path


def test_copy_of_3000_connections_shows_counts_and_lists_the_broken_rows_once(
    source: str, postgres_dsn: str, postgres_schema: str
) -> None:
    argv = ["store", "copy", "--from-sqlite", source, "--to-postgres", postgres_dsn]
    args = parse(*argv, "--schema", postgres_schema)
    output = terminal()

    assert store_cli._copy(args, output) == 1

    shown = screen(output)
    assert f"{COUNT}/{COUNT}" in shown  # the bar ran to the end, with counts
    assert summary(output) == (
        f"copied {COUNT - 3} connections; skipped 0 already there; 3 unreadable, not copied\n"
    )
    problems = shown[shown.index("lifecycle store copy: 3 problem(s):") :].splitlines()
    assert [line.partition(" (")[0] for line in problems[1:]] == [
        f"  connection {name!r} is unreadable: record is not JSON" for name in BROKEN
    ]

    # Resuming skips what is there and reports the same three rows again, once each.
    again = terminal()
    assert store_cli._copy(parse(*argv, "--schema", postgres_schema, "--skip-existing"), again) == 1
    assert summary(again) == (
        f"copied 0 connections; skipped {COUNT - 3} already there; 3 unreadable, not copied\n"
    )
    assert screen(again).count("is unreadable") == 3


def test_copy_piped_prints_no_bar_only_the_summary_and_the_problems(
    source: str,
    postgres_dsn: str,
    postgres_schema: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = parse(
        "store", "copy", "--from-sqlite", source, "--to-postgres", postgres_dsn,
        "--schema", postgres_schema,
    )  # fmt: skip

    assert args.run(args) == 1

    out, err = capsys.readouterr()
    assert out.count("\n") == 1
    assert err.splitlines()[0] == "lifecycle store copy: 3 problem(s):"
    assert len(err.splitlines()) == 4


def test_copy_from_a_missing_sqlite_file_creates_nothing_and_says_so(
    tmp_path: Path, keys: dict[str, bytes], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("LIFECYCLE_KEYS", keys_text(keys))
    missing = tmp_path / "tpyo.db"
    args = parse("store", "copy", "--from-sqlite", str(missing), "--to-postgres", "postgresql://x")

    assert args.run(args) == 2

    assert capsys.readouterr().err == (
        f"lifecycle store copy: {missing}: no such file (nothing was created)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_reencrypt_of_3000_connections_shows_counts_and_lists_the_broken_rows_once(
    source: str, keys: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    rotated = {"k2": os.urandom(32), **keys}
    monkeypatch.setenv("LIFECYCLE_KEYS", keys_text(rotated))
    output = terminal()

    assert store_cli._reencrypt(parse("store", "reencrypt", "--store", source), output) == 1

    rows = COUNT * 3  # each connection: its record and two history rows
    shown = screen(output)
    assert f"{rows}/{rows}" in shown
    assert summary(output) == f"re-encrypted {rows - 3} rows with key 'k2'\n"
    # Collected from the store's log, listed once each, after the bar.
    listed = shown[shown.index("lifecycle store reencrypt: 3 problem(s):") :].splitlines()
    assert [line.partition(" (")[0] for line in listed[1:4]] == [
        f"  connection {name!r} is unreadable: record is not JSON" for name in BROKEN
    ]
    assert "3 connection(s) keep their old key" in shown


def test_reencrypt_piped_logs_nothing_per_row(
    source: str,
    keys: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LIFECYCLE_KEYS", keys_text({"k2": os.urandom(32), **keys}))
    args = parse("store", "reencrypt", "--store", source)

    assert args.run(args) == 1

    out, err = capsys.readouterr()
    assert out == f"re-encrypted {COUNT * 3 - 3} rows with key 'k2'\n"
    assert len(err.splitlines()) == 5  # the count, three rows, what to do
