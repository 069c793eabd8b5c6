"""A request's answer as the journal keeps it (R15), and back as the core event it means.

The answer is stored the moment it arrives, before the decision that applies it; if the
process dies in between, the stored answer is applied when the request is resolved, so a
rotated refresh token is never lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import lifecycle as core
from adapters.truelayer import (
    AuthenticationNeeded,
    Call,
    Deleted,
    Extended,
    ReconfirmationNeeded,
    TokenGrant,
)

__all__ = ["answer_event", "stored_answer"]

Result = TokenGrant | Extended | AuthenticationNeeded | ReconfirmationNeeded | Deleted


def _grant(grant: TokenGrant) -> dict[str, Any]:
    return {
        "call": grant.call.value,
        "access_token": grant.access_token.reveal(),
        "expires_in": grant.expires_in,
        "refresh_token": None if grant.refresh_token is None else grant.refresh_token.reveal(),
        "scope": None if grant.scope is None else list(grant.scope),
    }


def stored_answer(result: Result) -> dict[str, Any]:
    """What the journal keeps of a result (secrets included: the store seals it)."""
    if isinstance(result, TokenGrant):
        return {"kind": "grant", **_grant(result)}
    if isinstance(result, Extended):
        return {"kind": "grant", **_grant(result.grant)}
    if isinstance(result, AuthenticationNeeded):
        return {"kind": "authentication_needed", "user_input_link": result.user_input_link}
    if isinstance(result, ReconfirmationNeeded):
        return {"kind": "reconfirmation_needed"}
    return {"kind": "deleted"}


def _secret(value: object) -> core.Secret | None:
    return core.Secret(value) if isinstance(value, str) and value else None


def answer_event(answer: Mapping[str, Any], at: datetime, request: int) -> core.Input:
    """The core event a stored answer means.

    Raises:
        core.MalformedInputError: the stored answer is not one ``stored_answer`` wrote.
    """
    kind = answer.get("kind")
    if kind == "authentication_needed":
        return AuthenticationNeeded(str(answer.get("user_input_link"))).to_event(
            at, request=request
        )
    if kind == "reconfirmation_needed":
        return ReconfirmationNeeded().to_event(at, request=request)
    if kind == "deleted":
        return Deleted().to_event(at, request=request)
    if kind != "grant":
        raise core.MalformedInputError("a stored answer of an unknown kind")
    try:
        call = Call(str(answer.get("call")))
        access = _secret(answer.get("access_token"))
        expires_in = answer.get("expires_in")
        if access is None or not isinstance(expires_in, int):
            raise core.MalformedInputError("a stored grant without its token")
        grant = TokenGrant(
            access_token=access,
            expires_in=expires_in,
            refresh_token=_secret(answer.get("refresh_token")),
            call=call,
        )
    except ValueError as error:
        raise core.MalformedInputError(f"a stored grant that cannot be read: {error}") from None
    return grant.to_event(at, request=request)
