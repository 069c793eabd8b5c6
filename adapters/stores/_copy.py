"""Copy every connection, with its whole history, from one store into another.

This is how a service moves from SQLite to PostgreSQL: stop the writers, copy, point
the service at the new store. Rows are decrypted with the source's keys and sealed
again with the target's; versions and history sequence numbers are kept, leases are not.
Journalled answers not yet applied are copied with their connection (R15: they may
hold the only copy of a rotated token); outbox events and the state index are not:
deliver the outbox before copying, and issue links again afterwards.
"""

from __future__ import annotations

from collections.abc import Callable

from attrs import evolve, frozen

from ._errors import CorruptRecordError, DuplicateConnection
from ._protocol import Store

__all__ = ["CopyReport", "copy_connections"]


@frozen
class CopyReport:
    """What a copy did.

    Attributes:
        copied: connections written to the target.
        skipped: connections the target already had (left as they were).
        failed: connections whose source rows cannot be read (not copied), and
            connections copied whose journalled answer cannot be read (that answer
            is not copied: repair it in the source and copy it by hand).
        answers: journalled answers copied with their connections.
    """

    copied: int
    skipped: tuple[str, ...]
    failed: tuple[str, ...]
    answers: int = 0


def copy_connections(
    source: Store,
    target: Store,
    *,
    skip_existing: bool = False,
    progress: Callable[[str, CorruptRecordError | None], None] | None = None,
) -> CopyReport:
    """Copy every connection of ``source`` into ``target``, one transaction each.

    An unreadable source row is reported in ``failed`` and the copy goes on, so that one
    bad row does not hold back a migration; the report says what to repair.

    Args:
        source: the store to read.
        target: the store to write.
        skip_existing: leave connections the target already has, instead of failing.
        progress: called after each connection with its id and, when its rows cannot be
            read, the error that says why (for progress displays and error reports).

    Raises:
        DuplicateConnection: the target has a connection already (unless skipped).
    """
    copied, skipped, failed, answers = 0, [], [], 0
    journal: dict[str, list[int]] = {}
    # Open answers are few (one request in flight per connection at most): read at once.
    for connection_id, request in source.open_answers(limit=_ALL):
        journal.setdefault(connection_id, []).append(request)
    for connection_id in source.connection_ids():
        try:
            item = source.get(connection_id)
            history = source.history(connection_id)
        except CorruptRecordError as error:
            failed.append(connection_id)
            if progress is not None:
                progress(connection_id, error)
            continue
        try:
            target.restore(evolve(item, lease_owner=None, lease_until=None), history)
        except DuplicateConnection:
            if not skip_existing:
                raise
            skipped.append(connection_id)
        else:
            copied += 1
            try:
                answers += _copy_answers(source, target, connection_id, journal)
            except CorruptRecordError as error:
                failed.append(connection_id)
                if progress is not None:
                    progress(connection_id, error)
                continue
        if progress is not None:
            progress(connection_id, None)
    return CopyReport(copied, tuple(skipped), tuple(failed), answers)


_ALL = 2**62


def _copy_answers(
    source: Store, target: Store, connection_id: str, journal: dict[str, list[int]]
) -> int:
    copied = 0
    for request in journal.get(connection_id, ()):
        answer = source.answer(connection_id, request)
        if answer is not None:  # closed meanwhile: nothing to carry
            target.record_answer(connection_id, request, answer)
            copied += 1
    return copied
