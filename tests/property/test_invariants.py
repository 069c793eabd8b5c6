"""Generated timelines keep the lifecycle's invariants (``lifecycle.testing``).

Valid timelines reach deep into the lifecycle (answers on time and late, failures,
re-authentication); hostile ones mix in inputs the table has no row for, stray answers,
forged states and clocks that go backwards. After every input ``check_step`` holds: a
refusal changes nothing, answers only answer the request in flight, deadlines never
move back, the ``transitions`` machine built from the same table agrees, the JSON forms
round-trip. The stateful test drives the core against itself the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st

import lifecycle as core
from lifecycle.testing import (
    Timeline,
    check_step,
    hostile_timelines,
    lifecycle_machine,
    timelines,
)


def replay_and_check(timeline: Timeline) -> core.Connection:
    """Replay a timeline, checking every step; the last record."""
    record = core.start(timeline.started, timeline.policy)
    for step in timeline.replay():
        check_step(step.before, step.input, step.decision, timeline.policy)
        if step.decision.accepted:
            event(f"accepted {step.input.TYPE}")
        record = step.decision.record
    return record


@given(timelines(max_size=30) | hostile_timelines(max_size=30))
def test_valid_and_hostile_timelines_keep_every_invariant(timeline: Timeline) -> None:
    replay_and_check(timeline)


# Every duration is a setting: shrink them all and the rules must still hold.
SHORT = core.Policy(
    code_lifetime=timedelta(seconds=30),
    refresh_first_use_window=timedelta(days=2),
    extend_window=timedelta(days=3),
    reminder_offsets=(timedelta(days=1),),
)


@given(timelines(SHORT, region="uk", max_size=30))
def test_a_shortened_policy_keeps_the_same_invariants(timeline: Timeline) -> None:
    replay_and_check(timeline)


# The ends of the accepted range, with the shortest and the longest settings: every
# deadline must still exist (no arithmetic may fail), and every invariant still hold.
TICK, CENTURY = timedelta(microseconds=1), core.LONGEST
EDGE_STARTS = st.sampled_from(
    [core.EARLIEST, core.LATEST - timedelta(days=400), core.LATEST - timedelta(seconds=1)]
)


def edge_policy(data: st.DataObject) -> core.Policy:
    def pick(default: timedelta, shortest: timedelta) -> timedelta:
        return data.draw(st.sampled_from([shortest, default, CENTURY]))

    uk = core.RegionPolicy(
        pick(timedelta(days=90), TICK), pick(timedelta(hours=1), TICK), extendable=True
    )
    return core.Policy(
        regions={"uk": uk},
        code_lifetime=pick(timedelta(minutes=5), TICK),
        refresh_first_use_window=pick(timedelta(days=30), TICK),
        extend_window=pick(timedelta(days=90), timedelta(0)),
        refresh_leeway=pick(timedelta(minutes=5), timedelta(0)),
        keep_alive_margin=pick(timedelta(days=1), timedelta(0)),
        reminder_offsets=(pick(timedelta(days=14), TICK), pick(timedelta(days=1), TICK)),
        request_timeout=pick(timedelta(minutes=2), TICK),
    )


@given(data=st.data(), start=EDGE_STARTS, hostile=st.booleans())
def test_timelines_at_the_ends_of_the_range_never_fail_on_arithmetic(
    data: st.DataObject, start: datetime, hostile: bool
) -> None:
    policy = edge_policy(data)
    strategy = hostile_timelines if hostile else timelines
    timeline = data.draw(strategy(policy, region="uk", start=start, max_size=30))
    record = replay_and_check(timeline)
    # Every question about the record, at its own time and at the last one accepted.
    for now in (record.last_input_at, core.LATEST - TICK):
        core.next_due(record, now, policy)
        core.deadlines(record, now, policy)
        core.agenda(record, now, policy)


TestTheCoreAgainstItself = lifecycle_machine(core.apply, hostile=True).TestCase
# The timelines above cover the same ground one example at a time; the stateful run adds
# its time steps and its invariants between steps, at a fraction of their budget.
PROFILE = settings()  # the profile loaded by the suite's conftest
TestTheCoreAgainstItself.settings = settings(
    PROFILE,
    max_examples=max(PROFILE.max_examples // 8, 10),
    stateful_step_count=25,
)
