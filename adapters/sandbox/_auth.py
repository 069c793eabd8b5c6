"""The auth dialog (R1), the user's decision and the callback (R2), the default redirect page.

Theory of operation: ``GET /`` validates the link and stores an *attempt* server-side; the
page's form carries only the attempt id, so the parameters cannot be changed between the
dialog and the decision. ``POST /dialog/decision`` uses the attempt up (one link, one
attempt, R1) and sends the user back to ``redirect_uri`` with a code (R2, R3) or with
``error=access_denied``.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit, urlunsplit

from adapters.sandbox._catalogue import SCOPES, covered_providers, provider
from adapters.sandbox._http import Request, Response, html_page, redirect
from adapters.sandbox._pages import dialog_page, error_page, form_post_page, redirect_page
from adapters.sandbox._state import Attempt, CodeGrant, SandboxState

__all__ = ["decision", "default_redirect", "dialog"]

# RFC 7636 §4.2: an S256 challenge is the base64url SHA-256 of the verifier: 43 characters.
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
_RESPONSE_MODES = ("query", "form_post")


def _problem_page(title: str, problems: list[str], received: dict[str, str]) -> Response:
    return html_page(400, error_page(title, problems, received))


def _validate(state: SandboxState, q: dict[str, str]) -> tuple[list[str], str | None]:
    """Every problem with a dialog link (R1), and the provider it resolves to."""
    problems: list[str] = []
    if q.get("response_type") != "code":
        problems.append(f"response_type must be 'code', got {q.get('response_type', '')!r}")
    client_id = q.get("client_id", "")
    if client_id != state.config.client_id:
        problems.append(f"unknown client_id {client_id!r}")
    redirect_uri = q.get("redirect_uri", "")
    if not state.redirect_registered(redirect_uri):
        problems.append(f"redirect_uri {redirect_uri!r} is not registered for this client")
    scopes = q.get("scope", "").split()
    if not scopes:
        problems.append("scope is missing: give space-separated scopes, e.g. 'info accounts'")
    unknown_scopes = [s for s in scopes if s not in SCOPES]
    if unknown_scopes:
        problems.append(f"unknown scopes: {' '.join(unknown_scopes)}")
    covered, unknown_providers = covered_providers(q.get("providers", "").split())
    if "providers" not in q or not q["providers"].strip():
        problems.append("providers is missing: give space-separated providers, e.g. uk-cs-mock")
    elif unknown_providers:
        problems.append(f"unknown providers: {' '.join(unknown_providers)}")
    chosen = q.get("provider_id") or (covered[0] if covered else None)
    if q.get("provider_id") and q["provider_id"] not in covered:
        problems.append(f"provider_id {q['provider_id']!r} is not covered by providers")
        chosen = None
    mode = q.get("response_mode", "query")
    if mode not in _RESPONSE_MODES:
        problems.append(f"response_mode must be 'query' or 'form_post', got {mode!r}")
    challenge, method = q.get("code_challenge"), q.get("code_challenge_method")
    if challenge is not None or method is not None:
        # R1/R14: only S256 PKCE; 'plain' offers no protection against a leaked code.
        if method != "S256":
            problems.append(f"code_challenge_method must be 'S256', got {method!r}")
        if challenge is None or not _S256_CHALLENGE.fullmatch(challenge):
            problems.append("code_challenge must be 43 base64url characters (RFC 7636 S256)")
    reauth_id = q.get("reauth_id")
    if reauth_id is not None:
        connection_id = state.reauth_links.get(reauth_id)
        if connection_id is None:
            problems.append("this re-authentication link was already used or is unknown")
        elif state.connections[connection_id].revoked:
            problems.append("the connection of this re-authentication link was revoked")
    return problems, chosen


def dialog(state: SandboxState, req: Request) -> Response:
    """``GET /``: validate the link (R1) and show the consent dialog."""
    q = req.query
    with state.lock:
        problems, chosen = _validate(state, q)
        if problems or chosen is None:
            return _problem_page("This authorisation link is not valid", problems, q)
        reauth_connection = None
        if "reauth_id" in q:
            # R9: an extend's user_input_link is one attempt too.
            reauth_connection = state.reauth_links.pop(q["reauth_id"])
        attempt_id = state.new_id("att-")
        scopes = tuple(dict.fromkeys(q["scope"].split()))
        state.attempts[attempt_id] = Attempt(
            client_id=q["client_id"],
            redirect_uri=q["redirect_uri"],
            scopes=scopes,
            provider_id=chosen,
            response_mode=q.get("response_mode", "query"),
            state=q.get("state"),
            code_challenge=q.get("code_challenge"),
            reauth_connection=reauth_connection,
        )
    return html_page(200, dialog_page(q["client_id"], provider(chosen), scopes, attempt_id))


def _with_query(uri: str, params: dict[str, str]) -> str:
    parts = urlsplit(uri)
    query = "&".join(p for p in (parts.query, urlencode(params)) if p)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def decision(state: SandboxState, req: Request) -> Response:
    """``POST /dialog/decision``: Allow issues a code (R3), Deny an ``access_denied`` (R2)."""
    form = req.form()
    choice = form.get("decision")
    with state.lock:
        attempt = state.attempts.get(form.get("attempt_id", ""))
        if attempt is None:
            return _problem_page("Unknown consent attempt", ["start again from a new link"], {})
        if attempt.used:
            return _problem_page(
                "This consent attempt was already used",
                ["one link, one attempt: start again from a new link"],
                {},
            )
        if choice not in ("allow", "deny"):
            return _problem_page("No decision", ["choose Allow or Deny"], {})
        attempt.used = True
        params: dict[str, str]
        if choice == "allow":
            code = state.new_id("")
            state.codes[code] = CodeGrant(
                client_id=attempt.client_id,
                redirect_uri=attempt.redirect_uri,
                scopes=attempt.scopes,
                provider_id=attempt.provider_id,
                code_challenge=attempt.code_challenge,
                issued_at=state.clock.now(),
                reauth_connection=attempt.reauth_connection,
            )
            params = {"code": code, "scope": " ".join(attempt.scopes)}
        else:
            params = {"error": "access_denied", "error_description": "the user declined"}
        if attempt.state is not None:
            params["state"] = attempt.state
    if attempt.response_mode == "form_post":
        return html_page(200, form_post_page(attempt.redirect_uri, params))
    return redirect(_with_query(attempt.redirect_uri, params))


def default_redirect(state: SandboxState, req: Request) -> Response:
    """``GET|POST /redirect``: the default redirect page, showing the code (R2)."""
    params = req.form() if req.method == "POST" else req.query
    return html_page(200, redirect_page(params))
