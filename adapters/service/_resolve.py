"""Resolving a request whose outcome is unknown (R15): the journal's job.

A stored answer is applied at once. Without one, nothing happens until the request's
time limit has passed (its own caller may still be waiting for it); then a refresh is
retried once with the old refresh token, an exchange or an extension is taken as failed,
and a deletion is repeated.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import lifecycle as core
from adapters.stores import StoredConnection
from adapters.truelayer import InvalidGrant, TrueLayerError

from ._errors import BankRefused, BankUnavailable, Refused, bank_failure
from ._journal import answer_event
from ._ops import Call, Load, Plan, ReadAnswer

if TYPE_CHECKING:
    from ._plans import Plans

__all__ = ["resolve"]


def resolve(
    plans: Plans, connection_id: str, stale: int | None = None
) -> Plan[core.Decision | None]:
    """Resolve an unresolved request: apply its stored answer; else find out.

    A refresh is retried once with the old refresh token (it still
    works with reusable tokens or a rotation grace period); ``invalid_grant`` is taken
    for a lost token only after re-reading the store (a race is not a revocation). An
    exchange cannot be retried (R3): it failed. A deletion is repeated. ``stale``
    names a stored answer to close if its request is no longer the one in flight.
    """
    stored: StoredConnection = yield Load(connection_id)
    record = stored.record
    request = record.request
    if stale is not None and (request is None or request.number != stale):
        # A stored answer whose request was resolved already: close it.
        _, decision = yield from plans.decide(
            connection_id, lambda at, _: core.Tick(at), close_answer=stale
        )
        return decision
    if request is None:
        return None
    answer = yield ReadAnswer(connection_id, request.number)
    if answer is not None:  # the answer arrived and was stored: apply it at once
        _, decision = yield from plans.decide(
            connection_id,
            lambda at, _: answer_event(answer, at, request.number),
            close_answer=request.number,
        )
        return decision
    at = yield from plans.now(record)
    due = core.agenda(record, at, plans.policy)
    if not any(item.action is core.Action.RESOLVE_REQUEST and item.due <= at for item in due):
        return None  # still in flight: its own caller will answer it
    number = request.number
    if request.effect in (core.Effect.EXCHANGE_CODE, core.Effect.EXTEND_CONNECTION):
        # A code cannot be sent twice (R3); an extension needs the user's details.
        # Neither is repeated: the request failed (the reconfirmation stays unspent).
        # After a lost extension the next refresh finds out whether the old refresh
        # token still works; if not, the extension's tokens are lost (token_lost).
        extension = request.effect is core.Effect.EXTEND_CONNECTION
        error = "extension_lost" if extension else "lost"
        _, decision = yield from plans.decide(
            connection_id, lambda at, _: core.RequestFailed(at, error=error, request=number)
        )
        if extension and decision.accepted:
            # Find out now whether the old refresh token still works (R15); what it
            # finds is recorded (token_lost, or a failure the agenda comes back to).
            with contextlib.suppress(BankRefused, BankUnavailable, Refused):
                yield from plans.refresh(connection_id, after_lost_extension=True)
            stored = yield Load(connection_id)
            return core.Decision(stored.record, True)
        return decision
    try:
        if request.effect is core.Effect.DELETE_CONNECTION:
            token = record.grant.access_token
            if token is None:
                raise _NoToken
            result = yield Call("delete", (token,))
        else:
            refresh_token = record.grant.refresh_token
            if refresh_token is None:
                raise _NoToken
            result = yield Call("refresh", (refresh_token,))
    except _NoToken:
        _, decision = yield from plans.decide(
            connection_id, lambda at, _: core.TokenLost(at, error="no_token", request=number)
        )
        return decision
    except InvalidGrant:
        again: StoredConnection = yield Load(connection_id)
        if again.record.request is None or again.record.request.number != number:
            return None  # resolved meanwhile by someone else
        _, decision = yield from plans.decide(
            connection_id,
            lambda at, _: core.TokenLost(at, error="invalid_grant", request=number),
        )
        return decision
    except TrueLayerError as error:
        raise bank_failure(connection_id, error) from None
    _, decision = yield from plans.answered(connection_id, number, result)
    return decision


class _NoToken(Exception):
    """The record holds no token to retry with."""
