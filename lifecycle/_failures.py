"""A failed call as a core event: every failure means something to the record (R15).

The mapping itself is data, next to the transition table (``FAILURES``); this builds the
event from it, so that a shell never decides what a failure means.
"""

from __future__ import annotations

from datetime import datetime

from ._inputs import (
    AccessDenied,
    CodeRejected,
    FetchFailed,
    Input,
    OutcomeUnknown,
    RefreshRejected,
    RequestFailed,
)
from ._secret import Secret
from ._table import FAILURES
from ._vocabulary import Effect

__all__ = ["failure_event"]

_REJECTIONS = {cls.TYPE: cls for cls in (CodeRejected, RefreshRejected)}


def failure_event(
    effect: Effect,
    error: str,
    at: datetime,
    *,
    request: int | None = None,
    took_effect_maybe: bool = False,
    access_token: Secret | None = None,
) -> Input:
    """The event that reports a failed call to the core.

    Args:
        effect: what the call performed.
        error: TrueLayer's error code, or a name for a failure without one
            (``timeout``, ``provider_error``).
        at: when the failure was seen.
        request: the number of the request it answers (``None``: the one in flight).
        took_effect_maybe: the call may have been processed although no answer came
            (a timeout after sending, a 5xx on a single-use call): the request stays in
            flight, unresolved, instead of being freed (R15).
        access_token: for a data call, the token it used (a refused current token is
            counted expired, R11).

    Raises:
        MalformedInputError: ``error`` is not a valid non-empty string, or ``at`` is naive.
    """
    answer = FAILURES.get((effect, error))
    if effect is Effect.FETCH_DATA:
        if answer == AccessDenied.TYPE:
            return AccessDenied(at)
        return FetchFailed(at, error=error, access_token=access_token)
    if answer in _REJECTIONS:
        return _REJECTIONS[answer](at, error=error, request=request)
    if took_effect_maybe:
        return OutcomeUnknown(at, error=error, request=request)
    return RequestFailed(at, error=error, request=request)
