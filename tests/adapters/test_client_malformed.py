"""Answers that are not what TrueLayer sends raise MalformedResponse; the core gets nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_client_support import KINDS, SCOPES, USER, Kind, authorise, connect, must, open_client

import lifecycle
from adapters.sandbox import Fault, Sandbox
from adapters.truelayer import MalformedResponse, ProviderError, TrueLayerError

_GOOD = {"access_token": "a.b.c", "expires_in": 3600, "token_type": "Bearer"}


def _token_body(**changes: Any) -> str:
    body = {**_GOOD, **changes}
    return json.dumps({k: v for k, v in body.items() if v is not _MISSING})


_MISSING: Any = object()
_DEEP = "[" * 50_000 + "]" * 50_000
_HTML = "<!doctype html><html><body><h1>Service</h1></body></html>"

TOKEN_ANSWERS = {
    "an HTML page": Fault(body=_HTML, status=200, content_type="text/html"),
    "not JSON": Fault(body="access_token=a.b.c&expires_in=3600"),
    "a JSON array": Fault(body="[]"),
    "no access_token": Fault(body=_token_body(access_token=_MISSING)),
    "an empty access_token": Fault(body=_token_body(access_token="")),
    "a negative expires_in": Fault(body=_token_body(expires_in=-1)),
    "a textual expires_in": Fault(body=_token_body(expires_in="3600")),
    "a fractional expires_in": Fault(body=_token_body(expires_in=1.5)),
    "a boolean expires_in": Fault(body=_token_body(expires_in=True)),
    "no expires_in": Fault(body=_token_body(expires_in=_MISSING)),
    "an absurd expires_in": Fault(body=_token_body(expires_in=10**20)),
    "an expires_in one second past the core's bound": Fault(
        body=_token_body(expires_in=int(lifecycle.LONGEST.total_seconds()) + 1)
    ),
    "a number of 5,000 digits": Fault(body=_token_body(expires_in=0).replace("0", "9" * 5_000)),
    "JSON nested 50,000 deep": Fault(body='{"access_token": "a.b.c", "x": ' + _DEEP + "}"),
    "an empty refresh_token": Fault(body=_token_body(refresh_token="")),
    "a token_type other than Bearer": Fault(body=_token_body(token_type="mac")),
    "a scope that is not a string": Fault(body=_token_body(scope=["info"])),
    "a 404 HTML page": Fault(body=_HTML, status=404, content_type="text/html"),
    "a 400 without error JSON": Fault(body='{"message": "bad"}', status=400),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fault", TOKEN_ANSWERS.values(), ids=TOKEN_ANSWERS.keys())
def test_a_malformed_exchange_answer_feeds_nothing_to_the_core(
    fault: Fault, kind: Kind, sandbox: Sandbox
) -> None:
    now = sandbox.clock.now()
    record = lifecycle.start(lifecycle.ConnectionStarted(now, region="uk", scopes=SCOPES))
    with open_client(kind, sandbox) as client:
        link, callback = authorise(client)
        record = must(record, link.link_issued(now)).record
        record = must(record, callback.to_event(now)).record
        record = must(record, lifecycle.ExchangeCode(now)).record
        sandbox.inject("/connect/token", fault)

        with pytest.raises(MalformedResponse) as caught:
            client.exchange_code(callback.code, code_verifier=link.code_verifier)

    error = caught.value
    assert not error.retryable
    assert sandbox.calls("/connect/token") == 1
    # Nothing from the answer is used; the code may have been spent, so the exchange's
    # outcome is unknown (R15) and no token enters the record.
    event = error.core_event(now)
    assert isinstance(event, lifecycle.OutcomeUnknown)
    record = must(record, event).record
    assert lifecycle.status_at(record, now) == (lifecycle.Status.AUTHORIZED, None)
    assert record.grant.access_token is None
    assert record.request is not None and record.request.outcome_unknown
    assert "a.b.c" not in str(error) + repr(error)


def test_a_5xx_html_page_is_a_provider_error_not_a_malformed_answer(sandbox: Sandbox) -> None:
    with open_client("sync", sandbox) as client:
        grant = connect(client)
        sandbox.inject(
            "/data/v1/accounts", Fault(body=_HTML, status=502, content_type="text/html", count=3)
        )

        with pytest.raises(ProviderError) as caught:
            client.accounts(grant.access_token)

    assert caught.value.retryable
    assert caught.value.error is None
    assert sandbox.calls("/data/v1/accounts") == 3


DATA_ANSWERS = {
    "results not a list": ("/data/v1/accounts", '{"results": {}}'),
    "results not objects": ("/data/v1/accounts", '{"results": [1, 2]}'),
    "no results": ("/data/v1/accounts", '{"status": "Succeeded"}'),
    "me without credentials_id": ("/data/v1/me", '{"results": [{"client_id": "c"}]}'),
    "me with a bad expiry": (
        "/data/v1/me",
        '{"results": [{"client_id": "c", "credentials_id": "x", '
        '"consent_expires_at": "next week"}]}',
    ),
    "me with a naive expiry": (
        "/data/v1/me",
        '{"results": [{"client_id": "c", "credentials_id": "x", '
        '"consent_expires_at": "2026-04-01T00:00:00"}]}',
    ),
    "me with scopes not strings": (
        "/data/v1/me",
        '{"results": [{"client_id": "c", "credentials_id": "x", "scopes": [1]}]}',
    ),
    "extend with an unknown action": ("/data/v1/connections/extend", '{"action_needed": "maybe"}'),
    "extend without a refresh_token": (
        "/data/v1/connections/extend",
        json.dumps({"action_needed": "no_action_needed", **_GOOD}),
    ),
    "extend with a non-http link": (
        "/data/v1/connections/extend",
        '{"action_needed": "authentication_needed", "user_input_link": "javascript:x"}',
    ),
}


@pytest.mark.parametrize(("path", "body"), DATA_ANSWERS.values(), ids=DATA_ANSWERS.keys())
def test_a_malformed_data_or_extend_answer_is_refused_whole(
    path: str, body: str, sandbox: Sandbox
) -> None:
    with open_client("async", sandbox) as client:
        grant = connect(client)
        assert grant.refresh_token is not None
        sandbox.inject(path, Fault(body=body))
        refresh = grant.refresh_token

        calls: dict[str, Any] = {
            "/data/v1/accounts": lambda: client.accounts(grant.access_token),
            "/data/v1/me": lambda: client.me(grant.access_token),
            "/data/v1/connections/extend": lambda: client.extend(refresh, user=USER),
        }
        with pytest.raises(TrueLayerError) as caught:
            calls[path]()

    assert type(caught.value) is MalformedResponse
    assert caught.value.status == 200


@pytest.mark.parametrize("kind", KINDS)
def test_the_longest_expires_in_the_core_accepts_is_accepted_by_the_client_too(
    kind: Kind, sandbox: Sandbox
) -> None:
    # One bound for a token's lifetime: the core's (R5).
    longest = int(lifecycle.LONGEST.total_seconds())
    with open_client(kind, sandbox) as client:
        link, callback = authorise(client)
        sandbox.inject("/connect/token", Fault(body=_token_body(expires_in=longest)))
        grant = client.exchange_code(callback.code, code_verifier=link.code_verifier)
    assert grant.expires_in == longest
    assert lifecycle.CodeExchanged(sandbox.clock.now(), expires_in=grant.expires_in)
