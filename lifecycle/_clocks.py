"""The clocks of the rules (R3, R5, R6, R8, R9): when each one runs out for a record.

Convention: a thing valid "for D from T" is valid at ``now`` iff ``now < T + D``; so a
clock *has run out* at ``now`` iff ``now >= deadline``.

Time rows of the table (``Rule.clock``) and agenda rows (``_agenda``) name these
functions; nothing else computes a deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from attrs import frozen

from ._policy import Policy
from ._record import Connection
from ._vocabulary import Effect, InactiveReason, Status

__all__ = [
    "CLOCKS",
    "Clock",
    "Deadlines",
    "code_expires_at",
    "consent_expires_at",
    "deadlines_of",
    "extend_until",
    "refresh_due_at",
    "refresh_lapses_at",
    "refresh_use_by",
    "request_unresolved_at",
]


def code_expires_at(record: Connection, policy: Policy) -> datetime | None:
    """R3: a code is invalid once 5 minutes have passed since it was issued.

    An exchange sent in time is judged by when it was sent (R15): while it is in
    flight the code's clock does not run out.
    """
    code = record.code
    if code is None:
        return None
    request = record.request
    if request is not None and request.effect is Effect.EXCHANGE_CODE:
        return None
    return code.received_at + policy.code_lifetime


def consent_expires_at(record: Connection, policy: Policy) -> datetime:
    """R7/R8: the lifetime, by region and offline access, from start or last extension."""
    consent = record.consent
    derived = consent.started_at + policy.lifetime(record.region, record.offline_access)
    reported = consent.reported_expires_at
    # R10: the bank's word can only shorten the consent, never lengthen it past R7.
    return derived if reported is None or reported >= derived else reported


def refresh_use_by(record: Connection, policy: Policy) -> datetime | None:
    """R6: a refresh token not yet used must be used before this."""
    grant = record.grant
    if grant.refresh_used or grant.refresh_token is None or grant.refresh_received_at is None:
        return None
    return grant.refresh_received_at + policy.refresh_first_use_window


def refresh_lapses_at(record: Connection, policy: Policy) -> datetime | None:
    """When a never-used refresh token has lapsed *and* the access token has expired.

    Until both have happened the connection can still read data, so it stays active.
    While a request is in flight its answer may bring a new grant, and a refresh sent
    before the deadline counts (R15): the token does not lapse until it is resolved.
    """
    if record.request is not None:
        return None
    use_by = refresh_use_by(record, policy)
    expires = record.grant.access_expires_at
    if use_by is None or expires is None:
        return None
    return max(use_by, expires)


def refresh_due_at(record: Connection, policy: Policy) -> datetime | None:
    """R5: when to refresh the access token ahead of its expiry (the policy's leeway).

    ``None`` when nothing can refresh it: no refresh token, or one that lapses first
    (R6), or a consent that ends first (R8).
    """
    grant = record.grant
    if not record.offline_access or grant.refresh_token is None or record.request is not None:
        return None  # with a request in flight, resolving it comes first (R15)
    if grant.access_expires_at is None:
        return None
    due = grant.access_expires_at - policy.refresh_leeway
    use_by = refresh_use_by(record, policy)
    if due >= consent_expires_at(record, policy) or (use_by is not None and due >= use_by):
        return None
    return due


def keep_alive_at(record: Connection, policy: Policy) -> datetime | None:
    """R6: use a fresh refresh token this long before its first-use window closes."""
    use_by = refresh_use_by(record, policy)
    if use_by is None or record.request is not None:
        return None  # with a request in flight, resolving it comes first (R15)
    due = use_by - policy.keep_alive_margin
    return due if due < consent_expires_at(record, policy) else None


def request_unresolved_at(record: Connection, policy: Policy) -> datetime | None:
    """R15: from when the request in flight counts as unresolved.

    At once when the shell said its outcome is unknown; else once the policy's
    ``request_timeout`` has passed since it was sent without an answer.
    """
    request = record.request
    if request is None:
        return None
    if request.outcome_unknown:
        return request.sent_at
    return request.sent_at + policy.request_timeout


def reminder_at(record: Connection, policy: Policy) -> datetime | None:
    """R9: the next reminder to reconfirm (14, 7 and 1 days before consent expiry).

    A reminder due before the consent started (short lifetimes) is meaningless, and
    one already sent for this consent is done.
    """
    consent = record.consent
    end = consent_expires_at(record, policy)
    sent = consent.last_reminder_at
    if sent is not None and sent < consent.started_at:
        sent = None
    for offset in policy.reminder_offsets:  # longest offset first: earliest reminder
        due = end - offset
        if due < consent.started_at:
            continue
        if sent is None or due > sent:
            return due
    return None


def reauthentication_at(record: Connection, policy: Policy) -> datetime | None:
    """R9: an extension asked the user to authenticate again, from this time."""
    pending = record.reauthentication
    return None if pending is None else pending.requested_at


def extend_until(record: Connection, policy: Policy) -> datetime | None:
    """R9: extension stays possible until 90 days after consent expiry (extendable regions)."""
    if not policy.region(record.region).extendable:
        return None
    return consent_expires_at(record, policy) + policy.extend_window


# The clocks that time rows of the transition table and agenda rows name.
Clock = Callable[[Connection, Policy], datetime | None]

CLOCKS: dict[str, Clock] = {
    "code_expires_at": code_expires_at,
    "consent_expires_at": consent_expires_at,
    "refresh_lapses_at": refresh_lapses_at,
    "refresh_due_at": refresh_due_at,
    "keep_alive_at": keep_alive_at,
    "reminder_at": reminder_at,
    "request_unresolved_at": request_unresolved_at,
    "reauthentication_at": reauthentication_at,
}


@frozen
class Deadlines:
    """The deadlines that apply to a record in its current status (``None``: not applicable)."""

    code_expires_at: datetime | None = None
    access_expires_at: datetime | None = None
    refresh_use_by: datetime | None = None
    consent_expires_at: datetime | None = None
    extend_until: datetime | None = None


def deadlines_of(record: Connection, policy: Policy) -> Deadlines:
    """The deadlines of a record whose status is already settled at the time of interest."""
    code = None if record.code is None else record.code.received_at + policy.code_lifetime
    if record.status is Status.AUTHORIZATION_REQUIRED:
        return Deadlines()
    if record.status is Status.AUTHORIZED:
        return Deadlines(code_expires_at=code)
    consent = consent_expires_at(record, policy)
    revoked = record.inactive_reason in (InactiveReason.REVOKED, InactiveReason.TOKEN_LOST)
    until = None if revoked else extend_until(record, policy)
    if record.status is Status.INACTIVE:
        return Deadlines(code_expires_at=code, consent_expires_at=consent, extend_until=until)
    access = record.grant.access_expires_at
    return Deadlines(
        code_expires_at=code,
        # An access token never outlives the consent (R8): no data after expiry.
        access_expires_at=None if access is None else min(access, consent),
        refresh_use_by=refresh_use_by(record, policy),
        consent_expires_at=consent,
        extend_until=until,
    )
