"""The Data API (R10, R11) and revocation (R12), behind ``Authorization: Bearer``.

Theory of operation: a bearer token names a connection. A connection that is revoked or
past its lifetime answers 403 ``access_denied`` (R8, R12: a lifecycle change); a token that
is missing, unknown, superseded by a later one or expired answers 401 ``invalid_token``
(R5, R11: refresh once and retry). Missing scopes answer 403 ``insufficient_permissions``,
which is not a consent problem.
"""

from __future__ import annotations

from typing import Any

from adapters.sandbox import _catalogue as catalogue
from adapters.sandbox._http import Request, Response, error_json, iso, json_answer
from adapters.sandbox._state import Connection, SandboxState, same_secret

__all__ = ["accounts", "balance", "delete_connection", "me", "transactions"]


def _invalid_token(description: str) -> Response:
    return error_json(401, "invalid_token", description)


def _authenticate(state: SandboxState, req: Request) -> Connection | Response:
    """The bearer's connection, or the R11 error to answer. Call under ``state.lock``."""
    token = req.bearer()
    if token is None:
        return _invalid_token("an Authorization: Bearer access token is required")
    connection_id = state.access_tokens.get(token)
    if connection_id is None:
        return _invalid_token("unknown access token")
    connection = state.connections[connection_id]
    now = state.clock.now()
    if connection.revoked:
        return error_json(403, "access_denied", "the connection was revoked")  # R12
    if now >= connection.expires_at:
        return error_json(403, "access_denied", "the consent has expired")  # R8
    if connection.access_token is None or not same_secret(token, connection.access_token):
        return _invalid_token("superseded: only the last access token is valid")  # R5
    if connection.access_expires_at is None or now >= connection.access_expires_at:
        return _invalid_token("the access token has expired")  # R5
    return connection


def _scoped(state: SandboxState, req: Request, scope: str | None) -> Connection | Response:
    found = _authenticate(state, req)
    if isinstance(found, Response):
        return found
    if scope is not None and scope not in found.scopes:
        return error_json(403, "insufficient_permissions", f"the '{scope}' scope was not granted")
    return found


def _provider_json(provider_id: str) -> dict[str, str]:
    p = catalogue.provider(provider_id)
    return {"display_name": p.display_name, "provider_id": p.provider_id, "logo_uri": p.logo_uri}


def me(state: SandboxState, req: Request) -> Response:
    """``GET /data/v1/me`` (R10)."""
    with state.lock:
        found = _scoped(state, req, None)
        if isinstance(found, Response):
            return found
        result = {
            "client_id": found.client_id,
            "credentials_id": found.id,
            "consent_status": "Authorised",
            "consent_status_updated_at": iso(found.lifetime_start),
            "consent_created_at": iso(found.created_at),
            "consent_expires_at": iso(found.expires_at),
            "provider": _provider_json(found.provider_id),
            "scopes": list(found.scopes),
            "privacy_policy": "Feb2021",
        }
    return json_answer(200, {"results": [result], "status": "Succeeded"})


def accounts(state: SandboxState, req: Request) -> Response:
    """``GET /data/v1/accounts`` (R11; needs the ``accounts`` scope)."""
    with state.lock:
        found = _scoped(state, req, "accounts")
        if isinstance(found, Response):
            return found
        updated = iso(state.clock.now())
        provider = _provider_json(found.provider_id)
    results: list[dict[str, Any]] = [
        {
            **{k: v for k, v in account.items() if k != "balance"},
            "provider": provider,
            "update_timestamp": updated,
        }
        for account in catalogue.ACCOUNTS
    ]
    return json_answer(200, {"results": results, "status": "Succeeded"})


def _account_call(state: SandboxState, req: Request, scope: str) -> tuple[str, str] | Response:
    with state.lock:
        found = _scoped(state, req, scope)
        if isinstance(found, Response):
            return found
        now = iso(state.clock.now())
    account_id = req.path_params["account_id"]
    if catalogue.account(account_id) is None:
        return error_json(404, "account_not_found", "no account with this id")
    return account_id, now


def balance(state: SandboxState, req: Request) -> Response:
    """``GET /data/v1/accounts/{id}/balance`` (R11; needs the ``balance`` scope)."""
    found = _account_call(state, req, "balance")
    if isinstance(found, Response):
        return found
    account_id, now = found
    return json_answer(
        200, {"results": [catalogue.balance(account_id, now)], "status": "Succeeded"}
    )


def transactions(state: SandboxState, req: Request) -> Response:
    """``GET /data/v1/accounts/{id}/transactions`` (R11; needs ``transactions``)."""
    found = _account_call(state, req, "transactions")
    if isinstance(found, Response):
        return found
    account_id, _ = found
    return json_answer(200, {"results": catalogue.transactions(account_id), "status": "Succeeded"})


def delete_connection(state: SandboxState, req: Request) -> Response:
    """``DELETE /api/delete`` (R12): revoke the bearer's connection."""
    with state.lock:
        found = _authenticate(state, req)
        if isinstance(found, Response):
            return found
        found.revoked = True
        # R12: afterwards a refresh gives invalid_grant; the access token stays known so
        # data calls answer 403 access_denied rather than 401.
        state.revoke_refresh_family(found)
    return json_answer(200, {})
