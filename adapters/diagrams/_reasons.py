"""The documentation's tables of reasons and actions, with the sentences that explain them.

Rows come from the enums (``Reason``, ``InactiveReason``, ``Action``) and the transition
table; numbers from a ``Policy``. The sentences are kept here, keyed by enum member; a
member without one stops the docs build (``MissingDescriptionError``), so a new reason
cannot go undocumented.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from lifecycle import Action, InactiveReason, Policy, Reason, Rule

from ._markdown import described, markdown_table, numbers

__all__ = ["agenda_table", "inactive_reason_table", "reason_table"]

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


_ACTIONS: dict[Action, tuple[str, str]] = {
    Action.REFRESH_ACCESS_TOKEN: (
        "{refresh_leeway} before the access token expires, while a refresh can work (R5, R6)",
        "send `refresh`, perform `refresh_token`, feed `token_refreshed` or `refresh_rejected`",
    ),
    Action.KEEP_REFRESH_TOKEN_ALIVE: (
        "{keep_alive_margin} before a never-used refresh token's "
        "{refresh_first_use_window} run out (R6)",
        "send `refresh`: one use keeps the refresh token alive until the consent ends",
    ),
    Action.REMIND_RECONFIRM: (
        "{reminder_offsets} before the consent expires (R9)",
        "ask the user to reconfirm; feed `reminder_sent` (and `consent_reconfirmed`, `extend`)",
    ),
    Action.EXPIRE: (
        "when the next time row fires: code or consent expiry, refresh token lapse",
        "nothing to send: feed `tick` (or any input) to record the new status",
    ),
}


def _two_sentence_table(
    members: Iterable[StrEnum],
    sentences: Mapping[Any, tuple[str, str]],
    header: tuple[str, str, str],
    policy: Policy,
) -> str:
    # One row per member: its name, then its two sentences with the policy's numbers.
    values = numbers(policy)
    rows = [
        (f"`{member.value}`", first.format(**values), second.format(**values))
        for member in members
        for first, second in [sentences[member]]
    ]
    return markdown_table(header, rows)


def reason_table(policy: Policy) -> str:
    """Every refusal ``Reason``: what it means and what to do.

    Raises:
        MissingDescriptionError: a ``Reason`` has no sentence here.
    """
    sentences = described(Reason, _REASONS)
    return _two_sentence_table(Reason, sentences, ("reason", "means", "what to do"), policy)


def inactive_reason_table(table: Iterable[Rule], policy: Policy) -> str:
    """Every ``InactiveReason``: what caused it and the rows that set it.

    Raises:
        MissingDescriptionError: an ``InactiveReason`` has no sentence here.
    """
    sentences = described(InactiveReason, _INACTIVE)
    rows_by_reason: dict[InactiveReason, list[str]] = {reason: [] for reason in InactiveReason}
    for row in table:
        if row.reason is not None:
            source = "new" if row.source is None else row.source.value
            rows_by_reason[row.reason].append(f"`{row.input}` ({row.kind}, from {source})")
    values = numbers(policy)
    rows = [
        (
            f"`{reason.value}`",
            sentences[reason].format(**values),
            ", ".join(rows_by_reason[reason]) or "—",
        )
        for reason in InactiveReason
    ]
    return markdown_table(("inactive_reason", "cause", "set by"), rows)


def agenda_table(policy: Policy) -> str:
    """Every agenda ``Action``: when it is due and what a worker does about it.

    Raises:
        MissingDescriptionError: an ``Action`` has no sentence here.
    """
    sentences = described(Action, _ACTIONS)
    return _two_sentence_table(Action, sentences, ("action", "due", "what to do"), policy)
