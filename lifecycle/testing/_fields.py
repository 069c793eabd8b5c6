"""Strategies for the values inputs are made of: regions, scopes, texts, secrets, instants.

Every value drawn here is one the core accepts when an input is built from it: texts
are non-empty and free of NUL and lone surrogates, instants are timezone-aware and lie
in the range where every deadline exists (``lifecycle.EARLIEST`` to ``lifecycle.LATEST``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from .._inputs import KNOWN_SCOPES
from .._limits import EARLIEST, LATEST, LONGEST
from .._policy import DEFAULT_POLICY, Policy
from .._secret import Secret

__all__ = [
    "SECOND",
    "T0",
    "boundaries",
    "durations_of",
    "error_codes",
    "instants",
    "offsets",
    "regions",
    "scope_sets",
    "secrets",
    "texts",
]

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
"""A Monday morning: where generated timelines start unless told otherwise."""

SECOND = timedelta(seconds=1)

# What TrueLayer and users send most (R2, R11, R13); any other text is possible too.
_KNOWN_ERRORS = (
    "access_denied",
    "invalid_grant",
    "invalid_authorization_code",
    "invalid_client",
    "invalid_token",
    "provider_error",
    "temporarily_unavailable",
    "timeout",
    "sca_exceeded",
)


def texts(max_size: int = 40) -> st.SearchStrategy[str]:
    """Non-empty strings every store and wire can carry (no NUL, no lone surrogate)."""
    alphabet = st.characters(codec="utf-8", exclude_characters="\x00")
    return st.text(alphabet, min_size=1, max_size=max_size)


def secrets(max_size: int = 40) -> st.SearchStrategy[Secret]:
    """Secrets (tokens, codes, states, verifiers) with valid values."""
    return st.one_of(st.sampled_from(["s-a", "s-b", "s-c"]), texts(max_size)).map(Secret)


def error_codes() -> st.SearchStrategy[str]:
    """Error codes: mostly the ones TrueLayer and users send, now and then any text."""
    return st.sampled_from(_KNOWN_ERRORS) | texts(20)


def regions(policy: Policy = DEFAULT_POLICY) -> st.SearchStrategy[str]:
    """The regions of a policy's R7 table."""
    return st.sampled_from(sorted(policy.regions))


def scope_sets(*, offline_access: bool | None = None) -> st.SearchStrategy[tuple[str, ...]]:
    """Non-empty sets of known scopes (R1), as sorted tuples.

    Args:
        offline_access: ``True`` always includes ``offline_access``, ``False`` never
            does, ``None`` (the default) either.
    """
    others = sorted(KNOWN_SCOPES - {"offline_access"})
    base = st.frozensets(st.sampled_from(others), min_size=0 if offline_access else 1)
    if offline_access is None:
        extra = st.sampled_from([(), ("offline_access",)])
    else:
        extra = st.just(("offline_access",) if offline_access else ())
    return st.tuples(base, extra).map(lambda pair: tuple(sorted({*pair[0], *pair[1]})))


def offsets() -> st.SearchStrategy[timezone]:
    """UTC and fixed offsets from -14:00 to +14:00 in quarter hours."""
    return st.just(UTC) | st.integers(-56, 56).map(
        lambda quarters: timezone(timedelta(minutes=15 * quarters))
    )


def durations_of(
    policy: Policy = DEFAULT_POLICY, *, expires_in: Iterable[int] = (3600,)
) -> tuple[timedelta, ...]:
    """Every duration a deadline of ``policy`` is made of, shortest first.

    The code lifetime (R3), the refresh token's first-use window (R6), every region's
    consent lifetimes (R7), the extension window (R9), the agenda's leeways and
    reminder offsets, the request time limit (R15), and the access token lifetimes
    given as ``expires_in`` (R5).
    """
    found = {
        policy.code_lifetime,
        policy.refresh_first_use_window,
        policy.extend_window,
        policy.refresh_leeway,
        policy.keep_alive_margin,
        policy.request_timeout,
        *policy.reminder_offsets,
        *(timedelta(seconds=seconds) for seconds in expires_in),
    }
    for region in policy.regions.values():
        found |= {region.lifetime_offline, region.lifetime_online}
        found.add(region.lifetime_offline + policy.extend_window)
    return tuple(sorted(duration for duration in found if duration > timedelta(0)))


def boundaries(moments: Iterable[datetime], *, hug: timedelta = SECOND) -> tuple[datetime, ...]:
    """Each moment, and ``hug`` before and after it, kept within the core's range."""
    hugged = {moment + shift for moment in moments for shift in (-hug, timedelta(0), hug)}
    return tuple(sorted(moment for moment in hugged if EARLIEST <= moment < LATEST))


def instants(
    policy: Policy = DEFAULT_POLICY,
    *,
    start: datetime = T0,
    expires_in: Iterable[int] = (3600,),
) -> st.SearchStrategy[datetime]:
    """Timezone-aware instants after ``start``, hugging the policy's deadlines.

    Half the draws are exactly at, one second before or one second after ``start`` plus
    one of the policy's durations (``durations_of``); the rest are any instant from
    ``start`` to a century after it. Every instant carries a UTC offset (UTC or a fixed
    one) and lies in the core's range.
    """
    start = max(start, EARLIEST)
    hugging = boundaries(
        start + duration for duration in durations_of(policy, expires_in=expires_in)
    )
    latest = min(start + LONGEST, LATEST - SECOND)
    anywhere = st.datetimes(
        min_value=start.astimezone(UTC).replace(tzinfo=None),
        max_value=latest.astimezone(UTC).replace(tzinfo=None),
    ).map(lambda naive: naive.replace(tzinfo=UTC))
    pool = st.sampled_from(hugging) | anywhere if hugging else anywhere
    return st.tuples(pool, offsets()).map(lambda pair: pair[0].astimezone(pair[1]))
