"""What the sync and async faces share: settings, the public methods' plans, errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import lifecycle as core
from adapters.stores import ConnectionNotFound, Store, StoreError
from adapters.truelayer import ExtendUser, TrueLayerError

from ._authorise import begin, handle_callback
from ._errors import ServiceError, UnknownConnection
from ._ops import Commit, Create, FindByState, Load, Op, Plan, ReadAnswer, RecordAnswer
from ._plans import Plans, Settings
from ._results import Begun, CallbackOutcome, ExtendOutcome

__all__ = ["DATA_METHODS", "Face", "call_store", "perform_store", "translate"]

T = TypeVar("T")

# The client's data calls the service offers, each taking the access token first.
DATA_METHODS = (
    "info",
    "accounts",
    "account",
    "balance",
    "transactions",
    "pending_transactions",
    "standing_orders",
    "direct_debits",
    "cards",
    "card",
    "card_balance",
    "card_transactions",
    "card_pending_transactions",
    "me",
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def perform_store(store: Store, op: Op) -> Any:
    """Perform one of a plan's store steps (both faces: the async one in a thread)."""
    if isinstance(op, Load):
        return store.get(op.connection_id)
    if isinstance(op, Commit):
        return store.commit(
            op.connection_id,
            op.version,
            op.input,
            op.decision,
            events=op.events,
            close_answer=op.close_answer,
            link_state=op.link_state,
        )
    if isinstance(op, Create):
        return store.create(op.connection_id, op.record, op.started, events=op.events)
    if isinstance(op, RecordAnswer):
        return store.record_answer(op.connection_id, op.request, op.answer)
    if isinstance(op, ReadAnswer):
        return store.answer(op.connection_id, op.request)
    if isinstance(op, FindByState):
        return store.find_by_state(op.state)
    raise TypeError(f"not a store step: {type(op).__name__}")


def call_store(call: Callable[[], T], connection_id: str | None = None) -> T:
    """A direct store call of a face, its errors translated."""
    try:
        return call()
    except Exception as error:
        translated = translate(error, connection_id)
        if translated is None:
            raise
        raise translated from error


def translate(error: Exception, connection_id: str | None) -> ServiceError | None:
    """The service error for an error that left a plan, or ``None`` to re-raise it."""
    if isinstance(error, ServiceError):
        return error
    if isinstance(error, ConnectionNotFound):
        return UnknownConnection(connection_id or str(error.connection_id))
    if isinstance(error, StoreError):
        return ServiceError(f"the store failed: {error}")
    if isinstance(error, TrueLayerError):
        return ServiceError(f"TrueLayer failed: {error}")
    if isinstance(error, core.MalformedInputError):
        return ServiceError(f"a value the core cannot take: {error}")
    return None


class Face:
    """The plans behind every public method, shared by ``Connections`` and
    ``AsyncConnections``; a face only performs their steps."""

    def __init__(
        self,
        *,
        policy: core.Policy | None,
        clock: Callable[[], datetime] | None,
        lease: timedelta,
        wait: float,
    ) -> None:
        self.policy = policy or core.DEFAULT_POLICY
        self.clock = clock or _utcnow
        self.lease = lease
        self.plans = Plans(Settings(self.policy, wait=wait))

    def now(self) -> datetime:
        """The service's clock, checked timezone-aware."""
        now = self.clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ServiceError("the service's clock must give timezone-aware datetimes")
        return now

    def begin_plan(
        self, region: str, scopes: Iterable[str], providers: str | Iterable[str]
    ) -> Plan[Begun]:
        names = providers.split() if isinstance(providers, str) else tuple(providers)
        return begin(self.plans, region, scopes, names)

    def callback_plan(
        self, query: str | Mapping[str, str], connection_id: str | None
    ) -> Plan[CallbackOutcome]:
        return handle_callback(self.plans, query, connection_id)

    def reconfirm_plan(self, connection_id: str, evidence: str) -> Plan[None]:
        yield from self.plans.must(
            connection_id, lambda at, _: core.ConsentReconfirmed(at, evidence=evidence)
        )

    def remind_plan(self, connection_id: str) -> Plan[bool]:
        _, decision = yield from self.plans.decide(
            connection_id, lambda at, _: core.ReminderSent(at), keep_refusal=False
        )
        return decision.accepted

    def tick_plan(self, connection_id: str) -> Plan[core.Status]:
        _stored, decision = yield from self.plans.decide(
            connection_id, lambda at, _: core.Tick(at), keep_refusal=False
        )
        return decision.record.status

    def extend_plan(self, connection_id: str, user: ExtendUser) -> Plan[ExtendOutcome]:
        return self.plans.extend(connection_id, user)

    def data_plan(self, connection_id: str, method: str, args: Any, kwargs: Any) -> Plan[Any]:
        if method not in DATA_METHODS:
            raise ServiceError(f"no data call {method!r}")
        return self.plans.data(connection_id, method, tuple(args), dict(kwargs))
