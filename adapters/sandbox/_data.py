"""``/data/v1/me`` (R10) and revocation (R12), behind ``Authorization: Bearer``.

The other Data API endpoints are answered in ``_holdings``; all of them pass the same
gate (``_gate``: bearer, scopes, async) and are listed in ``_api``.
"""

from __future__ import annotations

from adapters.sandbox import _catalogue as catalogue
from adapters.sandbox._gate import Context, authenticate, envelope
from adapters.sandbox._http import Request, Response, iso, json_answer
from adapters.sandbox._state import SandboxState

__all__ = ["delete_connection", "me"]


def me(ctx: Context) -> Response:
    """``GET /data/v1/me`` (R10): any valid token, no scope needed."""
    found = ctx.connection
    p = catalogue.provider(found.provider_id)
    return envelope(
        [
            {
                "client_id": found.client_id,
                "credentials_id": found.id,
                "consent_status": "Authorised",
                "consent_status_updated_at": iso(found.lifetime_start),
                "consent_created_at": iso(found.created_at),
                "consent_expires_at": iso(found.expires_at),
                "provider": {
                    "display_name": p.display_name,
                    "provider_id": p.provider_id,
                    "logo_uri": p.logo_uri,
                },
                "scopes": list(found.scopes),
                "privacy_policy": "Feb2021",
            }
        ]
    )


def delete_connection(state: SandboxState, req: Request) -> Response:
    """``DELETE /api/delete`` (R12): revoke the bearer's connection."""
    with state.lock:
        found = authenticate(state, req)
        if isinstance(found, Response):
            return found
        found.revoked = True
        # R12: afterwards a refresh gives invalid_grant; the access token stays known so
        # data calls answer 403 access_denied rather than 401.
        state.revoke_refresh_family(found)
    return json_answer(200, {})
