"""``lifecycle demo`` end to end: a process of its own, the sandbox, a SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cli_support import lifecycle

LIFE = [
    "connection.created",
    "connection.authorized",
    "connection.active",
    "connection.consent_expiring",
    "connection.consent_expiring",
    "connection.extended",
    "connection.consent_expiring",
    "connection.reauth_required",
    "connection.extended",
    "connection.revoked",
]


def run_demo(*argv: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {key: value for key, value in os.environ.items() if key != "LIFECYCLE_KEYS"}
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "demo", *argv],
        capture_output=True, text=True, timeout=120, env=env, cwd=Path(__file__).parent,
    )  # fmt: skip
    return done, time.monotonic() - began


def test_the_demo_walks_one_connection_through_its_whole_life_in_under_30_seconds() -> None:
    done, seconds = run_demo("--json")
    assert done.returncode == 0, done.stderr
    assert seconds < 30
    lines: list[dict[str, Any]] = [json.loads(line) for line in done.stdout.splitlines()]
    steps, summary = lines[:-1], lines[-1]
    assert {line["kind"] for line in steps} == {"step"} and summary["kind"] == "summary"

    # Every event of the life, in order, each announced by the step that caused it.
    assert [event for step in steps for event in step["events"]] == LIFE
    assert summary["events"] == len(LIFE) and summary["final_status"] == "inactive"
    # Who did what: the user in the dialog, the app, the worker, the bank's switch.
    assert [step["who"] for step in steps[:5]] == ["app", "user", "app", "app", "worker"]
    assert steps[2]["status"] == "active" and steps[0]["status"] == "authorization_required"
    worker: dict[str, int] = {}
    for step in steps:
        for action, count in step["worker"].items():
            worker[action] = worker.get(action, 0) + count
    assert worker["kept_alive"] == 1  # day 29: the unused refresh token (R6)
    assert worker["reminded"] == 3  # day 76 and 83, then 14 days before the extended end
    assert worker["refreshed"] > 100  # once a day for months, with strict rotation
    assert summary["worker_runs"] == sum(step["runs"] for step in steps if step["who"] == "worker")
    keep_alive = next(step for step in steps if step["worker"].get("kept_alive"))
    assert keep_alive["day"] == 29
    # The consent clock: 90 days (R7), extended on day 83, re-authenticated on day 159.
    ends = [step["consent_expires_at"][:10] for step in steps if step["consent_expires_at"]]
    assert ends[0] == "2026-04-05" and "2026-06-27" in ends and ends[-1] == "2026-09-11"
    assert (steps[-1]["status"], steps[-1]["reason"]) == ("inactive", "revoked")
    assert "acknowledged" in steps[-1]["what"]
    assert "sandbox-secret" not in done.stdout + done.stderr


def test_the_demo_prints_a_timeline_for_a_person(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # no cell wraps: each phrase stays on its line
    status, out, err = lifecycle(capsys, "demo", "--format", "table")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("One connection's whole life")
    for text in (
        "consented in the bank's dialog",
        "kept the unused refresh token alive",
        "ran once a day",
        "reconfirmed consent",
        "extended the connection",
        "authenticated again at the bank",
        "inactive (revoked)",
        "consent_expiring",
    ):
        assert text in out, text
    assert lines[-1].startswith("160 simulated days,") and "10 events" in lines[-1]


def test_the_demo_piped_prints_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = lifecycle(capsys, "demo")
    assert status == 0
    assert all(json.loads(line)["kind"] in ("step", "summary") for line in out.splitlines())
