"""The core's errors: one family, each a subclass of the builtin that fits."""

from __future__ import annotations

from datetime import datetime

__all__ = [
    "LifecycleError",
    "MalformedInputError",
    "NaiveDatetimeError",
    "PolicyError",
    "TableError",
    "TimeOutOfRangeError",
    "UnknownRegionError",
    "UnsupportedSchemaVersionError",
]


class LifecycleError(Exception):
    """Base class of every error the core raises."""


class MalformedInputError(LifecycleError, ValueError):
    """An input or record cannot be built from what was given."""


class NaiveDatetimeError(MalformedInputError):
    """A timestamp has no UTC offset: the core cannot order it against the clocks."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} must be timezone-aware (give an offset, e.g. +00:00)")
        self.field = field


class TimeOutOfRangeError(MalformedInputError):
    """A time outside the range where every deadline exists (see ``EARLIEST``, ``LATEST``)."""

    def __init__(self, field: str, earliest: datetime, latest: datetime) -> None:
        super().__init__(
            f"{field} must lie between {earliest.date().isoformat()} "
            f"and {latest.date().isoformat()} (UTC)"
        )
        self.field = field


class UnknownRegionError(MalformedInputError):
    """A region that the policy table does not name."""

    def __init__(self, region: str, known: tuple[str, ...]) -> None:
        # Echo at most a little of what was given: a hostile input may be megabytes.
        shown = region[:40] + ("..." if len(region) > 40 else "")
        super().__init__(f"unknown region {shown!r}; known regions: {', '.join(known)}")
        self.region = region


class UnsupportedSchemaVersionError(MalformedInputError):
    """A persisted form written by a schema this version cannot read."""

    def __init__(self, found: object, supported: tuple[int, ...]) -> None:
        readable = ", ".join(str(version) for version in supported)
        shown = repr(found)[:40]
        super().__init__(f"schema_version {shown} is not supported (this reads {readable})")
        self.found = found


class PolicyError(LifecycleError, ValueError):
    """A policy setting out of range: a duration not positive, or longer than a century."""

    def __init__(self, setting: str, requirement: str) -> None:
        super().__init__(f"policy setting {setting} must be {requirement}")
        self.setting = setting


class TableError(LifecycleError, RuntimeError):
    """The transition table contradicts itself; raised at import, never at run time."""
