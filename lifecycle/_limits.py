"""The range of times and durations the core accepts, so that every deadline exists.

A deadline is an input's time plus or minus a few durations (a consent lifetime, the
extension window, a reminder offset, a token's ``expires_in``). With every time between
1970 and the year 9000 and every duration at most a century, each such sum lies well
inside what ``datetime`` can hold (years 1 to 9999). Outside that range the arithmetic
would fail deep inside a decision; instead, the input, record or policy is refused when
it is built, with a typed error.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["EARLIEST", "LATEST", "LATEST_IN_RECORD", "LONGEST"]

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
"""The earliest time the core accepts (inclusive)."""

LATEST = datetime(9000, 1, 1, tzinfo=UTC)
"""The time from which the core accepts no time (exclusive)."""

LONGEST = timedelta(days=36_525)
"""The longest duration the core accepts: a policy setting, a token's ``expires_in``."""

LATEST_IN_RECORD = LATEST + LONGEST
"""A record may hold one time past ``LATEST``: an access token's expiry, an input's time
plus its ``expires_in``; every record time lies before this."""
