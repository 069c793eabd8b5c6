"""The sandbox's code exchange: single use and 5 minutes (R3), answer (R4), PKCE, errors (R13)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sandbox_support import CLIENT_ID, CLIENT_SECRET, error_of, exchange, get_me, refresh

from adapters.sandbox import Sandbox, SandboxConfig


def _claims(jwt: str) -> dict[str, Any]:
    payload = jwt.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_the_token_answer_is_a_bearer_jwt_with_a_refresh_token_under_offline_access(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    code = sandbox.consent(sandbox.auth_link())["code"]

    answer = exchange(http, sandbox, code)

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "info accounts balance transactions offline_access"
    assert body["refresh_token"]
    assert len(body["access_token"].split(".")) == 3
    claims = _claims(body["access_token"])
    now = int(sandbox.clock.now().timestamp())
    assert (claims["iat"], claims["exp"]) == (now, now + 3600)


def test_no_refresh_token_is_issued_without_offline_access(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    code = sandbox.consent(sandbox.auth_link(scopes=("info", "accounts")))["code"]

    body = exchange(http, sandbox, code).json()

    assert "refresh_token" not in body
    assert body["access_token"]


def test_code_exchanged_four_minutes_fifty_nine_seconds_after_issue_works(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    code = sandbox.consent(sandbox.auth_link())["code"]
    sandbox.clock.advance(timedelta(minutes=4, seconds=59))

    assert exchange(http, sandbox, code).status_code == 200


def test_code_exchanged_exactly_five_minutes_after_issue_is_invalid_grant(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    code = sandbox.consent(sandbox.auth_link())["code"]
    sandbox.clock.advance(timedelta(minutes=5))

    answer = exchange(http, sandbox, code)

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_a_reused_code_is_invalid_grant_and_revokes_the_tokens_issued_for_it(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    code = sandbox.consent(sandbox.auth_link())["code"]
    first = exchange(http, sandbox, code).json()
    assert get_me(http, sandbox, first["access_token"]).status_code == 200

    again = exchange(http, sandbox, code)

    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert get_me(http, sandbox, first["access_token"]).status_code == 401
    assert refresh(http, sandbox, first["refresh_token"]).json()["error"] == "invalid_grant"


def test_an_unknown_code_is_invalid_grant(http: httpx.Client, sandbox: Sandbox) -> None:
    answer = exchange(http, sandbox, "made-up-code")

    assert error_of(answer) == (400, "invalid_grant")


def test_a_redirect_uri_other_than_the_links_is_invalid_grant(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    code = sandbox.consent(sandbox.auth_link())["code"]

    answer = exchange(http, sandbox, code, redirect_uri="http://127.0.0.1/callback")

    assert error_of(answer) == (400, "invalid_grant")


def test_a_pkce_verifier_matching_the_challenge_is_accepted(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    verifier = "v" * 43 + "-verifier._~"
    link = sandbox.auth_link(code_challenge=_challenge(verifier), code_challenge_method="S256")
    code = sandbox.consent(link)["code"]

    assert exchange(http, sandbox, code, code_verifier=verifier).status_code == 200


@pytest.mark.parametrize("verifier", ["w" * 50, None], ids=["mismatch", "missing"])
def test_a_pkce_verifier_mismatched_or_missing_is_invalid_grant(
    http: httpx.Client, sandbox: Sandbox, verifier: str | None
) -> None:
    link = sandbox.auth_link(code_challenge=_challenge("v" * 50), code_challenge_method="S256")
    code = sandbox.consent(link)["code"]

    answer = exchange(http, sandbox, code, code_verifier=verifier)

    assert error_of(answer) == (400, "invalid_grant")


def test_a_verifier_for_a_link_without_challenge_is_invalid_grant(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    code = sandbox.consent(sandbox.auth_link())["code"]

    answer = exchange(http, sandbox, code, code_verifier="v" * 50)

    assert error_of(answer) == (400, "invalid_grant")


def test_a_wrong_client_secret_is_invalid_client_and_not_echoed(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    code = sandbox.consent(sandbox.auth_link())["code"]

    answer = exchange(http, sandbox, code, client_secret="guessed-secret-42")

    assert error_of(answer) == (400, "invalid_client")
    assert "guessed-secret-42" not in answer.text
    assert "sandbox-secret" not in answer.text


def test_a_configured_unauthorized_client_is_401_unauthorized_client(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    sb = start_sandbox(SandboxConfig(unauthorized_client_ids=frozenset({"blocked-app"})))

    answer = exchange(http, sb, "any-code", client_id="blocked-app")

    assert error_of(answer) == (401, "unauthorized_client")


@pytest.mark.parametrize(
    "fields",
    [
        {"grant_type": "password"},
        {"grant_type": None},
        {"code": None},
        {"redirect_uri": None},
        {"client_secret": None},
    ],
    ids=["unknown-grant", "no-grant", "no-code", "no-redirect-uri", "no-secret"],
)
def test_an_unknown_grant_or_a_missing_field_is_validation_error(
    http: httpx.Client, sandbox: Sandbox, fields: dict[str, str | None]
) -> None:
    answer = exchange(http, sandbox, "some-code", **fields)

    assert error_of(answer) == (400, "validation_error")


def test_client_credentials_may_come_by_http_basic(http: httpx.Client, sandbox: Sandbox) -> None:
    code = sandbox.consent(sandbox.auth_link())["code"]

    answer = http.post(
        f"{sandbox.base_url}/connect/token",
        data={
            "grant_type": "authorization_code",
            "redirect_uri": f"{sandbox.base_url}/redirect",
            "code": code,
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
    )

    assert answer.status_code == 200
