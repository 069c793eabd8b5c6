"""Hostile answers and callbacks: only the documented typed errors, never a stray one."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_client_support import USER, connect, open_client

import lifecycle
from adapters.sandbox import Fault, Sandbox
from adapters.truelayer import (
    Answer,
    AuthenticationNeeded,
    AuthLinkError,
    Endpoints,
    ExtendUser,
    MalformedCallback,
    MalformedResponse,
    ProviderTooManyRequests,
    Requests,
    TrueLayerError,
    parse_callback,
)

_JSON = {"content-type": "application/json"}
_REQUESTS = Requests(
    client_id="c",
    client_secret=lifecycle.Secret("s"),
    endpoints=Endpoints.sandbox(),
    redirect_uri="https://app.example/cb",
)
_TOKEN = lifecycle.Secret("refresh-token")


def _refresh_answer(status: int, body: bytes, **headers: str) -> Answer:
    return Answer(status, {**_JSON, **headers}, body)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("²", None), ("٣", None), ("9" * 5_000, 3600.0), ("7", 7.0), ("-1", None), ("1e3", None)],
    ids=["superscript-two", "arabic-three", "5000-digits", "seven", "negative", "exponent"],
)
def test_a_hostile_retry_after_is_read_as_a_number_or_ignored(
    value: str, seconds: float | None
) -> None:
    answer = _refresh_answer(
        429, b'{"error": "provider_too_many_requests"}', **{"retry-after": value}
    )

    with pytest.raises(ProviderTooManyRequests) as raised:
        _REQUESTS.refresh(_TOKEN).parse(answer)

    assert raised.value.retry_after == seconds


_TOKENS = {
    "not ASCII": "t\u00e9",
    "CR/LF": "a\r\nb",
    "NUL": "a\x00b",
    "a lone surrogate": "a\ud800",
    "a space": "a b",
}


@pytest.mark.parametrize("field", ["access_token", "refresh_token"])
@pytest.mark.parametrize("token", _TOKENS.values(), ids=_TOKENS.keys())
def test_a_token_that_is_not_visible_ascii_is_a_malformed_answer(
    sandbox: Sandbox, field: str, token: str
) -> None:
    body = {"access_token": "a.b.c", "expires_in": 3600, "token_type": "Bearer", field: token}
    with open_client("sync", sandbox) as client:
        grant = connect(client)
        assert grant.refresh_token is not None
        sandbox.inject("/connect/token", Fault(body=json.dumps(body)))

        with pytest.raises(MalformedResponse, match="visible ASCII"):
            client.refresh(grant.refresh_token)


def _link(host: str, redirect_uri: str = "https://app.example/cb") -> str:
    return f"{host}/?client_id=c&redirect_uri={quote(redirect_uri, safe='')}&reauth_id=r"


@pytest.mark.parametrize(
    "link",
    [
        "http://[::1",
        "https://auth.truelayer.com:99999/?redirect_uri=https%3A%2F%2Fapp.example%2Fcb",
        _link("https://evil.example"),
        _link("https://auth.truelayer.com.evil.example"),
        _link("https://evil.example\\@auth.truelayer.com"),
        _link("https://user@auth.truelayer.com"),
        _link("http://auth.truelayer.com"),
        _link("https://auth.truelayer.com", "http://[::1"),
        _link("https://auth.truelayer.com", "javascript:alert(1)"),
        "https://auth.truelayer.com/?client_id=c",
        _link("https://auth.truelayer.com") + "\u00e9",
    ],
    ids=[
        "broken-ipv6",
        "port-out-of-range",
        "foreign-host",
        "lookalike-host",
        "backslash-userinfo",
        "userinfo",
        "plain-http",
        "malformed-redirect",
        "javascript-redirect",
        "no-redirect",
        "not-ascii",
    ],
)
def test_an_extend_answer_with_an_unusable_or_foreign_user_input_link_is_malformed(
    link: str,
) -> None:
    body = json.dumps({"action_needed": "authentication_needed", "user_input_link": link})

    with pytest.raises(MalformedResponse, match="user_input_link"):
        _REQUESTS.extend(_TOKEN, USER).parse(Answer(200, _JSON, body.encode()))


def test_a_user_input_link_on_truelayer_s_or_the_configured_host_is_accepted(
    sandbox: Sandbox,
) -> None:
    body = json.dumps({"action_needed": "authentication_needed", "user_input_link": _link("x")})
    for host in ("https://auth.truelayer.com", "https://auth.truelayer-sandbox.com"):
        answer = Answer(200, _JSON, body.replace("x/", f"{host}/").encode())
        found = _REQUESTS.extend(_TOKEN, USER).parse(answer)
        assert isinstance(found, AuthenticationNeeded)
    local = Requests(
        client_id="c",
        client_secret=lifecycle.Secret("s"),
        endpoints=Endpoints.local(sandbox.base_url),
        redirect_uri="https://app.example/cb",
    )
    answer = Answer(200, _JSON, body.replace("x/", f"{sandbox.base_url}/").encode())
    assert isinstance(local.extend(_TOKEN, USER).parse(answer), AuthenticationNeeded)
    with pytest.raises(MalformedResponse, match="TrueLayer's auth host"):
        local.extend(_TOKEN, USER).parse(
            Answer(200, _JSON, body.replace("x/", "http://127.0.0.1:1/").encode())
        )


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://[::1", "https://app.example:99999/cb", "https://evil.example\\@app.example/cb"],
    ids=["broken-ipv6", "port-out-of-range", "backslash-userinfo"],
)
def test_a_link_with_a_malformed_redirect_uri_is_an_auth_link_error(redirect_uri: str) -> None:
    with pytest.raises(AuthLinkError, match="redirect_uri"):
        AuthenticationNeeded(_link("https://auth.truelayer.com", redirect_uri)).auth_link()


def test_the_sandbox_s_own_user_input_link_is_still_accepted(sandbox: Sandbox) -> None:
    sandbox.configure(extend_answer="authentication_needed")  # type: ignore[arg-type]
    with open_client("sync", sandbox) as client:
        grant = connect(client)
        assert grant.refresh_token is not None

        found = client.extend(grant.refresh_token, user=ExtendUser("u", "Ada", "a@example.com"))

    assert isinstance(found, AuthenticationNeeded)
    assert found.auth_link().url.startswith(f"{sandbox.base_url}/?")


# -- the fuzz: any answer, and the parsers raise only TrueLayerError ----------------------

_TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from(["\ud800", "\x00", "\r", "²"]))
_SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats()
    | _TEXT
    | st.sampled_from(["a.b.c", "Bearer", "http://[::1", _link("https://auth.truelayer.com")])
    | st.sampled_from(["²", "9" * 5000])
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=10,
)
# Each field either well-formed (so that parsing gets past it) or anything at all.
_GOOD: dict[str, list[Any]] = {
    "access_token": ["a.b.c"],
    "refresh_token": ["r-1"],
    "expires_in": [3600, 0],
    "token_type": ["Bearer"],
    "scope": ["info accounts"],
    "action_needed": ["authentication_needed", "no_action_needed"],
    "user_input_link": [_link("https://auth.truelayer.com"), "http://[::1"],
    "results": [[], [{"client_id": "c", "credentials_id": "x"}]],
    "error": ["invalid_grant", "provider_too_many_requests"],
    "error_description": ["why"],
}
_PAYLOAD = st.fixed_dictionaries(
    {}, optional={name: st.sampled_from(good) | _VALUE for name, good in _GOOD.items()}
).map(lambda payload: json.dumps(payload).encode()) | st.binary(max_size=100)
_OPERATIONS: dict[str, Any] = {
    "exchange": _REQUESTS.exchange(lifecycle.Secret("code"), lifecycle.Secret("v")),
    "refresh": _REQUESTS.refresh(_TOKEN),
    "extend": _REQUESTS.extend(_TOKEN, USER),
    "me": _REQUESTS.me(_TOKEN, None),
    "accounts": _REQUESTS.accounts(_TOKEN, None),
    "delete": _REQUESTS.delete(_TOKEN),
}


@given(
    operation=st.sampled_from(sorted(_OPERATIONS)),
    status=st.sampled_from([200, 201, 204, 400, 401, 403, 404, 429, 500, 503]),
    content_type=st.sampled_from(["application/json", "text/html", "", "application/json; x"]),
    retry_after=st.none() | _SCALAR.map(str),
    body=_PAYLOAD,
)
def test_any_answer_parses_to_a_result_or_a_true_layer_error(
    operation: str, status: int, content_type: str, retry_after: str | None, body: bytes
) -> None:
    headers = {"content-type": content_type}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    try:
        result = _OPERATIONS[operation].parse(Answer(status, headers, body))
    except TrueLayerError as error:
        repr(error), str(error)  # both must work, whatever the answer held
        return
    repr(result)
    access = getattr(result, "access_token", None)
    if access is not None:
        # What is accepted can be sent: visible ASCII only.
        access.reveal().encode("ascii")


@given(
    text=st.one_of(
        _TEXT,
        st.dictionaries(
            st.sampled_from(["code", "state", "error", "scope", "error_description", "x"]),
            _TEXT | st.just("expected-state"),
            max_size=5,
        ).map(lambda fields: "&".join(f"{k}={v}" for k, v in fields.items())),
    ),
    prefix=st.sampled_from(["", "?", "https://app.example/cb?", "http://[::1/?"]),
)
def test_any_callback_parses_or_raises_malformed_callback(text: str, prefix: str) -> None:
    try:
        callback = parse_callback(prefix + text, lifecycle.Secret("expected-state"))
    except MalformedCallback as error:
        str(error)
        return
    assert callback.state.reveal() == "expected-state"
