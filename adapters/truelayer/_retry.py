"""Retries of transient failures, with backoff and jitter, through ``stamina``.

Which failures are transient is decided by the errors themselves (``retryable``, set
by ``error_for_answer`` and ``error_for_transport``): connect errors, timeouts, 429 and
5xx, except that a single-use call (R3, R6, R9) is repeated only when TrueLayer provably
did not process it. ``invalid_grant`` and every other 4xx are never retried.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

import stamina
from attrs import field, frozen, validators

from ._errors import TrueLayerError

__all__ = ["RetryPolicy", "retry_async", "retry_sync"]

T = TypeVar("T")


@frozen
class RetryPolicy:
    """How often and how patiently a call is repeated after a transient failure.

    Attributes:
        attempts: the most calls made in all (1 = no retry).
        timeout: the most seconds spent retrying one call, waits included.
        wait_initial: the first backoff, in seconds; it doubles each time.
        wait_max: the longest backoff (a server's ``Retry-After`` is capped to it too).
        wait_jitter: up to this many random seconds added to each backoff.

    Raises:
        ValueError: ``attempts`` < 1, or a negative duration.
    """

    attempts: int = field(default=3, validator=validators.ge(1))
    timeout: float = field(default=30.0, validator=validators.gt(0))
    wait_initial: float = field(default=0.2, validator=validators.ge(0))
    wait_max: float = field(default=5.0, validator=validators.ge(0))
    wait_jitter: float = field(default=0.5, validator=validators.ge(0))

    @classmethod
    def none(cls) -> RetryPolicy:
        """Never repeat a call."""
        return cls(attempts=1)

    def sync_attempts(self) -> Iterator[stamina.Attempt]:
        """stamina's attempts, for a ``for`` loop (see ``retry_sync``)."""
        return iter(stamina.retry_context(**self._settings()))

    def async_attempts(self) -> AsyncIterator[stamina.Attempt]:
        """stamina's attempts, for an ``async for`` loop (see ``retry_async``)."""
        return aiter(stamina.retry_context(**self._settings()))

    def _settings(self) -> dict[str, Any]:
        return {
            "on": self._on,
            "attempts": self.attempts,
            "timeout": dt.timedelta(seconds=self.timeout),
            "wait_initial": self.wait_initial,
            "wait_max": self.wait_max,
            "wait_jitter": self.wait_jitter,
        }

    def _on(self, error: Exception) -> bool | float:
        # stamina's backoff hook: retry only a retryable TrueLayerError; a float is the
        # wait before the next attempt (a 429's Retry-After, capped to wait_max).
        if not isinstance(error, TrueLayerError) or not error.retryable:
            return False
        return True if error.retry_after is None else min(error.retry_after, self.wait_max)


def retry_sync(policy: RetryPolicy, attempt: Callable[[], T]) -> T:
    """Run ``attempt`` until it succeeds, fails for good, or the policy gives up.

    Raises:
        TrueLayerError: the last error, when not retryable or out of attempts.
    """
    for retrying in policy.sync_attempts():
        with retrying:
            result = attempt()
    return result


async def retry_async(policy: RetryPolicy, attempt: Callable[[], Awaitable[T]]) -> T:
    """``retry_sync`` for coroutines; the backoff sleeps without blocking the loop.

    Raises:
        TrueLayerError: the last error, when not retryable or out of attempts.
    """
    async for retrying in policy.async_attempts():
        with retrying:
            result = await attempt()
    return result
