"""The documentation's tables, as Markdown, generated from the core (no hand-copied numbers).

The docs site inserts these where a page says ``<!-- generated: NAME -->`` (see
``docs/hooks.py``). Numbers come from a ``Policy``; rows from the enums and the
transition table, so a new region, reason or row appears without anyone editing a page.
The sentences that explain each refusal or inactive reason are kept here, keyed by the
enum; a value without one stops the docs build (``MissingDescriptionError``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TypeVar

import lifecycle
from lifecycle import Guard, InactiveReason, Kind, Policy, Reason, Rule

from ._gantt import TYPICAL_EXPIRES_IN, human

__all__ = [
    "MissingDescriptionError",
    "clock_table",
    "error_table",
    "inactive_reason_table",
    "reason_table",
    "region_table",
    "transition_table",
]


_E = TypeVar("_E", bound=StrEnum)
_V = TypeVar("_V")


class MissingDescriptionError(LookupError):
    """An enum value that the docs do not explain yet: add a sentence to ``_tables``."""


# Why an input is refused and what an embedding service should do about it. The
# ``{names}`` are filled in from the policy.
_REASONS: dict[Reason, tuple[str, str]] = {
    Reason.NOT_ALLOWED_IN_STATUS: (
        "The table has no row for this input in the connection's status.",
        "Nothing: the input does not apply now (see the state diagram).",
    ),
    Reason.CLOCK_WENT_BACKWARDS: (
        "The input's `at` is earlier than the last input applied.",
        "Feed inputs in time order; fix the clock or the queue that reordered them.",
    ),
    Reason.STATE_MISMATCH: (
        "The callback's `state` is not the one issued with the link (R14).",
        "Treat as a forged or stale callback: show an error, start a new link.",
    ),
    Reason.NO_CODE: (
        "No authorisation code was received, so there is nothing to exchange.",
        "Wait for the callback (`user_authorised`).",
    ),
    Reason.CODE_EXPIRED: (
        "The code is older than {code_lifetime} (R3).",
        "Send the user through a new auth link.",
    ),
    Reason.CODE_USED: (
        "The code was already exchanged: codes are single use (R3).",
        "Do not exchange again (a reload of the callback page); show the result.",
    ),
    Reason.NO_OFFLINE_ACCESS: (
        "No `offline_access`, or no refresh token was issued (R6).",
        "Access ends with the access token; reconnect for more.",
    ),
    Reason.REFRESH_TOKEN_LAPSED: (
        "The refresh token was never used within {refresh_first_use_window} (R6).",
        "Reconnect (extend where the region allows it).",
    ),
    Reason.CONSENT_EXPIRED: (
        "The consent's lifetime has passed (R7, R8).",
        "Extend (where allowed, within {extend_window} of expiry) or reconnect.",
    ),
    Reason.NOT_ACTIVE: (
        "The input is only accepted while the connection is `active`.",
        "Look at the status: reconnect or extend first.",
    ),
    Reason.REGION_NOT_EXTENDABLE: (
        "The region does not offer `/connections/extend` (R9).",
        "Send the user through a new auth link.",
    ),
    Reason.CONSENT_NOT_RECONFIRMED: (
        "Extend needs the user's reconfirmation, newer than the consent it renews (R9).",
        "Ask the user to reconfirm; feed `consent_reconfirmed`, then `extend`.",
    ),
    Reason.REVOKED: (
        "The connection was deleted (R12).",
        "Only a new connection helps.",
    ),
    Reason.EXTEND_WINDOW_CLOSED: (
        "More than {extend_window} have passed since the consent expired (R9).",
        "Send the user through a new auth link.",
    ),
    Reason.ACCESS_TOKEN_EXPIRED: (
        "The access token has expired and no refresh can get a new one (R5, R11).",
        "Reconnect, or extend where allowed.",
    ),
    Reason.REQUEST_IN_FLIGHT: (
        "Another request for this connection started less than {request_timeout} ago.",
        "Wait for its outcome (or the timeout) instead of sending a second one.",
    ),
}

_INACTIVE: dict[InactiveReason, str] = {
    InactiveReason.CONSENT_EXPIRED: "the consent lifetime passed (R7, R8)",
    InactiveReason.REFRESH_TOKEN_LAPSED: (
        "the refresh token was never used within {refresh_first_use_window} and the "
        "access token has expired (R6)"
    ),
    InactiveReason.REFRESH_REJECTED: "the token endpoint answered `invalid_grant` (R6, R13)",
    InactiveReason.ACCESS_DENIED: "a data call answered 403 `access_denied` (R11)",
    InactiveReason.REVOKED: "the connection was deleted; only a new one helps (R12)",
}


def _numbers(policy: Policy) -> dict[str, str]:
    return {
        "code_lifetime": human(policy.code_lifetime),
        "refresh_first_use_window": human(policy.refresh_first_use_window),
        "extend_window": human(policy.extend_window),
        "request_timeout": human(policy.request_timeout),
    }


def _cell(text: str) -> str:
    # Table cells: a pipe ends the cell, and guard labels hold "<".
    return text.replace("|", "\\|").replace("<", "&lt;")


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _described(enum: type[_E], sentences: Mapping[_E, _V]) -> Mapping[_E, _V]:
    missing = [member.value for member in enum if member not in sentences]
    if missing:
        raise MissingDescriptionError(
            f"{enum.__name__} values without a description in adapters/diagrams/_tables.py: "
            + ", ".join(missing)
        )
    return sentences


def region_table(policy: Policy) -> str:
    """R7: each region's consent lifetimes and whether it can be extended."""
    rows = []
    for name, region in sorted(policy.regions.items()):
        extend = f"yes, up to {human(policy.extend_window)} after expiry"
        rows.append(
            (
                f"`{name}`",
                human(region.lifetime_offline),
                human(region.lifetime_online),
                extend if region.extendable else "no: a new connection",
                region.note,
            )
        )
    header = ("region", "with `offline_access`", "without", "extend (R9)", "note")
    return _table(header, rows)


