"""Copy every connection, with its whole history, from one store into another.

This is how a service moves from SQLite to PostgreSQL: stop the writers, copy, point
the service at the new store. Rows are decrypted with the source's keys and sealed
again with the target's; versions and history sequence numbers are kept, leases are not.
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
        failed: connections whose source rows cannot be read (not copied).
    """

    copied: int
    skipped: tuple[str, ...]
    failed: tuple[str, ...]


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
    copied, skipped, failed = 0, [], []
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
        if progress is not None:
            progress(connection_id, None)
    return CopyReport(copied, tuple(skipped), tuple(failed))
