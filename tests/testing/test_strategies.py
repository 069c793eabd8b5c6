"""The strategies draw what they promise: valid values, boundary-hugging instants,
timelines valid for the lifecycle, hostile ones, and records reached by replay."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import Phase, find, given, settings

import lifecycle as core
from lifecycle.testing import (
    ANSWERS,
    SECOND,
    T0,
    Timeline,
    boundaries,
    check_step,
    durations_of,
    fits,
    hostile_timelines,
    inputs,
    instants,
    records,
    regions,
    scope_sets,
    timelines,
)

QUICK = settings(max_examples=40)


@given(scope_sets())
def test_scope_sets_are_non_empty_sets_of_known_scopes(scopes: tuple[str, ...]) -> None:
    assert scopes and set(scopes) <= core.KNOWN_SCOPES
    assert list(scopes) == sorted(set(scopes))


@given(scope_sets(offline_access=True), scope_sets(offline_access=False))
def test_scope_sets_can_require_or_forbid_offline_access(
    offline: tuple[str, ...], online: tuple[str, ...]
) -> None:
    assert "offline_access" in offline and "offline_access" not in online and online


@given(regions())
def test_regions_come_from_the_policy(region: str) -> None:
    assert region in core.DEFAULT_POLICY.regions


def test_instants_hug_every_deadline_of_the_policy_in_use() -> None:
    policy = core.Policy(code_lifetime=timedelta(seconds=42))
    hugged = set(boundaries(T0 + duration for duration in durations_of(policy)))
    for duration in (timedelta(seconds=42), timedelta(days=30), timedelta(days=90 + 90)):
        assert {T0 + duration - SECOND, T0 + duration, T0 + duration + SECOND} <= hugged
    drawn: set[object] = set()

    @settings(max_examples=300, database=None)
    @given(instants(policy, start=T0))
    def collect(moment: object) -> None:
        drawn.add(moment)

    collect()
    assert drawn & hugged, "no drawn instant sits on a deadline"


@given(instants())
def test_instants_are_aware_and_in_the_core_s_range(moment: object) -> None:
    assert isinstance(moment, type(T0)) and moment.utcoffset() is not None
    assert core.EARLIEST <= moment < core.LATEST


@given(inputs())
def test_every_drawn_input_round_trips_through_its_json_form(input: core.Input) -> None:
    assert core.input_from_json(json.loads(json.dumps(core.input_to_json(input)))) == input


@pytest.mark.parametrize("kind", sorted(core.INPUT_TYPES))
def test_inputs_of_each_type_build(kind: str) -> None:
    @settings(max_examples=5, database=None)
    @given(inputs(kind))
    def check(input: core.Input) -> None:
        assert kind == input.TYPE

    check()


def test_an_unknown_input_type_is_refused_when_asked_for() -> None:
    with pytest.raises(KeyError, match="not an input type"):
        inputs("teleported")


@QUICK
@given(timelines())
def test_a_timeline_is_valid_for_the_lifecycle(timeline: Timeline) -> None:
    policy = timeline.policy
    times = [timeline.started.at, *(input.at for input in timeline.inputs)]
    assert times == sorted(times)
    for step in timeline.replay():
        settled = core.settle(step.before, step.input.at, policy)
        assert fits(step.input.TYPE, settled), step.input.TYPE
        if isinstance(step.input, core.CodeExchanged | core.TokenRefreshed | core.Revoked):
            assert settled.request is not None
            assert step.input.request in (None, settled.request.number)
        check_step(step.before, step.input, step.decision, policy)


@QUICK
@given(hostile_timelines())
def test_a_hostile_timeline_keeps_every_invariant(timeline: Timeline) -> None:
    for step in timeline.replay():
        check_step(step.before, step.input, step.decision, timeline.policy)


def kinds_of(timeline: Timeline) -> set[str]:
    """What happens in a timeline: inputs accepted, reasons refused, late answers,
    inputs accepted while re-authenticating."""
    seen: set[str] = set()
    for step in timeline.replay():
        decision = step.decision
        seen.add(step.input.TYPE if decision.accepted else f"refused {decision.reason}")
        in_flight = core.settle(step.before, step.input.at).request
        late = in_flight is not None and step.input.at >= in_flight.sent_at + timedelta(minutes=2)
        if decision.accepted and late and step.input.TYPE in ANSWERS:
            seen.add("late answer")
        if step.before.reauthenticating and decision.accepted:
            seen.add(f"reauthenticating: {step.input.TYPE}")
    return seen


# Each search stops at the first timeline that shows the thing looked for.
SEARCH = settings(max_examples=2000, phases=[Phase.generate], database=None)


@pytest.mark.parametrize(
    "wanted",
    [
        "code_exchanged",
        "token_refreshed",
        "extension_granted",
        "late answer",
        "request_failed",
        "outcome_unknown",
        "token_lost",
        "extension_needs_authentication",
        "reauthenticating: user_authorised",
    ],
)
def test_timelines_answer_late_fail_and_reauthenticate(wanted: str) -> None:
    find(timelines(region="uk", max_size=40), lambda t: wanted in kinds_of(t), settings=SEARCH)


@pytest.mark.parametrize(
    "wanted",
    [
        "refused clock_went_backwards",
        "refused state_mismatch",
        "refused no_request_in_flight",
        "refused not_the_request_in_flight",
        "refused no_link_outstanding",
    ],
)
def test_hostile_timelines_bring_backwards_clocks_forged_states_and_stray_answers(
    wanted: str,
) -> None:
    find(hostile_timelines(max_size=30), lambda t: wanted in kinds_of(t), settings=SEARCH)


@pytest.mark.parametrize("status", list(core.Status))
def test_records_of_a_status_are_in_it_and_reached_by_replay(status: core.Status) -> None:
    @settings(max_examples=10, database=None)
    @given(records(status=status))
    def check(record: core.Connection) -> None:
        assert record.status is status
        core_json = core.record_to_json(record)
        assert core.record_from_json(core_json) == record

    check()


def test_strategies_refuse_a_wrong_definition_at_once() -> None:
    with pytest.raises(TypeError, match=r"lifecycle\.Policy"):
        timelines("uk")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_size"):
        timelines(min_size=5, max_size=2)
