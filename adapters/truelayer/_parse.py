"""Parsers of TrueLayer's answers: a result, or a typed error; never half a result.

Every parser takes an ``Answer`` and either returns a fully checked value or raises a
``TrueLayerError``. An answer that is not what TrueLayer sends raises
``MalformedResponse``, so nothing from it reaches the core (R4: no half-updated record).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import lifecycle

from .._json import loads
from ._call import Call
from ._classify import error_for_answer
from ._errors import MalformedResponse, TrueLayerError
from ._link import AuthLinkError, reauthentication_link
from ._results import (
    AuthenticationNeeded,
    Consent,
    Deleted,
    Extended,
    ExtendResult,
    ReconfirmationNeeded,
    TokenGrant,
)

if TYPE_CHECKING:
    from ._protocol import Answer

__all__ = [
    "TRUELAYER_AUTH_HOSTS",
    "consents",
    "deleted",
    "extend_result",
    "results",
    "token_grant",
]

# One bound for a token's lifetime, the core's: an answer the core would refuse is
# malformed here already (R5).
_MAX_EXPIRES_IN = int(lifecycle.LONGEST.total_seconds())
_MAX_RETRY_AFTER = 3600
_DIGITS = re.compile(r"[0-9]+")
# RFC 6749 A.12/A.17 allow visible ASCII in tokens; they travel in a header (Bearer) or a
# form, so a space, a control character or anything not ASCII would break the next call.
_LINK = re.compile(r"[\x21-\x7e]{1,8192}")  # a URL TrueLayer sends is ASCII, escaped
_TOKEN = re.compile(r"[\x21-\x7e]{1,16384}")
# Where an extend's user_input_link may send the user (R1, R9): TrueLayer's auth hosts.
TRUELAYER_AUTH_HOSTS = frozenset({"auth.truelayer.com", "auth.truelayer-sandbox.com"})


def _malformed(call: Call, answer: Answer, detail: str) -> MalformedResponse:
    return MalformedResponse(call, status=answer.status, detail=detail)


def _json(answer: Answer) -> Any:
    content_type = answer.headers.get("content-type", "")
    if "json" not in content_type.lower():
        raise ValueError("not JSON")
    return loads(answer.body.decode("utf-8"))


def _retry_after(answer: Answer) -> float | None:
    # ASCII digits only: str.isdigit() also says yes to "²", which int() refuses, and
    # int() refuses more than 4,300 digits; anything that long is "a very long time".
    value = answer.headers.get("retry-after", "").strip()
    if not _DIGITS.fullmatch(value):
        return None
    seconds = int(value) if len(value) <= 6 else _MAX_RETRY_AFTER
    return float(min(seconds, _MAX_RETRY_AFTER))


def _error(call: Call, answer: Answer) -> TrueLayerError:
    """The error for a non-2xx answer (R11, R13)."""
    try:
        payload = _json(answer)
    except (ValueError, UnicodeDecodeError):
        payload = None
    code = payload.get("error") if isinstance(payload, dict) else None
    description = payload.get("error_description") if isinstance(payload, dict) else None
    if not isinstance(code, str) and answer.status != 429 and answer.status < 500:
        # A 4xx without TrueLayer's error JSON (e.g. a proxy's HTML page): not trusted.
        return _malformed(call, answer, "an error answer without TrueLayer's error JSON")
    return error_for_answer(
        call,
        answer.status,
        code if isinstance(code, str) else None,
        description if isinstance(description, str) else None,
        _retry_after(answer),
    )


def _object(call: Call, answer: Answer) -> dict[str, Any]:
    """The JSON object of a 2xx answer, or the error the answer means."""
    if not 200 <= answer.status < 300:
        raise _error(call, answer)
    try:
        payload = _json(answer)
    except (ValueError, UnicodeDecodeError):
        raise _malformed(call, answer, "the answer is not JSON") from None
    if not isinstance(payload, dict):
        raise _malformed(call, answer, "the answer is not a JSON object")
    return payload


def _grant(call: Call, answer: Answer, payload: dict[str, Any]) -> TokenGrant:
    access = payload.get("access_token")
    if not isinstance(access, str) or not access:
        raise _malformed(call, answer, "no access_token")
    if not _TOKEN.fullmatch(access):
        raise _malformed(call, answer, "access_token is not visible ASCII")
    expires_in = payload.get("expires_in")
    # bool is an int in Python; "expires_in": true is malformed all the same (R5).
    if isinstance(expires_in, bool) or not isinstance(expires_in, int):
        raise _malformed(call, answer, "expires_in is not a whole number of seconds")
    if not 0 <= expires_in <= _MAX_EXPIRES_IN:
        raise _malformed(call, answer, "expires_in is out of range")
    token_type = payload.get("token_type", "Bearer")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise _malformed(call, answer, "token_type is not Bearer")
    refresh = payload.get("refresh_token")
    if refresh is not None and (not isinstance(refresh, str) or not refresh):
        raise _malformed(call, answer, "refresh_token is not a non-empty string")
    if refresh is not None and not _TOKEN.fullmatch(refresh):
        raise _malformed(call, answer, "refresh_token is not visible ASCII")
    if call is Call.EXTEND and refresh is None:
        raise _malformed(call, answer, "an extension without a refresh_token (R9)")
    scope = payload.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise _malformed(call, answer, "scope is not a string")
    return TokenGrant(
        lifecycle.Secret(access),
        expires_in,
        lifecycle.Secret(refresh) if refresh else None,
        tuple(scope.split()) if scope is not None else None,
        call=call,
    )


def token_grant(call: Call, answer: Answer) -> TokenGrant:
    """Parse a token endpoint answer (R4, R6; errors R13)."""
    return _grant(call, answer, _object(call, answer))


def _user_input_link(answer: Answer, link: object, origins: frozenset[str]) -> str:
    """The link if the user may be sent there (R9): an absolute URL on TrueLayer's auth
    hosts (https) or on one of ``origins`` (``scheme://host[:port]``), naming a usable
    ``redirect_uri``; otherwise the answer is malformed (an open redirect, or unusable).
    """
    problem = "user_input_link is not an http(s) URL"
    if not isinstance(link, str) or not _LINK.fullmatch(link) or "\\" in link:
        raise _malformed(Call.EXTEND, answer, problem)
    try:
        parts = urlsplit(link)
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError:
        raise _malformed(Call.EXTEND, answer, problem) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise _malformed(Call.EXTEND, answer, problem)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    if origin not in origins and origin not in {f"https://{h}" for h in TRUELAYER_AUTH_HOSTS}:
        raise _malformed(Call.EXTEND, answer, "user_input_link is not on TrueLayer's auth host")
    try:
        reauthentication_link(link)
    except AuthLinkError:
        problem = "user_input_link names no usable redirect_uri"
        raise _malformed(Call.EXTEND, answer, problem) from None
    return link


def extend_result(answer: Answer, origins: frozenset[str] = frozenset()) -> ExtendResult:
    """Parse an extend answer: one of the three ``action_needed`` values (R9).

    Args:
        answer: the HTTP answer.
        origins: besides TrueLayer's auth hosts, the ``scheme://host[:port]`` a
            ``user_input_link`` may point to (the configured endpoints').
    """
    payload = _object(Call.EXTEND, answer)
    action = payload.get("action_needed")
    if action == "no_action_needed":
        return Extended(_grant(Call.EXTEND, answer, payload))
    if action == "authentication_needed":
        link = _user_input_link(answer, payload.get("user_input_link"), origins)
        return AuthenticationNeeded(link)
    if action == "reconfirmation_of_consent_needed":
        return ReconfirmationNeeded()
    raise _malformed(Call.EXTEND, answer, "action_needed is not one of the three answers")


def _results(answer: Answer, call: Call = Call.DATA) -> list[dict[str, Any]]:
    found = _object(call, answer).get("results")
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        raise _malformed(call, answer, "results is not a list of objects")
    return found


def results(answer: Answer) -> list[dict[str, Any]]:
    """Parse a Data API answer ``{"results": [...]}`` (R11)."""
    return _results(answer)


def _moment(answer: Answer, value: object, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise _malformed(Call.DATA, answer, f"{name} is not a timezone-aware ISO 8601 time")
    return moment


def consents(answer: Answer) -> tuple[Consent, ...]:
    """Parse ``/data/v1/me`` (R10)."""
    found: list[Consent] = []
    for item in _results(answer):
        client_id, credentials_id = item.get("client_id"), item.get("credentials_id")
        if not isinstance(client_id, str) or not isinstance(credentials_id, str):
            raise _malformed(Call.DATA, answer, "a result lacks client_id or credentials_id")
        provider = item.get("provider")
        provider_id = provider.get("provider_id") if isinstance(provider, dict) else None
        scopes = item.get("scopes", [])
        status = item.get("consent_status")
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise _malformed(Call.DATA, answer, "scopes is not a list of strings")
        found.append(
            Consent(
                client_id=client_id,
                credentials_id=credentials_id,
                consent_status=status if isinstance(status, str) else None,
                consent_created_at=_moment(answer, item.get("consent_created_at"), "created"),
                consent_expires_at=_moment(answer, item.get("consent_expires_at"), "expires"),
                provider_id=provider_id if isinstance(provider_id, str) else None,
                scopes=tuple(scopes),
                raw=item,
            )
        )
    return tuple(found)


def deleted(answer: Answer) -> Deleted:
    """Parse ``/api/delete`` (R12): any 2xx is success; its body is not needed."""
    if not 200 <= answer.status < 300:
        raise _error(Call.DELETE, answer)
    return Deleted()
