"""Helpers shared by the sandbox's own tests (no tests here).

Plain HTTP calls to a running ``Sandbox`` as its default client (``sandbox-client`` /
``sandbox-secret``, redirect to the sandbox's ``/redirect`` page), without the TrueLayer
client: these tests check the sandbox itself.
"""

from __future__ import annotations

from typing import Any

import httpx

from adapters.sandbox import Sandbox

CLIENT_ID, CLIENT_SECRET = "sandbox-client", "sandbox-secret"


def exchange(http: httpx.Client, sb: Sandbox, code: str, /, **fields: str | None) -> httpx.Response:
    """POST /connect/token with an authorization_code grant; ``fields`` override the form
    (``None`` leaves a field out)."""
    form: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": f"{sb.base_url}/redirect",
        "code": code,
        **fields,
    }
    return http.post(
        f"{sb.base_url}/connect/token", data={k: v for k, v in form.items() if v is not None}
    )


def connect(http: httpx.Client, sb: Sandbox, scopes: tuple[str, ...] | None = None) -> Any:
    """A new connection: the link, the user's Allow, the code exchanged; its token answer."""
    link = sb.auth_link(scopes=scopes) if scopes else sb.auth_link()
    answer = exchange(http, sb, sb.consent(link)["code"])
    assert answer.status_code == 200
    return answer.json()


def refresh(http: httpx.Client, sb: Sandbox, refresh_token: str) -> httpx.Response:
    """POST /connect/token with a refresh_token grant."""
    return http.post(
        f"{sb.base_url}/connect/token",
        data={
            "grant_type": "refresh_token",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": refresh_token,
        },
    )


def bearer(access_token: str | None) -> dict[str, str]:
    """The ``Authorization`` header for ``access_token``; none without one."""
    return {"Authorization": f"Bearer {access_token}"} if access_token else {}


def get(http: httpx.Client, sb: Sandbox, path: str, access_token: str | None) -> httpx.Response:
    """GET ``path`` on the sandbox with ``access_token`` as bearer (none if ``None``)."""
    return http.get(f"{sb.base_url}{path}", headers=bearer(access_token))


def get_me(http: httpx.Client, sb: Sandbox, access_token: str) -> httpx.Response:
    return get(http, sb, "/data/v1/me", access_token)


def get_accounts(http: httpx.Client, sb: Sandbox, access_token: str) -> httpx.Response:
    return get(http, sb, "/data/v1/accounts", access_token)


def revoke(http: httpx.Client, sb: Sandbox, access_token: str) -> httpx.Response:
    """DELETE /api/delete: revoke the connection of ``access_token``."""
    return http.delete(f"{sb.base_url}/api/delete", headers=bearer(access_token))


def error_of(answer: httpx.Response) -> tuple[int, str]:
    """An error answer's status and ``error`` code."""
    return answer.status_code, answer.json()["error"]
