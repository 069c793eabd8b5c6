"""The guards that transition-table rows name: each returns a refusal reason or ``None``.

A guard sees the record already settled at the input's time, so time-driven changes
(code expiry, consent expiry) have happened before any guard runs. A guard's label is
how diagrams print it; numbers in it come from the policy in use.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import timedelta

from attrs import frozen

from ._clocks import code_expires_at, extend_until, refresh_use_by, request_unresolved_at
from ._inputs import Input
from ._policy import Policy
from ._record import Connection
from ._vocabulary import Effect, InactiveReason, Reason

__all__ = ["GUARDS", "Guard", "access_expired", "can_refresh", "duration_text"]

Check = Callable[[Connection, Input, Policy], Reason | None]


def duration_text(duration: timedelta) -> str:
    """A duration as a person writes it in a label: ``90 d``, ``5 min``, ``1 h 30 min``."""
    seconds = int(duration.total_seconds())
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts) or "0 s"


@frozen
class Guard:
    """A named condition on a row.

    Attributes:
        label: how diagrams print it; ``{name}`` is replaced by the policy's duration
            ``name`` (``label_for``).
        check: the condition; returns why it fails, or ``None``.
    """

    label: str
    check: Check

    def label_for(self, policy: Policy) -> str:
        """The label with the policy's numbers in it."""
        durations = {
            name: duration_text(getattr(policy, name))
            for name in ("code_lifetime", "refresh_first_use_window", "extend_window")
        }
        return self.label.format(**durations)


def access_expired(record: Connection, input: Input) -> bool:
    """R5: the access token is expired (or was never issued) at the input's time."""
    expires = record.grant.access_expires_at
    return expires is None or input.at >= expires


def _refresh_alive(record: Connection, input: Input, policy: Policy) -> bool:
    use_by = refresh_use_by(record, policy)
    return use_by is None or input.at < use_by


def can_refresh(record: Connection, input: Input, policy: Policy) -> bool:
    """R6: there is a refresh token that may still be used."""
    return (
        record.offline_access
        and record.grant.refresh_token is not None
        and _refresh_alive(record, input, policy)
    )


def _link_outstanding(record: Connection, input: Input, policy: Policy) -> Reason | None:
    # R14: a callback is accepted only while a link is outstanding; any callback spends it.
    return None if record.link is not None else Reason.NO_LINK_OUTSTANDING


def _state_matches(record: Connection, input: Input, policy: Policy) -> Reason | None:
    # R14: the callback's state must be the one issued with our link, compared in
    # constant time. TrueLayer's ``user_input_link`` carries none of ours (R9).
    link = record.link
    if link is None or link.state is None:
        return None
    given = getattr(input, "state", None)
    if given is None or not hmac.compare_digest(
        given.reveal().encode(), link.state.reveal().encode()
    ):
        return Reason.STATE_MISMATCH
    return None


def _reauthenticating(record: Connection, input: Input, policy: Policy) -> Reason | None:
    # R9: a link for an existing connection exists only to re-authenticate it.
    return None if record.reauthentication is not None else Reason.NOT_REAUTHENTICATING


def _code_unused(record: Connection, input: Input, policy: Policy) -> Reason | None:
    # R3: single use; a reload of the callback must never cause a second exchange.
    if record.code is None:
        return Reason.NO_CODE
    request = record.request
    if request is not None and request.effect is Effect.EXCHANGE_CODE:
        return Reason.CODE_USED
    expires = code_expires_at(record, policy)
    return Reason.CODE_EXPIRED if expires is not None and input.at >= expires else None


def _offline_access(record: Connection, input: Input, policy: Policy) -> Reason | None:
    ok = record.offline_access and record.grant.refresh_token is not None
    return None if ok else Reason.NO_OFFLINE_ACCESS


def _refresh_token_alive(record: Connection, input: Input, policy: Policy) -> Reason | None:
    return None if _refresh_alive(record, input, policy) else Reason.REFRESH_TOKEN_LAPSED


def _nothing_in_flight(record: Connection, input: Input, policy: Policy) -> Reason | None:
    # R15: one request at a time per connection, and no timer frees the slot: past its
    # limit a request is unresolved until the shell reports what happened.
    if record.request is None:
        return None
    unresolved = request_unresolved_at(record, policy)
    if unresolved is not None and input.at >= unresolved:
        return Reason.REQUEST_UNRESOLVED
    return Reason.REQUEST_IN_FLIGHT


def _not_revoked(record: Connection, input: Input, policy: Policy) -> Reason | None:
    # R12: after deletion nothing but a new connection helps; nor after a lost token (R15).
    if record.inactive_reason is InactiveReason.REVOKED:
        return Reason.REVOKED
    if record.inactive_reason is InactiveReason.TOKEN_LOST:
        return Reason.TOKEN_LOST
    return None


def _region_extendable(record: Connection, input: Input, policy: Policy) -> Reason | None:
    ok = policy.region(record.region).extendable
    return None if ok else Reason.REGION_NOT_EXTENDABLE


def _consent_reconfirmed(record: Connection, input: Input, policy: Policy) -> Reason | None:
    # R9: one reconfirmation pays for exactly one extension.
    seen = record.consent.reconfirmation
    ok = seen is not None and not seen.spent
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
    # R11: reads with a live token run in parallel; only a refresh first takes the slot.
    if not access_expired(record, input):
        return None
    return _nothing_in_flight(record, input, policy)


GUARDS: dict[str, Guard] = {
    "link_outstanding": Guard("link outstanding", _link_outstanding),
    "state_matches": Guard("state matches", _state_matches),
    "reauthenticating": Guard("re-authenticating", _reauthenticating),
    "code_unused": Guard("code unused, < {code_lifetime}", _code_unused),
    "offline_access": Guard("offline_access", _offline_access),
    "refresh_token_alive": Guard(
        "refresh token used or < {refresh_first_use_window}", _refresh_token_alive
    ),
    "nothing_in_flight": Guard("no request in flight", _nothing_in_flight),
    "not_revoked": Guard("not revoked", _not_revoked),
    "region_extendable": Guard("region extendable", _region_extendable),
    "consent_reconfirmed": Guard("reconfirmation unspent", _consent_reconfirmed),
    "within_extend_window": Guard("< {extend_window} after expiry", _within_extend_window),
    "access_usable": Guard("token live or refreshable", _access_usable),
    "refresh_not_in_flight": Guard("no refresh in flight", _refresh_not_in_flight_if_needed),
}
