"""A reusable stateful test: the core as the model, a team's system under test beside it.

``lifecycle_machine`` builds a Hypothesis ``RuleBasedStateMachine`` that starts one
connection, then feeds it generated inputs and time steps (``next_inputs``, ticks at the
record's own deadlines and one second either side, and, when asked, hostile inputs).
Each input goes to the core and to the system under test; after every step the system
must hold the record the core decided, with the same acceptance, reason and effects,
and the core's invariants (``check_step``, ``check_record``) must hold.

Example:
    TestMyStore = lifecycle_machine(store_system(my_store)).TestCase
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidDefinition
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from .._decide import apply, start
from .._inputs import ConnectionStarted, Input, Tick
from .._limits import EARLIEST, LATEST
from .._policy import DEFAULT_POLICY, Policy
from .._record import Connection
from ._fields import SECOND
from ._invariants import InvariantError, check_record, check_step
from ._moves import moments_of
from ._systems import System, as_system_factory
from ._timelines import _hostile_input, next_inputs, starts

__all__ = ["lifecycle_machine"]

_HUG = st.sampled_from((-SECOND, timedelta(0), SECOND))


def _definition(policy: object, regions: Iterable[str] | None) -> tuple[Policy, tuple[str, ...]]:
    if not isinstance(policy, Policy):
        raise InvalidDefinition(
            f"policy must be a lifecycle.Policy, not {type(policy).__name__}: pass "
            "lifecycle.DEFAULT_POLICY or an attrs.evolve'd copy of it"
        )
    if isinstance(regions, str):
        raise InvalidDefinition(f"regions must be a list of region names, like [{regions!r}]")
    names = tuple(sorted(policy.regions)) if regions is None else tuple(regions)
    unknown = [name for name in names if name not in policy.regions]
    if unknown or not names:
        raise InvalidDefinition(
            f"regions {unknown or '(none)'} are not in the policy's table; "
            f"choose among {sorted(policy.regions)}"
        )
    return policy, names


def lifecycle_machine(
    system: object,
    *,
    policy: Policy = DEFAULT_POLICY,
    regions: Iterable[str] | None = None,
    hostile: bool = False,
    compare_decisions: bool = True,
) -> type[RuleBasedStateMachine]:
    """A state machine that checks a system under test against the core, step by step.

    Args:
        system: a function shaped like ``lifecycle.apply(record, input, policy)``; a
            store (``adapters.stores.Store``); or a function of no arguments returning a
            fresh ``System`` for each run (``apply_system``, ``store_system`` or your own).
        policy: the policy of the core and of the inputs generated.
        regions: the regions connections start in; by default all of the policy's.
        hostile: also feed inputs the lifecycle must refuse: no row for them, answers
            naming another request, forged states, clocks that went backwards.
        compare_decisions: also require the system's acceptance, reason and effects to
            be the core's (turn off for a system that reports only records).

    Returns:
        A ``RuleBasedStateMachine`` subclass; its ``TestCase`` is a test to collect.

    Raises:
        InvalidDefinition: ``system``, ``policy`` or ``regions`` is not usable; the
            message says what to give instead.
    """
    policy, names = _definition(policy, regions)
    factory = as_system_factory(system, policy)
    started = st.sampled_from(names).flatmap(lambda region: starts(policy, region=region))

    class LifecycleMachine(RuleBasedStateMachine):
        """The core (the model) and the system under test, fed the same inputs."""

        def __init__(self) -> None:
            super().__init__()
            self.system: System = factory()
            self.model: Connection | None = None
            self.serial = 0
            self.clock = EARLIEST  # the time of the last valid input fed

        @initialize(event=started)
        def start_a_connection(self, event: ConnectionStarted) -> None:
            self.model = start(event, policy)
            self.clock = event.at
            got = self.system.start(event)
            _agree(got, self.model, "after connection_started")

        def _feed(self, input: Input) -> None:
            assert self.model is not None
            before = self.model
            decision = apply(before, input, policy)
            check_step(before, input, decision, policy)
            got = self.system.feed(input)
            if compare_decisions:
                ours = (got.accepted, got.reason, got.effects)
                core = (decision.accepted, decision.reason, decision.effects)
                if ours != core:
                    raise InvariantError(
                        f"{input.TYPE}: the system decided (accepted, reason, effects) = "
                        f"{ours}, the core {core}"
                    )
            _agree(got.record, decision.record, f"after {input.TYPE} at {input.at.isoformat()}")
            self.model = decision.record

        @precondition(lambda self: self.model is not None)
        @rule(data=st.data())
        def an_input_arrives(self, data: st.DataObject) -> None:
            assert self.model is not None
            self.serial += 1
            input = data.draw(next_inputs(self.model, policy, serial=self.serial, after=self.clock))
            self.clock = input.at
            self._feed(input)

        @precondition(lambda self: self.model is not None)
        @rule(data=st.data())
        def time_passes_to_a_deadline(self, data: st.DataObject) -> None:
            # A tick at (or one second either side of) one of the record's deadlines:
            # time rows fire, the agenda falls due, answers become late (R15).
            assert self.model is not None
            last = max(self.clock, self.model.last_input_at)
            ahead = moments_of(self.model, last, policy) or (last + SECOND,)
            at = max(last, data.draw(st.sampled_from(ahead)) + data.draw(_HUG))
            self.clock = min(at, LATEST - SECOND)
            self._feed(Tick(self.clock))

        if hostile:

            @precondition(lambda self: self.model is not None)
            @rule(data=st.data())
            def a_hostile_input_arrives(self, data: st.DataObject) -> None:
                assert self.model is not None
                self.serial += 1
                self._feed(data.draw(_hostile_input(self.model, policy, self.serial, self.clock)))

        @invariant()
        def the_system_holds_the_core_s_record(self) -> None:
            if self.model is not None:
                _agree(self.system.record(), self.model, "when read back")

        @invariant()
        def the_core_s_invariants_hold(self) -> None:
            if self.model is not None:
                check_record(self.model, self.model.last_input_at, policy)

    return LifecycleMachine


def _agree(got: Any, expected: Connection, when: str) -> None:
    if not isinstance(got, Connection):
        raise InvalidDefinition(
            f"the system under test gave {type(got).__name__} {when}, not a "
            "lifecycle.Connection: return the record it holds"
        )
    if got != expected:
        raise InvariantError(
            f"the system's record differs from the core's {when}: {_diff(got, expected)}"
        )


def _diff(got: Connection, expected: Connection) -> str:
    from attrs import fields

    names = [
        field.name
        for field in fields(Connection)
        if getattr(got, field.name) != getattr(expected, field.name)
    ]
    return "fields " + ", ".join(names)
