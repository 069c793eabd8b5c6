"""The whole lifecycle, the core deciding and the client performing (R1-R12, R14).

The core's times are the sandbox clock's: the test moves that clock past each deadline
(the code's 5 minutes, the access token's hour) and checks that client and core agree.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from test_client_support import (
    CLIENT_SECRET,
    KINDS,
    SCOPES,
    USER,
    Client,
    Kind,
    authorise,
    consent,
    must,
    not_the_browser,
    open_client,
)

import lifecycle
from adapters.sandbox import Fault, Sandbox
from adapters.truelayer import (
    CallbackCode,
    Extended,
    InvalidGrant,
    InvalidToken,
    MalformedCallback,
    parse_callback,
)

Effect, Status = lifecycle.Effect, lifecycle.Status


@dataclass
class Seen:
    """Everything a flow handled: secrets to look for, objects whose repr must hide them."""

    secrets: set[str] = field(default_factory=lambda: {CLIENT_SECRET})
    objects: list[object] = field(default_factory=list)

    def keep(self, *things: object) -> None:
        for thing in things:
            self.objects.append(thing)
            for name in ("access_token", "refresh_token", "code", "state", "code_verifier"):
                value = getattr(thing, name, None)
                if isinstance(value, lifecycle.Secret):
                    self.secrets.add(value.reveal())


def run_flow(client: Client, sandbox: Sandbox) -> Seen:
    """Link → dialog → callback → exchange → data → refresh → extend → delete."""
    seen = Seen()
    t0 = sandbox.clock.now()
    record = lifecycle.start(lifecycle.ConnectionStarted(t0, region="uk", scopes=SCOPES))

    # R1, R14: one link, one attempt; the user allows access in the dialog (R2).
    link = client.auth_link(scopes=SCOPES, providers=("uk-ob-all", "uk-cs-mock"))
    record = must(record, link.link_issued(t0)).record
    query = consent(link)
    with pytest.raises(MalformedCallback) as forged:  # a reload with a tampered query
        parse_callback(query + "&code=another", link.state)
    callback = parse_callback(query, link.state)
    assert isinstance(callback, CallbackCode)
    seen.keep(link, callback, forged.value)
    record = must(record, callback.to_event(t0)).record
    assert record.status is Status.AUTHORIZED

    # R3, R4: the core allows one exchange; a 503 first is retried (nothing was used).
    decision = must(record, lifecycle.ExchangeCode(t0))
    assert decision.effects == (Effect.EXCHANGE_CODE,)
    sandbox.inject("/connect/token", Fault(status=503))
    grant = client.exchange_code(callback.code, code_verifier=link.code_verifier)
    record = must(decision.record, grant.to_event(t0)).record
    seen.keep(grant, record)
    assert record.status is Status.ACTIVE
    assert lifecycle.apply(record, lifecycle.ExchangeCode(t0)).accepted is False  # R3

    # R11: data while the access token lives.
    assert must(record, lifecycle.FetchData(t0)).effects == (Effect.FETCH_DATA,)
    assert record.grant.access_token is not None
    first_token = record.grant.access_token
    assert len(client.accounts(record.grant.access_token, psu_ip="203.0.113.7")) == 3

    # R5: past the hour, the core says refresh first; the old token is refused (401).
    t1 = sandbox.clock.advance(timedelta(hours=1, seconds=1))
    decision = must(record, lifecycle.FetchData(t1))
    assert decision.effects == (Effect.REFRESH_TOKEN, Effect.FETCH_DATA)
    with pytest.raises(InvalidToken) as expired:
        client.accounts(first_token)
    # The core already decided to refresh: the 401 on the replaced token is no news.
    assert expired.value.core_event(t1, access_token=first_token) == lifecycle.FetchFailed(
        t1, error="invalid_token", access_token=first_token
    )
    assert decision.record.grant.refresh_token is not None
    refreshed = client.refresh(decision.record.grant.refresh_token)
    record = must(decision.record, refreshed.to_event(t1)).record
    seen.keep(expired.value, refreshed, record)
    assert record.grant.access_token is not None
    assert must(record, lifecycle.FetchData(t1)).effects == (Effect.FETCH_DATA,)
    assert len(client.transactions(record.grant.access_token, "acc-current-0001")) == 8

    # R9: the user reconfirms consent; the core allows extend; TrueLayer extends.
    t2 = sandbox.clock.advance(timedelta(days=60))
    record = must(record, lifecycle.ConsentReconfirmed(t2, evidence="settings: Reconfirm")).record
    decision = must(record, lifecycle.Extend(t2))
    assert decision.effects == (Effect.EXTEND_CONNECTION,)
    assert record.grant.refresh_token is not None
    extended = client.extend(record.grant.refresh_token, user=USER)
    assert isinstance(extended, Extended)
    event = extended.to_event(t2)
    record = must(decision.record, event).record
    seen.keep(extended.grant, record)
    assert lifecycle.deadlines(record, t2).consent_expires_at == t2 + timedelta(days=90)
    assert record.grant.access_token is not None
    (consent_,) = client.me(record.grant.access_token)  # R10: TrueLayer agrees with the core
    assert consent_.consent_expires_at == t2 + timedelta(days=90)

    # R12: delete; the core records the revocation; TrueLayer refuses the refresh token.
    decision = must(record, lifecycle.Revoke(t2))
    assert decision.effects == (Effect.DELETE_CONNECTION,)
    deleted = client.delete(record.grant.access_token)
    record = must(decision.record, deleted.to_event(t2)).record
    assert lifecycle.status_at(record, t2) == (Status.INACTIVE, lifecycle.InactiveReason.REVOKED)
    assert extended.grant.refresh_token is not None
    with pytest.raises(InvalidGrant) as revoked:
        client.refresh(extended.grant.refresh_token)
    seen.keep(deleted, record, consent_, revoked.value, client)
    return seen


@pytest.mark.parametrize("kind", KINDS)
def test_a_whole_connection_lifecycle_with_the_core_deciding_each_step(
    kind: Kind, sandbox: Sandbox
) -> None:
    with open_client(kind, sandbox) as client:
        seen = run_flow(client, sandbox)

    assert len(seen.secrets) >= 8  # client secret, state, verifier, code, 4+ tokens


@pytest.mark.parametrize("kind", KINDS)
def test_no_secret_reaches_a_log_line_a_repr_or_an_exception_text(
    kind: Kind, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx, httpcore, stamina
    caplog.handler.addFilter(not_the_browser)  # the user's browser is not the application
    with open_client(kind, sandbox) as client:
        seen = run_flow(client, sandbox)

    logged = [caplog.text] + [str(vars(record)) for record in caplog.records]
    assert any("adapters.truelayer" in line for line in logged)
    assert any(record.name.startswith("httpcore") for record in caplog.records)
    assert any(record.name == "stamina" for record in caplog.records)  # the 503 retry
    assert not any("/dialog/decision" in line for line in logged)
    shown = logged + [repr(thing) for thing in seen.objects] + [str(t) for t in seen.objects]
    leaks = {secret[:6] + "…" for secret in seen.secrets for text in shown if secret in text}
    assert leaks == set()


def test_a_late_exchange_is_invalid_grant_and_the_core_records_code_rejected(
    sandbox: Sandbox,
) -> None:
    with open_client("sync", sandbox) as client:
        t0 = sandbox.clock.now()
        record = lifecycle.start(lifecycle.ConnectionStarted(t0, region="uk", scopes=SCOPES))
        link, callback = authorise(client)
        # The browser took 20 s to come back: the core's code clock starts then (R3),
        # TrueLayer's when it issued the code.
        arrived = t0 + timedelta(seconds=20)
        record = must(must(record, link.link_issued(t0)).record, callback.to_event(arrived)).record
        late = sandbox.clock.advance(timedelta(minutes=5, seconds=10))
        decision = must(record, lifecycle.ExchangeCode(late))

        with pytest.raises(InvalidGrant) as caught:
            client.exchange_code(callback.code, code_verifier=link.code_verifier)

    event = caught.value.core_event(late)
    assert event == lifecycle.CodeRejected(late, error="invalid_grant")
    record = must(decision.record, event).record
    assert record.status is Status.AUTHORIZATION_REQUIRED
    assert record.last_error == "invalid_grant"
    assert sandbox.calls_by_token(callback.code.reveal()) == 1


def test_past_five_minutes_the_core_refuses_the_exchange_before_any_call(
    sandbox: Sandbox,
) -> None:
    with open_client("sync", sandbox) as client:
        t0 = sandbox.clock.now()
        record = lifecycle.start(lifecycle.ConnectionStarted(t0, region="uk", scopes=SCOPES))
        link, callback = authorise(client)
        record = must(must(record, link.link_issued(t0)).record, callback.to_event(t0)).record

    decision = lifecycle.apply(record, lifecycle.ExchangeCode(t0 + timedelta(minutes=6)))

    assert not decision.accepted
    assert decision.reason is lifecycle.Reason.CODE_EXPIRED
    assert sandbox.calls("/connect/token") == 0
