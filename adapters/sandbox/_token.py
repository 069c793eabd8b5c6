"""``POST /connect/token``: the code exchange (R3, R4) and the refresh (R5, R6), errors R13.

Theory of operation: client authentication first (R13: 401 ``unauthorized_client``, 400
``invalid_client``), then the grant, decided and written under the state lock so two
concurrent refreshes with one token are serialised as they would be at TrueLayer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from adapters.sandbox._config import RefreshMode
from adapters.sandbox._http import Request, Response, error_json, json_answer
from adapters.sandbox._state import Connection, RefreshStatus, SandboxState

__all__ = ["authenticate_client", "token", "token_answer"]


def _invalid_grant(description: str) -> Response:
    return error_json(400, "invalid_grant", description)


def _validation(description: str) -> Response:
    return error_json(400, "validation_error", description)


def authenticate_client(state: SandboxState, client_id: str, client_secret: str) -> Response | None:
    """The client-authentication error (R13), or None when the client is known."""
    if not client_id or not client_secret:
        return _validation("client_id and client_secret are required")
    if client_id in state.config.unauthorized_client_ids:
        return error_json(401, "unauthorized_client", "this client may not use this grant")
    if not state.client_secret_ok(client_id, client_secret):
        # Never echo the secret, nor say which of the two was wrong.
        return error_json(400, "invalid_client", "client authentication failed")
    return None


def token_answer(
    state: SandboxState, connection: Connection, access: str, refresh: str | None
) -> dict[str, Any]:
    """The token endpoint's JSON answer (R4)."""
    answer: dict[str, Any] = {
        "access_token": access,
        "expires_in": int(state.config.access_token_ttl.total_seconds()),
        "token_type": "Bearer",
        "scope": " ".join(connection.scopes),
    }
    if refresh is not None:
        answer["refresh_token"] = refresh
    return answer


def token(state: SandboxState, req: Request) -> Response:
    """``POST /connect/token`` (form-encoded; client credentials in the form or Basic)."""
    form = req.form()
    basic = req.basic_credentials() or ("", "")
    client_id = form.get("client_id") or basic[0]
    client_secret = form.get("client_secret") or basic[1]
    grant_type = form.get("grant_type", "")
    if grant_type not in ("authorization_code", "refresh_token"):
        return _validation(f"unsupported grant_type {grant_type!r}")
    refused = authenticate_client(state, client_id, client_secret)
    if refused is not None:
        return refused
    with state.lock:
        if grant_type == "authorization_code":
            return _exchange_code(state, form, client_id)
        return _refresh(state, form, client_id)


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _exchange_code(state: SandboxState, form: dict[str, str], client_id: str) -> Response:
    code, redirect_uri = form.get("code"), form.get("redirect_uri")
    if not code or not redirect_uri:
        return _validation("code and redirect_uri are required")
    now = state.clock.now()
    grant = state.codes.get(code)
    if grant is None or grant.client_id != client_id:
        return _invalid_grant("unknown authorization code")
    if grant.used:
        # R3, RFC 6749 §4.1.2: a reused code revokes the tokens issued for it.
        if grant.connection_id is not None:
            state.revoke_tokens(state.connections[grant.connection_id])
        return _invalid_grant("authorization code already used; its tokens are revoked")
    grant.used = True  # R3: single use, whatever the outcome of this attempt
    if now >= grant.issued_at + state.config.code_ttl:
        return _invalid_grant("authorization code expired (valid for 5 minutes)")
    if redirect_uri != grant.redirect_uri:
        return _invalid_grant("redirect_uri differs from the one on the authorisation link")
    verifier = form.get("code_verifier")
    if grant.code_challenge is not None:
        if not verifier or not hmac.compare_digest(_s256(verifier), grant.code_challenge):
            return _invalid_grant("code_verifier does not match the code_challenge (PKCE)")
    elif verifier:
        # RFC 9700 §2.1.1: a verifier without a challenge signals a PKCE downgrade.
        return _invalid_grant("code_verifier given but the link had no code_challenge")
    if grant.reauth_connection is not None:
        connection = state.connections[grant.reauth_connection]
        if connection.revoked:
            return _invalid_grant("the connection was revoked")
        # R9: re-authentication reactivates the same connection with a fresh lifetime.
        connection.lifetime_start = now
        state.revoke_refresh_family(connection)
    else:
        offline = "offline_access" in grant.scopes
        lifetime = state.config.offline_lifetime if offline else state.config.online_lifetime
        connection = Connection(
            id=state.new_id("cred-"),
            client_id=client_id,
            scopes=grant.scopes,
            provider_id=grant.provider_id,
            created_at=now,
            lifetime_start=now,
            lifetime=lifetime,  # R7: UK, by offline_access
        )
        state.connections[connection.id] = connection
    grant.connection_id = connection.id
    access = state.issue_access_token(connection, now)
    # R4: a refresh token only when offline_access was granted.
    refresh = (
        state.issue_refresh_token(connection, now)
        if "offline_access" in connection.scopes
        else None
    )
    return json_answer(200, token_answer(state, connection, access, refresh))


def _refresh(state: SandboxState, form: dict[str, str], client_id: str) -> Response:
    presented = form.get("refresh_token")
    if not presented:
        return _validation("refresh_token is required")
    now = state.clock.now()
    grant = state.refresh_tokens.get(presented)
    connection = state.connections.get(grant.connection_id) if grant is not None else None
    if grant is None or connection is None or connection.client_id != client_id:
        return _invalid_grant("unknown refresh token")
    if connection.revoked or grant.status is RefreshStatus.REVOKED:
        return _invalid_grant("the refresh token was revoked")  # R12
    if now >= connection.expires_at:
        return _invalid_grant("the connection's consent has expired")  # R8
    settings = state.settings
    if grant.status is RefreshStatus.ROTATED:
        successor = state.refresh_tokens.get(grant.successor or "")
        in_grace = (
            settings.refresh_mode is RefreshMode.ROTATING_WITH_GRACE
            and grant.rotated_at is not None
            and now < grant.rotated_at + settings.refresh_grace
            and successor is not None
            and successor.status is RefreshStatus.CURRENT
        )
        if in_grace:
            # R6 grace: the old token still works and answers the same successor.
            access = state.issue_access_token(connection, now)
            return json_answer(200, token_answer(state, connection, access, grant.successor))
        if settings.strict_reuse_detection:
            # RFC 9700 §4.14.2: reuse of a rotated token revokes the whole family.
            state.revoke_tokens(connection)
            return _invalid_grant("refresh token reuse detected; the token family is revoked")
        return _invalid_grant("the refresh token was already rotated")
    if grant.first_used_at is None:
        if now >= grant.issued_at + state.config.refresh_first_use_window:
            return _invalid_grant("the refresh token was not used within 30 days")  # R6
        grant.first_used_at = now
    access = state.issue_access_token(connection, now)  # R5: supersedes the earlier one
    if settings.refresh_mode is RefreshMode.REUSABLE:
        refresh = None if state.config.omit_unchanged_refresh_token else presented
    else:
        refresh = state.issue_refresh_token(connection, now)
        grant.status = RefreshStatus.ROTATED
        grant.rotated_at = now
        grant.successor = refresh
    return json_answer(200, token_answer(state, connection, access, refresh))
