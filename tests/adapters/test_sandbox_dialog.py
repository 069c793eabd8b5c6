"""The sandbox's auth dialog (R1), decision and callback (R2), over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from adapters.sandbox import ConsentError, Sandbox, SandboxConfig

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def _params(sb: Sandbox, **overrides: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": "sandbox-client",
        "redirect_uri": f"{sb.base_url}/redirect",
        "scope": "info accounts offline_access",
        "providers": "uk-cs-mock",
        **overrides,
    }
    return {k: v for k, v in params.items() if v is not None}


def _open(http: httpx.Client, sb: Sandbox, **overrides: str | None) -> httpx.Response:
    return http.get(f"{sb.base_url}/", params=_params(sb, **overrides))


def _decide(http: httpx.Client, sb: Sandbox, page: httpx.Response, decision: str) -> httpx.Response:
    hidden = dict(_HIDDEN.findall(page.text))
    return http.post(
        f"{sb.base_url}/dialog/decision",
        data={"attempt_id": hidden["attempt_id"], "decision": decision},
    )


def test_valid_link_shows_the_provider_the_scopes_and_both_buttons(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    page = _open(http, sandbox, scope="accounts balance", provider_id="uk-cs-mock")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Mock UK Bank" in page.text
    assert "<strong>accounts</strong>" in page.text
    assert "<strong>balance</strong>" in page.text
    assert 'id="allow"' in page.text
    assert 'id="deny"' in page.text
    assert 'action="/dialog/decision"' in page.text


def test_dialog_form_carries_an_attempt_id_and_not_the_link_parameters(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    page = _open(http, sandbox, state="state-value-123")

    assert set(dict(_HIDDEN.findall(page.text))) == {"attempt_id"}
    assert "state-value-123" not in page.text


def test_allow_redirects_to_the_redirect_uri_with_code_and_state(
    http: httpx.Client,
    start_sandbox: Callable[[SandboxConfig], Sandbox],
) -> None:
    sb = start_sandbox(SandboxConfig(redirect_uris=("http://127.0.0.1/callback?app=demo",)))
    page = _open(http, sb, state="s-1", redirect_uri="http://127.0.0.1/callback?app=demo")

    answer = _decide(http, sb, page, "allow")

    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("http", "127.0.0.1", "/callback")
    query = parse_qs(location.query)
    assert query["state"] == ["s-1"]
    assert query["app"] == ["demo"]
    assert len(query["code"][0]) >= 20


def test_deny_redirects_with_access_denied_and_state(http: httpx.Client, sandbox: Sandbox) -> None:
    page = _open(http, sandbox, state="s-2")

    answer = _decide(http, sandbox, page, "deny")

    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["s-2"]
    assert "code" not in query


def test_form_post_mode_answers_a_self_submitting_form_with_code_and_state(
    http: httpx.Client,
    sandbox: Sandbox,
) -> None:
    page = _open(http, sandbox, state="s-3", response_mode="form_post")

    answer = _decide(http, sandbox, page, "allow")

    assert answer.status_code == 200
    assert f'method="post" action="{sandbox.base_url}/redirect"' in answer.text
    assert ".submit()" in answer.text
    fields = dict(_HIDDEN.findall(answer.text))
    assert fields["state"] == "s-3"
    assert fields["code"]


def test_a_dialog_attempt_cannot_be_decided_twice(http: httpx.Client, sandbox: Sandbox) -> None:
    page = _open(http, sandbox)
    assert _decide(http, sandbox, page, "allow").status_code == 302

    again = _decide(http, sandbox, page, "allow")

    assert again.status_code == 400
    assert "already used" in again.text


def test_an_unknown_attempt_id_is_refused(http: httpx.Client, sandbox: Sandbox) -> None:
    answer = http.post(
        f"{sandbox.base_url}/dialog/decision",
        data={"attempt_id": "att-made-up", "decision": "allow"},
    )

    assert answer.status_code == 400


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"response_type": "token"}, "response_type must be"),
        ({"client_id": "someone-else"}, "unknown client_id"),
        ({"redirect_uri": "https://evil.example/cb"}, "is not registered"),
        ({"scope": ""}, "scope is missing"),
        ({"scope": "accounts telepathy"}, "unknown scopes: telepathy"),
        ({"providers": None}, "providers is missing"),
        ({"providers": "xx-nowhere"}, "unknown providers: xx-nowhere"),
        ({"provider_id": "ob-sandbox-bank"}, "is not covered by providers"),
        ({"response_mode": "fragment"}, "response_mode must be"),
        ({"code_challenge": "a" * 43, "code_challenge_method": "plain"}, "must be &#x27;S256"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "43 base64url"),
        ({"reauth_id": "reauth-made-up"}, "re-authentication link"),
    ],
)
def test_a_malformed_link_is_refused_with_400_saying_what_is_wrong(
    http: httpx.Client, sandbox: Sandbox, overrides: dict[str, str | None], complaint: str
) -> None:
    page = _open(http, sandbox, **overrides)

    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert complaint in page.text
    assert 'id="allow"' not in page.text


def test_a_script_in_state_is_escaped_on_the_error_page(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    page = _open(http, sandbox, client_id="<b>who</b>", state="<script>alert(1)</script>")

    assert page.status_code == 400
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<b>who</b>" not in page.text


def test_a_quote_breaking_state_is_escaped_in_the_form_post_page(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    page = _open(http, sandbox, state='"><script>x()</script>', response_mode="form_post")

    answer = _decide(http, sandbox, page, "allow")

    assert "<script>x()</script>" not in answer.text
    assert "&quot;&gt;&lt;script&gt;" in answer.text


def test_a_provider_covered_by_a_group_is_accepted(http: httpx.Client, sandbox: Sandbox) -> None:
    page = _open(
        http, sandbox, providers="uk-ob-all uk-oauth-all", provider_id="oauth-sandbox-bank"
    )

    assert page.status_code == 200
    assert "OAuth Sandbox Bank" in page.text


def test_a_loopback_redirect_uri_registered_without_a_port_matches_any_port(
    http: httpx.Client,
    start_sandbox: Callable[[SandboxConfig], Sandbox],
) -> None:
    sb = start_sandbox(SandboxConfig(redirect_uris=("http://127.0.0.1/callback",)))

    assert _open(http, sb, redirect_uri="http://127.0.0.1:53127/callback").status_code == 200
    assert _open(http, sb, redirect_uri="http://127.0.0.1:53127/other").status_code == 400
    assert _open(http, sb, redirect_uri="http://192.0.2.1:53127/callback").status_code == 400


def test_the_default_redirect_page_shows_the_code(http: httpx.Client, sandbox: Sandbox) -> None:
    page = http.get(f"{sandbox.base_url}/redirect", params={"code": "abc<def", "state": "s"})

    assert page.status_code == 200
    assert '<code id="code">abc&lt;def</code>' in page.text
    assert '<code id="state">s</code>' in page.text


def test_the_default_redirect_page_takes_a_form_post_too(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    page = http.post(f"{sandbox.base_url}/redirect", data={"error": "access_denied"})

    assert page.status_code == 200
    assert '<code id="error">access_denied</code>' in page.text


def test_the_scripted_user_brings_back_the_callback_parameters(sandbox: Sandbox) -> None:
    allowed = sandbox.consent(sandbox.auth_link(state="st"))
    denied = sandbox.consent(sandbox.auth_link(state="st2"), allow=False)
    posted = sandbox.consent(sandbox.auth_link(state="st3", response_mode="form_post"))

    assert allowed["state"] == "st"
    assert allowed["code"]
    assert denied == {
        "error": "access_denied",
        "error_description": "the user declined",
        "state": "st2",
    }
    assert posted["state"] == "st3"
    assert posted["code"]


def test_the_scripted_user_reports_why_a_link_was_refused(sandbox: Sandbox) -> None:
    with pytest.raises(ConsentError, match="unknown scopes: telepathy") as refused:
        sandbox.consent(sandbox.auth_link(scopes=("telepathy",)))

    assert refused.value.status == 400
