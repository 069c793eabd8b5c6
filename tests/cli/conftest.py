"""Fixtures for the command line: a store holding the example history, a fixed width."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import EXAMPLE, KEY

import lifecycle as core
from adapters.stores import Keyring, SqliteStore

RECORDED_AT = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test sees a 120-column terminal and the test key; no store by default."""
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("LIFECYCLE_KEYS", f"k1:{base64.b64encode(KEY).decode()}")
    monkeypatch.delenv("LIFECYCLE_STORE", raising=False)


@pytest.fixture
def stored(tmp_path: Path) -> str:
    """A SQLite file holding the example history as connection ``conn-uk``."""
    path = str(tmp_path / "lifecycle.db")
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    inputs = [core.input_from_json(json.loads(line)) for line in lines]
    started = inputs[0]
    assert isinstance(started, core.ConnectionStarted)
    keyring = Keyring({"k1": KEY}, "k1")
    with SqliteStore(path, keyring=keyring, clock=lambda: RECORDED_AT) as store:
        item = store.create("conn-uk", core.start(started), started)
        for input in inputs[1:]:
            decision = core.apply(item.record, input)
            item = store.commit("conn-uk", item.version, input, decision)
    return path
