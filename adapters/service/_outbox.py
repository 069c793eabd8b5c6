"""Which outbox events a decision announces: every status change, and a few facts more.

Written in the same transaction as the decision (the stores' ``events=``), so an event
exists exactly when its change does; readers get them at least once, in order per
connection (``Store.events``), and acknowledge them.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import lifecycle as core
from adapters.stores import OutboxEvent

__all__ = ["EVENT_TYPES", "events_for", "new_event"]

AR, AZ, AC, IN = (
    core.Status.AUTHORIZATION_REQUIRED,
    core.Status.AUTHORIZED,
    core.Status.ACTIVE,
    core.Status.INACTIVE,
)

EVENT_TYPES = (
    "connection.created",
    "connection.authorized",
    "connection.active",
    "connection.refresh_failed",
    "connection.reauth_required",
    "connection.recovered",
    "connection.consent_expiring",
    "connection.consent_expired",
    "connection.extended",
    "connection.revoked",
    "connection.token_lost",
)

# Why a connection went inactive, as the event that says what to do about it.
_INACTIVE = {
    core.InactiveReason.CONSENT_EXPIRED: "connection.consent_expired",
    core.InactiveReason.REVOKED: "connection.revoked",
    core.InactiveReason.TOKEN_LOST: "connection.token_lost",
    core.InactiveReason.REFRESH_REJECTED: "connection.reauth_required",
    core.InactiveReason.ACCESS_DENIED: "connection.reauth_required",
    core.InactiveReason.REFRESH_TOKEN_LAPSED: "connection.reauth_required",
}


def new_event(
    connection_id: str,
    kind: str,
    record: core.Connection,
    at: datetime,
    policy: core.Policy,
    reason: str | None = None,
) -> OutboxEvent:
    """One outbox event about ``record`` as it stands at ``at``."""
    status, inactive = core.status_at(record, at, policy)
    return OutboxEvent(
        event_id=uuid.uuid4().hex,
        connection_id=connection_id,
        type=kind,
        status=status,
        reason=reason if reason is not None else (None if inactive is None else inactive.value),
        consent_expires_at=core.deadlines(record, at, policy).consent_expires_at,
        at=at,
        position=0,
        recorded_at=None,
    )


def _kinds(before: core.Connection, input: core.Input, after: core.Connection) -> list[str]:
    kinds: list[str] = []
    if (after.status, after.inactive_reason) != (before.status, before.inactive_reason):
        if after.status is AZ:
            kinds.append("connection.authorized")
        elif after.status is AC:
            kinds.append("connection.active" if before.status is AZ else "connection.recovered")
        elif after.status is IN and after.inactive_reason is not None:
            kinds.append(_INACTIVE[after.inactive_reason])
        elif after.status is AR and before.status is AZ:
            kinds.append("connection.reauth_required")  # the code expired or failed: again
    if isinstance(input, core.ExtensionGranted) or (
        isinstance(input, core.CodeExchanged) and before.reauthenticating
    ):
        kinds.append("connection.extended")  # R9: the consent clock started again
    if isinstance(input, core.ExtensionNeedsAuthentication):
        kinds.append("connection.reauth_required")
    request = before.request
    failed = isinstance(input, core.RequestFailed | core.OutcomeUnknown)
    if failed and request is not None and request.effect is core.Effect.REFRESH_TOKEN:
        kinds.append("connection.refresh_failed")  # transient: the connection still works
    if isinstance(input, core.ReminderSent):
        kinds.append("connection.consent_expiring")
    return kinds


def events_for(
    connection_id: str,
    before: core.Connection,
    input: core.Input,
    decision: core.Decision,
    policy: core.Policy,
) -> tuple[OutboxEvent, ...]:
    """The events an accepted decision announces (none for a refusal)."""
    if not decision.accepted:
        return ()
    after = decision.record
    events = []
    for kind in _kinds(before, input, after):
        reason = None
        if kind == "connection.refresh_failed":
            reason = getattr(input, "error", None)
        elif kind == "connection.consent_expiring":
            left = core.deadlines(after, input.at, policy).consent_expires_at
            if left is not None:
                reason = f"{round((left - input.at) / timedelta(days=1))} d before expiry"
        events.append(new_event(connection_id, kind, after, input.at, policy, reason))
    return tuple(events)
