"""The core's invariants, as checks a test runs after every step.

``check_record`` holds of any record at any time after its last input; ``check_step``
of any decision, given the record before it. Both raise ``InvariantError`` (an
``AssertionError``) naming the invariant that broke, so that Hypothesis shrinks to it.
"""

from __future__ import annotations

import json
from datetime import datetime

from .._agenda import agenda
from .._decide import Decision, deadlines, settle, status_at
from .._inputs import Input
from .._machine import oracle_next
from .._policy import DEFAULT_POLICY, Policy
from .._record import Connection
from .._serde import input_from_json, input_to_json, record_from_json, record_to_json
from .._table import TIME_RULES
from .._vocabulary import Action, Effect, Kind, Reason, Status
from ._moves import ANSWERS

__all__ = ["InvariantError", "check_record", "check_step"]

_REQUESTS = frozenset(Effect) - {Effect.FETCH_DATA}
# R9 and R10 move the consent clock: an extension or re-authentication restarts it, a
# report from /me may end it earlier than derived.
_RESTARTS = frozenset({"extension_granted", "code_exchanged", "consent_expiry_reported"})


class InvariantError(AssertionError):
    """An invariant of the lifecycle does not hold; the message names it."""


def _require(condition: bool, invariant: str) -> None:
    if not condition:
        raise InvariantError(invariant)


def check_record(record: Connection, now: datetime, policy: Policy = DEFAULT_POLICY) -> None:
    """Check what holds of every record at ``now`` (at or after its last input).

    Raises:
        InvariantError: one does not hold.
    """
    status, reason = status_at(record, now, policy)
    _require(
        (status is Status.INACTIVE) == (reason is not None),
        f"an inactive reason is set iff inactive (status {status}, reason {reason})",
    )
    _require(
        (record.status is Status.INACTIVE) == (record.inactive_reason is not None),
        "the record's inactive reason is set iff its status is inactive",
    )
    request = record.request
    _require(
        request is None or (request.number == record.requests_sent and request.effect in _REQUESTS),
        "the request in flight is the last one handed out, and one that changes TrueLayer (R15)",
    )
    limits = deadlines(record, now, policy)
    if status is Status.ACTIVE:
        end = limits.consent_expires_at
        _require(end is not None and now < end, "an active connection's consent has not ended")
        assert end is not None
        _require(
            status_at(record, end, policy)[0] is not Status.ACTIVE,
            "no connection is active once its consent has ended (R8)",
        )
        access = limits.access_expires_at
        _require(access is None or access <= end, "no access token outlives the consent (R8)")
        for item in agenda(record, now, policy):
            # Resolving a request is due whenever its time limit says (R15).
            if item.action is not Action.RESOLVE_REQUEST:
                _require(item.due <= end, f"{item.action} is due before the consent ends")
    text = json.dumps(record_to_json(record))
    _require(record_from_json(json.loads(text)) == record, "the record's JSON form round-trips")


def check_step(
    before: Connection, input: Input, decision: Decision, policy: Policy = DEFAULT_POLICY
) -> None:
    """Check what holds of one decision: ``decision = apply(before, input, policy)``.

    A refusal changes nothing and says why; an answer is accepted only for the request
    in flight, a command hands out a request only into a free slot (R15); deadlines
    never move back unless the consent clock restarts (R9, R10); the ``transitions``
    machine built from the same table agrees on every move; the JSON forms round-trip.
    Then ``check_record`` of the record after, at the input's time.

    Raises:
        InvariantError: one does not hold.
    """
    after = decision.record
    at = input.at
    if not decision.accepted:
        _require(after is before, "a refused input leaves the very same record")
        _require(decision.reason is not None, "a refusal says why")
        _require(decision.effects == (), "a refusal asks for no effect")
    else:
        _require(decision.reason is None, "an accepted input gives no reason")
        _require(
            after is before or after.last_input_at == at,
            "an accepted input moves the record to its time, or leaves the same record",
        )
    if at < before.last_input_at:
        _require(
            decision.reason is Reason.CLOCK_WENT_BACKWARDS,
            "an input before the last one is refused: the clock went backwards",
        )
        return
    settled = settle(before, at, policy)
    if decision.accepted and input.TYPE in ANSWERS:
        asked = settled.request
        _require(
            asked is not None and asked.effect in ANSWERS[input.TYPE],
            f"{input.TYPE} is accepted only while a request it answers is in flight (R15)",
        )
        assert asked is not None
        _require(
            getattr(input, "request", None) in (None, asked.number),
            f"{input.TYPE} is accepted only when it names the request in flight, or none (R15)",
        )
    handed_out = after.request is not None and (
        settled.request is None or after.request.number != settled.request.number
    )
    if decision.accepted and handed_out:
        _require(
            settled.request is None and input.KIND is Kind.COMMAND,
            "only a command hands out a request, and only into a free slot (R15)",
        )
        assert after.request is not None
        _require(
            after.request.number == settled.requests_sent + 1,
            "requests are numbered one after the other (R15)",
        )
    _require(after.requests_sent >= before.requests_sent, "request numbers never go back")
    old, new = deadlines(before, at, policy), deadlines(after, at, policy)
    if input.TYPE not in _RESTARTS:
        for name in ("consent_expires_at", "extend_until", "refresh_use_by"):
            was, now = getattr(old, name), getattr(new, name)
            _require(was is None or now is None or now >= was, f"{name} never moves back")
    if settled.status is not before.status:
        fired = [row for row in TIME_RULES if row.source is before.status]
        _require(
            any(oracle_next(before.status, row.input) is settled.status for row in fired),
            "the transitions machine agrees with the time rows that fired",
        )
    if decision.accepted:
        _require(
            oracle_next(settled.status, input.TYPE) is after.status,
            f"the transitions machine agrees: {settled.status} --{input.TYPE}--> {after.status}",
        )
    elif decision.reason in {Reason.NOT_ALLOWED_IN_STATUS, Reason.NOT_ACTIVE}:
        _require(
            oracle_next(settled.status, input.TYPE) is None,
            f"the transitions machine has no move for {input.TYPE} in {settled.status} either",
        )
    echoed = input_from_json(json.loads(json.dumps(input_to_json(input))))
    _require(echoed == input, f"the JSON form of {input.TYPE} round-trips")
    check_record(after, at, policy)
