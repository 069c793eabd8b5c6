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
        "Extend needs a reconfirmation that no extension has used yet: one pays for one (R9).",
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
        "Another request for this connection was sent less than {request_timeout} ago (R15).",
        "Wait for its answer or failure, fed back as an event, instead of sending a second.",
    ),
    Reason.REQUEST_UNRESOLVED: (
        "A request's outcome is unknown: no answer within {request_timeout}, "
        "or `outcome_unknown` (R15).",
        "Resolve it: feed the stored answer, `request_failed` or `token_lost`; never resend.",
    ),
    Reason.NO_REQUEST_IN_FLIGHT: (
        "An answer arrived, but no request is in flight: nobody asked for it (R15).",
        "Drop it; a shell must feed back only answers to the requests the core handed out.",
    ),
    Reason.NOT_THE_REQUEST_IN_FLIGHT: (
        "The answer names another request, or answers another effect, than the one in "
        "flight (R15).",
        "Drop it: it answers a request already resolved, or was built for another one.",
    ),
    Reason.NO_LINK_OUTSTANDING: (
        "A callback arrived while no link is outstanding; every callback spends one (R14).",
        "Treat as replayed or forged: show the stored outcome, or start a new link.",
    ),
    Reason.NOT_REAUTHENTICATING: (
        "A link for an existing connection exists only to re-authenticate it (R9, R14).",
        "Extend first; a link is issued when it answers `authentication_needed`.",
    ),
    Reason.TOKEN_LOST: (
        "A request's answer never came back, so the tokens it held are lost (R15).",
        "Only a new connection helps.",
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
    InactiveReason.TOKEN_LOST: (
        "an unresolved request's answer (a rotated token) was lost; only a new connection "
        "helps (R15)"
    ),
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
    Action.RESOLVE_REQUEST: (
        "{request_timeout} after a request was sent without an answer, or at once after "
        "`outcome_unknown` (R15)",
        "look in the journal: feed the stored answer; else retry once, then `request_failed` "
        "or `token_lost`",
    ),
    Action.REAUTHENTICATE: (
        "when an extension answered `authentication_needed` (R9)",
        "nothing for a worker: the user follows the link; the callback and exchange follow",
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
