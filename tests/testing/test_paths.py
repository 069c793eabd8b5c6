"""Paths from the transition table: every row and every inactive reason is reached, and
every path is a runnable timeline whose inputs the core accepts, firing the rows it says."""

from __future__ import annotations

from datetime import timedelta

import pytest

import lifecycle as core
from lifecycle.testing import Path, shape_of, shortest_paths, simple_paths


def fired_rows(path: Path) -> list[core.Rule]:
    """Replay a path and name the rows each input fires, as the core decides them."""
    timeline = path.timeline
    policy = timeline.policy
    record = core.start(timeline.started, policy)
    rows = [core.RULES[(None, "connection_started")]]
    for input in timeline.inputs:
        settled = core.settle(record, input.at, policy)
        if settled.status is not record.status:
            (time_row,) = [
                row
                for row in core.TIME_RULES
                if (row.source, row.dest, row.reason)
                == (record.status, settled.status, settled.inactive_reason)
            ]
            rows.append(time_row)
        decision = core.apply(record, input, policy)
        assert decision.accepted, f"{input.TYPE} refused: {decision.reason}\n{path.describe()}"
        rows.append(core.RULES[(settled.status, input.TYPE)])
        record = decision.record
    return rows


def test_the_shortest_paths_go_through_every_row_of_the_table() -> None:
    paths = shortest_paths()
    assert set(paths.through_row) == set(core.TABLE)
    for row, path in paths.through_row.items():
        assert row in path.rows


def test_the_shortest_paths_reach_every_status_and_every_inactive_reason() -> None:
    paths = shortest_paths()
    assert set(paths.to_status) == set(core.Status)
    assert set(paths.to_reason) == set(core.InactiveReason)
    for reason, path in paths.to_reason.items():
        record = path.timeline.record()
        assert (record.status, record.inactive_reason) == (core.Status.INACTIVE, reason)


def test_every_shortest_path_runs_and_fires_exactly_the_rows_it_names() -> None:
    for path in shortest_paths().through_row.values():
        assert fired_rows(path) == list(path.rows)


def test_a_path_to_a_status_ends_in_it_and_none_is_shorter_than_needed() -> None:
    paths = shortest_paths()
    for status, path in paths.to_status.items():
        assert path.status is status
        assert path.timeline.record().status is status
    # Link, callback, exchange, its answer: four inputs to become active.
    assert len(paths.to_status[core.Status.ACTIVE]) == 4


def test_a_path_s_times_never_go_back() -> None:
    for path in shortest_paths().through_row.values():
        times = [path.timeline.started.at, *(input.at for input in path.timeline.inputs)]
        assert times == sorted(times)


def test_simple_paths_never_come_back_to_a_record_shape_and_all_run() -> None:
    paths = list(simple_paths(6))
    assert paths and max(len(path) for path in paths) == 6
    for path in paths:
        timeline = path.timeline
        records = [core.start(timeline.started)]
        records += [step.decision.record for step in timeline.replay()]
        shapes = [shape_of(record) for record in records]
        assert len(shapes) == len(set(shapes))
        assert fired_rows(path) == list(path.rows)


def test_simple_paths_of_a_length_include_the_shorter_ones() -> None:
    short = {path.timeline.types() for path in simple_paths(3)}
    longer = {path.timeline.types() for path in simple_paths(5)}
    assert short and short < longer


def test_paths_follow_the_policy_in_use() -> None:
    quick = core.Policy(code_lifetime=timedelta(seconds=30))
    expiry = shortest_paths(quick).through_row[
        next(row for row in core.TABLE if row.input == "code_expired")
    ]
    (tick,) = [input for input in expiry.timeline.inputs if input.TYPE == "tick"]
    callback = next(i for i in expiry.timeline.inputs if i.TYPE == "user_authorised")
    assert tick.at - callback.at == timedelta(seconds=30)


def test_a_region_that_cannot_extend_reaches_no_extension_row() -> None:
    rows = shortest_paths(region="eu").through_row
    assert not [row for row in rows if row.input == "extend"]
    with pytest.raises(core.UnknownRegionError):
        shortest_paths(region="mars")


@pytest.mark.parametrize("length", [0, -1, True])
def test_simple_paths_need_a_length_of_one_or_more(length: int) -> None:
    with pytest.raises(ValueError, match="max_length"):
        next(simple_paths(length))
