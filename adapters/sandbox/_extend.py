"""``POST /data/v1/connections/extend`` (R9): reconfirm consent, restart the lifetime.

Theory of operation: allowed while the connection is active and up to
``extend_window`` (90 days) after its lifetime ended, never once revoked (R12). Which of
the three documented answers it gives is a setting (``extend_answer``), because which one
TrueLayer picks is its decision, not the client's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from adapters.sandbox._config import ExtendAnswer
from adapters.sandbox._http import Request, Response, error_json, json_answer
from adapters.sandbox._state import RefreshStatus, SandboxState
from adapters.sandbox._token import authenticate_client

__all__ = ["extend"]


def _validation(description: str) -> Response:
    return error_json(400, "validation_error", description)


def _problem(body: dict[str, Any]) -> str | None:
    """What is wrong with an extend body (field names from R9), or None."""
    for name in ("refresh_token", "redirect_uri"):
        if not isinstance(body.get(name), str) or not body[name]:
            return f"{name} is required"
    if body.get("user_has_reconfirmed_consent") is not True:
        return "user_has_reconfirmed_consent must be true: extend needs the user's consent"
    user = body.get("user")
    if not isinstance(user, dict):
        return "user must be an object with id, name, and an email or a phone"

    def given(key: str) -> bool:
        return isinstance(user.get(key), str) and bool(user[key].strip())

    if not given("id") or not given("name"):
        return "user needs an id and the user's full name"
    # R9: the full name and *either* an email or a phone number.
    if not given("email") and not given("phone"):
        return "user needs an email or a phone number"
    for key in ("email", "phone"):
        if key in user and user[key] is not None and not isinstance(user[key], str):
            return f"user {key} must be a string"
    return None


def extend(state: SandboxState, req: Request) -> Response:
    """Answer ``no_action_needed``, ``authentication_needed`` or ``reconfirmation_...``."""
    try:
        body = req.json()
    except ValueError:
        return _validation("the body must be JSON")
    if not isinstance(body, dict):
        return _validation("the body must be a JSON object")
    client_id, client_secret = body.get("client_id"), body.get("client_secret")
    if not isinstance(client_id, str) or not isinstance(client_secret, str):
        return _validation("client_id and client_secret are required")
    refused = authenticate_client(state, client_id, client_secret)
    if refused is not None:
        return refused
    problem = _problem(body)
    if problem is not None:
        return _validation(problem)
    redirect_uri: str = body["redirect_uri"]
    if not state.redirect_registered(redirect_uri):
        return _validation("redirect_uri is not registered for this client")
    with state.lock:
        now = state.clock.now()
        grant = state.refresh_tokens.get(body["refresh_token"])
        connection = state.connections.get(grant.connection_id) if grant is not None else None
        if grant is None or connection is None or connection.client_id != client_id:
            return error_json(400, "invalid_grant", "unknown refresh token")
        if connection.revoked:
            return error_json(400, "invalid_grant", "a revoked connection cannot be extended")
        if grant.status is not RefreshStatus.CURRENT:
            return error_json(400, "invalid_grant", "the refresh token is no longer current")
        if now >= connection.expires_at + state.config.extend_window:
            return error_json(400, "invalid_grant", "more than 90 days past the consent's expiry")
        answer = state.settings.extend_answer
        if answer is ExtendAnswer.RECONFIRMATION_OF_CONSENT_NEEDED:
            return json_answer(200, {"action_needed": answer.value})
        if answer is ExtendAnswer.AUTHENTICATION_NEEDED:
            reauth_id = state.new_id("reauth-")
            state.reauth_links[reauth_id] = connection.id
            query = urlencode(
                {
                    "response_type": "code",
                    "client_id": client_id,
                    "redirect_uri": redirect_uri,
                    "scope": " ".join(connection.scopes),
                    "providers": connection.provider_id,
                    "provider_id": connection.provider_id,
                    "reauth_id": reauth_id,
                }
            )
            link = f"{state.base_url}/?{query}"
            return json_answer(200, {"action_needed": answer.value, "user_input_link": link})
        # R9 no_action_needed: extended now; new tokens replace the old ones at once.
        connection.lifetime_start = now
        state.revoke_refresh_family(connection)
        access = state.issue_access_token(connection, now)
        refresh = state.issue_refresh_token(connection, now)
        expires_in = int(state.config.access_token_ttl.total_seconds())
    return json_answer(
        200,
        {
            "action_needed": answer.value,
            "access_token": access,
            "expires_in": expires_in,
            "token_type": "Bearer",
            "refresh_token": refresh,
        },
    )
