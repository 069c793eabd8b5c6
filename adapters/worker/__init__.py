"""The worker: acts on every connection's agenda unattended, from any number of processes.

``run_due`` leases the due connections from the store, does what their agenda says
through the connection service (refresh, keep-alive, reminders, expiry, resolving the
journal, reconciling) and releases every lease. Run it in a loop (``lifecycle worker``),
from cron (``lifecycle worker --once``), or from a job engine
(``adapters.worker.procrastinate``).

Example:
    from adapters.worker import run_due

    done = run_due(connections, limit=100)
    print(done.counts())
"""

from ._run import Done, run_due

__all__ = ["Done", "run_due"]
