"""The decider: a record plus one input gives a decision (a new record and effects).

``apply`` is the only way a record changes. It first settles the record at the input's
time (time rows fire), looks the input up in the table, checks the row's guards and,
if all pass, evolves the record. A refusal returns the record untouched with a reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from ._clocks import CLOCKS, Deadlines, deadlines_of
from ._errors import MalformedInputError
from ._evolve import EVOLVE, Evolver
from ._guards import GUARDS, Check, access_expired
from ._inputs import INPUT_TYPES, ConnectionStarted, Input, ensure_aware
from ._policy import DEFAULT_POLICY, Policy
from ._record import Connection, _copy
from ._table import RULES, TIME_RULES, TIME_RULES_BY_SOURCE, Rule, rules_for
from ._vocabulary import Effect, InactiveReason, Reason, Status

__all__ = ["Decision", "apply", "deadlines", "settle", "start", "status_at"]


class Decision(NamedTuple):
    """What the core decided about one input.

    A named tuple rather than an attrs class: one is built per decision, and a tuple is
    built in half the time of a frozen attrs instance.

    Attributes:
        record: the new record (the same record when refused).
        accepted: whether the input was applied.
        reason: why it was refused; ``None`` when accepted.
        effects: what the shell must do now, in order (commands only).
        detail: a human sentence about a refusal; never holds a secret.
    """

    record: Connection
    accepted: bool
    reason: Reason | None = None
    effects: tuple[Effect, ...] = ()
    detail: str = ""


def start(event: ConnectionStarted, policy: Policy = DEFAULT_POLICY) -> Connection:
    """Create the record of a connection whose user has just consented (R1, R8).

    Raises:
        UnknownRegionError: the event names a region the policy does not know.
    """
    policy.region(event.region)
    return Connection(
        region=event.region,
        scopes=event.scopes,
        offline_access="offline_access" in event.scopes,
        status=Status.AUTHORIZATION_REQUIRED,
        started_at=event.at,
        consent_started_at=event.at,
        last_input_at=event.at,
    )


def _next_time_rule(record: Connection, now: datetime, policy: Policy) -> Rule | None:
    # The time row of the record's status whose clock ran out first (table order on a tie).
    first: Rule | None = None
    first_moment = now
    for row, clock in TIME_RULES_BY_SOURCE[record.status]:
        moment = clock(record, policy)
        # Most decisions find every clock still running: test that first.
        if moment is not None and moment <= now and (first is None or moment < first_moment):
            first, first_moment = row, moment
    return first


def settle(record: Connection, now: datetime, policy: Policy = DEFAULT_POLICY) -> Connection:
    """The record with every time row that has fired by ``now`` applied.

    Raises:
        NaiveDatetimeError: ``now`` has no UTC offset.
    """
    ensure_aware("now", now)
    return _settle(record, now, policy)


def _settle(record: Connection, now: datetime, policy: Policy) -> Connection:
    while (row := _next_time_rule(record, now, policy)) is not None:
        record = _copy(record, {}, row.dest, row.reason, record.last_input_at)
    return record


def status_at(
    record: Connection, now: datetime, policy: Policy = DEFAULT_POLICY
) -> tuple[Status, InactiveReason | None]:
    """The status of a connection at ``now`` and, when inactive, why.

    Raises:
        NaiveDatetimeError: ``now`` has no UTC offset.
    """
    settled = settle(record, now, policy)
    return settled.status, settled.inactive_reason


def deadlines(record: Connection, now: datetime, policy: Policy = DEFAULT_POLICY) -> Deadlines:
    """The deadlines that apply at ``now`` (``None`` where a clock does not apply).

    Raises:
        NaiveDatetimeError: ``now`` has no UTC offset.
    """
    return deadlines_of(settle(record, now, policy), policy)


# ``Decision(...)`` goes through the named tuple's Python ``__new__``; the hot path builds
# the tuple directly (every field given, in order), in about half the time.
_decision = tuple.__new__


def _refuse(record: Connection, reason: Reason, detail: str) -> Decision:
    return _decision(Decision, (record, False, reason, (), detail))


def _status_refusal(
    record: Connection, settled: Connection, input: Input, policy: Policy
) -> Decision:
    # The table has no row for this input in this status. When a time row moved the
    # record out of a status that had one, that time row is the better reason.
    for row in TIME_RULES:
        if (row.dest, row.reason) != (settled.status, settled.inactive_reason):
            continue
        moment = CLOCKS[row.clock](settled, policy) if row.clock else None
        if moment is not None and input.at >= moment and (row.source, input.TYPE) in RULES:
            return _refuse(record, Reason(row.input), f"{input.TYPE}: {row.input}")
    if settled.inactive_reason is InactiveReason.REVOKED:
        return _refuse(record, Reason.REVOKED, f"{input.TYPE}: the connection was revoked")
    sources = {row.source for row in rules_for(input.TYPE)}
    reason = Reason.NOT_ACTIVE if sources == {Status.ACTIVE} else Reason.NOT_ALLOWED_IN_STATUS
    return _refuse(record, reason, f"can't handle {input.TYPE} when status={settled.status}")


# The table compiled for the hot path: per input class, per status, what a decision
# needs of the row (its guards' checks, evolver, effects with and without a refresh
# first, destination and reason), so that a decision does two dict lookups and reads no
# attribute of the row.
class Step(NamedTuple):
    checks: tuple[Check, ...]
    evolver: Evolver | None
    refresh_first: bool
    effects: tuple[Effect, ...]
    effects_after_refresh: tuple[Effect, ...]
    dest: Status
    reason: InactiveReason | None


_STEPS: dict[type[Input], dict[Status | None, Step]] = {cls: {} for cls in INPUT_TYPES.values()}
_LABELS: dict[Check, str] = {guard.check: guard.label for guard in GUARDS.values()}
for _row in RULES.values():
    _STEPS[INPUT_TYPES[_row.input]][_row.source] = Step(
        checks=tuple(GUARDS[name].check for name in _row.guards),
        evolver=EVOLVE.get(_row.input),
        refresh_first=_row.refresh_first,
        effects=_row.effects,
        effects_after_refresh=(Effect.REFRESH_TOKEN, *_row.effects),
        dest=_row.dest,
        reason=_row.reason,
    )


_NO_CHANGES: dict[str, Any] = {}  # read only: what a row without an evolver changes


def _steps_of(input: object) -> dict[Status | None, Step]:
    # Off the hot path: an input of a subclass of an input class, or no input at all.
    for cls, steps in _STEPS.items():
        if isinstance(input, cls):
            return steps
    raise MalformedInputError(f"not a lifecycle input: {type(input).__name__}")


def apply(record: Connection, input: Input, policy: Policy = DEFAULT_POLICY) -> Decision:
    """Decide one input against a record.

    Args:
        record: the connection as it is.
        input: an event or a command, with its time.
        policy: the durations and region table to decide by.

    Returns:
        The decision. A refused input leaves ``decision.record is record``; so does an
        accepted one that changes nothing, and ``last_input_at`` then stays where it was.

    Raises:
        MalformedInputError: ``input`` is not an input.
    """
    steps = _STEPS.get(input.__class__) or _steps_of(input)
    at = input.at  # checked timezone-aware when the input was built
    if at < record.last_input_at:
        return _refuse(
            record,
            Reason.CLOCK_WENT_BACKWARDS,
            f"{input.TYPE} at {at.isoformat()} is before the last input "
            f"at {record.last_input_at.isoformat()}",
        )
    fired = _next_time_rule(record, at, policy)
    settled = record if fired is None else _settle(record, at, policy)
    step = steps.get(settled.status)
    if step is None:
        return _status_refusal(record, settled, input, policy)
    checks, evolver, refresh_first, effects, refreshed, dest, reason = step
    for check in checks:
        reason_refused = check(settled, input, policy)
        if reason_refused is not None:
            return _refuse(record, reason_refused, f"{input.TYPE}: {_LABELS[check]} fails")
    changes = _NO_CHANGES
    if evolver is not None:
        if not refresh_first:
            changes = evolver(settled, input)
        elif access_expired(settled, input):
            # R11: the access token has expired: refresh first.
            changes = evolver(settled, input)
            effects = refreshed
    if not changes and settled is record and dest is record.status:
        # Nothing to change (a read with a live token, a tick that fires nothing): keep
        # the record itself. Most decisions are these; a store then has nothing to write.
        return _decision(Decision, (record, True, None, effects, ""))
    # The evolvers name only record fields (a test holds them to it): skip the check.
    evolved = _copy(
        settled,
        changes,
        dest,
        reason or (settled.inactive_reason if dest is Status.INACTIVE else None),
        at,
    )
    return _decision(Decision, (evolved, True, None, effects, ""))
