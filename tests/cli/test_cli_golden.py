"""The human and JSON outputs of the command line, on a fixed history and a fixed width.

The golden files under ``golden/`` are what a person sees at 120 columns. When an
output changes on purpose, run ``LIFECYCLE_UPDATE_GOLDEN=1 pytest tests/cli`` and
review the diff of the golden files like any other change.
"""

from __future__ import annotations

import json

import pytest
from cli_support import EXAMPLE, golden, lifecycle

AT = "2026-07-01T12:00:00+00:00"  # after the last input of the history


def test_replay_as_a_table_matches_its_golden_file(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = lifecycle(capsys, "replay", "--format", "table", str(EXAMPLE))

    assert (status, err) == (0, "")
    golden("replay-table.txt", out)
    assert "refused: code_used" in out
    assert "refresh_token_lapsed" in out


def test_replay_as_json_lines_matches_its_golden_file(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = lifecycle(capsys, "replay", "--format", "json", str(EXAMPLE))

    assert (status, err) == (0, "")
    golden("replay.jsonl", out)
    assert len(out.splitlines()) == len(EXAMPLE.read_text().splitlines())


def test_show_as_a_table_matches_its_golden_file(
    stored: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = lifecycle(
        capsys, "show", "conn-uk", "--store", stored, "--at", AT, "--format", "table"
    )

    assert (status, err) == (0, "")
    golden("show-table.txt", out)


def test_show_as_json_is_one_object_with_the_state_at_the_time_asked(
    stored: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = lifecycle(capsys, "show", "conn-uk", "--store", stored, "--at", AT)

    assert (status, err) == (0, "")  # not a terminal: JSON without asking
    golden("show.jsonl", out)
    report = json.loads(out)
    assert (report["connection_id"], report["status"], report["version"]) == (
        "conn-uk",
        "inactive",
        15,
    )
    assert report["inactive_reason"] == "refresh_token_lapsed"


def test_history_as_a_table_matches_its_golden_file(
    stored: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = lifecycle(
        capsys, "history", "conn-uk", "--store", stored, "--format", "table"
    )

    assert (status, err) == (0, "")
    golden("history-table.txt", out)


def test_history_as_json_lists_every_input_and_no_secret(
    stored: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = lifecycle(
        capsys, "history", "conn-uk", "--store", stored, "--format", "json"
    )

    assert (status, err) == (0, "")
    golden("history.jsonl", out)
    entries = [json.loads(line) for line in out.splitlines()]
    assert [entry["seq"] for entry in entries] == list(range(1, 16))
    assert [entry["accepted"] for entry in entries].count(False) == 2
    for secret in ("st-7f3a", "verifier-5d1c2b", "code-c0ffee"):
        assert secret not in out
    assert entries[1]["input"]["state"].startswith("sha256:")


def test_the_store_can_come_from_lifecycle_store(
    stored: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFECYCLE_STORE", stored)

    status, out, _ = lifecycle(capsys, "show", "conn-uk", "--at", AT, "--format", "json")

    assert status == 0
    assert json.loads(out)["connection_id"] == "conn-uk"
