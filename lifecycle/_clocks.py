"""The clocks (DOMAIN.md, "The clocks"): when each one runs out for a record.

Convention: a thing valid "for D from T" is valid at ``now`` iff ``now < T + D``; so a
clock *has run out* at ``now`` iff ``now >= deadline``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from attrs import frozen

from ._policy import Policy
from ._record import Connection
from ._vocabulary import InactiveReason, Status

__all__ = [
    "CLOCKS",
    "Clock",
    "Deadlines",
    "code_expires_at",
    "consent_expires_at",
    "deadlines_of",
    "extend_until",
    "refresh_lapses_at",
    "refresh_use_by",
]


def code_expires_at(record: Connection, policy: Policy) -> datetime | None:
    """R3: a code is invalid once 5 minutes have passed since it was issued."""
    if record.code_received_at is None:
        return None
    return record.code_received_at + policy.code_lifetime


def consent_expires_at(record: Connection, policy: Policy) -> datetime:
    """R7/R8: the lifetime, by region and offline access, from start or last extension."""
    key = (record.region, record.offline_access)
    # Every decision asks: look up the lifetime directly, and fall back to the method
    # only for its error (an unknown region).
    lifetime = policy.lifetimes.get(key) or policy.lifetime(*key)
    derived = record.consent_started_at + lifetime
    reported = record.reported_consent_expires_at
    # R10: the bank's word can only shorten the consent, never lengthen it past R7.
    return derived if reported is None or reported >= derived else reported


def refresh_use_by(record: Connection, policy: Policy) -> datetime | None:
    """R6: a refresh token not yet used must be used before this."""
    # Most tokens have been used: ask that first.
    if record.refresh_used or record.refresh_token is None or record.refresh_received_at is None:
        return None
    return record.refresh_received_at + policy.refresh_first_use_window


def refresh_lapses_at(record: Connection, policy: Policy) -> datetime | None:
    """When a never-used refresh token has lapsed *and* the access token has expired.

    Until both have happened the connection can still read data, so it stays active.
    """
    if record.refresh_used:
        return None  # every decision of an active connection asks; most tokens are used
    use_by = refresh_use_by(record, policy)
    if use_by is None or record.access_expires_at is None:
        return None
    return max(use_by, record.access_expires_at)


def extend_until(record: Connection, policy: Policy) -> datetime | None:
    """R9: extension stays possible until 90 days after consent expiry (extendable regions)."""
    if not policy.region(record.region).extendable:
        return None
    return consent_expires_at(record, policy) + policy.extend_window


# The clocks that TIME rows of the transition table name (``Rule.clock``).
Clock = Callable[[Connection, Policy], datetime | None]

CLOCKS: dict[str, Clock] = {
    "code_expires_at": code_expires_at,
    "consent_expires_at": consent_expires_at,
    "refresh_lapses_at": refresh_lapses_at,
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
    if record.status is Status.AUTHORIZED:
        return Deadlines(code_expires_at=code_expires_at(record, policy))
    if record.status is Status.AUTHORIZATION_REQUIRED:
        return Deadlines()
    consent = consent_expires_at(record, policy)
    revoked = record.inactive_reason is InactiveReason.REVOKED
    until = None if revoked else extend_until(record, policy)
    if record.status is Status.INACTIVE:
        return Deadlines(consent_expires_at=consent, extend_until=until)
    access = record.access_expires_at
    return Deadlines(
        # An access token never outlives the consent (R8): no data after expiry.
        access_expires_at=None if access is None else min(access, consent),
        refresh_use_by=refresh_use_by(record, policy),
        consent_expires_at=consent,
        extend_until=until,
    )
