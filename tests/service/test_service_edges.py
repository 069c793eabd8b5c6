"""Bad input at the service's edges, and the promises a single process can check:
a callback forged, replayed, denied or unknown; 401s; 403s; parallel callers."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from connections_support import PROVIDERS, SCOPES, consent

import lifecycle as core
from adapters.sandbox import Fault, Sandbox
from adapters.service import (
    BankRefused,
    CallbackRefused,
    Connections,
    Refused,
    UnknownConnection,
)


def _connected(connections: Connections, sandbox: Sandbox) -> str:
    link = connections.begin(region="uk", scopes=SCOPES, providers=PROVIDERS)
    assert connections.handle_callback(consent(link.url)).connected
    return link.connection_id


def test_a_callback_with_a_state_nobody_issued_changes_nothing(
    connections: Connections, sandbox: Sandbox
) -> None:
    link = connections.begin(region="uk", scopes=SCOPES, providers=PROVIDERS)
    with pytest.raises(CallbackRefused, match="no attempt has this callback's state"):
        connections.handle_callback("code=forged&state=not-ours")
    assert sandbox.calls("/connect/token") == 0
    assert connections.status(link.connection_id).status is core.Status.AUTHORIZATION_REQUIRED


@pytest.mark.parametrize(
    "query",
    ["", "code=a&error=b&state=c", "state=" + "x" * 10_000, "code=%00&state=s", "code=a&code=b"],
)
def test_a_malformed_callback_is_a_typed_error(connections: Connections, query: str) -> None:
    with pytest.raises(CallbackRefused):
        connections.handle_callback(query)


def test_a_denied_callback_is_recorded_and_a_later_one_for_that_link_is_refused(
    connections: Connections, sandbox: Sandbox
) -> None:
    link = connections.begin(region="uk", scopes=SCOPES, providers=PROVIDERS)
    denied = consent(link.url, allow=False)
    outcome = connections.handle_callback(denied)
    assert (outcome.connected, outcome.error) == (False, "access_denied")
    # The link is spent (R14): the same state with a code is the stored outcome.
    state = parse_qs(denied)["state"][0]
    again = connections.handle_callback(f"code=late&state={state}")
    assert again.repeated and not again.connected
    assert sandbox.calls("/connect/token") == 0


def test_a_callback_after_its_code_expired_is_not_exchanged(
    connections: Connections, sandbox: Sandbox
) -> None:
    link = connections.begin(region="uk", scopes=SCOPES, providers=PROVIDERS)
    query = consent(link.url)
    outcome = connections.handle_callback(query)
    assert outcome.connected
    sandbox.clock.advance(timedelta(minutes=10))
    again = connections.handle_callback(query)
    assert again.repeated and sandbox.calls("/connect/token") == 1


def test_a_reauthentication_callback_without_state_needs_its_connection(
    connections: Connections,
) -> None:
    with pytest.raises(CallbackRefused, match="must name its connection_id"):
        connections.handle_callback("code=abc")
    with pytest.raises(UnknownConnection):
        connections.handle_callback("code=abc", connection_id="nobody")


def test_a_callback_naming_another_connection_than_its_state_is_refused(
    connections: Connections,
) -> None:
    first = connections.begin(region="uk", scopes=SCOPES, providers=PROVIDERS)
    second = connections.begin(region="uk", scopes=SCOPES, providers=PROVIDERS)
    query = consent(first.url)
    with pytest.raises(CallbackRefused, match="belongs to another connection"):
        connections.handle_callback(query, connection_id=second.connection_id)


def test_four_parallel_reads_on_an_expired_token_refresh_once_and_all_succeed(
    connections: Connections, sandbox: Sandbox
) -> None:
    cid = _connected(connections, sandbox)
    sandbox.clock.advance(timedelta(hours=2))
    before = sandbox.calls("/connect/token")
    results: list[int] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            results.append(len(connections.accounts(cid)))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and results == [3, 3, 3, 3]
    assert sandbox.calls("/connect/token") - before == 1


def test_a_401_on_a_current_token_refreshes_once_and_retries_once(
    connections: Connections, sandbox: Sandbox
) -> None:
    cid = _connected(connections, sandbox)
    sandbox.inject("/data/v1/accounts", Fault(status=401, error="invalid_token", count=1))
    before = sandbox.calls("/connect/token")
    assert len(connections.accounts(cid)) == 3
    assert sandbox.calls("/connect/token") - before == 1
    inputs = [entry.input_type for entry in connections.history(cid)]
    assert inputs[-3:] == ["fetch_failed", "refresh", "token_refreshed"]


def test_a_403_access_denied_is_recorded_and_raised(
    connections: Connections, sandbox: Sandbox
) -> None:
    cid = _connected(connections, sandbox)
    sandbox.inject("/data/v1/accounts", Fault(status=403, error="access_denied", count=1))
    with pytest.raises(BankRefused) as refused:
        connections.accounts(cid)
    assert refused.value.error == "access_denied"
    view = connections.status(cid)
    assert (view.status, view.inactive_reason) == (
        core.Status.INACTIVE,
        core.InactiveReason.ACCESS_DENIED,
    )
    with pytest.raises(Refused):
        connections.accounts(cid)
    kinds = [event.type for event in connections.events(connection_id=cid)]
    assert kinds[-1] == "connection.reauth_required"


def test_events_are_read_in_order_and_gone_once_acknowledged(
    connections: Connections, sandbox: Sandbox
) -> None:
    cid = _connected(connections, sandbox)
    events = connections.events(connection_id=cid)
    assert [event.position for event in events] == sorted(event.position for event in events)
    assert connections.ack([events[0].event_id]) == 1
    assert connections.ack([events[0].event_id]) == 0
    left = connections.events(connection_id=cid)
    assert [event.event_id for event in left] == [event.event_id for event in events[1:]]


def test_an_unknown_connection_is_a_typed_error(connections: Connections) -> None:
    with pytest.raises(UnknownConnection):
        connections.status("nobody")
    with pytest.raises(UnknownConnection):
        connections.access_token("nobody")
    with pytest.raises(UnknownConnection):
        connections.reconfirm("nobody", evidence="x")


def test_no_secret_reaches_a_log_line_a_repr_or_an_error(
    connections: Connections, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    link = connections.begin(region="uk", scopes=SCOPES, providers=PROVIDERS)
    query = consent(link.url)  # the user's browser: its own logs show the code, as any would
    caplog.clear()
    cid = connections.handle_callback(query).connection_id
    token = connections.access_token(cid)
    record = connections.store.get(cid).record
    secrets = [token.reveal(), parse_qs(query)["code"][0], parse_qs(query)["state"][0]]
    assert record.grant.refresh_token is not None
    secrets.append(record.grant.refresh_token.reveal())
    shown = " ".join(
        [caplog.text, repr(link), repr(connections.status(cid)), repr(connections.events())]
    )
    with pytest.raises(CallbackRefused) as refused:
        connections.handle_callback(query + "&code=again")
    shown += str(refused.value)
    for secret in secrets:
        assert secret not in shown
