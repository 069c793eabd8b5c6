"""The decider: a record plus one input gives a decision (a new record and effects).

``apply`` is the only way a record changes. It first settles the record at the input's
time (time rows fire), looks the input up in the table, checks that an answer answers
the request in flight (R15) and the row's guards and, if all pass, evolves the record.
A refusal returns the record untouched with a reason.
"""

from __future__ import annotations

from datetime import datetime

from attrs import evolve, frozen

from ._clocks import CLOCKS, Deadlines, deadlines_of
from ._errors import MalformedInputError
from ._evolve import EVOLVE
from ._guards import GUARDS, access_expired
from ._inputs import INPUT_TYPES, ConnectionStarted, Input, ensure_aware
from ._policy import DEFAULT_POLICY, Policy
from ._record import Connection, Consent
from ._table import RULES, TIME_RULES, TIME_RULES_BY_SOURCE, Rule, rules_for
from ._vocabulary import Effect, InactiveReason, Reason, Status

__all__ = ["Decision", "apply", "deadlines", "settle", "start", "status_at"]


@frozen
class Decision:
    """What the core decided about one input.

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
        MalformedInputError: ``event`` is not a ``ConnectionStarted``.
    """
    if not isinstance(event, ConnectionStarted):
        raise MalformedInputError(f"a connection starts with connection_started, not {event!r}")
    row = RULES[(None, event.TYPE)]
    policy.region(event.region)
    return Connection(
        region=event.region,
        scopes=event.scopes,
        offline_access="offline_access" in event.scopes,
        status=row.dest,
        started_at=event.at,
        last_input_at=event.at,
        consent=Consent(started_at=event.at),
    )


def _next_time_rule(record: Connection, now: datetime, policy: Policy) -> Rule | None:
    # The time row of the record's status whose clock ran out first (table order on a tie).
    first: Rule | None = None
    first_moment = now
    for row, clock in TIME_RULES_BY_SOURCE[record.status]:
        moment = clock(record, policy)
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
        evolver = EVOLVE.get(row.input)
        changes = {} if evolver is None else evolver(record, None)
        record = evolve(record, **changes, status=row.dest, inactive_reason=row.reason)
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


def _refuse(record: Connection, reason: Reason, detail: str) -> Decision:
    return Decision(record, False, reason, (), detail)


def _answer_refusal(record: Connection, input: Input, answers: tuple[Effect, ...]) -> Reason | None:
    # R15: an answer is accepted only when it answers the request in flight.
    request = record.request
    if request is None:
        return Reason.NO_REQUEST_IN_FLIGHT
    if request.effect not in answers:
        return Reason.NOT_THE_REQUEST_IN_FLIGHT
    number = getattr(input, "request", None)
    if number is not None and number != request.number:
        return Reason.NOT_THE_REQUEST_IN_FLIGHT
    return None


def _status_refusal(
    record: Connection, settled: Connection, input: Input, policy: Policy
) -> Decision:
    # The table has no row for this input in this status. An answer with nothing in
    # flight and a callback with no link say so first; when a time row moved the
    # record out of a status that had a row, that time row is the better reason.
    rows = rules_for(input.TYPE)
    answers = {effect for row in rows for effect in row.answers}
    if answers and settled.request is None:
        return _refuse(record, Reason.NO_REQUEST_IN_FLIGHT, f"{input.TYPE}: nothing asked for")
    if answers and settled.request is not None and settled.request.effect not in answers:
        return _refuse(
            record, Reason.NOT_THE_REQUEST_IN_FLIGHT, f"{input.TYPE}: answers another request"
        )
    if any("link_outstanding" in row.guards for row in rows) and settled.link is None:
        return _refuse(record, Reason.NO_LINK_OUTSTANDING, f"{input.TYPE}: no link outstanding")
    for row in TIME_RULES:
        if (row.source, input.TYPE) not in RULES:
            continue
        if (row.dest, row.reason) != (settled.status, settled.inactive_reason):
            continue
        # The clock as it stood when the row fired: now, or at an earlier input.
        before = record if record.status is row.source else settled
        moment = CLOCKS[row.clock](before, policy) if row.clock else None
        if moment is not None and input.at >= moment:
            return _refuse(record, Reason(row.input), f"{input.TYPE}: {row.input}")
    if settled.inactive_reason is InactiveReason.REVOKED:
        return _refuse(record, Reason.REVOKED, f"{input.TYPE}: the connection was revoked")
    sources = {row.source for row in rows}
    reason = Reason.NOT_ACTIVE if sources == {Status.ACTIVE} else Reason.NOT_ALLOWED_IN_STATUS
    return _refuse(record, reason, f"can't handle {input.TYPE} when status={settled.status}")


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
    # An input of a subclass of an input class is decided as that class (its TYPE).
    if not isinstance(input, Input) or input.TYPE not in INPUT_TYPES:
        raise MalformedInputError(f"not a lifecycle input: {type(input).__name__}")
    at = input.at  # checked timezone-aware when the input was built
    if at < record.last_input_at:
        return _refuse(
            record,
            Reason.CLOCK_WENT_BACKWARDS,
            f"{input.TYPE} at {at.isoformat()} is before the last input "
            f"at {record.last_input_at.isoformat()}",
        )
    settled = _settle(record, at, policy)
    row = RULES.get((settled.status, input.TYPE))
    if row is None:
        return _status_refusal(record, settled, input, policy)
    if row.answers:
        refused = _answer_refusal(settled, input, row.answers)
        if refused is not None:
            return _refuse(record, refused, f"{input.TYPE}: answers no request in flight")
    for name in row.guards:
        refused = GUARDS[name].check(settled, input, policy)
        if refused is not None:
            return _refuse(record, refused, f"{input.TYPE}: {GUARDS[name].label_for(policy)} fails")
    effects = row.effects
    evolver = EVOLVE.get(row.input)
    changes = {}
    if row.refresh_first:
        if evolver is not None and access_expired(settled, input):
            # R11: the access token has expired: refresh first.
            changes = evolver(settled, input)
            effects = (Effect.REFRESH_TOKEN, *effects)
    elif evolver is not None:
        changes = evolver(settled, input)
    if not changes and settled is record and row.dest is record.status:
        # Nothing to change (a read with a live token, a tick that fires nothing): keep
        # the record itself; a store then has nothing to write.
        return Decision(record, True, None, effects)
    reason = row.reason or (settled.inactive_reason if row.dest is Status.INACTIVE else None)
    evolved = evolve(settled, **changes, status=row.dest, inactive_reason=reason, last_input_at=at)
    return Decision(evolved, True, None, effects)
