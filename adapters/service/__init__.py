"""The connection service: where core, client and store meet, exactly once, crash-safe.

``Connections`` (blocking) and ``AsyncConnections`` (asyncio) share one logic: plans of
sans-I/O steps (``_plans``), which each face only performs. Every method takes the
connection id, reads the record at the moment of use, and raises only ``ServiceError``
subclasses.

Example:
    connections = Connections(store=store, client=client)
    link = connections.begin(region="uk", scopes=("info", "accounts", "offline_access"),
                             providers="uk-ob-all")
    # ... the user consents and comes back:
    outcome = connections.handle_callback(query)
    accounts = connections.accounts(outcome.connection_id)
"""

from ._async import AsyncConnections
from ._errors import (
    BankRefused,
    BankUnavailable,
    CallbackRefused,
    Refused,
    ServiceError,
    UnknownConnection,
    UnresolvedRequest,
)
from ._outbox import EVENT_TYPES
from ._results import Begun, CallbackOutcome, ExtendOutcome, StatusView
from ._sync import Connections

__all__ = [
    "EVENT_TYPES",
    "AsyncConnections",
    "BankRefused",
    "BankUnavailable",
    "Begun",
    "CallbackOutcome",
    "CallbackRefused",
    "Connections",
    "ExtendOutcome",
    "Refused",
    "ServiceError",
    "StatusView",
    "UnknownConnection",
    "UnresolvedRequest",
]