def clock_table(policy: Policy) -> str:
    """The clocks: what starts each, how long it runs, and the rule."""
    regions = sorted(policy.regions.items())
    consent = ", ".join(f"{name} {human(r.lifetime_offline)}" for name, r in regions)
    rows = [
        ("code", "callback received", human(policy.code_lifetime), "R3"),
        (
            "access token",
            "exchange or refresh request sent",
            f"`expires_in` (typically {human(TYPICAL_EXPIRES_IN)})",
            "R5",
        ),
        ("refresh token first use", "token received", human(policy.refresh_first_use_window), "R6"),
        ("consent", "consent given or last extended", f"by region: {consent}", "R7, R8"),
        ("extend window", "consent expiry", human(policy.extend_window), "R9"),
    ]
    return _table(("clock", "starts", "length", "rule"), rows)


def reason_table(policy: Policy) -> str:
    """Every refusal ``Reason``: what it means and what to do.

    Raises:
        MissingDescriptionError: a ``Reason`` has no sentence here.
    """
    sentences = _described(Reason, _REASONS)
    numbers = _numbers(policy)
    rows = [
        (f"`{reason.value}`", means.format(**numbers), then.format(**numbers))
        for reason in Reason
        for means, then in [sentences[reason]]
    ]
    return _table(("reason", "means", "what to do"), rows)


def inactive_reason_table(table: Iterable[Rule], policy: Policy) -> str:
    """Every ``InactiveReason``: what caused it and the rows that set it.

    Raises:
        MissingDescriptionError: an ``InactiveReason`` has no sentence here.
    """
    sentences = _described(InactiveReason, _INACTIVE)
    rows_by_reason: dict[InactiveReason, list[str]] = {reason: [] for reason in InactiveReason}
    for row in table:
        if row.reason is not None:
            source = "new" if row.source is None else row.source.value
            rows_by_reason[row.reason].append(f"`{row.input}` ({row.kind}, from {source})")
    numbers = _numbers(policy)
    rows = [
        (
            f"`{reason.value}`",
            sentences[reason].format(**numbers),
            ", ".join(rows_by_reason[reason]) or "—",
        )
        for reason in InactiveReason
    ]
    return _table(("inactive_reason", "cause", "set by"), rows)


def error_table() -> str:
    """The exceptions the core raises, with the builtin each one also is."""
    rows = []
    for name in sorted(lifecycle.__all__):
        value = getattr(lifecycle, name)
        if isinstance(value, type) and issubclass(value, lifecycle.LifecycleError):
            builtins = sorted(
                base.__name__
                for base in value.__mro__
                if base.__module__ == "builtins" and base not in (object, BaseException)
            )
            summary = (value.__doc__ or "").strip().splitlines()[0]
            rows.append((f"`{name}`", ", ".join(f"`{b}`" for b in builtins), summary))
    return _table(("exception", "also a", "raised when"), rows)


def transition_table(table: Iterable[Rule], guards: Mapping[str, Guard]) -> str:
    """The transition table itself, one line per row, in declaration order."""
    rows = []
    for row in table:
        rows.append(
            (
                "new" if row.source is None else f"`{row.source.value}`",
                f"`{row.input}`",
                str(row.kind),
                f"`{row.dest.value}`" + (f" ({row.reason.value})" if row.reason else ""),
                ", ".join(guards[name].label for name in row.guards)
                or (f"after `{row.clock}`" if row.kind is Kind.TIME else ""),
                ", ".join(f"`{effect.value}`" for effect in row.effects),
                row.rule,
            )
        )
    header = ("from", "input", "kind", "to", "guards", "effects", "rule")
    return _table(header, rows)
