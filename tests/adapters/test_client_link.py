"""The auth link (R1, R14) and the endpoints: pure checks, then the sandbox's dialog."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from test_client_support import REDIRECT_URI, SCOPES, consent

import lifecycle
from adapters.sandbox import Sandbox
from adapters.truelayer import (
    AuthenticationNeeded,
    AuthLinkError,
    CallbackCode,
    Endpoints,
    build_auth_link,
    parse_callback,
    pkce_challenge,
    provider_covered,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LOCAL = Endpoints.local("http://127.0.0.1:8080/")


def _link_params(url: str) -> dict[str, str]:
    query = parse_qs(urlsplit(url).query, strict_parsing=True)
    assert all(len(values) == 1 for values in query.values())
    return {name: values[0] for name, values in query.items()}


def _build(**overrides: Any) -> Any:
    settings: dict[str, Any] = {
        "client_id": "sandbox-client",
        "redirect_uri": REDIRECT_URI,
        "scopes": SCOPES,
        "providers": ("uk-ob-all", "uk-cs-mock"),
        **overrides,
    }
    return build_auth_link(LOCAL, **settings)


def test_a_link_carries_every_r1_parameter_and_the_s256_challenge_of_its_verifier() -> None:
    link = _build(
        provider_id="uk-cs-mock", response_mode="form_post", tracking_id="t-1", nonce="n-1"
    )

    params = _link_params(link.url)
    assert link.url.startswith("http://127.0.0.1:8080/?")
    assert params == {
        "response_type": "code",
        "client_id": "sandbox-client",
        "redirect_uri": REDIRECT_URI,
        "scope": " ".join(SCOPES),
        "providers": "uk-ob-all uk-cs-mock",
        "provider_id": "uk-cs-mock",
        "response_mode": "form_post",
        "tracking_id": "t-1",
        "nonce": "n-1",
        "state": link.state.reveal(),
        "code_challenge": params["code_challenge"],
        "code_challenge_method": "S256",
    }
    digest = hashlib.sha256(link.code_verifier.reveal().encode()).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert params["code_challenge"] == expected == pkce_challenge(link.code_verifier)
    assert 43 <= len(link.code_verifier.reveal()) <= 128  # RFC 7636 §4.1


def test_a_query_mode_link_leaves_response_mode_out() -> None:
    params = _link_params(_build().url)

    assert "response_mode" not in params
    assert "provider_id" not in params


def test_every_link_draws_a_fresh_state_and_verifier() -> None:
    links = [_build() for _ in range(20)]

    assert len({link.state.reveal() for link in links}) == 20
    assert len({link.code_verifier.reveal() for link in links}) == 20
    states = {link.state.reveal() for link in links}
    assert states.isdisjoint(link.code_verifier.reveal() for link in links)


def test_link_issued_gives_the_core_the_state_and_verifier() -> None:
    link = _build()
    record = lifecycle.start(lifecycle.ConnectionStarted(NOW, region="uk", scopes=SCOPES))

    decision = lifecycle.apply(record, link.link_issued(NOW))

    assert decision.accepted
    assert decision.record.link is not None
    assert decision.record.link.state == link.state
    assert decision.record.link.code_verifier == link.code_verifier


def test_a_link_shows_no_secret_in_its_repr() -> None:
    link = _build()

    shown = repr(link) + str(link)
    assert link.state.reveal() not in shown
    assert link.code_verifier.reveal() not in shown
    assert "url" not in shown


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"scopes": ("accounts", "wallet")}, "unknown scopes ['wallet']"),
        ({"scopes": ()}, "at least one scope"),
        ({"scopes": "info accounts"}, "not one string"),
        ({"providers": ()}, "at least one provider"),
        ({"providers": "uk-ob-all"}, "not one string"),
        ({"providers": ("UK OB ALL",)}, "lower-case ids"),
        ({"provider_id": "uk-oauth-monzo"}, "not covered by providers"),
        ({"redirect_uri": "ftp://127.0.0.1/callback"}, "absolute http"),
        ({"redirect_uri": "/callback"}, "absolute http"),
        ({"redirect_uri": "javascript:alert(1)"}, "absolute http"),
        ({"redirect_uri": "https://app.example/cb#frag"}, "fragment"),
        ({"response_mode": "fragment"}, "response_mode"),
        ({"client_id": ""}, "client_id"),
        ({"tracking_id": "a\nb"}, "control characters"),
        ({"nonce": "x" * 513}, "at most 512"),
    ],
)
def test_invalid_link_inputs_raise_a_typed_error_naming_the_input(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(AuthLinkError, match=message.replace("[", r"\[").replace("]", r"\]")):
        _build(**overrides)


@pytest.mark.parametrize(
    ("provider_id", "providers", "covered"),
    [
        ("uk-cs-mock", ("uk-cs-mock",), True),
        ("uk-cs-mock", ("uk-ob-all", "uk-cs-mock"), True),
        ("uk-ob-barclays", ("uk-ob-all",), True),
        ("ob-barclays", ("uk-ob-all",), True),
        ("oauth-monzo", ("uk-oauth-all",), True),
        ("uk-cs-mock", ("uk-ob-all",), False),
        ("oauth-monzo", ("uk-ob-all",), False),
        ("uk-ob-barclays", ("uk-ob-lloyds",), False),
        ("uk-obx-bank", ("uk-ob-all",), False),
    ],
)
def test_a_provider_id_is_covered_by_its_name_or_its_group(
    provider_id: str, providers: tuple[str, ...], covered: bool
) -> None:
    assert provider_covered(provider_id, providers) is covered


def test_endpoints_have_live_truelayer_sandbox_and_local_constructors() -> None:
    assert Endpoints.live() == Endpoints("https://auth.truelayer.com", "https://api.truelayer.com")
    assert Endpoints.sandbox() == Endpoints(
        "https://auth.truelayer-sandbox.com", "https://api.truelayer-sandbox.com"
    )
    local = Endpoints.local("http://127.0.0.1:9000/")
    assert local.auth_url == local.api_url == "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    "base_url", ["127.0.0.1:9000", "ftp://host", "http://", "http://h/?q=1", "http://u:p@h"]
)
def test_endpoints_refuse_what_is_not_a_plain_http_base_url(base_url: str) -> None:
    with pytest.raises(ValueError, match="base URL"):
        Endpoints.local(base_url)


@pytest.mark.parametrize("mode", ["query", "form_post"])
def test_the_sandbox_dialog_accepts_the_link_and_sends_its_state_back(
    sandbox: Sandbox, mode: Any
) -> None:
    link = build_auth_link(
        Endpoints.local(sandbox.base_url),
        client_id="sandbox-client",
        redirect_uri=REDIRECT_URI,
        scopes=("info", "accounts"),
        providers=("uk-ob-all", "uk-cs-mock"),
        provider_id="uk-cs-mock",
        response_mode=mode,
        tracking_id="track-1",
        nonce="nonce-1",
    )

    callback = parse_callback(consent(link), link.state)

    assert isinstance(callback, CallbackCode)
    assert callback.state == link.state
    assert callback.scope == ("info", "accounts")


def test_a_reauthentication_link_gets_our_own_state_and_challenge() -> None:
    given = (
        "https://auth.truelayer.com/?response_type=code&client_id=c&reauth_id=r-1"
        "&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=theirs&code_challenge=old"
    )

    link = AuthenticationNeeded(given).auth_link()

    params = _link_params(link.url)
    assert link.url.startswith("https://auth.truelayer.com/?")
    assert params["reauth_id"] == "r-1"
    assert params["state"] == link.state.reveal() != "theirs"
    assert params["code_challenge"] == pkce_challenge(link.code_verifier)
    assert params["code_challenge_method"] == "S256"
    assert link.redirect_uri == "https://app.example/cb"


@pytest.mark.parametrize(
    "given", ["javascript:alert(1)", "https://auth.truelayer.com/?client_id=c", ""]
)
def test_an_unusable_reauthentication_link_is_refused(given: str) -> None:
    with pytest.raises(AuthLinkError):
        AuthenticationNeeded(given).auth_link()
