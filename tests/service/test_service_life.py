"""The whole life of a connection through the service, against the sandbox, on SQLite and
PostgreSQL, through the blocking face and the asyncio face."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Literal

import pytest
from connections_support import PROVIDERS, SCOPES, async_client, consent, sync_client

import lifecycle as core
from adapters.sandbox import ExtendAnswer, Sandbox
from adapters.service import AsyncConnections, Connections, Refused
from adapters.stores import Store
from adapters.truelayer import ExtendUser

USER = ExtendUser(id="user-1", name="Ada Lovelace", email="ada@example.test")
Face = Literal["sync", "async"]


class Blocking:
    """``AsyncConnections`` behind blocking calls, so one flow tests both faces."""

    def __init__(self, service: AsyncConnections, runner: asyncio.Runner) -> None:
        self._service, self._runner = service, runner

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._service, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._runner.run(method(*args, **kwargs))

        return call


@contextmanager
def service(face: Face, store: Store, sandbox: Sandbox) -> Iterator[Any]:
    if face == "sync":
        with sync_client(sandbox) as client:
            yield Connections(store=store, client=client, clock=sandbox.clock.now)
        return
    with asyncio.Runner() as runner:
        aclient = async_client(sandbox)
        try:
            yield Blocking(
                AsyncConnections(store=store, client=aclient, clock=sandbox.clock.now), runner
            )
        finally:
            runner.run(aclient.aclose())


@pytest.mark.parametrize("face", ["sync", "async"])
def test_a_connection_lives_its_whole_life_through_the_service(
    face: Face, store: Store, sandbox: Sandbox
) -> None:
    with service(face, store, sandbox) as connections:
        # R1, R14: a link with a fresh state; the user consents in the dialog (real HTTP).
        link = connections.begin(region="uk", scopes=SCOPES, providers=PROVIDERS)
        query = consent(link.url)
        outcome = connections.handle_callback(query)
        cid = link.connection_id
        assert (outcome.connection_id, outcome.connected) == (cid, True)
        assert sandbox.calls("/connect/token") == 1
        # A reload: the stored outcome, never a second exchange (R3).
        again = connections.handle_callback(query)
        assert again.repeated and again.connected
        assert sandbox.calls("/connect/token") == 1

        # Data; then past the hour, the service refreshes first (R5, R11).
        assert len(connections.accounts(cid)) == 3
        first = connections.access_token(cid)
        sandbox.clock.advance(timedelta(hours=1))
        second = connections.access_token(cid)
        assert second != first and sandbox.calls("/connect/token") == 2
        assert len(connections.transactions(cid, "acc-current-0001")) > 0

        # R9: reconfirm, then extend: extended.
        day_80 = sandbox.clock.advance(timedelta(days=79))
        with pytest.raises(Refused) as refused:
            connections.extend(cid, user=USER)
        assert refused.value.reason is core.Reason.CONSENT_NOT_RECONFIRMED
        connections.reconfirm(cid, evidence="in-app banner: Keep sharing")
        extended = connections.extend(cid, user=USER)
        assert extended.extended
        view = connections.status(cid)
        assert view.deadlines.consent_expires_at == day_80 + timedelta(days=90)

        # The bank asks to reconfirm: nothing changes, the reconfirmation stays unspent.
        sandbox.configure(extend_answer=ExtendAnswer.RECONFIRMATION_OF_CONSENT_NEEDED)
        connections.reconfirm(cid, evidence="email link")
        asked = connections.extend(cid, user=USER)
        assert (asked.extended, asked.error) == (False, "reconfirmation_of_consent_needed")

        # Re-authentication: the connection keeps working meanwhile (R9).
        sandbox.configure(extend_answer=ExtendAnswer.AUTHENTICATION_NEEDED)
        needed = connections.extend(cid, user=USER)
        assert needed.user_input_link is not None and not needed.extended
        assert connections.status(cid).reauthenticating
        assert len(connections.accounts(cid)) == 3
        back = connections.handle_callback(consent(needed.user_input_link), connection_id=cid)
        assert back.connected and not connections.status(cid).reauthenticating

        # R12: revoke.
        connections.revoke(cid)
        view = connections.status(cid)
        assert (view.status, view.inactive_reason) == (
            core.Status.INACTIVE,
            core.InactiveReason.REVOKED,
        )
        kinds = [event.type for event in connections.events(connection_id=cid, limit=1000)]
        assert kinds == [
            "connection.created",
            "connection.authorized",
            "connection.active",
            "connection.extended",
            "connection.reauth_required",
            "connection.extended",
            "connection.revoked",
        ]
        history = connections.history(cid)
        assert [entry.input_type for entry in history][:3] == [
            "connection_started",
            "link_issued",
            "user_authorised",
        ]
        evidence = [
            e.input.evidence for e in history if isinstance(e.input, core.ConsentReconfirmed)
        ]
        assert evidence == ["in-app banner: Keep sharing", "email link"]
