"""The transition table: everything that affects the state machine lives here.

Theory of operation. A connection is in one of four statuses. Each row says: in status
``source``, the input ``input`` (an event, a command, or the passing of time) leads to
status ``dest`` (with ``reason`` when that is ``inactive``), provided every guard passes;
a command's row names the effects the shell must perform. A ``source`` of ``None`` is
the connection before it exists.

Time rows (``Kind.TIME``) are not fed in: they fire by themselves once their ``clock``
has run out, and are applied ("settled") before any input at a later time is looked at.

Everything else is derived from this table: the runtime lookup (``RULES``), the
``transitions`` machine (``lifecycle._machine``), the diagrams and the docs tables.
Nothing about statuses is decided outside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from attrs import frozen

from ._clocks import CLOCKS, Clock
from ._errors import TableError
from ._guards import GUARDS
from ._inputs import INPUT_TYPES, _Answer
from ._vocabulary import Effect, InactiveReason, Kind, Status

__all__ = [
    "FAILURES",
    "RULES",
    "TABLE",
    "TIME_RULES",
    "TIME_RULES_BY_SOURCE",
    "Rule",
    "rules_for",
]

AR, AZ, AC, IN = (
    Status.AUTHORIZATION_REQUIRED,
    Status.AUTHORIZED,
    Status.ACTIVE,
    Status.INACTIVE,
)
E, C, T = Kind.EVENT, Kind.COMMAND, Kind.TIME


@frozen
class Rule:
    """One row of the table.

    Attributes:
        input: the input's ``TYPE`` (for time rows, the name of what happens).
        kind: event, command or time.
        source: the status the row applies in; ``None`` before the connection exists.
        dest: the status after.
        reason: the inactive reason set, for rows into ``inactive`` that set one.
        guards: names in ``GUARDS``, checked in order; the first to fail refuses.
        effects: what the shell must do when the command is accepted; a command with
            an effect other than ``fetch_data`` hands out a request (R15).
        answers: for an answer, the effects whose request in flight it may answer
            (R15); it is refused unless one of them is in flight (and, when it names
            a request number, that one).
        refresh_first: prepend a refresh when the access token has expired (R11).
        clock: for time rows, the name in ``CLOCKS`` whose running out fires the row.
        rule: the rule (R1-R15, in the glossary) that the row implements.
    """

    input: str
    kind: Kind
    source: Status | None
    dest: Status
    reason: InactiveReason | None = None
    guards: tuple[str, ...] = ()
    effects: tuple[Effect, ...] = ()
    answers: tuple[Effect, ...] = ()
    refresh_first: bool = False
    clock: str | None = None
    rule: str = ""


XC, RT, XT, DL = (
    Effect.EXCHANGE_CODE,
    Effect.REFRESH_TOKEN,
    Effect.EXTEND_CONNECTION,
    Effect.DELETE_CONNECTION,
)
ANY = (XC, RT, XT, DL)  # request_failed and outcome_unknown answer any request
CALLBACK = ("link_outstanding", "state_matches")  # R14
REAUTH = ("reauthenticating", "nothing_in_flight")  # R9: a new link for the user

TABLE: tuple[Rule, ...] = (
    Rule("connection_started", E, None, AR, rule="R1"),
    # Authorisation: a link, its callback, the code's exchange (R1-R4, R14).
    Rule("link_issued", E, AR, AR, rule="R14"),
    Rule("user_authorised", E, AR, AZ, guards=CALLBACK, rule="R2"),
    Rule("user_denied", E, AR, AR, guards=CALLBACK, rule="R2"),
    Rule(
        "exchange_code", C, AZ, AZ, guards=("code_unused", "nothing_in_flight"),
        effects=(XC,), rule="R3",
    ),
    Rule("code_exchanged", E, AZ, AC, answers=(XC,), rule="R4"),
    Rule("code_rejected", E, AZ, AR, answers=(XC,), rule="R3"),
    Rule("code_expired", T, AZ, AR, clock="code_expires_at", rule="R3"),
    # Tokens (R5, R6).
    Rule(
        "refresh", C, AC, AC,
        guards=("offline_access", "refresh_token_alive", "nothing_in_flight"),
        effects=(RT,), rule="R6",
    ),
    Rule("token_refreshed", E, AC, AC, answers=(RT,), rule="R5"),
    Rule("token_refreshed", E, IN, IN, answers=(RT,), rule="R15"),
    Rule("refresh_rejected", E, AC, IN, InactiveReason.REFRESH_REJECTED, answers=(RT,),
         rule="R6"),
    Rule("refresh_rejected", E, IN, IN, answers=(RT,), rule="R6"),
    # Reconfirmation and extension (R9); re-authentication keeps the connection as it is.
    Rule("consent_reconfirmed", E, AC, AC, rule="R9"),
    Rule("consent_reconfirmed", E, IN, IN, guards=("not_revoked",), rule="R9"),
    Rule(
        "extend", C, AC, AC,
        guards=("region_extendable", "offline_access", "consent_reconfirmed",
                "nothing_in_flight"),
        effects=(XT,), rule="R9",
    ),
    Rule(
        "extend", C, IN, IN,
        guards=("not_revoked", "region_extendable", "offline_access",
                "consent_reconfirmed", "within_extend_window", "nothing_in_flight"),
        effects=(XT,), rule="R9",
    ),
    Rule("extension_granted", E, AC, AC, answers=(XT,), rule="R9"),
    Rule("extension_granted", E, IN, AC, answers=(XT,), rule="R9"),
    Rule("extension_needs_authentication", E, AC, AC, answers=(XT,), rule="R9"),
    Rule("extension_needs_authentication", E, IN, IN, answers=(XT,), rule="R9"),
    Rule("link_issued", E, AC, AC, guards=REAUTH, rule="R14"),
    Rule("link_issued", E, IN, IN, guards=REAUTH, rule="R14"),
    Rule("user_authorised", E, AC, AC, guards=CALLBACK, rule="R9"),
    Rule("user_authorised", E, IN, IN, guards=CALLBACK, rule="R9"),
    Rule("user_denied", E, AC, AC, guards=CALLBACK, rule="R9"),
    Rule("user_denied", E, IN, IN, guards=CALLBACK, rule="R9"),
    Rule(
        "exchange_code", C, AC, AC, guards=("code_unused", "nothing_in_flight"),
        effects=(XC,), rule="R9",
    ),
    Rule(
        "exchange_code", C, IN, IN, guards=("code_unused", "nothing_in_flight"),
        effects=(XC,), rule="R9",
    ),
    Rule("code_exchanged", E, AC, AC, answers=(XC,), rule="R9"),
    Rule("code_exchanged", E, IN, AC, answers=(XC,), rule="R9"),
    Rule("code_rejected", E, AC, AC, answers=(XC,), rule="R9"),
    Rule("code_rejected", E, IN, IN, answers=(XC,), rule="R9"),
    # Data (R11): reads are not requests in flight; they run in parallel.
    Rule(
        "fetch_data", C, AC, AC,
        guards=("access_usable", "refresh_not_in_flight"),
        effects=(Effect.FETCH_DATA,), refresh_first=True, rule="R11",
    ),
    Rule("fetch_failed", E, AC, AC, rule="R11"),
    Rule("access_denied", E, AC, IN, InactiveReason.ACCESS_DENIED, rule="R11"),
    # Revocation (R12).
    Rule("revoke", C, AC, AC, guards=("nothing_in_flight",), effects=(DL,), rule="R12"),
    Rule(
        "revoke", C, IN, IN, guards=("not_revoked", "nothing_in_flight"), effects=(DL,),
        rule="R12",
    ),
    Rule("revoked", E, AC, IN, InactiveReason.REVOKED, answers=(DL,), rule="R12"),
    Rule("revoked", E, IN, IN, InactiveReason.REVOKED, answers=(DL,), rule="R12"),
    # Requests that failed, whose outcome is unknown, or whose answer is lost (R15).
    Rule("request_failed", E, AZ, AR, answers=(XC,), rule="R15"),
    Rule("request_failed", E, AC, AC, answers=ANY, rule="R15"),
    Rule("request_failed", E, IN, IN, answers=ANY, rule="R15"),
    Rule("outcome_unknown", E, AZ, AZ, answers=(XC,), rule="R15"),
    Rule("outcome_unknown", E, AC, AC, answers=ANY, rule="R15"),
    Rule("outcome_unknown", E, IN, IN, answers=ANY, rule="R15"),
    Rule("token_lost", E, AC, IN, InactiveReason.TOKEN_LOST, answers=(RT, XT), rule="R15"),
    Rule("token_lost", E, IN, IN, InactiveReason.TOKEN_LOST, answers=(RT, XT), rule="R15"),
    # What the shell reports of the consent (R9, R10).
    Rule("consent_expiry_reported", E, AC, AC, rule="R10"),
    Rule("reminder_sent", E, AC, AC, rule="R9"),
    Rule("tick", E, AR, AR),
    Rule("tick", E, AZ, AZ),
    Rule("tick", E, AC, AC),
    Rule("tick", E, IN, IN),
    # Time (R3, R6, R8): these fire by themselves.
    Rule(
        "consent_expired", T, AC, IN, InactiveReason.CONSENT_EXPIRED,
        clock="consent_expires_at", rule="R8",
    ),
    Rule(
        "refresh_token_lapsed", T, AC, IN, InactiveReason.REFRESH_TOKEN_LAPSED,
        clock="refresh_lapses_at", rule="R6",
    ),
)  # fmt: skip


# What a failed call means (R11, R13, R15): (the effect, TrueLayer's error code) -> the
# event to feed back. Every other failure of a request is ``request_failed`` (it did not
# take effect) or ``outcome_unknown`` (it may have); of a data call, ``fetch_failed``.
# ``lifecycle.failure_event`` reads it; the client's errors call that.
FAILURES: Mapping[tuple[Effect, str], str] = MappingProxyType(
    {
        (XC, "invalid_grant"): "code_rejected",  # R3: expired, used or revoked
        (XC, "invalid_authorization_code"): "code_rejected",  # R3's other name
        (RT, "invalid_grant"): "refresh_rejected",  # R6: expired or revoked
        (Effect.FETCH_DATA, "access_denied"): "access_denied",  # R8, R11
    }
)


def _validate(table: tuple[Rule, ...]) -> None:
    """Raise ``TableError`` at import when the table contradicts itself."""
    seen: set[tuple[Status | None, str]] = set()
    for row in table:
        key = (row.source, row.input)
        if key in seen:
            raise TableError(f"two rows for {row.input!r} in {row.source}: keep one")
        seen.add(key)
        if row.kind is Kind.TIME:
            if row.clock not in CLOCKS:
                raise TableError(f"time row {row.input!r} names no known clock")
        elif row.input not in INPUT_TYPES or INPUT_TYPES[row.input].KIND is not row.kind:
            raise TableError(f"row {row.input!r} is not a known {row.kind} input")
        entering = row.dest is IN and row.source is not IN
        if entering != (row.reason is not None) and not (row.dest is IN and row.reason):
            raise TableError(f"row {row.input!r}: set a reason iff the row enters inactive")
        if row.effects and row.kind is not Kind.COMMAND:
            raise TableError(f"row {row.input!r}: only commands have effects")
        is_answer = row.kind is not Kind.TIME and issubclass(INPUT_TYPES[row.input], _Answer)
        if is_answer != bool(row.answers):
            raise TableError(f"row {row.input!r}: name what it answers iff it is an answer")
        unknown = [name for name in row.guards if name not in GUARDS]
        if unknown:
            raise TableError(f"row {row.input!r} names unknown guards {unknown}")
    for (effect, code), answer in FAILURES.items():
        rows = [row for row in table if row.input == answer]
        if not rows or (
            effect is not Effect.FETCH_DATA and not any(effect in row.answers for row in rows)
        ):
            raise TableError(f"failure {code!r} of {effect} names {answer!r}: no row answers it")
    missing = set(INPUT_TYPES) - {row.input for row in table}
    if missing:
        raise TableError(f"inputs without a row: {sorted(missing)}")


_validate(TABLE)

# The hot path: one dict lookup per input.
RULES: Mapping[tuple[Status | None, str], Rule] = MappingProxyType(
    {(row.source, row.input): row for row in TABLE if row.kind is not Kind.TIME}
)
TIME_RULES: tuple[Rule, ...] = tuple(row for row in TABLE if row.kind is Kind.TIME)
TIME_RULES_BY_SOURCE: Mapping[Status | None, tuple[tuple[Rule, Clock], ...]] = MappingProxyType(
    {
        status: tuple(
            (row, CLOCKS[row.clock]) for row in TIME_RULES if row.source is status and row.clock
        )
        for status in Status
    }
)


def rules_for(input_type: str) -> tuple[Rule, ...]:
    """Every row that answers one input, in table order."""
    return tuple(row for row in TABLE if row.input == input_type)
