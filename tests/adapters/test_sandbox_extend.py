"""The sandbox's extend endpoint (R9): its three answers, its window, its refusals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sandbox_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    connect,
    error_of,
    exchange,
    get_me,
    refresh,
    revoke,
)

from adapters.sandbox import ExtendAnswer, Sandbox, SandboxConfig

_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)


def _extend(http: httpx.Client, sb: Sandbox, refresh_token: str, **fields: Any) -> httpx.Response:
    body: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": refresh_token,
        "redirect_uri": f"{sb.base_url}/redirect",
        "user_has_reconfirmed_consent": True,
        "user": {"id": "user-1", "name": "Ada Lovelace", "email": "ada@example.com"},
        **fields,
    }
    return http.post(f"{sb.base_url}/data/v1/connections/extend", json=body)


def test_no_action_needed_answers_new_tokens_and_restarts_the_lifetime(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)
    sandbox.clock.advance(80 * _DAY)

    answer = _extend(http, sandbox, tokens["refresh_token"])

    assert answer.status_code == 200
    body = answer.json()
    assert body["action_needed"] == "no_action_needed"
    assert body["expires_in"] == 3600
    assert body["refresh_token"] != tokens["refresh_token"]
    (me,) = get_me(http, sandbox, body["access_token"]).json()["results"]
    assert me["consent_expires_at"] == "2026-06-20T00:00:00Z"  # day 80 + 90 days
    assert me["consent_created_at"] == "2026-01-01T00:00:00Z"
    assert error_of(refresh(http, sandbox, tokens["refresh_token"])) == (400, "invalid_grant")
    assert refresh(http, sandbox, body["refresh_token"]).status_code == 200


def test_extend_a_second_before_ninety_days_past_expiry_reactivates_the_connection(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)
    sandbox.clock.advance(90 * _DAY + 90 * _DAY - _SECOND)

    answer = _extend(http, sandbox, tokens["refresh_token"])

    assert answer.status_code == 200
    assert get_me(http, sandbox, answer.json()["access_token"]).status_code == 200


def test_extend_exactly_ninety_days_past_expiry_is_invalid_grant(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)
    sandbox.clock.advance(90 * _DAY + 90 * _DAY)

    assert error_of(_extend(http, sandbox, tokens["refresh_token"])) == (400, "invalid_grant")


def test_authentication_needed_gives_a_link_whose_code_reactivates_the_same_connection(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    sb = start_sandbox(SandboxConfig(extend_answer=ExtendAnswer.AUTHENTICATION_NEEDED))
    tokens = connect(http, sb)
    (before,) = get_me(http, sb, tokens["access_token"]).json()["results"]
    sb.clock.advance(100 * _DAY)

    answer = _extend(http, sb, tokens["refresh_token"]).json()
    assert answer["action_needed"] == "authentication_needed"
    link = answer["user_input_link"]
    assert link.startswith(f"{sb.base_url}/?")
    code = sb.consent(f"{link}&state=reauth-1")["code"]
    renewed = exchange(http, sb, code).json()

    (after,) = get_me(http, sb, renewed["access_token"]).json()["results"]
    assert after["credentials_id"] == before["credentials_id"]
    assert after["consent_expires_at"] == "2026-07-10T00:00:00Z"  # day 100 + 90 days
    assert error_of(refresh(http, sb, tokens["refresh_token"])) == (400, "invalid_grant")


def test_an_authentication_needed_link_works_once(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    sb = start_sandbox(SandboxConfig(extend_answer=ExtendAnswer.AUTHENTICATION_NEEDED))
    tokens = connect(http, sb)
    link = _extend(http, sb, tokens["refresh_token"]).json()["user_input_link"]
    assert http.get(link).status_code == 200

    again = http.get(link)

    assert again.status_code == 400
    assert "already used" in again.text


def test_reconfirmation_of_consent_needed_changes_nothing(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)
    sandbox.configure(extend_answer=ExtendAnswer.RECONFIRMATION_OF_CONSENT_NEEDED)

    answer = _extend(http, sandbox, tokens["refresh_token"])

    assert answer.json() == {"action_needed": "reconfirmation_of_consent_needed"}
    assert get_me(http, sandbox, tokens["access_token"]).status_code == 200


@pytest.mark.parametrize(
    "fields",
    [
        {"user_has_reconfirmed_consent": False},
        {"user_has_reconfirmed_consent": "yes"},
        {"user": {"id": "u", "name": "n"}},
        {"user": {"id": "u", "name": "n", "email": " ", "phone": ""}},
        {"user": {"id": "u", "email": "ada@example.com"}},
        {"user": {"id": "u", "name": "n", "phone": 447700900123}},
        {"user": None},
        {"redirect_uri": "https://evil.example/cb"},
    ],
    ids=[
        "not-reconfirmed",
        "not-a-bool",
        "user-without-email-or-phone",
        "blank-email-and-phone",
        "user-without-name",
        "phone-not-a-string",
        "no-user",
        "unregistered-uri",
    ],
)
def test_an_extend_without_reconfirmed_consent_or_user_is_validation_error(
    http: httpx.Client, sandbox: Sandbox, fields: dict[str, Any]
) -> None:
    tokens = connect(http, sandbox)

    answer = _extend(http, sandbox, tokens["refresh_token"], **fields)

    assert error_of(answer) == (400, "validation_error")


def test_a_user_with_a_phone_number_and_no_email_can_extend(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)
    user = {"id": "user-1", "name": "Ada Lovelace", "phone": "+447700900123"}

    answer = _extend(http, sandbox, tokens["refresh_token"], user=user)

    assert answer.status_code == 200
    assert answer.json()["action_needed"] == "no_action_needed"


def test_a_revoked_connection_cannot_be_extended(http: httpx.Client, sandbox: Sandbox) -> None:
    tokens = connect(http, sandbox)
    revoke(http, sandbox, tokens["access_token"])

    assert error_of(_extend(http, sandbox, tokens["refresh_token"])) == (400, "invalid_grant")


def test_an_extend_with_a_wrong_secret_is_invalid_client(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    tokens = connect(http, sandbox)

    answer = _extend(http, sandbox, tokens["refresh_token"], client_secret="nope")

    assert error_of(answer) == (400, "invalid_client")


@pytest.mark.parametrize(
    "body",
    [b"client_id=x", b"[" * 100_000 + b"]" * 100_000, b'{"client_id": ' + b"9" * 5_000 + b"}"],
    ids=["a form", "nested 100,000 deep", "a number of 5,000 digits"],
)
def test_an_extend_body_that_is_not_json_is_validation_error(
    http: httpx.Client, sandbox: Sandbox, body: bytes
) -> None:
    answer = http.post(f"{sandbox.base_url}/data/v1/connections/extend", content=body)

    assert error_of(answer) == (400, "validation_error")
