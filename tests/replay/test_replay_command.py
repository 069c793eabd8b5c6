"""``lifecycle replay`` end to end: a real process on files in tests/."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
EXAMPLE = HERE.parent.parent / "examples" / "uk-connection.jsonl"
FIELDS = {
    "at", "type", "accepted", "reason", "status", "inactive_reason", "effects", "request",
    "reauthenticating", "deadlines", "agenda",
}  # fmt: skip
DEADLINES = {
    "code_expires_at", "access_expires_at", "refresh_use_by", "consent_expires_at",
    "extend_until",
}  # fmt: skip


START = (
    '{"at": "2026-01-01T00:00:00Z", "type": "connection_started", "region": "uk",'
    ' "scopes": ["info", "offline_access"]}\n'
)


def replay(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", "replay", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def lines(path: Path) -> list[dict[str, Any]]:
    result = replay(path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_every_output_line_has_the_documented_fields() -> None:
    out = lines(EXAMPLE)
    assert len(out) == len(EXAMPLE.read_text().splitlines())
    for line in out:
        assert set(line) >= FIELDS
        assert set(line["deadlines"]) == DEADLINES
        for item in line["agenda"]:
            assert set(item) == {"action", "due"}


def test_the_example_history_reads_as_the_lifecycle_it_describes() -> None:
    out = lines(EXAMPLE)
    summary = [(o["type"], o["accepted"], o["reason"], o["status"]) for o in out]
    assert summary[3] == ("exchange_code", True, None, "authorized")
    assert summary[4] == ("exchange_code", False, "code_used", "authorized")  # R3: no reload
    assert summary[5][3] == "active"
    assert out[7]["effects"] == ["refresh_token", "fetch_data"]  # R5: token expired
    assert out[12]["type"] == "extension_granted"
    # R9, R15: the new consent counts from when the extension was sent.
    assert out[12]["deadlines"]["consent_expires_at"] == "2026-06-23T18:30:01+00:00"
    # R6: the refresh token from the extension was never used within 30 days.
    assert summary[13] == ("refresh", False, "refresh_token_lapsed", "inactive")
    assert out[13]["inactive_reason"] == "refresh_token_lapsed"


def test_a_late_code_is_refused_and_a_region_without_extension_says_so() -> None:
    out = lines(HERE / "histories" / "late-code.jsonl")
    by_type = [(o["type"], o["accepted"], o["reason"], o["status"]) for o in out]
    assert by_type[3] == ("exchange_code", False, "code_expired", "authorization_required")
    assert by_type[7][3] == "active"
    assert out[7]["deadlines"]["consent_expires_at"] == "2026-05-02T12:00:00+00:00"  # eu: 90 d
    assert out[7]["deadlines"]["extend_until"] is None
    assert by_type[9] == ("extend", False, "region_not_extendable", "active")
    assert by_type[10] == ("tick", False, "clock_went_backwards", "active")


def test_a_revoked_connection_refuses_extension_and_keeps_its_offset() -> None:
    out = lines(HERE / "histories" / "revoked.jsonl")
    assert out[5]["effects"] == ["delete_connection"]
    assert (out[6]["status"], out[6]["inactive_reason"]) == ("inactive", "revoked")
    assert (out[7]["accepted"], out[7]["reason"]) == (False, "revoked")
    assert out[7]["at"] == "2026-03-02T09:00:00+01:00"
    assert out[7]["deadlines"]["extend_until"] is None


def test_requests_in_flight_their_answers_and_failures_read_line_by_line() -> None:
    out = lines(HERE / "histories" / "requests.jsonl")
    by_type = [(o["type"], o["accepted"], o["reason"]) for o in out]
    assert by_type[3] == ("user_authorised", False, "no_link_outstanding")  # R14: spent
    assert out[4]["request"] == {
        "effect": "exchange_code",
        "number": 1,
        "sent_at": "2026-04-01T10:04:52+00:00",
        "outcome_unknown": False,
    }
    # R15: sent within the code's five minutes, answered after them: it counts.
    assert (out[5]["accepted"], out[5]["status"], out[5]["request"]) == (True, "active", None)
    assert out[5]["deadlines"]["access_expires_at"] == "2026-04-01T11:04:52+00:00"
    assert by_type[6] == ("token_refreshed", False, "no_request_in_flight")  # nobody asked
    assert out[7]["request"]["number"] == 2
    assert by_type[8] == ("request_failed", True, None) and out[8]["request"] is None
    assert by_type[9] == ("refresh", True, None)  # the slot was free at once
    assert out[10]["request"]["outcome_unknown"] is True
    assert {"action": "resolve_request", "due": "2026-04-01T11:00:31+00:00"} in out[10]["agenda"]
    assert by_type[11] == ("refresh", False, "request_unresolved")  # never a second refresh
    assert by_type[12] == ("token_refreshed", True, None)


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ('{"at": "2026-01-01T00:00:00Z", "type": "tick"}\n', 1, "first input must be"),
        ("not json\n", 1, "not JSON"),
        (
            START + '{"at": "2026-01-01T00:00:01Z", "type": "link_issued", "state": "\\ud800"}\n',
            2,
            "state must be a non-empty string without NUL or lone surrogates",
        ),
        (
            '{"at": "2026-01-01T00:00:00Z", "type": "connection_started", "region": "uk",'
            ' "scopes": {"info": 1}}\n',
            1,
            "scopes must be a list of strings",
        ),
        ('{"at": ' + "[" * 50_000 + "]" * 50_000 + "}\n", 1, "not JSON (nested too deeply)"),
        (
            START
            + '{"at": "2026-01-01T00:00:01Z", "type": "code_exchanged", "expires_in": '
            + "9" * 5_000
            + "}\n",
            2,
            "not JSON (a number too long to read)",
        ),
        (
            START
            + '{"at": "2026-01-01T00:00:01Z", "type": "code_exchanged", "expires_in": '
            + str(10**17)
            + "}\n",
            2,
            "expires_in must be at most 3155760000 seconds",
        ),
        (
            START + '{"at": "9999-12-31T00:00:00Z", "type": "tick"}\n',
            2,
            "at must lie between 1970-01-01 and 9000-01-01",
        ),
        (
            '{"at": "2026-01-01T00:00:00Z", "type": "connection_started", "region": "uk",'
            ' "scopes": ["info"]}\n{"at": "2026-01-01T00:00:00", "type": "tick"}\n',
            2,
            "timezone-aware",
        ),
        (
            '{"at": "2026-01-01T00:00:00Z", "type": "connection_started", "region": "mars",'
            ' "scopes": ["info"]}\n',
            1,
            "unknown region",
        ),
        (
            '{"at": "2026-01-01T00:00:00Z", "type": "connection_started", "region": "uk",'
            ' "scopes": ["info"]}\n\n{"at": "2026-01-01T00:01:00Z", "type": "user_authorised",'
            ' "code": 7}\n',
            3,
            "secret",
        ),
    ],
)
def test_a_malformed_line_is_a_one_line_error_naming_the_line(
    tmp_path: Path, content: str, line: int, message: str
) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text(content)
    result = replay(path)
    assert result.returncode == 2
    assert f"line {line}: " in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = replay(tmp_path / "absent.jsonl")
    assert result.returncode == 2
    assert "cannot read" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n")
    result = replay(path)
    assert result.returncode == 2
    assert "holds no input" in result.stderr


def test_the_replay_never_prints_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text(
        '{"at": "2026-01-01T00:00:00Z", "type": "connection_started", "region": "uk",'
        ' "scopes": ["info"]}\n'
        '{"at": "2026-01-01T00:00:01Z", "type": "link_issued", "state": "STATE-XYZ"}\n'
        '{"at": "2026-01-01T00:00:02Z", "type": "user_authorised", "code": "CODE-XYZ",'
        ' "state": "WRONG-XYZ"}\n'
    )
    result = replay(path)
    assert result.returncode == 0
    assert "XYZ" not in result.stdout + result.stderr
