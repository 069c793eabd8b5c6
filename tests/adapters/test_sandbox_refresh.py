"""The sandbox's refresh: access-token life (R5), first use and rotation (R6), lifetime (R7, R8)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from adapters.sandbox import RefreshMode, Sandbox, SandboxConfig

_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)


def _connect(http: httpx.Client, sb: Sandbox, scopes: tuple[str, ...] | None = None) -> Any:
    link = sb.auth_link(scopes=scopes) if scopes else sb.auth_link()
    code = sb.consent(link)["code"]
    answer = http.post(
        f"{sb.base_url}/connect/token",
        data={
            "grant_type": "authorization_code",
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
            "redirect_uri": f"{sb.base_url}/redirect",
            "code": code,
        },
    )
    assert answer.status_code == 200
    return answer.json()


def _refresh(http: httpx.Client, sb: Sandbox, refresh_token: str) -> httpx.Response:
    return http.post(
        f"{sb.base_url}/connect/token",
        data={
            "grant_type": "refresh_token",
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
            "refresh_token": refresh_token,
        },
    )


def _error(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]


def _accounts(http: httpx.Client, sb: Sandbox, access_token: str) -> httpx.Response:
    return http.get(
        f"{sb.base_url}/data/v1/accounts", headers={"Authorization": f"Bearer {access_token}"}
    )


def test_a_refresh_token_first_used_a_second_before_thirty_days_works(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = _connect(http, sandbox)
    sandbox.clock.advance(30 * _DAY - _SECOND)

    assert _refresh(http, sandbox, tokens["refresh_token"]).status_code == 200


def test_a_refresh_token_first_used_exactly_thirty_days_after_issue_is_invalid_grant(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = _connect(http, sandbox)
    sandbox.clock.advance(30 * _DAY)

    assert _error(_refresh(http, sandbox, tokens["refresh_token"])) == (400, "invalid_grant")


def test_a_refresh_token_once_used_keeps_working_after_thirty_days(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = _connect(http, sandbox)
    sandbox.clock.advance(_DAY)
    assert _refresh(http, sandbox, tokens["refresh_token"]).status_code == 200
    sandbox.clock.advance(44 * _DAY)

    assert _refresh(http, sandbox, tokens["refresh_token"]).status_code == 200


def test_a_refresh_a_second_before_the_ninety_day_lifetime_ends_works(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = _connect(http, sandbox)
    assert _refresh(http, sandbox, tokens["refresh_token"]).status_code == 200
    sandbox.clock.advance(90 * _DAY - _SECOND)

    assert _refresh(http, sandbox, tokens["refresh_token"]).status_code == 200


def test_a_refresh_exactly_at_the_end_of_the_ninety_day_lifetime_is_invalid_grant(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = _connect(http, sandbox)
    assert _refresh(http, sandbox, tokens["refresh_token"]).status_code == 200
    sandbox.clock.advance(90 * _DAY)

    assert _error(_refresh(http, sandbox, tokens["refresh_token"])) == (400, "invalid_grant")


def test_an_access_token_works_until_expires_in_has_passed(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = _connect(http, sandbox)
    sandbox.clock.advance(timedelta(seconds=3599))
    assert _accounts(http, sandbox, tokens["access_token"]).status_code == 200
    sandbox.clock.advance(_SECOND)

    assert _error(_accounts(http, sandbox, tokens["access_token"])) == (401, "invalid_token")


def test_a_refresh_supersedes_the_previous_access_token(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = _connect(http, sandbox)

    fresh = _refresh(http, sandbox, tokens["refresh_token"]).json()

    assert _error(_accounts(http, sandbox, tokens["access_token"])) == (401, "invalid_token")
    assert _accounts(http, sandbox, fresh["access_token"]).status_code == 200
    assert fresh["access_token"] != tokens["access_token"]


def test_a_connection_without_offline_access_ends_after_sixty_minutes(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = _connect(http, sandbox, scopes=("info", "accounts"))
    sandbox.clock.advance(timedelta(minutes=60) - _SECOND)
    assert _accounts(http, sandbox, tokens["access_token"]).status_code == 200
    sandbox.clock.advance(_SECOND)

    assert _error(_accounts(http, sandbox, tokens["access_token"])) == (403, "access_denied")


def test_reusable_mode_answers_the_same_refresh_token(http: httpx.Client, sandbox: Sandbox) -> None:
    tokens = _connect(http, sandbox)

    first = _refresh(http, sandbox, tokens["refresh_token"]).json()
    second = _refresh(http, sandbox, tokens["refresh_token"]).json()

    assert first["refresh_token"] == second["refresh_token"] == tokens["refresh_token"]


def test_reusable_mode_may_leave_the_unchanged_refresh_token_out(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    sb = start_sandbox(SandboxConfig(omit_unchanged_refresh_token=True))
    tokens = _connect(http, sb)

    answer = _refresh(http, sb, tokens["refresh_token"]).json()

    assert "refresh_token" not in answer
    assert _refresh(http, sb, tokens["refresh_token"]).status_code == 200


def test_rotating_mode_invalidates_the_old_refresh_token_at_once(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    sb = start_sandbox(SandboxConfig(refresh_mode=RefreshMode.ROTATING))
    tokens = _connect(http, sb)

    successor = _refresh(http, sb, tokens["refresh_token"]).json()["refresh_token"]

    assert successor != tokens["refresh_token"]
    assert _error(_refresh(http, sb, tokens["refresh_token"])) == (400, "invalid_grant")
    assert _refresh(http, sb, successor).status_code == 200


def test_a_rotated_refresh_token_has_its_own_thirty_day_first_use_window(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    sb = start_sandbox(SandboxConfig(refresh_mode=RefreshMode.ROTATING))
    tokens = _connect(http, sb)
    sb.clock.advance(20 * _DAY)
    successor = _refresh(http, sb, tokens["refresh_token"]).json()["refresh_token"]
    sb.clock.advance(30 * _DAY)

    assert _error(_refresh(http, sb, successor)) == (400, "invalid_grant")


def test_grace_mode_accepts_the_old_token_within_the_grace_with_the_same_successor(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    config = SandboxConfig(
        refresh_mode=RefreshMode.ROTATING_WITH_GRACE, refresh_grace=timedelta(seconds=60)
    )
    sb = start_sandbox(config)
    tokens = _connect(http, sb)
    first = _refresh(http, sb, tokens["refresh_token"]).json()
    sb.clock.advance(timedelta(seconds=59))

    replay = _refresh(http, sb, tokens["refresh_token"])

    assert replay.status_code == 200
    assert replay.json()["refresh_token"] == first["refresh_token"]
    assert _error(_accounts(http, sb, first["access_token"])) == (401, "invalid_token")
    assert _accounts(http, sb, replay.json()["access_token"]).status_code == 200


def test_grace_mode_refuses_the_old_token_once_the_grace_has_passed(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    config = SandboxConfig(
        refresh_mode=RefreshMode.ROTATING_WITH_GRACE, refresh_grace=timedelta(seconds=60)
    )
    sb = start_sandbox(config)
    tokens = _connect(http, sb)
    successor = _refresh(http, sb, tokens["refresh_token"]).json()["refresh_token"]
    sb.clock.advance(timedelta(seconds=60))

    assert _error(_refresh(http, sb, tokens["refresh_token"])) == (400, "invalid_grant")
    assert _refresh(http, sb, successor).status_code == 200


def test_strict_reuse_detection_revokes_the_whole_token_family(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    config = SandboxConfig(refresh_mode=RefreshMode.ROTATING, strict_reuse_detection=True)
    sb = start_sandbox(config)
    tokens = _connect(http, sb)
    latest = _refresh(http, sb, tokens["refresh_token"]).json()

    assert _error(_refresh(http, sb, tokens["refresh_token"])) == (400, "invalid_grant")

    assert _error(_refresh(http, sb, latest["refresh_token"])) == (400, "invalid_grant")
    assert _error(_accounts(http, sb, latest["access_token"])) == (401, "invalid_token")


def test_strict_reuse_detection_spares_a_replay_within_the_grace(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    config = SandboxConfig(
        refresh_mode=RefreshMode.ROTATING_WITH_GRACE, strict_reuse_detection=True
    )
    sb = start_sandbox(config)
    tokens = _connect(http, sb)
    successor = _refresh(http, sb, tokens["refresh_token"]).json()["refresh_token"]

    assert _refresh(http, sb, tokens["refresh_token"]).status_code == 200
    assert _refresh(http, sb, successor).status_code == 200


def test_the_refresh_mode_can_be_switched_while_running(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = _connect(http, sandbox)
    sandbox.configure(refresh_mode=RefreshMode.ROTATING)

    successor = _refresh(http, sandbox, tokens["refresh_token"]).json()["refresh_token"]

    assert successor != tokens["refresh_token"]
    assert _error(_refresh(http, sandbox, tokens["refresh_token"])) == (400, "invalid_grant")


def test_an_unknown_refresh_token_is_invalid_grant(http: httpx.Client, sandbox: Sandbox) -> None:
    assert _error(_refresh(http, sandbox, "NOT-A-TOKEN")) == (400, "invalid_grant")


@pytest.mark.parametrize("mode", [RefreshMode.ROTATING, RefreshMode.REUSABLE])
def test_concurrent_refreshes_of_one_token_let_one_through_if_rotating_all_if_reusable(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox], mode: RefreshMode
) -> None:
    sb = start_sandbox(SandboxConfig(refresh_mode=mode))
    tokens = _connect(http, sb)
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def refresh() -> None:
        barrier.wait()
        statuses.append(_refresh(http, sb, tokens["refresh_token"]).status_code)

    threads = [threading.Thread(target=refresh) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    expected_ok = 1 if mode is RefreshMode.ROTATING else 6
    assert sorted(statuses) == [200] * expected_ok + [400] * (6 - expected_ok)
