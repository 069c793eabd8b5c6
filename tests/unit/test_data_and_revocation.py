"""R11 and R12: data calls and revocation."""

from __future__ import annotations

import attrs
import pytest
from lifecycle_support import T0, H, M, S, active, inactive, must, sample_input, started

import lifecycle as core
from lifecycle import Effect, InactiveReason, Reason, Status


def test_fetching_data_is_refused_unless_active() -> None:
    decision = core.apply(started(), core.FetchData(T0 + S))
    assert (decision.accepted, decision.reason) == (False, Reason.NOT_ACTIVE)


def test_a_403_access_denied_makes_the_connection_inactive() -> None:
    record = must(active(), core.AccessDenied(T0 + M))
    assert core.status_at(record, T0 + M) == (Status.INACTIVE, InactiveReason.ACCESS_DENIED)


def test_revoke_asks_the_shell_to_delete_the_connection() -> None:
    decision = core.apply(active(), core.Revoke(T0 + M))
    assert decision.effects == (Effect.DELETE_CONNECTION,)


def test_revoked_drops_the_tokens() -> None:
    record = must(must(active(), core.Revoke(T0 + M)), core.Revoked(T0 + M))
    assert record.inactive_reason is InactiveReason.REVOKED
    assert record.grant.access_token is None and record.grant.refresh_token is None


@pytest.mark.parametrize("kind", sorted(set(core.INPUT_TYPES) - {"tick", "revoked"}))
def test_nothing_but_a_tick_is_accepted_after_revocation(kind: str) -> None:
    record = inactive(InactiveReason.REVOKED)
    decision = core.apply(record, sample_input(kind, T0 + 2 * H))
    assert not decision.accepted
    assert decision.record is record


def test_an_input_older_than_the_last_one_is_refused_as_the_clock_going_backwards() -> None:
    record = active()
    decision = core.apply(record, core.Tick(T0))
    assert (decision.accepted, decision.reason) == (False, Reason.CLOCK_WENT_BACKWARDS)
    assert decision.record is record
    assert "before the last input" in decision.detail


def test_a_naive_now_is_a_clear_error() -> None:
    with pytest.raises(core.NaiveDatetimeError):
        core.status_at(active(), T0.replace(tzinfo=None))


def test_apply_refuses_what_is_not_an_input() -> None:
    with pytest.raises(core.MalformedInputError, match="not a lifecycle input: str"):
        core.apply(active(), "tick")  # type: ignore[arg-type]


def test_apply_refuses_the_bare_input_base_class() -> None:
    with pytest.raises(core.MalformedInputError, match="not a lifecycle input: Input"):
        core.apply(active(), core.Input(T0 + H))


@attrs.frozen
class AuditedRead(core.FetchData):
    """A service's own read, carrying who asked: still a ``fetch_data``."""

    by: str = "support"


def test_an_input_of_a_subclass_is_decided_as_its_input_type() -> None:
    record = active()
    plain = core.apply(record, core.FetchData(T0 + 2 * H))
    audited = core.apply(record, AuditedRead(T0 + 2 * H))
    assert audited.accepted and audited.effects == plain.effects
    assert audited.record == plain.record


def test_a_read_with_a_live_token_returns_the_very_same_record() -> None:
    record = active()
    decision = core.apply(record, core.FetchData(T0 + M))
    assert decision.accepted
    assert decision.effects == (Effect.FETCH_DATA,)
    assert decision.record is record  # nothing to write


def test_a_tick_that_fires_a_time_row_is_written() -> None:
    record = active()
    later = T0 + 3 * S + 30 * 24 * H  # the unused refresh token lapses (R6)
    decision = core.apply(record, core.Tick(later))
    assert decision.record is not record
    assert decision.record.inactive_reason is InactiveReason.REFRESH_TOKEN_LAPSED
    assert decision.record.last_input_at == later
