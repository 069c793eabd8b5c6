"""The region policy table (R7) and every duration the rules use, as settings.

Facts that TrueLayer leaves *unconfirmed* (the glossary says which) are settings too,
with the documented default, so that a service can correct them without a release.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from attrs import field, frozen

from ._errors import PolicyError, UnknownRegionError
from ._limits import LONGEST

__all__ = ["DEFAULT_POLICY", "DEFAULT_REGIONS", "Policy", "RegionPolicy"]


def _check(setting: str, value: object, shortest: timedelta) -> None:
    # Every deadline must exist (see ``_limits``): durations are bounded both ways.
    if not isinstance(value, timedelta):
        raise PolicyError(setting, f"a timedelta, not {type(value).__name__}")
    if not shortest <= value <= LONGEST:
        low = "positive" if shortest else "zero or more"
        raise PolicyError(setting, f"{low} and at most {LONGEST.days} days")


def _positive(instance: object, attribute: Any, value: timedelta) -> None:
    _check(attribute.name, value, _TICK)


def _not_negative(instance: object, attribute: Any, value: timedelta) -> None:
    _check(attribute.name, value, timedelta(0))


def _each_positive(instance: object, attribute: Any, value: tuple[timedelta, ...]) -> None:
    for offset in value:
        _check(attribute.name, offset, _TICK)


_TICK = timedelta(microseconds=1)  # the shortest positive duration


@frozen
class RegionPolicy:
    """How long a connection lives in one region, and whether it can be extended (R7).

    Attributes:
        lifetime_offline: consent lifetime when ``offline_access`` was granted.
        lifetime_online: lifetime without ``offline_access``.
        extendable: whether ``/connections/extend`` applies (R9: UK only).
        note: where the numbers come from, shown in the docs.
    """

    lifetime_offline: timedelta = field(validator=_positive)
    lifetime_online: timedelta = field(validator=_positive)
    extendable: bool
    note: str = ""

    def lifetime(self, offline_access: bool) -> timedelta:
        """The consent lifetime for a connection with or without ``offline_access``."""
        return self.lifetime_offline if offline_access else self.lifetime_online


DEFAULT_REGIONS: Mapping[str, RegionPolicy] = MappingProxyType(
    {
        "uk": RegionPolicy(
            timedelta(days=90),
            timedelta(minutes=60),
            extendable=True,
            note="consent reconfirmed at least every 90 days (FCA, 2022)",
        ),
        "au": RegionPolicy(
            timedelta(days=365),
            timedelta(hours=24),
            extendable=False,
            note="CDR; the guide's second row",
        ),
        "eu": RegionPolicy(
            timedelta(days=90),
            timedelta(minutes=60),
            extendable=False,
            note="90 days 'usually'; 60 minutes without offline_access is unconfirmed",
        ),
    }
)


def _longest_first(offsets: Iterable[timedelta]) -> tuple[timedelta, ...]:
    offsets = tuple(offsets)
    if all(isinstance(offset, timedelta) for offset in offsets):
        return tuple(sorted(offsets, reverse=True))
    return offsets  # unsorted: the validator says what is wrong


def _regions(instance: object, attribute: Any, value: Mapping[str, RegionPolicy]) -> None:
    for name, region in value.items():
        if not isinstance(name, str) or not name:
            raise PolicyError("regions", "keyed by non-empty region names")
        if not isinstance(region, RegionPolicy):
            raise PolicyError(f"regions[{name!r}]", "a RegionPolicy")


def _frozen_mapping(value: Mapping[str, RegionPolicy]) -> Mapping[str, RegionPolicy]:
    return MappingProxyType(dict(value))


@frozen
class Policy:
    """Every number the rules use. Pass a changed copy (``attrs.evolve``) to adjust one.

    Attributes:
        regions: the R7 table.
        code_lifetime: R3, a code is invalid once this has passed since it was issued.
        refresh_first_use_window: R6, a refresh token must be used within this.
        extend_window: R9, extension stays possible this long after consent expiry.
        refresh_leeway: the agenda refreshes an access token this long before it expires.
        keep_alive_margin: the agenda uses a fresh refresh token this long before day 30.
        reminder_offsets: the agenda reminds the user this long before consent expiry.
        request_timeout: a request the core asked for counts as in flight this long.
    """

    regions: Mapping[str, RegionPolicy] = field(
        default=DEFAULT_REGIONS, converter=_frozen_mapping, validator=_regions, hash=False
    )
    code_lifetime: timedelta = field(default=timedelta(minutes=5), validator=_positive)
    refresh_first_use_window: timedelta = field(default=timedelta(days=30), validator=_positive)
    extend_window: timedelta = field(default=timedelta(days=90), validator=_not_negative)
    refresh_leeway: timedelta = field(default=timedelta(minutes=5), validator=_not_negative)
    keep_alive_margin: timedelta = field(default=timedelta(days=1), validator=_not_negative)
    reminder_offsets: tuple[timedelta, ...] = field(
        default=(timedelta(days=14), timedelta(days=7), timedelta(days=1)),
        converter=_longest_first,
        validator=_each_positive,
    )
    request_timeout: timedelta = field(default=timedelta(minutes=2), validator=_positive)
    # Derived from ``regions`` once: every decision asks for a lifetime (R7).
    lifetimes: Mapping[tuple[str, bool], timedelta] = field(
        init=False, eq=False, hash=False, repr=False
    )

    @lifetimes.default
    def _lifetimes(self) -> Mapping[tuple[str, bool], timedelta]:
        return MappingProxyType(
            {
                (name, offline): region.lifetime(offline)
                for name, region in self.regions.items()
                # Built before the validators run: leave a wrong entry to ``_regions``.
                if isinstance(region, RegionPolicy)
                for offline in (True, False)
            }
        )

    def lifetime(self, region: str, offline_access: bool) -> timedelta:
        """The consent lifetime in a region, with or without ``offline_access`` (R7).

        Raises:
            UnknownRegionError: the table does not name that region.
        """
        lifetime = self.lifetimes.get((region, offline_access))
        if lifetime is None:
            raise UnknownRegionError(region, tuple(sorted(self.regions)))
        return lifetime

    def region(self, name: str) -> RegionPolicy:
        """The policy of one region.

        Raises:
            UnknownRegionError: the table does not name that region.
        """
        region = self.regions.get(name)
        if region is None:
            raise UnknownRegionError(name, tuple(sorted(self.regions)))
        return region


DEFAULT_POLICY = Policy()
