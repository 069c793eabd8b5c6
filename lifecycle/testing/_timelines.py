"""Timelines: a connection's start and the inputs that follow, with their times.

``timelines`` draws sequences valid for the lifecycle: times never go back, and every
input is one the table has a row for at that moment (an answer answers the request in
flight, by its number or by none; a callback comes while a link is outstanding, with its
state). The guards may still refuse some (a refresh token that lapsed, a code too old):
that is the lifecycle deciding, and what a test wants to see. Answers come on time and
late (past the request's time limit, R15), requests fail, outcomes go unknown, tokens
get lost, extensions ask for re-authentication and the user comes back.

``hostile_timelines`` mixes in what a shell must survive: inputs the table has no row
for, answers naming another request, callbacks with a forged state or with no link, and
clocks that go backwards. ``records`` gives connection records in any reachable state,
each built by replaying a drawn timeline, never by setting fields by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from attrs import frozen
from hypothesis import strategies as st

from .._clocks import consent_expires_at
from .._decide import Decision, apply, settle, start
from .._inputs import INPUT_TYPES, ConnectionStarted, Input
from .._limits import EARLIEST, LATEST
from .._policy import DEFAULT_POLICY, Policy
from .._record import Connection
from .._secret import Secret
from .._vocabulary import Status
from ._fields import SECOND, T0, durations_of, offsets, regions, scope_sets
from ._inputs import fields_for
from ._moves import ANSWERS, CALLBACKS, canonical_input, fitting, moments_of

__all__ = [
    "Apply",
    "Step",
    "Timeline",
    "hostile_timelines",
    "next_inputs",
    "records",
    "starts",
    "timelines",
]

Apply = Callable[[Connection, Input, Policy], Decision]
"""The shape of ``lifecycle.apply``: a record, an input and a policy give a decision."""


@frozen
class Step:
    """One input of a replayed timeline: the record before it and the decision."""

    before: Connection
    input: Input
    decision: Decision


@frozen
class Timeline:
    """A connection's start and the inputs after it, in order, with their times.

    Attributes:
        started: the ``connection_started`` event.
        inputs: what follows it.
        policy: the policy the timeline was drawn for (and replays with).
    """

    started: ConnectionStarted
    inputs: tuple[Input, ...] = ()
    policy: Policy = DEFAULT_POLICY

    def __len__(self) -> int:
        return len(self.inputs)

    def replay(self, decide: Apply = apply) -> tuple[Step, ...]:
        """Feed every input to ``decide`` (by default the core), each on the last record."""
        record = start(self.started, self.policy)
        steps = []
        for input in self.inputs:
            decision = decide(record, input, self.policy)
            steps.append(Step(record, input, decision))
            record = decision.record
        return tuple(steps)

    def record(self) -> Connection:
        """The record after every input, as the core decides."""
        steps = self.replay()
        return steps[-1].decision.record if steps else start(self.started, self.policy)

    def types(self) -> tuple[str, ...]:
        """The input types, in order (handy in ``hypothesis.event`` and assertions)."""
        return tuple(input.TYPE for input in self.inputs)


# The inputs that move a connection on: drawn more often than those that end it, so
# that timelines spend their steps deep in the lifecycle.
_ONGOING = frozenset(
    {"link_issued", "user_authorised", "exchange_code", "refresh", "fetch_data", "extend",
     "consent_reconfirmed"}
)  # fmt: skip
# The inputs that end a connection for good: drawn now and then only.
_ENDING = frozenset({"revoke", "access_denied"})
# The answers that grant what was asked: drawn as often as all the failures together.
_GRANTED = frozenset({"code_exchanged", "token_refreshed", "extension_granted", "revoked"})
_SMALL = st.integers(0, 90).map(lambda seconds: timedelta(seconds=seconds))
_FAR = st.integers(0, 200 * 86_400).map(lambda seconds: timedelta(seconds=seconds))
_HUG = st.sampled_from((-SECOND, timedelta(0), SECOND))


def _gap(draw: st.DrawFn, record: Connection, at: datetime, policy: Policy) -> timedelta:
    """How long until the next input: mostly short, often exactly at (or one second off)
    one of the record's own deadlines (mostly the next ones), now and then a policy
    duration or far beyond."""
    choice = draw(st.integers(0, 19))
    if choice < 11:
        return draw(_SMALL)
    if choice < 19:
        ahead = moments_of(record, at, policy)
        if ahead:
            near = ahead[:2] if choice < 18 else ahead
            moment = draw(st.sampled_from(near)) + draw(_HUG)
            if moment >= at:
                return moment - at
        return draw(_SMALL)
    if draw(st.booleans()):
        return draw(st.sampled_from(durations_of(policy))) + draw(_HUG) + SECOND
    return draw(_FAR)


@st.composite
def starts(
    draw: st.DrawFn,
    policy: Policy = DEFAULT_POLICY,
    *,
    region: str | None = None,
    scopes: tuple[str, ...] | None = None,
    at: datetime | None = None,
) -> ConnectionStarted:
    """``connection_started`` events: a region of the policy, a scope set, a start time."""
    moment = at if at is not None else T0 + draw(st.integers(0, 86_400)) * SECOND
    return ConnectionStarted(
        moment.astimezone(draw(offsets())),
        region=region if region is not None else draw(regions(policy)),
        # Mostly with offline_access: its connections live long enough to refresh,
        # reconfirm and extend.
        scopes=scopes
        if scopes is not None
        else draw(scope_sets(offline_access=draw(st.sampled_from((True, True, True, None))))),
    )


@st.composite
def next_inputs(
    draw: st.DrawFn,
    record: Connection,
    policy: Policy = DEFAULT_POLICY,
    *,
    serial: int = 1,
    after: datetime | None = None,
) -> Input:
    """One input valid for ``record``, at or after ``after`` (by default its last input).

    Give ``after`` the time of the last input fed, accepted or not: a refused input does
    not move the record's time, and a timeline's times never go back.

    Its time is drawn from the record's own deadlines and the policy's durations; its
    type among those the table has a row for then, preferring answers to the request in
    flight and the inputs that keep the connection going; its fields are drawn valid
    and made consistent with the record (the link's state, the request's number).
    """
    last = record.last_input_at if after is None else max(after, record.last_input_at)
    at = min(last + _gap(draw, record, last, policy), LATEST - SECOND)
    settled = settle(record, at, policy)
    kinds = fitting(settled)
    answers = tuple(kind for kind in kinds if kind in ANSWERS)
    roll = draw(st.integers(0, 19))
    if answers and roll < 12:
        granted = tuple(kind for kind in answers if kind in _GRANTED)
        grant_it = bool(granted) and draw(st.booleans())
        kind = draw(st.sampled_from(granted if grant_it else answers))
    elif roll < 19:
        # Mostly an input the core accepts now that moves the connection on, so that
        # timelines go deep; sometimes any accepted one but those that end it.
        accepted = _accepted(record, settled, at, kinds, policy, serial)
        onward = _onward(settled, accepted)
        others = tuple(
            kind for kind in accepted if kind not in _ENDING and not _idle(settled, kind)
        )
        others = others or kinds
        kind = draw(st.sampled_from(onward if onward and roll < 15 else others))
    else:
        kind = draw(st.sampled_from(kinds))
    return _consistent(draw, kind, settled, at, policy, serial)


def _idle(settled: Connection, kind: str) -> bool:
    """A link issued while one is outstanding, a reconfirmation while one is unspent."""
    seen = settled.consent.reconfirmation
    if kind == "consent_reconfirmed":
        return seen is not None and not seen.spent
    return kind == "link_issued" and settled.link is not None


def _onward(settled: Connection, accepted: tuple[str, ...]) -> tuple[str, ...]:
    """Of the accepted kinds, those that move the connection on from where it is."""
    # A link outstanding is followed, an unspent reconfirmation used, not renewed.
    return tuple(kind for kind in accepted if kind in _ONGOING and not _idle(settled, kind))


def _accepted(
    record: Connection,
    settled: Connection,
    at: datetime,
    kinds: tuple[str, ...],
    policy: Policy,
    serial: int,
) -> tuple[str, ...]:
    """The kinds whose plain input the core accepts now (a tick only if nothing else)."""
    return tuple(
        kind
        for kind in kinds
        if kind != "tick"
        and apply(record, canonical_input(kind, settled, at, serial), policy).accepted
    )


def _consistent(
    draw: st.DrawFn, kind: str, settled: Connection, at: datetime, policy: Policy, serial: int
) -> Input:
    # Half the time the plain input a well-behaved shell sends; else drawn fields, made
    # consistent with the record where the lifecycle needs it (R14, R15).
    if draw(st.booleans()):
        return canonical_input(kind, settled, at, serial)
    fields: dict[str, Any] = dict(draw(fields_for(kind, policy)))
    if kind == "consent_expiry_reported":
        # R10: /me reports an expiry at, or a second either side of, the derived one,
        # or some days before it (a bank that ends consent early).
        derived = consent_expires_at(settled, policy)
        early = draw(st.sampled_from((0, 0, 1, 7, 30))) * timedelta(days=1)
        moment = derived - early + draw(_HUG)
        fields["consent_expires_at"] = min(max(moment, EARLIEST), LATEST - SECOND)
    if kind in CALLBACKS:
        fields["state"] = None if settled.link is None else settled.link.state
    if kind in ANSWERS:
        number = None if settled.request is None else settled.request.number
        fields["request"] = draw(st.sampled_from((None, number)))
    if kind in {"code_exchanged", "token_refreshed"} and not settled.offline_access:
        fields["refresh_token"] = None  # R4: no offline_access, no refresh token
    if kind == "fetch_failed" and draw(st.booleans()):
        fields["access_token"] = settled.grant.access_token
        fields["error"] = "invalid_token"
    return INPUT_TYPES[kind](at, **fields)


@st.composite
def _hostile_input(
    draw: st.DrawFn, record: Connection, policy: Policy, serial: int, after: datetime
) -> Input:
    """An input a shell must survive: the record refuses it, or it is plain wrong."""
    last = max(after, record.last_input_at)
    choice = draw(st.integers(0, 3))
    if choice == 0:  # a clock that went backwards
        back = draw(_SMALL | _FAR) + SECOND
        at = max(last - back, EARLIEST)
        kind = draw(st.sampled_from(sorted(set(INPUT_TYPES) - {"connection_started"})))
        return _consistent(draw, kind, settle(record, last, policy), at, policy, serial)
    at = min(last + draw(_SMALL), LATEST - SECOND)
    settled = settle(record, at, policy)
    if choice == 1:  # a callback with a forged state, or with no link at all (R14)
        kind = draw(st.sampled_from(sorted(CALLBACKS)))
        fields = dict(draw(fields_for(kind, policy)))
        fields["state"] = Secret(f"forged-{serial}")
        return INPUT_TYPES[kind](at, **fields)
    if choice == 2:  # an answer nobody asked for, or naming another request (R15)
        kind = draw(st.sampled_from(sorted(ANSWERS)))
        fields = dict(draw(fields_for(kind, policy)))
        fields["request"] = settled.requests_sent + draw(st.integers(1, 3))
        return INPUT_TYPES[kind](at, **fields)
    # Any input at all, with any valid fields: mostly one the table has no row for.
    kind = draw(st.sampled_from(sorted(set(INPUT_TYPES) - {"connection_started"})))
    return INPUT_TYPES[kind](at, **draw(fields_for(kind, policy)))


@st.composite
def _timelines(
    draw: st.DrawFn,
    policy: Policy,
    started: st.SearchStrategy[ConnectionStarted],
    min_size: int,
    max_size: int,
    hostile: bool,
) -> Timeline:
    first = draw(started)
    record = start(first, policy)
    inputs: list[Input] = []
    size = draw(st.integers(min_size, max_size))
    clock = first.at  # the time of the last valid input, accepted or refused
    for serial in range(1, size + 1):
        if hostile and draw(st.integers(0, 3)) == 0:
            input = draw(_hostile_input(record, policy, serial, clock))
        else:
            input = draw(next_inputs(record, policy, serial=serial, after=clock))
            clock = input.at
        inputs.append(input)
        record = apply(record, input, policy).record
    return Timeline(first, tuple(inputs), policy)


def _checked(policy: object, min_size: int, max_size: int) -> None:
    if not isinstance(policy, Policy):
        raise TypeError(f"policy must be a lifecycle.Policy, not {type(policy).__name__}")
    if not 0 <= min_size <= max_size:
        raise ValueError(f"need 0 <= min_size <= max_size, got {min_size} and {max_size}")


def timelines(
    policy: Policy = DEFAULT_POLICY,
    *,
    region: str | None = None,
    scopes: tuple[str, ...] | None = None,
    start: datetime | None = None,
    min_size: int = 0,
    max_size: int = 30,
) -> st.SearchStrategy[Timeline]:
    """Timelines valid for the lifecycle (see the module's docstring).

    Args:
        policy: the policy whose regions and deadlines the timeline follows.
        region: always this region; by default any of the policy's.
        scopes: always these scopes; by default any non-empty set.
        start: when the connection starts; by default within a day of ``T0``.
        min_size: the fewest inputs after ``connection_started``.
        max_size: the most inputs after it.

    Raises:
        TypeError: ``policy`` is not a ``lifecycle.Policy``.
        ValueError: the sizes are not ``0 <= min_size <= max_size``.
    """
    _checked(policy, min_size, max_size)
    started = starts(policy, region=region, scopes=scopes, at=start)
    return _timelines(policy, started, min_size, max_size, False)


def hostile_timelines(
    policy: Policy = DEFAULT_POLICY,
    *,
    region: str | None = None,
    scopes: tuple[str, ...] | None = None,
    start: datetime | None = None,
    min_size: int = 0,
    max_size: int = 30,
) -> st.SearchStrategy[Timeline]:
    """Timelines with about one input in four hostile: one the table has no row for,
    an answer naming another request, a callback with a forged state or with no link,
    or one dated before the last (a clock that went backwards). Arguments as for
    ``timelines``.

    Raises:
        TypeError: ``policy`` is not a ``lifecycle.Policy``.
        ValueError: the sizes are not ``0 <= min_size <= max_size``.
    """
    _checked(policy, min_size, max_size)
    started = starts(policy, region=region, scopes=scopes, at=start)
    return _timelines(policy, started, min_size, max_size, True)


@st.composite
def _records(draw: st.DrawFn, policy: Policy, status: Status | None, max_size: int) -> Connection:
    timeline = draw(timelines(policy, max_size=max_size))
    reached = [start(timeline.started, policy)]
    reached += [step.decision.record for step in timeline.replay()]
    if status is not None:
        reached = [record for record in reached if record.status is status]
        if not reached:
            # Not reached this time: the shortest path to the status always is.
            from ._paths import shortest_paths

            return shortest_paths(policy).to_status[status].timeline.record()
    return draw(st.sampled_from(reached))


def records(
    policy: Policy = DEFAULT_POLICY, *, status: Status | None = None, max_size: int = 30
) -> st.SearchStrategy[Connection]:
    """Connection records in any reachable state, each built by replaying a timeline.

    Args:
        policy: the policy the timelines follow.
        status: only records in this status (as of their last input).
        max_size: the longest timeline replayed.

    Raises:
        TypeError: ``policy`` is not a ``lifecycle.Policy``.
    """
    _checked(policy, 0, max_size)
    return _records(policy, None if status is None else Status(status), max_size)
