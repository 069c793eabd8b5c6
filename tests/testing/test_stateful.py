"""The stateful test: the core against itself passes, a system that strays from it is
caught, and a mistake in defining the test fails at once, saying what to do."""

from __future__ import annotations

from typing import Any

import pytest
from attrs import evolve
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import InvalidDefinition
from hypothesis.stateful import run_state_machine_as_test

import lifecycle as core
from adapters.stores import MemoryStore
from lifecycle.testing import InvariantError, apply_system, lifecycle_machine, store_system

RUNS = settings(
    max_examples=15,
    stateful_step_count=25,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# A run expected to fail stops at the first failure: shrinking it costs seconds.
CAUGHT = settings(RUNS, max_examples=300, phases=[Phase.generate])


def test_the_core_agrees_with_itself_under_the_stateful_test() -> None:
    run_state_machine_as_test(lifecycle_machine(core.apply, hostile=True), settings=RUNS)


def test_a_memory_store_keeps_every_record_the_core_decides() -> None:
    machine = lifecycle_machine(store_system(MemoryStore().open()))
    run_state_machine_as_test(machine, settings=RUNS)


def trusting(record: core.Connection, input: core.Input, policy: core.Policy) -> core.Decision:
    """A decider with a CSRF hole: it takes any callback's state for the link's (R14)."""
    link = record.link
    if isinstance(input, core.UserAuthorised) and link is not None and link.state is not None:
        input = evolve(input, state=link.state)
    return core.apply(record, input, policy)


def test_a_decider_that_accepts_a_forged_state_is_caught() -> None:
    machine = lifecycle_machine(trusting, hostile=True)
    with pytest.raises(InvariantError, match="accepted, reason, effects"):
        run_state_machine_as_test(machine, settings=CAUGHT)


class ForgetfulStore(MemoryStore):
    """A store that loses the PKCE verifier of the outstanding link (R1)."""

    def get(self, connection_id: str) -> Any:
        stored = super().get(connection_id)
        link = stored.record.link
        if link is None:
            return stored
        return evolve(stored, record=evolve(stored.record, link=evolve(link, code_verifier=None)))


def test_a_store_that_loses_a_field_is_caught() -> None:
    machine = lifecycle_machine(store_system(ForgetfulStore().open()))
    with pytest.raises(InvariantError, match="differs from the core's"):
        run_state_machine_as_test(machine, settings=CAUGHT)


def test_a_system_that_returns_no_decision_fails_saying_what_to_return() -> None:
    def sloppy(record: core.Connection, input: core.Input, policy: core.Policy) -> Any:
        return core.apply(record, input, policy).record

    with pytest.raises(InvalidDefinition, match=r"not a lifecycle\.Decision"):
        run_state_machine_as_test(lifecycle_machine(sloppy), settings=CAUGHT)


@pytest.mark.parametrize(
    ("system", "message"),
    [
        (42, "needs the system under test"),
        ("apply", "needs the system under test"),
        (lambda record, input, policy, extra: None, "needs the system under test"),
    ],
)
def test_a_system_that_is_none_of_the_accepted_kinds_fails_at_once(
    system: object, message: str
) -> None:
    with pytest.raises(InvalidDefinition, match=message):
        lifecycle_machine(system)


def test_a_wrong_policy_or_region_fails_at_once_naming_the_choices() -> None:
    with pytest.raises(InvalidDefinition, match=r"lifecycle\.Policy"):
        lifecycle_machine(core.apply, policy="uk")  # type: ignore[arg-type]
    with pytest.raises(InvalidDefinition, match=r"choose among \['au', 'eu', 'uk'\]"):
        lifecycle_machine(core.apply, regions=["mars"])
    with pytest.raises(InvalidDefinition, match="list of region names"):
        lifecycle_machine(core.apply, regions="uk")


def test_a_factory_that_makes_no_system_fails_saying_what_a_system_has() -> None:
    machine = lifecycle_machine(lambda: object())
    with pytest.raises(InvalidDefinition, match=r"start\(event\), feed\(input\) and record\(\)"):
        run_state_machine_as_test(machine, settings=CAUGHT)


def test_apply_system_and_store_system_check_what_they_are_given() -> None:
    def nothing() -> None:
        return None

    with pytest.raises(InvalidDefinition, match="cannot be called as decide"):
        apply_system(nothing)  # type: ignore[arg-type]
    with pytest.raises(InvalidDefinition, match="has no create, get, commit, history"):
        store_system(object())  # type: ignore[arg-type]


def test_a_two_argument_decider_is_driven_with_the_default_policy() -> None:
    def decide(record: core.Connection, input: core.Input) -> core.Decision:
        return core.apply(record, input)

    run_state_machine_as_test(lifecycle_machine(decide, regions=["uk"]), settings=RUNS)
