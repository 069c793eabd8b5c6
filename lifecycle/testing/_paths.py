"""Paths through the transition table, each a runnable timeline (model-based testing).

A path is a connection's start and a sequence of inputs, every one accepted, with the
table rows it fires in order (time rows included: a ``tick`` at the moment a clock runs
out fires its row). The generator searches breadth first over *records*, not just
statuses: the guards depend on more than the status (a link outstanding, a request in
flight, an unspent reconfirmation), so each search state is the record's shape — what
it holds, not the values — and each move is one input built to fit the record
(``canonical_input``) one second after the last, or a tick when a clock runs out.

``shortest_paths`` gives the shortest path to every status, to every inactive reason
and through every row; ``simple_paths`` every path up to a length that never comes back
to a shape it has been in (XState's simple paths, over record shapes).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from attrs import frozen

from .._clocks import CLOCKS
from .._decide import apply, settle, start
from .._inputs import KNOWN_SCOPES, ConnectionStarted, Input, Tick
from .._policy import DEFAULT_POLICY, Policy
from .._record import Connection
from .._table import RULES, TABLE, TIME_RULES, Rule
from .._vocabulary import InactiveReason, Status
from ._fields import SECOND, T0
from ._moves import canonical_input, fitting
from ._timelines import Timeline

__all__ = ["Path", "Paths", "shape_of", "shortest_paths", "simple_paths"]

_WITH = tuple(sorted(KNOWN_SCOPES - {"cards", "direct_debits", "standing_orders"}))
_WITHOUT = tuple(scope for scope in _WITH if scope != "offline_access")


@frozen
class Path:
    """A runnable timeline and the rows of the table it fires, in order.

    Attributes:
        timeline: the start and the inputs, with their times; every input is accepted.
        rows: the rows fired, one per input (a tick that fires a time row fires two).
    """

    timeline: Timeline
    rows: tuple[Rule, ...]

    def __len__(self) -> int:
        return len(self.timeline.inputs)

    @property
    def status(self) -> Status:
        """The status the path ends in."""
        return self.rows[-1].dest

    def describe(self) -> str:
        """The rows as ``source --input--> dest``, one per line."""
        return "\n".join(
            f"{row.source or 'start'} --{row.input}--> {row.dest}"
            + (f" ({row.reason})" if row.reason else "")
            for row in self.rows
        )


@frozen
class Paths:
    """The shortest paths of a policy and region.

    Attributes:
        to_status: the shortest path into each status.
        to_reason: the shortest path that makes a connection inactive for each reason.
        through_row: the shortest path through each row of ``lifecycle.TABLE``.
    """

    to_status: Mapping[Status, Path]
    to_reason: Mapping[InactiveReason, Path]
    through_row: Mapping[Rule, Path]


def shape_of(record: Connection) -> tuple[Any, ...]:
    """What a record holds, without the values: the state of the path search."""
    link = record.link
    request = record.request
    seen = record.consent.reconfirmation
    grant = record.grant
    return (
        record.status,
        record.inactive_reason,
        record.offline_access,
        None if link is None else link.state is not None,
        record.code is not None,
        None if request is None else (request.effect, request.outcome_unknown),
        record.reauthenticating,
        None if seen is None else seen.spent,
        grant.refresh_token is not None,
        grant.refresh_used,
        grant.access_token is not None,
    )


_Move = tuple[Input, tuple[Rule, ...], Connection]


def _moves(record: Connection, policy: Policy, serial: int) -> Iterator[_Move]:
    """Each accepted input that may come next, the rows it fires, the record after."""
    last = record.last_input_at
    candidates: list[Input] = []
    # A tick when a clock of a time row runs out: the row fires by itself (R3, R6, R8).
    for row in TIME_RULES:
        if row.source is record.status and row.clock is not None:
            moment = CLOCKS[row.clock](record, policy)
            if moment is not None and moment >= last:
                candidates.append(Tick(moment))
    at = last + SECOND
    settled = settle(record, at, policy)
    candidates += [canonical_input(kind, settled, at, serial) for kind in fitting(settled)]
    for input in candidates:
        decision = apply(record, input, policy)
        if not decision.accepted:
            continue
        now = settle(record, input.at, policy)
        fired = [
            row
            for row in TIME_RULES
            if row.source is record.status
            and (row.dest, row.reason) == (now.status, now.inactive_reason)
            and now.status is not record.status
        ]
        fired.append(RULES[(now.status, input.TYPE)])
        yield input, tuple(fired), decision.record


def _region(policy: Policy, region: str | None) -> str:
    if region is not None:
        policy.region(region)  # UnknownRegionError, with the known ones, if it is not
        return region
    names = sorted(policy.regions)
    extendable = [name for name in names if policy.regions[name].extendable]
    return (extendable or names)[0]


def _starts(policy: Policy, region: str, at: datetime) -> list[ConnectionStarted]:
    return [ConnectionStarted(at, region=region, scopes=scopes) for scopes in (_WITH, _WITHOUT)]


@lru_cache(maxsize=16)
def shortest_paths(
    policy: Policy = DEFAULT_POLICY, *, region: str | None = None, start_at: datetime = T0
) -> Paths:
    """The shortest path to every status, to every inactive reason and through every row.

    Args:
        policy: the policy whose guards and clocks the paths obey.
        region: the region of the connection; by default the first extendable one of the
            policy (so that extension rows can be reached), else the first.
        start_at: when the connection starts.

    Raises:
        UnknownRegionError: ``region`` is not in the policy's table.
    """
    name = _region(policy, region)
    begin = _starts(policy, name, start_at)
    start_row = RULES[(None, "connection_started")]
    queue: deque[tuple[Connection, Timeline, tuple[Rule, ...]]] = deque(
        (start(first, policy), Timeline(first, (), policy), (start_row,)) for first in begin
    )
    seen = {shape_of(record) for record, _, _ in queue}
    rows: dict[Rule, Path] = {}
    first_path = Path(queue[0][1], (start_row,))
    rows[start_row] = first_path
    while queue:
        record, timeline, fired = queue.popleft()
        for input, new_rows, after in _moves(record, policy, len(timeline.inputs) + 1):
            path = Path(
                Timeline(timeline.started, (*timeline.inputs, input), policy),
                (*fired, *new_rows),
            )
            for row in new_rows:
                rows.setdefault(row, path)
            shape = shape_of(after)
            if shape not in seen:
                seen.add(shape)
                queue.append((after, path.timeline, path.rows))
    statuses: dict[Status, Path] = {}
    reasons: dict[InactiveReason, Path] = {}
    for path in sorted(rows.values(), key=len):
        for row in path.rows:
            statuses.setdefault(row.dest, path)
            if row.reason is not None:
                reasons.setdefault(row.reason, path)
    ordered = {row: rows[row] for row in TABLE if row in rows}
    return Paths(MappingProxyType(statuses), MappingProxyType(reasons), MappingProxyType(ordered))


def simple_paths(
    max_length: int,
    policy: Policy = DEFAULT_POLICY,
    *,
    region: str | None = None,
    start_at: datetime = T0,
) -> Iterator[Path]:
    """Every path of 1 to ``max_length`` inputs that never returns to a record shape.

    Of the moves from one shape that fire the same rows into the same shape, one is
    kept: they differ only in values, not in what the lifecycle does.

    Raises:
        ValueError: ``max_length`` is less than 1.
        UnknownRegionError: ``region`` is not in the policy's table.
    """
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
        raise ValueError("max_length must be a whole number of inputs, 1 or more")
    name = _region(policy, region)
    start_row = RULES[(None, "connection_started")]

    def walk(
        record: Connection, timeline: Timeline, fired: tuple[Rule, ...], visited: frozenset[Any]
    ) -> Iterator[Path]:
        if len(timeline.inputs) >= max_length:
            return
        kept: set[tuple[tuple[Rule, ...], Any]] = set()
        for input, new_rows, after in _moves(record, policy, len(timeline.inputs) + 1):
            shape = shape_of(after)
            if shape in visited or (new_rows, shape) in kept:
                continue
            kept.add((new_rows, shape))
            path = Path(
                Timeline(timeline.started, (*timeline.inputs, input), policy),
                (*fired, *new_rows),
            )
            yield path
            yield from walk(after, path.timeline, path.rows, visited | {shape})

    for first in _starts(policy, name, start_at):
        record = start(first, policy)
        yield from walk(
            record, Timeline(first, (), policy), (start_row,), frozenset({shape_of(record)})
        )
