"""What may come next for a record: the inputs the table has a row for, and how to build
one consistent with the record (the link's state, the request's number).

Shared by the timeline strategies and the path generator, so that both speak of
"valid for the lifecycle" in the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from .._clocks import CLOCKS
from .._decide import deadlines, settle
from .._inputs import (
    AccessDenied,
    CodeExchanged,
    CodeRejected,
    ConsentExpiryReported,
    ConsentReconfirmed,
    ExchangeCode,
    Extend,
    ExtensionGranted,
    ExtensionNeedsAuthentication,
    FetchData,
    FetchFailed,
    Input,
    LinkIssued,
    OutcomeUnknown,
    Refresh,
    RefreshRejected,
    ReminderSent,
    RequestFailed,
    Revoke,
    Revoked,
    Tick,
    TokenLost,
    TokenRefreshed,
    UserAuthorised,
    UserDenied,
)
from .._limits import LATEST
from .._policy import Policy
from .._record import Connection
from .._secret import Secret
from .._table import RULES, TABLE
from .._vocabulary import Effect, Status

__all__ = [
    "ANSWERS",
    "CALLBACKS",
    "canonical_input",
    "fits",
    "fitting",
    "moments_of",
]

# R15: the inputs that answer requests, and which requests each may answer.
ANSWERS: dict[str, frozenset[Effect]] = {}
for _row in TABLE:
    if _row.answers:
        ANSWERS[_row.input] = ANSWERS.get(_row.input, frozenset()) | frozenset(_row.answers)
# R14: the inputs that need a link outstanding.
CALLBACKS = frozenset(row.input for row in TABLE if "link_outstanding" in row.guards)

_BY_STATUS: dict[Status, tuple[str, ...]] = {
    status: tuple(sorted(kind for (source, kind) in RULES if source is status)) for status in Status
}


def fits(kind: str, settled: Connection) -> bool:
    """Whether ``kind`` is valid for a record already settled at the input's time.

    Valid: the table has a row for it in the record's status; an answer answers the
    request in flight (R15); a callback comes while a link is outstanding (R14). The
    row's other guards may still refuse it: that is the lifecycle deciding.
    """
    if (settled.status, kind) not in RULES:
        return False
    if kind in ANSWERS:
        request = settled.request
        return request is not None and request.effect in ANSWERS[kind]
    if kind in CALLBACKS:
        return settled.link is not None
    return True


def fitting(settled: Connection) -> tuple[str, ...]:
    """Every input type valid for a record already settled at the input's time."""
    return tuple(kind for kind in _BY_STATUS[settled.status] if fits(kind, settled))


def moments_of(record: Connection, now: datetime, policy: Policy) -> tuple[datetime, ...]:
    """Every deadline of a record from ``now`` on: its clocks and its ``deadlines``.

    Where time rows fire, the agenda falls due, a request goes unresolved (late answers)
    and a code, a token or a consent runs out.
    """
    settled = settle(record, now, policy)
    found = {clock(settled, policy) for clock in CLOCKS.values()}
    limits = deadlines(settled, now, policy)
    found |= {
        limits.code_expires_at,
        limits.access_expires_at,
        limits.refresh_use_by,
        limits.consent_expires_at,
        limits.extend_until,
    }
    return tuple(sorted(moment for moment in found if moment is not None and moment >= now))


def canonical_input(kind: str, settled: Connection, at: datetime, serial: int = 1) -> Input:
    """One input of type ``kind`` at ``at``, consistent with a settled record.

    A callback carries the outstanding link's state, an answer names the request in
    flight, a grant carries a refresh token iff ``offline_access`` was asked for, and
    secrets are numbered by ``serial`` so that each one in a timeline is new.

    Raises:
        KeyError: ``kind`` is ``connection_started`` or not an input type.
    """
    number = None if settled.request is None else settled.request.number
    state = None if settled.link is None else settled.link.state
    refresh = Secret(f"refresh-{serial}") if settled.offline_access else None
    access = Secret(f"access-{serial}")
    builders: dict[str, Callable[[], Input]] = {
        "link_issued": lambda: LinkIssued(
            at, state=Secret(f"state-{serial}"), code_verifier=Secret(f"verifier-{serial}")
        ),
        "user_authorised": lambda: UserAuthorised(at, code=Secret(f"code-{serial}"), state=state),
        "user_denied": lambda: UserDenied(at, error="access_denied", state=state),
        "exchange_code": lambda: ExchangeCode(at),
        "code_exchanged": lambda: CodeExchanged(
            at, expires_in=3600, access_token=access, refresh_token=refresh, request=number
        ),
        "code_rejected": lambda: CodeRejected(at, error="invalid_grant", request=number),
        "refresh": lambda: Refresh(at),
        "token_refreshed": lambda: TokenRefreshed(
            at, expires_in=3600, access_token=access, request=number
        ),
        "refresh_rejected": lambda: RefreshRejected(at, error="invalid_grant", request=number),
        "consent_reconfirmed": lambda: ConsentReconfirmed(at, evidence="tapped 'keep sharing'"),
        "extend": lambda: Extend(at),
        "extension_granted": lambda: ExtensionGranted(
            at,
            expires_in=3600,
            access_token=access,
            refresh_token=Secret(f"refresh-{serial}"),
            request=number,
        ),
        "extension_needs_authentication": lambda: ExtensionNeedsAuthentication(
            at, user_input_link="https://auth.truelayer-sandbox.com/reauth", request=number
        ),
        "fetch_data": lambda: FetchData(at),
        "access_denied": lambda: AccessDenied(at),
        "fetch_failed": lambda: FetchFailed(at, error="provider_error"),
        "revoke": lambda: Revoke(at),
        "revoked": lambda: Revoked(at, request=number),
        "request_failed": lambda: RequestFailed(at, error="provider_error", request=number),
        "outcome_unknown": lambda: OutcomeUnknown(at, error="timeout", request=number),
        "token_lost": lambda: TokenLost(at, error="invalid_grant", request=number),
        "consent_expiry_reported": lambda: ConsentExpiryReported(
            at, consent_expires_at=min(at + timedelta(days=30), LATEST - timedelta(seconds=1))
        ),
        "reminder_sent": lambda: ReminderSent(at),
        "tick": lambda: Tick(at),
    }
    if kind not in builders:
        raise KeyError(f"{kind!r}: a timeline's inputs come after connection_started")
    return builders[kind]()
