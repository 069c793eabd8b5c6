"""The sandbox clock: the only time the sandbox's rules read, controlled by the tests."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

__all__ = ["SandboxClock"]


# The rules add up to a few years to the time (a lifetime, the extend window), so the
# clock keeps far from datetime's ends (years 1 and 9999), where that would overflow.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("the sandbox clock only takes timezone-aware datetimes")
    if not EARLIEST <= value < LATEST:
        raise ValueError("the sandbox clock stays between the years 1900 and 8999")
    return value


class SandboxClock:
    """A thread-safe clock that stands still (or ticks with real time) until moved.

    Every rule of the sandbox (code age R3, token expiry R5, first use R6, lifetime R7/R8,
    extend window R9) reads ``now()`` from here, so a test crosses a boundary by moving
    the clock instead of sleeping.
    """

    def __init__(self, start: datetime, *, ticks: bool = False) -> None:
        """Create a clock showing ``start``.

        Args:
            start: the first reading; must be timezone-aware.
            ticks: also follow real elapsed time (monotonic) after ``start``.

        Raises:
            ValueError: ``start`` is naive, or not between the years 1900 and 8999.
        """
        self._lock = threading.Lock()
        self._base = _aware(start)
        self._ticks = ticks
        self._mono = time.monotonic()

    def now(self) -> datetime:
        """The sandbox's current time."""
        with self._lock:
            if not self._ticks:
                return self._base
            return self._base + timedelta(seconds=time.monotonic() - self._mono)

    def set(self, value: datetime) -> datetime:
        """Jump to ``value`` (backwards too) and return it.

        Raises:
            ValueError: ``value`` is naive, or not between the years 1900 and 8999.
        """
        with self._lock:
            self._base = _aware(value)
            self._mono = time.monotonic()
            return self._base

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock by ``delta`` and return the new time.

        Raises:
            ValueError: the clock would leave the years 1900 to 8999 (it stays put).
        """
        with self._lock:
            base = self._base
            if self._ticks:
                base += timedelta(seconds=time.monotonic() - self._mono)
            try:
                moved = _aware(base + delta)
            except OverflowError:
                raise ValueError(
                    "the sandbox clock stays between the years 1900 and 8999"
                ) from None
            self._base, self._mono = moved, time.monotonic()
            return self._base

    def __repr__(self) -> str:
        return f"SandboxClock(now={self.now().isoformat()!r}, ticks={self._ticks})"
