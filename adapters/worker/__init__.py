"""Work that runs unattended: the worker on every connection's agenda, and the outbox relay.

``run_due`` leases the due connections from the store, does what their agenda says
through the connection service (refresh, keep-alive, reminders, expiry, resolving the
journal, reconciling) and releases every lease. Run it in a loop (``lifecycle worker``),
from cron (``lifecycle worker --once``), or from a job engine
(``adapters.worker.procrastinate``). ``relay`` delivers the outbox to a webhook.

Example:
    from adapters.worker import relay, run_due

    done = run_due(connections, limit=100)
    print(done.counts())
    delivered = relay(connections, "https://hooks.example.com/lifecycle", secret=key)
"""

from ._relay import SIGNATURE_HEADER, RelayError, event_json, relay, sign, verify_signature
from ._run import Done, run_due

__all__ = [
    "SIGNATURE_HEADER",
    "Done",
    "RelayError",
    "event_json",
    "relay",
    "run_due",
    "sign",
    "verify_signature",
]
