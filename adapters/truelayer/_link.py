"""The auth link (R1) with a fresh ``state`` and PKCE S256 pair per attempt (R14).

One link, one attempt: every call draws a new ``state`` and a new code verifier from
``secrets``, so two links never share either. The link itself is never requested by the
client; the user's browser opens it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Literal
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from attrs import field, frozen

import lifecycle

from ._endpoints import Endpoints

__all__ = [
    "AuthLink",
    "AuthLinkError",
    "build_auth_link",
    "check_redirect_uri",
    "pkce_challenge",
    "provider_covered",
    "reauthentication_link",
]

ResponseMode = Literal["query", "form_post"]
_RESPONSE_MODES = ("query", "form_post")
# Provider ids and groups are lower-case words joined by hyphens (uk-ob-all, ob-barclays).
_PROVIDER = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_MAX_FIELD = 512


class AuthLinkError(ValueError):
    """The auth link's inputs are invalid; the message names the input and the fix."""


def pkce_challenge(verifier: lifecycle.Secret) -> str:
    """RFC 7636 §4.2 S256: the base64url SHA-256 of the verifier, without padding."""
    digest = hashlib.sha256(verifier.reveal().encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def provider_covered(provider_id: str, providers: Iterable[str]) -> bool:
    """Whether ``provider_id`` is one of the providers the link offers (R1).

    The rule, kept simple: a provider is covered when ``providers`` lists it by name, or
    lists a group ``<region>-<kind>-all`` and the id starts with ``<region>-<kind>-`` or
    with ``<kind>-``. So ``uk-ob-all`` covers ``uk-ob-barclays`` and ``ob-barclays``;
    ``uk-cs-mock`` covers only itself. TrueLayer's dialog has the final word.
    """
    for entry in providers:
        if entry == provider_id:
            return True
        if entry.endswith("-all"):
            group = entry.removesuffix("-all")
            kind = group.rsplit("-", 1)[-1]
            if provider_id.startswith((f"{group}-", f"{kind}-")):
                return True
    return False


def _text(name: str, value: object, limit: int = _MAX_FIELD) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise AuthLinkError(f"{name} must be a non-empty string of at most {limit} chars")
    if not value.isprintable():
        raise AuthLinkError(f"{name} must not contain control characters")
    return value


def check_redirect_uri(value: object) -> str:
    """Return ``value`` if it is an absolute http(s) URI without a fragment.

    Raises:
        AuthLinkError: it is not.
    """
    uri = _text("redirect_uri", value)
    parts = _split("redirect_uri", uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AuthLinkError("redirect_uri must be an absolute http:// or https:// URI")
    if "@" in parts.netloc or "\\" in uri or " " in uri:
        # Parsers and browsers read userinfo and backslashes differently (an open
        # redirect); TrueLayer matches the registered URI exactly anyway.
        raise AuthLinkError("redirect_uri must have no userinfo, backslash or space")
    if parts.fragment:
        raise AuthLinkError("redirect_uri must not have a fragment (RFC 6749 §3.1.2)")
    return uri


def _split(name: str, uri: str) -> SplitResult:
    # urlsplit raises a plain ValueError for "http://[::1" and a port out of range.
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (reading it checks it)
    except ValueError:
        raise AuthLinkError(f"{name} is not a well-formed URL") from None
    return parts


def _scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    if isinstance(scopes, str):
        raise AuthLinkError("scopes must be a list of scope names, not one string")
    chosen = tuple(dict.fromkeys(scopes))
    if not chosen:
        raise AuthLinkError("scopes must name at least one scope, e.g. ('info', 'accounts')")
    unknown = sorted(s for s in chosen if s not in lifecycle.KNOWN_SCOPES)
    if unknown:
        known = " ".join(sorted(lifecycle.KNOWN_SCOPES))
        raise AuthLinkError(f"unknown scopes {unknown}; known scopes: {known}")
    return chosen


def _providers(providers: Iterable[str]) -> tuple[str, ...]:
    if isinstance(providers, str):
        raise AuthLinkError("providers must be a list of provider ids, not one string")
    chosen = tuple(dict.fromkeys(providers))
    if not chosen:
        raise AuthLinkError("providers must name at least one provider, e.g. ('uk-ob-all',)")
    if not all(isinstance(p, str) and _PROVIDER.fullmatch(p) for p in chosen):
        raise AuthLinkError("providers must be lower-case ids such as 'uk-ob-all', 'uk-cs-mock'")
    return chosen


@frozen
class AuthLink:
    """One authorisation attempt: the URL for the user and its single-use secrets (R14).

    Attributes:
        url: the dialog URL to send the user to. It carries ``state``, so it is left
            out of ``repr``.
        state: the CSRF token; bind it to the user's session and check it on the
            callback (``parse_callback``).
        code_verifier: the PKCE verifier; keep it for the exchange (R4).
        redirect_uri: where the user comes back (R2).
        response_mode: ``query`` or ``form_post`` (R2).
    """

    url: str = field(repr=False)
    state: lifecycle.Secret
    code_verifier: lifecycle.Secret
    redirect_uri: str
    response_mode: ResponseMode = "query"

    def link_issued(self, at: datetime) -> lifecycle.LinkIssued:
        """The core event recording this attempt (R14), to ``lifecycle.apply``.

        Raises:
            lifecycle.NaiveDatetimeError: ``at`` has no UTC offset.
        """
        return lifecycle.LinkIssued(at, state=self.state, code_verifier=self.code_verifier)


def build_auth_link(
    endpoints: Endpoints,
    *,
    client_id: str,
    redirect_uri: str,
    scopes: Iterable[str],
    providers: Iterable[str],
    provider_id: str | None = None,
    response_mode: ResponseMode = "query",
    tracking_id: str | None = None,
    nonce: str | None = None,
) -> AuthLink:
    """Build the auth dialog link (R1) with a fresh ``state`` and PKCE S256 pair (R14).

    Args:
        endpoints: the auth server's base URL is used.
        client_id: the application's client id.
        redirect_uri: an absolute http(s) URI registered with TrueLayer.
        scopes: names from ``lifecycle.KNOWN_SCOPES``; add ``offline_access`` for a
            refresh token (R4, R6).
        providers: provider ids or groups, e.g. ``("uk-ob-all", "uk-oauth-all")``.
        provider_id: skip the bank picker; must be covered by ``providers``
            (see ``provider_covered``).
        response_mode: ``"query"`` (default) or ``"form_post"`` (R2).
        tracking_id: TrueLayer's per-link tracking id.
        nonce: an OpenID Connect nonce.

    Returns:
        The link; feed ``link.link_issued(now)`` to the core before sending the user.

    Raises:
        AuthLinkError: an input is invalid (unknown scope, no providers, a provider_id
            not covered, a redirect_uri that is not http(s), an unknown response_mode).
    """
    _text("client_id", client_id)
    redirect = check_redirect_uri(redirect_uri)
    chosen_scopes = _scopes(scopes)
    chosen_providers = _providers(providers)
    if response_mode not in _RESPONSE_MODES:
        raise AuthLinkError("response_mode must be 'query' or 'form_post'")
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect,
        "scope": " ".join(chosen_scopes),
        "providers": " ".join(chosen_providers),
    }
    if provider_id is not None:
        if not provider_covered(_text("provider_id", provider_id), chosen_providers):
            raise AuthLinkError(
                "provider_id is not covered by providers: list it, or a group such as "
                "'uk-ob-all' that covers it"
            )
        params["provider_id"] = provider_id
    if response_mode != "query":
        params["response_mode"] = response_mode
    if tracking_id is not None:
        params["tracking_id"] = _text("tracking_id", tracking_id)
    if nonce is not None:
        params["nonce"] = _text("nonce", nonce)
    state, verifier = _fresh_secrets(params)
    return AuthLink(
        url=f"{endpoints.auth_url}/?{urlencode(params)}",
        state=state,
        code_verifier=verifier,
        redirect_uri=redirect,
        response_mode=response_mode,
    )


def _fresh_secrets(params: dict[str, str]) -> tuple[lifecycle.Secret, lifecycle.Secret]:
    # R14: a fresh state and verifier for every attempt, from the OS's CSPRNG.
    state = lifecycle.Secret(secrets.token_urlsafe(32))
    verifier = lifecycle.Secret(secrets.token_urlsafe(48))  # 64 chars: RFC 7636 §4.1
    params.update(
        state=state.reveal(),
        code_challenge=pkce_challenge(verifier),
        code_challenge_method="S256",
    )
    return state, verifier


def reauthentication_link(user_input_link: str) -> AuthLink:
    """Extend's ``user_input_link`` (R9) as one attempt with our own state and PKCE (R14).

    TrueLayer builds that link, so it carries no state of the application's. This adds a
    fresh ``state`` and S256 challenge (replacing any given), so that the callback is
    checked as for any link (*unconfirmed*: TrueLayer is assumed to honour them as on
    its dialog links). Feed ``link.link_issued(now)`` to the core before sending the user.

    Raises:
        AuthLinkError: the link is not http(s), or names no valid ``redirect_uri``.
    """
    parts = _split("user_input_link", _text("user_input_link", user_input_link, limit=8192))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AuthLinkError("user_input_link must be an absolute http(s) URL")
    params = {
        name: value
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name not in ("state", "code_challenge", "code_challenge_method")
    }
    redirect = check_redirect_uri(params.get("redirect_uri"))
    mode = params.get("response_mode", "query")
    state, verifier = _fresh_secrets(params)
    return AuthLink(
        url=urlunsplit(parts._replace(query=urlencode(params))),
        state=state,
        code_verifier=verifier,
        redirect_uri=redirect,
        response_mode="form_post" if mode == "form_post" else "query",
    )
