"""``lifecycle status`` and ``lifecycle events`` on a SQLite file the service wrote, working
against the sandbox."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import KEY, lifecycle

import lifecycle as core
from adapters.sandbox import Sandbox, SandboxConfig
from adapters.service import Connections
from adapters.stores import Keyring, SqliteStore
from adapters.truelayer import Endpoints, TrueLayerClient

SCOPES = ("info", "accounts", "offline_access")


class World:
    """The sandbox, the service over a SQLite file, and three connections: one revoked,
    one active, one waiting for its user."""

    def __init__(self, sandbox: Sandbox, store: SqliteStore, path: Path) -> None:
        self.sandbox, self.store, self.path = sandbox, store, path
        self.client = TrueLayerClient(
            client_id="sandbox-client",
            client_secret=core.Secret("sandbox-secret"),
            redirect_uri="http://127.0.0.1/callback",
            endpoints=Endpoints.local(sandbox.base_url),
        )
        self.connections = Connections(store=store, client=self.client, clock=sandbox.clock.now)
        self.revoked = self.connect()
        self.connections.revoke(self.revoked)
        self.active = self.connect()
        self.waiting = self.connections.begin(
            region="uk", scopes=SCOPES, providers="uk-cs-mock"
        ).connection_id

    def connect(self) -> str:
        link = self.connections.begin(region="uk", scopes=SCOPES, providers="uk-cs-mock")
        assert self.connections.handle_callback(self.sandbox.consent(link.url)).connected
        return link.connection_id

    @property
    def at(self) -> str:
        return self.sandbox.clock.now().isoformat()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    path = tmp_path / "lifecycle.db"
    with (
        Sandbox(SandboxConfig()) as sandbox,
        SqliteStore(path, keyring=Keyring({"k1": KEY}, "k1")) as store,
    ):
        made = World(sandbox, store, path)
        with made.client:
            yield made


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_status_lists_every_stored_connection_with_its_next_due_action(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = lifecycle(
        capsys, "status", "--store", str(world.path), "--at", world.at, "--format", "json"
    )
    assert status == 0, err
    rows = {row["connection_id"]: row for row in json_lines(out)}
    assert set(rows) == {world.revoked, world.active, world.waiting}
    revoked, active, waiting = rows[world.revoked], rows[world.active], rows[world.waiting]
    assert (revoked["status"], revoked["inactive_reason"]) == ("inactive", "revoked")
    assert revoked["next_action"] is None
    assert (active["status"], active["next_action"]) == ("active", "refresh_access_token")
    # R5: an hour's token, refreshed five minutes ahead of its expiry.
    assert active["next_due"] == "2026-01-01T00:55:00+00:00"
    assert waiting["status"] == "authorization_required"


def test_status_as_a_table_says_when_the_next_action_is_due(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "160")  # one line per connection
    status, out, _ = lifecycle(
        capsys, "status", "--store", str(world.path), "--at", world.at, "--format", "table"
    )
    assert status == 0
    line = next(line for line in out.splitlines() if world.active in line)
    assert "refresh_access_token" in line and "(in 55m)" in line
    assert "inactive (revoked)" in out


def test_status_of_one_connection_shows_its_deadlines_agenda_and_history(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = lifecycle(
        capsys, "status", world.active, "--store", str(world.path), "--at", world.at,
        "--format", "json",
    )  # fmt: skip
    assert status == 0
    (report,) = json_lines(out)
    assert report["status"] == "active"
    assert report["deadlines"]["consent_expires_at"] == "2026-04-01T00:00:00+00:00"
    assert report["agenda"][0]["action"] == "refresh_access_token"
    assert [entry["type"] for entry in report["history"]][:3] == [
        "connection_started",
        "link_issued",
        "user_authorised",
    ]
    assert "sandbox-secret" not in out

    status, table, _ = lifecycle(
        capsys, "status", world.active, "--store", str(world.path), "--at", world.at,
        "--format", "table",
    )  # fmt: skip
    assert status == 0
    for title in ("Deadlines", "Agenda", "History", "code_exchanged"):
        assert title in table


def test_status_of_an_unknown_connection_says_so_with_exit_1(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = lifecycle(capsys, "status", "no-such-id", "--store", str(world.path))
    assert (status, out) == (1, "")
    assert err.startswith("lifecycle status: ") and "no-such-id" in err


def test_events_prints_every_waiting_event_in_order_and_again_until_acknowledged(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    stored = world.store.events(limit=1000)
    _, out, _ = lifecycle(capsys, "events", "--store", str(world.path), "--format", "json")
    printed = json_lines(out)
    assert [event["event_id"] for event in printed] == [event.event_id for event in stored]
    assert [event["position"] for event in printed] == sorted(e["position"] for e in printed)
    assert printed[0]["type"] == "connection.created"
    _, again, _ = lifecycle(capsys, "events", "--store", str(world.path), "--format", "json")
    assert again == out  # nothing was acknowledged

    _, acked, _ = lifecycle(
        capsys, "events", "--ack", "--limit", "3", "--store", str(world.path), "--format", "json"
    )
    assert len(json_lines(acked)) == 3
    _, rest, _ = lifecycle(capsys, "events", "--store", str(world.path), "--format", "json")
    assert json_lines(rest) == printed[3:]


def test_events_of_one_connection_as_a_table(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = lifecycle(
        capsys, "events", "--connection", world.revoked, "--store", str(world.path),
        "--format", "table",
    )  # fmt: skip
    assert status == 0
    kinds = ["connection.created", "connection.authorized", "connection.active"]
    for kind in [*kinds, "connection.revoked"]:
        assert kind in out
    assert world.active not in out and "inactive (revoked)" in out


def test_events_with_nothing_waiting_says_so(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.store.ack(event.event_id for event in world.store.events(limit=1000))
    status, out, _ = lifecycle(capsys, "events", "--store", str(world.path), "--format", "table")
    assert (status, out) == (0, "no events waiting\n")


def test_events_follow_prints_new_events_as_they_come_and_stops_cleanly_on_sigterm(
    world: World,
) -> None:
    before = world.store.events(limit=1000)
    follower = subprocess.Popen(
        [
            sys.executable, "-m", "adapters.cli", "events", "--follow", "--ack",
            "--interval", "0.05", "--format", "json", "--store", str(world.path),
        ],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    assert follower.stdout is not None
    try:
        seen = [json.loads(follower.stdout.readline()) for _ in before]
        assert [event["event_id"] for event in seen] == [event.event_id for event in before]
        newcomer = world.connect()  # written while the follower runs
        fresh = [json.loads(follower.stdout.readline()) for _ in range(3)]
        assert [event["connection_id"] for event in fresh] == [newcomer] * 3
        follower.send_signal(signal.SIGTERM)
        assert follower.wait(timeout=10) == 0
    finally:
        follower.kill()
        follower.wait()
    assert world.store.events(limit=1000) == ()  # each printed event was acknowledged


@pytest.mark.parametrize("bad", [["--limit", "0"], ["--interval", "0"], ["--after", "-1"]])
def test_events_refuses_bad_settings_as_bad_usage(
    world: World, capsys: pytest.CaptureFixture[str], bad: list[str]
) -> None:
    status, _, err = lifecycle(capsys, "events", *bad, "--store", str(world.path))
    assert status == 2 and err.startswith("lifecycle events: ")
