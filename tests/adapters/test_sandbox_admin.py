"""The sandbox's controls: ``/_admin/*`` over HTTP and call counting in process."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sandbox_support import connect, error_of, get_me, refresh

from adapters.sandbox import Sandbox


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def test_the_admin_clock_reads_sets_and_advances(http: httpx.Client, sandbox: Sandbox) -> None:
    url = f"{sandbox.base_url}/_admin/clock"

    assert http.get(url).json() == {"now": "2026-01-01T00:00:00Z"}
    assert http.post(url, json={"set": "2026-03-01T12:00:00+00:00"}).json() == {
        "now": "2026-03-01T12:00:00Z"
    }
    assert http.post(url, json={"advance_seconds": 90}).json() == {"now": "2026-03-01T12:01:30Z"}
    assert sandbox.clock.now() == datetime(2026, 3, 1, 12, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "body",
    [
        {"set": "2026-03-01T12:00:00"},
        {"set": "yesterday"},
        {"advance_seconds": "ten"},
        {"advance_seconds": True},
        {"set": "2026-03-01T12:00:00Z", "advance_seconds": 1},
        {},
    ],
    ids=["naive", "not-iso", "not-a-number", "bool", "both", "neither"],
)
def test_a_bad_admin_clock_request_is_400_and_leaves_the_clock(
    http: httpx.Client, sandbox: Sandbox, body: dict[str, Any]
) -> None:
    answer = http.post(f"{sandbox.base_url}/_admin/clock", json=body)

    assert error_of(answer) == (400, "validation_error")
    assert sandbox.clock.now() == datetime(2026, 1, 1, tzinfo=UTC)


def test_moving_the_admin_clock_crosses_a_rule_boundary(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)

    http.post(f"{sandbox.base_url}/_admin/clock", json={"advance_seconds": 30 * 86400})

    assert refresh(http, sandbox, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_calls_are_counted_by_path_and_by_token(http: httpx.Client, sandbox: Sandbox) -> None:
    tokens = connect(http, sandbox)
    refresh(http, sandbox, tokens["refresh_token"])
    refresh(http, sandbox, tokens["refresh_token"])
    get_me(http, sandbox, tokens["access_token"])

    assert sandbox.calls("/connect/token") == 3
    assert sandbox.calls("/data/v1/me") == 1
    assert sandbox.calls("/data/v1/accounts") == 0
    assert sandbox.calls_by_token(tokens["refresh_token"]) == 2
    assert sandbox.calls_by_token(tokens["access_token"]) == 1


def test_the_admin_calls_count_tokens_by_fingerprint_and_never_show_them(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)
    refresh(http, sandbox, tokens["refresh_token"])

    answer = http.get(f"{sandbox.base_url}/_admin/calls")

    counts = answer.json()
    assert counts["by_path"]["/connect/token"] == 2
    assert counts["by_token"][_fingerprint(tokens["refresh_token"])] == 1
    assert tokens["refresh_token"] not in answer.text
    assert tokens["access_token"] not in answer.text


def test_admin_calls_are_not_counted(http: httpx.Client, sandbox: Sandbox) -> None:
    http.get(f"{sandbox.base_url}/_admin/clock")
    http.get(f"{sandbox.base_url}/_admin/calls")

    assert http.get(f"{sandbox.base_url}/_admin/calls").json()["by_path"] == {}


def test_an_admin_fault_applies_to_the_next_calls(http: httpx.Client, sandbox: Sandbox) -> None:
    queued = http.post(
        f"{sandbox.base_url}/_admin/faults",
        json={
            "path": "/connect/token",
            "status": 503,
            "delay": 0,
            "body": None,
            "content_type": None,
            "count": 2,
        },
    )
    assert queued.status_code == 200
    assert queued.json()["pending"][0]["remaining"] == 2

    statuses = [refresh(http, sandbox, "X").status_code for _ in range(3)]

    assert statuses == [503, 503, 400]
    assert http.get(f"{sandbox.base_url}/_admin/faults").json() == {"pending": []}


def test_admin_faults_can_be_cleared(http: httpx.Client, sandbox: Sandbox) -> None:
    http.post(f"{sandbox.base_url}/_admin/faults", json={"path": "/data/v1/me", "status": 500})

    cleared = http.delete(f"{sandbox.base_url}/_admin/faults")

    assert cleared.json() == {"pending": []}
    assert http.get(f"{sandbox.base_url}/data/v1/me").status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"path": "connect/token", "status": 503},
        {"path": "/connect/token"},
        {"path": "/connect/token", "status": "503"},
        {"path": "/connect/token", "status": 503, "count": 0},
        {"path": "/connect/token", "status": 503, "colour": "red"},
        {"path": "/connect/token", "body": 12},
    ],
    ids=["relative-path", "does-nothing", "status-text", "zero-count", "unknown-field", "body"],
)
def test_a_bad_admin_fault_is_400(
    http: httpx.Client, sandbox: Sandbox, body: dict[str, Any]
) -> None:
    answer = http.post(f"{sandbox.base_url}/_admin/faults", json=body)

    assert error_of(answer) == (400, "validation_error")


def test_the_admin_config_switches_refresh_mode_and_extend_answer(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)

    answer = http.post(
        f"{sandbox.base_url}/_admin/config",
        json={"refresh_mode": "rotating", "extend_answer": "reconfirmation_of_consent_needed"},
    )

    assert answer.json() == {
        "refresh_mode": "rotating",
        "refresh_grace_seconds": 60.0,
        "strict_reuse_detection": False,
        "extend_answer": "reconfirmation_of_consent_needed",
    }
    successor = refresh(http, sandbox, tokens["refresh_token"]).json()["refresh_token"]
    assert successor != tokens["refresh_token"]
    assert http.get(f"{sandbox.base_url}/_admin/config").json()["refresh_mode"] == "rotating"


@pytest.mark.parametrize(
    "body",
    [
        {"refresh_mode": "sometimes"},
        {"extend_answer": "maybe"},
        {"refresh_grace_seconds": -1},
        {"strict_reuse_detection": "yes"},
        {"client_secret": "new"},
    ],
    ids=["mode", "answer", "grace", "strict", "unknown"],
)
def test_a_bad_admin_config_is_400_and_changes_nothing(
    http: httpx.Client, sandbox: Sandbox, body: dict[str, Any]
) -> None:
    answer = http.post(f"{sandbox.base_url}/_admin/config", json=body)

    assert error_of(answer) == (400, "validation_error")
    assert http.get(f"{sandbox.base_url}/_admin/config").json()["refresh_mode"] == "reusable"


def test_an_admin_body_that_is_not_a_json_object_is_400(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    answer = http.post(f"{sandbox.base_url}/_admin/config", content=b"[1, 2]")

    assert error_of(answer) == (400, "validation_error")


def test_the_clock_can_be_moved_in_process(sandbox: Sandbox) -> None:
    start = sandbox.clock.now()

    sandbox.clock.advance(timedelta(minutes=6))

    assert sandbox.clock.now() - start == timedelta(minutes=6)
    with pytest.raises(ValueError, match="timezone-aware"):
        sandbox.clock.set(datetime(2026, 1, 1))
