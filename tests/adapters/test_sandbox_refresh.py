"""The sandbox's refresh: access-token life (R5), first use and rotation (R6), lifetime (R7, R8)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from sandbox_support import connect, error_of, get_accounts, refresh

from adapters.sandbox import RefreshMode, Sandbox, SandboxConfig

_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)


def test_a_refresh_token_first_used_a_second_before_thirty_days_works(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)
    sandbox.clock.advance(30 * _DAY - _SECOND)

    assert refresh(http, sandbox, tokens["refresh_token"]).status_code == 200


def test_a_refresh_token_first_used_exactly_thirty_days_after_issue_is_invalid_grant(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)
    sandbox.clock.advance(30 * _DAY)

    assert error_of(refresh(http, sandbox, tokens["refresh_token"])) == (400, "invalid_grant")


def test_a_refresh_token_once_used_keeps_working_after_thirty_days(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)
    sandbox.clock.advance(_DAY)
    assert refresh(http, sandbox, tokens["refresh_token"]).status_code == 200
    sandbox.clock.advance(44 * _DAY)

    assert refresh(http, sandbox, tokens["refresh_token"]).status_code == 200


def test_a_refresh_a_second_before_the_ninety_day_lifetime_ends_works(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)
    assert refresh(http, sandbox, tokens["refresh_token"]).status_code == 200
    sandbox.clock.advance(90 * _DAY - _SECOND)

    assert refresh(http, sandbox, tokens["refresh_token"]).status_code == 200


def test_a_refresh_exactly_at_the_end_of_the_ninety_day_lifetime_is_invalid_grant(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)
    assert refresh(http, sandbox, tokens["refresh_token"]).status_code == 200
    sandbox.clock.advance(90 * _DAY)

    assert error_of(refresh(http, sandbox, tokens["refresh_token"])) == (400, "invalid_grant")


def test_an_access_token_works_until_expires_in_has_passed(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)
    sandbox.clock.advance(timedelta(seconds=3599))
    assert get_accounts(http, sandbox, tokens["access_token"]).status_code == 200
    sandbox.clock.advance(_SECOND)

    assert error_of(get_accounts(http, sandbox, tokens["access_token"])) == (401, "invalid_token")


def test_a_refresh_supersedes_the_previous_access_token(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)

    fresh = refresh(http, sandbox, tokens["refresh_token"]).json()

    assert error_of(get_accounts(http, sandbox, tokens["access_token"])) == (401, "invalid_token")
    assert get_accounts(http, sandbox, fresh["access_token"]).status_code == 200
    assert fresh["access_token"] != tokens["access_token"]


def test_a_connection_without_offline_access_ends_after_sixty_minutes(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox, scopes=("info", "accounts"))
    sandbox.clock.advance(timedelta(minutes=60) - _SECOND)
    assert get_accounts(http, sandbox, tokens["access_token"]).status_code == 200
    sandbox.clock.advance(_SECOND)

    assert error_of(get_accounts(http, sandbox, tokens["access_token"])) == (403, "access_denied")


def test_reusable_mode_answers_the_same_refresh_token(http: httpx.Client, sandbox: Sandbox) -> None:
    tokens = connect(http, sandbox)

    first = refresh(http, sandbox, tokens["refresh_token"]).json()
    second = refresh(http, sandbox, tokens["refresh_token"]).json()

    assert first["refresh_token"] == second["refresh_token"] == tokens["refresh_token"]


def test_reusable_mode_may_leave_the_unchanged_refresh_token_out(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    sb = start_sandbox(SandboxConfig(omit_unchanged_refresh_token=True))
    tokens = connect(http, sb)

    answer = refresh(http, sb, tokens["refresh_token"]).json()

    assert "refresh_token" not in answer
    assert refresh(http, sb, tokens["refresh_token"]).status_code == 200


def test_rotating_mode_invalidates_the_old_refresh_token_at_once(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    sb = start_sandbox(SandboxConfig(refresh_mode=RefreshMode.ROTATING))
    tokens = connect(http, sb)

    successor = refresh(http, sb, tokens["refresh_token"]).json()["refresh_token"]

    assert successor != tokens["refresh_token"]
    assert error_of(refresh(http, sb, tokens["refresh_token"])) == (400, "invalid_grant")
    assert refresh(http, sb, successor).status_code == 200


def test_a_rotated_refresh_token_has_its_own_thirty_day_first_use_window(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    sb = start_sandbox(SandboxConfig(refresh_mode=RefreshMode.ROTATING))
    tokens = connect(http, sb)
    sb.clock.advance(20 * _DAY)
    successor = refresh(http, sb, tokens["refresh_token"]).json()["refresh_token"]
    sb.clock.advance(30 * _DAY)

    assert error_of(refresh(http, sb, successor)) == (400, "invalid_grant")


def test_grace_mode_accepts_the_old_token_within_the_grace_with_the_same_successor(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    config = SandboxConfig(
        refresh_mode=RefreshMode.ROTATING_WITH_GRACE, refresh_grace=timedelta(seconds=60)
    )
    sb = start_sandbox(config)
    tokens = connect(http, sb)
    first = refresh(http, sb, tokens["refresh_token"]).json()
    sb.clock.advance(timedelta(seconds=59))

    replay = refresh(http, sb, tokens["refresh_token"])

    assert replay.status_code == 200
    assert replay.json()["refresh_token"] == first["refresh_token"]
    assert error_of(get_accounts(http, sb, first["access_token"])) == (401, "invalid_token")
    assert get_accounts(http, sb, replay.json()["access_token"]).status_code == 200


def test_grace_mode_refuses_the_old_token_once_the_grace_has_passed(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    config = SandboxConfig(
        refresh_mode=RefreshMode.ROTATING_WITH_GRACE, refresh_grace=timedelta(seconds=60)
    )
    sb = start_sandbox(config)
    tokens = connect(http, sb)
    successor = refresh(http, sb, tokens["refresh_token"]).json()["refresh_token"]
    sb.clock.advance(timedelta(seconds=60))

    assert error_of(refresh(http, sb, tokens["refresh_token"])) == (400, "invalid_grant")
    assert refresh(http, sb, successor).status_code == 200


def test_strict_reuse_detection_revokes_the_whole_token_family(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    config = SandboxConfig(refresh_mode=RefreshMode.ROTATING, strict_reuse_detection=True)
    sb = start_sandbox(config)
    tokens = connect(http, sb)
    latest = refresh(http, sb, tokens["refresh_token"]).json()

    assert error_of(refresh(http, sb, tokens["refresh_token"])) == (400, "invalid_grant")

    assert error_of(refresh(http, sb, latest["refresh_token"])) == (400, "invalid_grant")
    assert error_of(get_accounts(http, sb, latest["access_token"])) == (401, "invalid_token")


def test_strict_reuse_detection_spares_a_replay_within_the_grace(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    config = SandboxConfig(
        refresh_mode=RefreshMode.ROTATING_WITH_GRACE, strict_reuse_detection=True
    )
    sb = start_sandbox(config)
    tokens = connect(http, sb)
    successor = refresh(http, sb, tokens["refresh_token"]).json()["refresh_token"]

    assert refresh(http, sb, tokens["refresh_token"]).status_code == 200
    assert refresh(http, sb, successor).status_code == 200


def test_the_refresh_mode_can_be_switched_while_running(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)
    sandbox.configure(refresh_mode=RefreshMode.ROTATING)

    successor = refresh(http, sandbox, tokens["refresh_token"]).json()["refresh_token"]

    assert successor != tokens["refresh_token"]
    assert error_of(refresh(http, sandbox, tokens["refresh_token"])) == (400, "invalid_grant")


def test_an_unknown_refresh_token_is_invalid_grant(http: httpx.Client, sandbox: Sandbox) -> None:
    assert error_of(refresh(http, sandbox, "NOT-A-TOKEN")) == (400, "invalid_grant")


@pytest.mark.parametrize("mode", [RefreshMode.ROTATING, RefreshMode.REUSABLE])
def test_concurrent_refreshes_of_one_token_let_one_through_if_rotating_all_if_reusable(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox], mode: RefreshMode
) -> None:
    sb = start_sandbox(SandboxConfig(refresh_mode=mode))
    tokens = connect(http, sb)
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def refresh_once() -> None:
        barrier.wait()
        statuses.append(refresh(http, sb, tokens["refresh_token"]).status_code)

    threads = [threading.Thread(target=refresh_once) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    expected_ok = 1 if mode is RefreshMode.ROTATING else 6
    assert sorted(statuses) == [200] * expected_ok + [400] * (6 - expected_ok)
