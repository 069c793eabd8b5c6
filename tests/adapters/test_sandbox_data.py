"""The sandbox's Data API (R10, R11), revocation (R12) and injected faults."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from sandbox_support import connect, error_of, get, refresh, revoke

from adapters.sandbox import Fault, Sandbox, SandboxConfig

_ACCOUNT = "acc-current-0001"


def test_me_describes_the_connection_and_its_consent_expiry(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)

    answer = get(http, sandbox, "/data/v1/me", tokens["access_token"])

    assert answer.status_code == 200
    (result,) = answer.json()["results"]
    assert result["client_id"] == "sandbox-client"
    assert result["consent_status"] == "Authorised"
    assert result["consent_created_at"] == "2026-01-01T00:00:00Z"
    assert result["consent_status_updated_at"] == "2026-01-01T00:00:00Z"
    assert result["consent_expires_at"] == "2026-04-01T00:00:00Z"
    assert result["provider"]["provider_id"] == "uk-cs-mock"
    assert set(result["provider"]) == {"display_name", "provider_id", "logo_uri"}
    assert result["scopes"] == ["info", "accounts", "balance", "transactions", "offline_access"]
    assert result["credentials_id"]
    assert result["privacy_policy"]


def test_accounts_balance_and_transactions_answer_deterministic_results(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    token = connect(http, sandbox)["access_token"]

    accounts = get(http, sandbox, "/data/v1/accounts", token).json()["results"]
    balance = get(http, sandbox, f"/data/v1/accounts/{_ACCOUNT}/balance", token).json()
    transactions = get(http, sandbox, f"/data/v1/accounts/{_ACCOUNT}/transactions", token).json()

    assert [a["account_id"] for a in accounts] == [
        _ACCOUNT,
        "acc-savings-0002",
        "acc-business-0003",
    ]
    assert balance["results"][0]["currency"] == "GBP"
    assert balance["results"][0]["current"] == 1180.25
    assert len(transactions["results"]) == 8
    assert transactions["results"][-1]["running_balance"]["amount"] == 1180.25


def test_an_unknown_account_is_404(http: httpx.Client, sandbox: Sandbox) -> None:
    token = connect(http, sandbox)["access_token"]

    answer = get(http, sandbox, "/data/v1/accounts/acc-nope/balance", token)

    assert error_of(answer) == (404, "account_not_found")


@pytest.mark.parametrize(
    ("path", "missing"),
    [
        ("/data/v1/accounts", "accounts"),
        (f"/data/v1/accounts/{_ACCOUNT}/balance", "balance"),
        (f"/data/v1/accounts/{_ACCOUNT}/transactions", "transactions"),
    ],
)
def test_a_call_outside_the_granted_scopes_is_403_insufficient_permissions(
    http: httpx.Client, sandbox: Sandbox, path: str, missing: str
) -> None:
    granted = tuple(
        s for s in ("info", "accounts", "balance", "transactions", "offline_access") if s != missing
    )
    token = connect(http, sandbox, scopes=granted)["access_token"]

    assert error_of(get(http, sandbox, path, token)) == (403, "insufficient_permissions")


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["missing", "unknown"])
def test_a_missing_or_unknown_bearer_is_401_invalid_token(
    http: httpx.Client, sandbox: Sandbox, token: str | None
) -> None:
    answer = get(http, sandbox, "/data/v1/accounts", token)

    assert error_of(answer) == (401, "invalid_token")
    assert answer.json()["error_description"]


def test_data_calls_work_until_the_consent_expires_then_answer_403_access_denied(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)
    assert refresh(http, sandbox, tokens["refresh_token"]).status_code == 200  # R6 first use
    sandbox.clock.advance(timedelta(days=90, minutes=-30))
    fresh = refresh(http, sandbox, tokens["refresh_token"]).json()["access_token"]
    sandbox.clock.advance(timedelta(minutes=30, seconds=-1))
    assert get(http, sandbox, "/data/v1/accounts", fresh).status_code == 200
    sandbox.clock.advance(timedelta(seconds=1))

    assert error_of(get(http, sandbox, "/data/v1/accounts", fresh)) == (403, "access_denied")


def test_delete_revokes_the_connection(http: httpx.Client, sandbox: Sandbox) -> None:
    tokens = connect(http, sandbox)

    deleted = revoke(http, sandbox, tokens["access_token"])

    assert deleted.status_code == 200
    assert deleted.headers["content-type"] == "application/json"
    assert error_of(refresh(http, sandbox, tokens["refresh_token"])) == (400, "invalid_grant")
    answer = get(http, sandbox, "/data/v1/accounts", tokens["access_token"])
    assert error_of(answer) == (403, "access_denied")


def test_delete_without_a_bearer_is_401(http: httpx.Client, sandbox: Sandbox) -> None:
    assert error_of(http.delete(f"{sandbox.base_url}/api/delete")) == (401, "invalid_token")


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (403, "sca_exceeded"),
        (429, "provider_too_many_requests"),
        (500, "provider_error"),
        (503, "temporarily_unavailable"),
        (401, "unauthorized"),
    ],
)
def test_an_injected_error_answers_that_status_and_code_once(
    http: httpx.Client, sandbox: Sandbox, status: int, error: str
) -> None:
    token = connect(http, sandbox)["access_token"]
    sandbox.inject("/data/v1/accounts", Fault(status=status, error=error))

    faulted = get(http, sandbox, "/data/v1/accounts", token)

    assert error_of(faulted) == (status, error)
    assert faulted.headers["content-type"] == "application/json"
    assert get(http, sandbox, "/data/v1/accounts", token).status_code == 200


def test_an_injected_429_says_when_to_retry(http: httpx.Client, sandbox: Sandbox) -> None:
    token = connect(http, sandbox)["access_token"]
    sandbox.inject("/data/v1/accounts", Fault(status=429))

    answer = get(http, sandbox, "/data/v1/accounts", token)

    assert error_of(answer) == (429, "provider_too_many_requests")
    assert answer.headers["retry-after"] == "1"


def test_a_fault_with_a_count_applies_to_that_many_calls(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.inject("/connect/token", Fault(status=503, count=2))

    statuses = [refresh(http, sandbox, "X").status_code for _ in range(3)]

    assert statuses == [503, 503, 400]


def test_an_injected_body_replaces_the_answer(http: httpx.Client, sandbox: Sandbox) -> None:
    token = connect(http, sandbox)["access_token"]
    sandbox.inject(
        "/data/v1/me",
        Fault(body="<html>oops</html>", status=200, content_type="text/html", count=1),
    )

    answer = get(http, sandbox, "/data/v1/me", token)

    assert (answer.status_code, answer.text) == (200, "<html>oops</html>")
    assert answer.headers["content-type"] == "text/html"


def test_an_injected_delay_holds_the_real_answer_back(http: httpx.Client, sandbox: Sandbox) -> None:
    token = connect(http, sandbox)["access_token"]
    sandbox.inject("/data/v1/me", Fault(delay=0.15))

    started = time.monotonic()
    answer = get(http, sandbox, "/data/v1/me", token)

    assert time.monotonic() - started >= 0.15
    assert answer.status_code == 200


def test_a_delay_longer_than_the_client_timeout_makes_the_client_time_out(
    sandbox: Sandbox,
) -> None:
    sandbox.inject("/data/v1/me", Fault(delay=0.3))

    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{sandbox.base_url}/data/v1/me", timeout=0.05)


def test_a_fault_path_may_be_a_glob_pattern(http: httpx.Client, sandbox: Sandbox) -> None:
    token = connect(http, sandbox)["access_token"]
    sandbox.inject("/data/v1/accounts/*/balance", Fault(status=403, error="sca_exceeded"))

    answer = get(http, sandbox, "/data/v1/accounts/acc-savings-0002/balance", token)

    assert error_of(answer) == (403, "sca_exceeded")


@pytest.mark.parametrize(
    "make",
    [
        lambda: Fault(),
        lambda: Fault(status=503, count=0),
        lambda: Fault(status=700),
        lambda: Fault(delay=-1),
        lambda: Fault(status=200),
    ],
    ids=["does-nothing", "zero-count", "bad-status", "negative-delay", "success-without-body"],
)
def test_a_fault_that_cannot_work_is_refused_early(make: Callable[[], Fault]) -> None:
    with pytest.raises(ValueError, match="Fault"):
        make()


def test_the_consent_is_dated_by_the_configured_sandbox_clock_start(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    sb = start_sandbox(SandboxConfig(start=SandboxConfig().start + timedelta(days=3)))
    tokens = connect(http, sb)
    fresh = refresh(http, sb, tokens["refresh_token"]).json()

    answer = get(http, sb, "/data/v1/me", fresh["access_token"])

    assert answer.json()["results"][0]["consent_created_at"] == "2026-01-04T00:00:00Z"
