"""Plans from a new connection to an active one: the link, the callback, the exchange.

The callback finds its attempt by its ``state`` (R14; the store keeps only a keyed hash
of it). A reload or a second tab meets a spent link: it gets the stored outcome, and
nothing is exchanged twice (R3). A re-authentication callback through TrueLayer's
``user_input_link`` carries none of our state: it names its connection instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from urllib.parse import urlencode

import lifecycle as core
from adapters.stores import StoredConnection
from adapters.truelayer import AuthLink, MalformedCallback, callback_parameters

from ._errors import CallbackRefused
from ._ops import Call, Create, FindByState, Now, Plan
from ._outbox import new_event
from ._plans import Plans
from ._results import Begun, CallbackOutcome

__all__ = ["begin", "handle_callback"]


def begin(
    plans: Plans, region: str, scopes: Iterable[str], providers: Iterable[str]
) -> Plan[Begun]:
    """Start a connection and issue its link (R1, R14): ``state`` and PKCE per attempt."""
    connection_id = uuid.uuid4().hex
    at: datetime = yield Now()
    started = core.ConnectionStarted(at, region=region, scopes=tuple(scopes))
    record = core.start(started, plans.policy)
    link: AuthLink = yield Call(
        "auth_link", (), {"scopes": started.scopes, "providers": tuple(providers)}
    )
    created = new_event(connection_id, "connection.created", record, at, plans.policy)
    yield Create(connection_id, record, started, (created,))
    yield from plans.must(connection_id, lambda at, _: link.link_issued(at), link_state=link.state)
    return Begun(connection_id, link.url)


def _parameters(query: str | Mapping[str, str]) -> dict[str, str]:
    try:
        text = urlencode(dict(query)) if isinstance(query, Mapping) else query
        return callback_parameters(text)
    except (MalformedCallback, TypeError, ValueError) as error:
        raise CallbackRefused(f"malformed callback: {error}") from None


def _connection(found: str | None, given: str | None, has_state: bool) -> str:
    if found is not None:
        if given is not None and given != found:
            raise CallbackRefused("the callback's state belongs to another connection")
        return found
    if given is not None:
        return given  # a re-authentication through TrueLayer's link (R9): no state of ours
    if has_state:
        raise CallbackRefused("no attempt has this callback's state (forged or expired)")
    raise CallbackRefused("a callback without state must name its connection_id")


def _outcome(
    connection_id: str, stored: StoredConnection, plans: Plans, at: datetime, repeated: bool
) -> CallbackOutcome:
    status, _ = core.status_at(stored.record, at, plans.policy)
    record = stored.record
    connected = status is core.Status.ACTIVE and record.code is None and record.request is None
    if record.reauthenticating:
        connected = False  # the re-authentication has not been exchanged yet
    return CallbackOutcome(connection_id, status, connected, record.last_error, repeated)


def handle_callback(
    plans: Plans, query: str | Mapping[str, str], connection_id: str | None
) -> Plan[CallbackOutcome]:
    """The user came back (R2): exchange the code exactly once (R3, R4)."""
    fields = _parameters(query)
    state, code, error = fields.get("state"), fields.get("code"), fields.get("error")
    if bool(code) == bool(error):
        raise CallbackRefused("a callback carries either a code or an error")
    secret_state = core.Secret(state) if state else None
    found = None if secret_state is None else (yield FindByState(secret_state))
    connection_id = _connection(found, connection_id, secret_state is not None)

    def came_back(at: datetime, _: core.Connection) -> core.Input:
        if code:
            return core.UserAuthorised(at, code=core.Secret(code), state=secret_state)
        assert error is not None
        return core.UserDenied(at, error=error, state=secret_state)

    try:
        stored, decision = yield from plans.decide(connection_id, came_back)
    except core.MalformedInputError as bad:
        raise CallbackRefused(f"malformed callback: {bad}") from None
    at = yield from plans.now(stored.record)
    if not decision.accepted:
        if decision.reason is core.Reason.NO_LINK_OUTSTANDING:
            # R14: the link was spent by an earlier callback: say how things stand.
            return _outcome(connection_id, stored, plans, at, repeated=True)
        raise CallbackRefused(f"callback refused: {decision.reason}")
    if error:
        return _outcome(connection_id, stored, plans, at, repeated=False)
    exchanged = yield from plans.exchange(connection_id)
    outcome = _outcome(connection_id, stored, plans, at, repeated=False)
    connected = (
        exchanged.accepted
        and exchanged.record.code is None
        and (exchanged.record.request is None and exchanged.record.last_error is None)
    )
    status, _ = core.status_at(exchanged.record, at, plans.policy)
    return CallbackOutcome(
        connection_id, status, connected, exchanged.record.last_error, outcome.repeated
    )
