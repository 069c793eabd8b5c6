"""The callback (R2): parsed, state-checked (R14), hostile input refused without echo."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from test_client_support import SCOPES, consent

import lifecycle
from adapters.sandbox import Sandbox
from adapters.truelayer import (
    CallbackCode,
    CallbackError,
    Endpoints,
    MalformedCallback,
    StateMismatch,
    build_auth_link,
    parse_callback,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
STATE = lifecycle.Secret("state-0123456789abcdef")
CODE = "code-fedcba9876543210"


def _record() -> lifecycle.Connection:
    record = lifecycle.start(lifecycle.ConnectionStarted(NOW, region="uk", scopes=SCOPES))
    issued = lifecycle.LinkIssued(NOW, state=STATE, code_verifier=lifecycle.Secret("v" * 43))
    return lifecycle.apply(record, issued).record


def test_a_code_callback_becomes_user_authorised_and_the_core_accepts_it() -> None:
    callback = parse_callback(f"code={CODE}&state={STATE.reveal()}&scope=info+accounts", STATE)

    assert callback == CallbackCode(lifecycle.Secret(CODE), STATE, ("info", "accounts"))
    event = callback.to_event(NOW)
    assert event == lifecycle.UserAuthorised(NOW, code=lifecycle.Secret(CODE), state=STATE)
    decision = lifecycle.apply(_record(), event)
    assert decision.accepted
    assert decision.record.status is lifecycle.Status.AUTHORIZED


def test_an_error_callback_becomes_user_denied_and_the_core_accepts_it() -> None:
    query = f"error=access_denied&error_description=the+user+declined&state={STATE.reveal()}"

    callback = parse_callback(query, STATE)

    assert callback == CallbackError("access_denied", "the user declined", STATE)
    decision = lifecycle.apply(_record(), callback.to_event(NOW))
    assert decision.accepted
    assert decision.record.status is lifecycle.Status.AUTHORIZATION_REQUIRED
    assert decision.record.last_error == "access_denied"


@pytest.mark.parametrize(
    "given",
    [
        f"?code={CODE}&state={STATE.reveal()}",
        f"http://127.0.0.1/callback?code={CODE}&state={STATE.reveal()}",
        f"https://app.example/cb?state={STATE.reveal()}&code={CODE}&tracking_id=t",
        f"code={CODE}&state={STATE.reveal()}&unknown_extra=whatever",
    ],
)
def test_a_query_a_whole_redirect_url_or_a_form_body_are_all_accepted(given: str) -> None:
    callback = parse_callback(given, STATE)

    assert isinstance(callback, CallbackCode)
    assert callback.code.reveal() == CODE


def test_a_different_state_is_refused_as_a_state_mismatch() -> None:
    with pytest.raises(StateMismatch) as caught:
        parse_callback(f"code={CODE}&state=forged-state", STATE)

    assert "forged-state" not in str(caught.value)
    assert CODE not in str(caught.value)
    assert STATE.reveal() not in str(caught.value)


_LONG = "x" * 3000


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        (f"code={CODE}", "no 'state'"),
        (f"code={CODE}&state=", "no 'state'"),
        (f"state={STATE.reveal()}", "neither 'code' nor 'error'"),
        (f"code=&state={STATE.reveal()}", "neither 'code' nor 'error'"),
        (f"code={CODE}&code={CODE}x&state={STATE.reveal()}", "repeats the parameter 'code'"),
        (f"code={CODE}&state={STATE.reveal()}&state={STATE.reveal()}", "repeats"),
        (f"code={CODE}&error=access_denied&state={STATE.reveal()}", "both 'code' and 'error'"),
        (f"code={_LONG}&state={STATE.reveal()}", "'code' is too long"),
        (f"code={CODE}&state={STATE.reveal()}&pad={'y' * 9000}", "longer than 8192"),
        (f"code={CODE}%00&state={STATE.reveal()}", "control characters"),
        (f"code={CODE}%0D%0ASet-Cookie:x&state={STATE.reveal()}", "control characters"),
        (f"error=access%22denied&state={STATE.reveal()}", "not an OAuth error code"),
        (f"code={CODE}&&state={STATE.reveal()}", "not a well-formed query"),
        (f"code{CODE}&state={STATE.reveal()}", "not a well-formed query"),
        ("&".join(f"p{i}=1" for i in range(40)), "not a well-formed query"),
    ],
)
def test_malformed_and_hostile_callbacks_raise_a_clear_error_that_echoes_no_value(
    query: str, problem: str
) -> None:
    with pytest.raises(MalformedCallback, match=problem) as caught:
        parse_callback(query, STATE)

    shown = str(caught.value) + repr(caught.value)
    assert CODE not in shown
    assert STATE.reveal() not in shown
    assert "xxxx" not in shown
    assert not isinstance(caught.value, StateMismatch)


def test_a_callback_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(MalformedCallback, match="str"):
        parse_callback(b"code=x&state=y", STATE)  # type: ignore[arg-type]


def test_the_sandbox_callback_after_deny_is_a_callback_error(sandbox: Sandbox) -> None:
    link = build_auth_link(
        Endpoints.local(sandbox.base_url),
        client_id="sandbox-client",
        redirect_uri=f"{sandbox.base_url}/redirect",
        scopes=("info",),
        providers=("uk-cs-mock",),
    )

    callback = parse_callback(consent(link, allow=False), link.state)

    assert isinstance(callback, CallbackError)
    assert callback.error == "access_denied"
    assert callback.to_event(NOW) == lifecycle.UserDenied(
        NOW, error="access_denied", state=link.state
    )


def test_a_callback_meant_for_another_attempt_is_a_state_mismatch(sandbox: Sandbox) -> None:
    endpoints = Endpoints.local(sandbox.base_url)
    first, second = (
        build_auth_link(
            endpoints,
            client_id="sandbox-client",
            redirect_uri=f"{sandbox.base_url}/redirect",
            scopes=("info",),
            providers=("uk-cs-mock",),
        )
        for _ in range(2)
    )

    with pytest.raises(StateMismatch):
        parse_callback(consent(first), second.state)
