"""A clock for tests: stands still until a test moves it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Protocol

__all__ = ["SteppableClock"]


class SteppableClock:
    """A frozen clock that a test steps: ``now()`` changes only by ``advance`` or ``set``.

    Call it (``clock()``) where a store or a service takes a ``clock=`` function. Clocks
    that must show the same time (a sandbox's) can ``follow`` it: they are moved with it.

    Example:
        clock = SteppableClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
        store = SqliteStore(path, keyring=keyring, clock=clock)
        clock.advance(timedelta(minutes=6))
    """

    def __init__(self, start: datetime) -> None:
        """Create a clock showing ``start``.

        Raises:
            ValueError: ``start`` has no UTC offset.
        """
        self._lock = threading.Lock()
        self._now = _aware(start)
        self._followers: list[_Settable] = []

    def now(self) -> datetime:
        """The time the clock shows."""
        with self._lock:
            return self._now

    def __call__(self) -> datetime:
        return self.now()

    def set(self, value: datetime) -> datetime:
        """Show ``value`` from now on (backwards too); return it.

        Raises:
            ValueError: ``value`` has no UTC offset.
        """
        with self._lock:
            self._now = _aware(value)
            followers = list(self._followers)
        for follower in followers:
            follower.set(value)
        return value

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock by ``delta``; return the new time."""
        return self.set(self.now() + delta)

    def follow(self, other: _Settable) -> None:
        """Set ``other`` (anything with ``set(datetime)``) to this time now and on every move."""
        other.set(self.now())
        with self._lock:
            self._followers.append(other)

    def __repr__(self) -> str:
        return f"SteppableClock({self.now().isoformat()})"


class _Settable(Protocol):
    def set(self, value: datetime, /) -> object: ...


def _aware(value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError("a test clock shows timezone-aware datetimes only (give an offset)")
    return value
