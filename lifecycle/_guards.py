"""The guards that transition-table rows name: each returns a refusal reason or ``None``.

A guard sees the record already settled at the input's time, so time-driven changes
(code expiry, consent expiry) have happened before any guard runs.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from attrs import frozen

from ._clocks import extend_until, refresh_use_by
from ._inputs import Input
from ._policy import Policy
from ._record import Connection
from ._vocabulary import InactiveReason, Reason

__all__ = ["GUARDS", "Guard", "access_expired", "can_refresh"]

Check = Callable[[Connection, Input, Policy], Reason | None]


@frozen
class Guard:
    """A named condition on a row; ``label`` is how diagrams print it."""

    label: str
    check: Check


def access_expired(record: Connection, input: Input) -> bool:
    """R5: the access token is expired (or was never issued) at the input's time."""
    return record.access_expires_at is None or input.at >= record.access_expires_at


def _refresh_alive(record: Connection, input: Input, policy: Policy) -> bool:
    use_by = refresh_use_by(record, policy)
    return use_by is None or input.at < use_by


def can_refresh(record: Connection, input: Input, policy: Policy) -> bool:
    """R6: there is a refresh token that may still be used."""
    return (
        record.offline_access
        and record.refresh_token is not None
        and _refresh_alive(record, input, policy)
    )


def _state_matches(record: Connection, input: Input, policy: Policy) -> Reason | None:
    # R14: the callback's state must be the one issued with the link; compare in
    # constant time. Without a recorded link there is nothing to compare.
    if record.state is None:
        return None
    given = getattr(input, "state", None)
    if given is None or not hmac.compare_digest(
        given.reveal().encode(), record.state.reveal().encode()
    ):
        return Reason.STATE_MISMATCH
    return None


def _code_unused(record: Connection, input: Input, policy: Policy) -> Reason | None:
    # R3: single use; a reload of the callback must never cause a second exchange.
    if record.code is None:
        return Reason.NO_CODE
    return Reason.CODE_USED if record.code_used else None


def _offline_access(record: Connection, input: Input, policy: Policy) -> Reason | None:
    ok = record.offline_access and record.refresh_token is not None
    return None if ok else Reason.NO_OFFLINE_ACCESS


def _refresh_token_alive(record: Connection, input: Input, policy: Policy) -> Reason | None:
    return None if _refresh_alive(record, input, policy) else Reason.REFRESH_TOKEN_LAPSED


def _nothing_in_flight(record: Connection, input: Input, policy: Policy) -> Reason | None:
    # One request at a time per connection: two workers must not both refresh.
    if record.pending is None or record.pending_since is None:
        return None
    in_flight = input.at < record.pending_since + policy.request_timeout
    return Reason.REQUEST_IN_FLIGHT if in_flight else None


def _not_revoked(record: Connection, input: Input, policy: Policy) -> Reason | None:
    # R12: after deletion nothing but a new connection helps.
    return Reason.REVOKED if record.inactive_reason is InactiveReason.REVOKED else None


def _region_extendable(record: Connection, input: Input, policy: Policy) -> Reason | None:
    ok = policy.region(record.region).extendable
    return None if ok else Reason.REGION_NOT_EXTENDABLE


def _consent_reconfirmed(record: Connection, input: Input, policy: Policy) -> Reason | None:
    # R9: the reconfirmation must be newer than the consent it renews.
    seen = record.reconfirmation
    ok = seen is not None and seen.at >= record.consent_started_at
    return None if ok else Reason.CONSENT_NOT_RECONFIRMED


def _within_extend_window(record: Connection, input: Input, policy: Policy) -> Reason | None:
    until = extend_until(record, policy)
    return None if until is not None and input.at < until else Reason.EXTEND_WINDOW_CLOSED


def _access_usable(record: Connection, input: Input, policy: Policy) -> Reason | None:
    # R11: data needs a live access token, or a refresh that can get one first.
    if not access_expired(record, input) or can_refresh(record, input, policy):
        return None
    return Reason.ACCESS_TOKEN_EXPIRED


def _refresh_not_in_flight_if_needed(
    record: Connection, input: Input, policy: Policy
) -> Reason | None:
    if not access_expired(record, input):
        return None  # a live token: no refresh needed
    return _nothing_in_flight(record, input, policy)


GUARDS: dict[str, Guard] = {
    "state_matches": Guard("state matches", _state_matches),
    "code_unused": Guard("code unused", _code_unused),
    "offline_access": Guard("offline_access", _offline_access),
    "refresh_token_alive": Guard("refresh token used or < 30 d", _refresh_token_alive),
    "nothing_in_flight": Guard("no request in flight", _nothing_in_flight),
    "not_revoked": Guard("not revoked", _not_revoked),
    "region_extendable": Guard("region extendable", _region_extendable),
    "consent_reconfirmed": Guard("consent reconfirmed", _consent_reconfirmed),
    "within_extend_window": Guard("< 90 d after expiry", _within_extend_window),
    "access_usable": Guard("token live or refreshable", _access_usable),
    "refresh_not_in_flight": Guard("no refresh in flight", _refresh_not_in_flight_if_needed),
}
