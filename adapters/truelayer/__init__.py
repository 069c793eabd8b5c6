"""The TrueLayer HTTP client: performs the core's effects, reports outcomes as core events.

One implementation of the wire protocol (``_protocol``, ``_parse``) is shared by a
blocking client (``TrueLayerClient``) and an asyncio one (``AsyncTrueLayerClient``);
transient failures are retried through ``stamina`` (``RetryPolicy``). Nothing here decides
a status: results have ``to_event(at)``, errors ``core_event(at)``, to feed to
``lifecycle.apply``. The whole Data API v1 is covered (``DATA_ENDPOINTS``), each
answer typed (``Account``, ``Transaction``, ...), at once or queued (``queue``,
``results``, ``parse_webhook``). Logs (logger ``adapters.truelayer``, DEBUG) show method, path,
status and fingerprints, never a secret.

Example:
    client = TrueLayerClient(client_id=..., client_secret=..., redirect_uri=...,
                             endpoints=Endpoints.sandbox())
    link = client.auth_link(scopes=("info", "accounts", "offline_access"),
                            providers=("uk-cs-mock",))
    record = lifecycle.apply(record, link.link_issued(now)).record
"""

from ._async import AsyncTrueLayerClient
from ._call import Call
from ._callback import (
    Callback,
    CallbackCode,
    CallbackError,
    MalformedCallback,
    StateMismatch,
    callback_parameters,
    parse_callback,
)
from ._data import DATA_ENDPOINTS, AsyncTask, Data, DataEndpoint, DataQuery
from ._endpoints import Endpoints
from ._errors import (
    AccessDeniedError,
    AccountNotFound,
    CardNotFound,
    DeprecatedProvider,
    InsufficientPermissions,
    InvalidClient,
    InvalidDateRange,
    InvalidGrant,
    InvalidToken,
    MalformedResponse,
    NotFound,
    ProviderError,
    ProviderTooManyRequests,
    ScaExceeded,
    TaskPending,
    TemporarilyUnavailable,
    TransportError,
    TrueLayerError,
    UnauthorizedClient,
    UnexpectedResponse,
    ValidationError,
)
from ._link import AuthLink, AuthLinkError, build_auth_link, pkce_challenge, provider_covered
from ._models import (
    Account,
    AccountNumber,
    Address,
    Balance,
    Card,
    CardBalance,
    DirectDebit,
    Info,
    PendingTransaction,
    Provider,
    RunningBalance,
    StandingOrder,
    Transaction,
)
from ._protocol import Answer, Operation, Requests
from ._results import (
    AuthenticationNeeded,
    Consent,
    Deleted,
    Extended,
    ExtendResult,
    ExtendUser,
    ReconfirmationNeeded,
    TokenGrant,
)
from ._retry import RetryPolicy
from ._sync import TrueLayerClient
from ._webhook import Webhook, parse_webhook

__all__ = [
    "DATA_ENDPOINTS",
    "AccessDeniedError",
    "Account",
    "AccountNotFound",
    "AccountNumber",
    "Address",
    "Answer",
    "AsyncTask",
    "AsyncTrueLayerClient",
    "AuthLink",
    "AuthLinkError",
    "AuthenticationNeeded",
    "Balance",
    "Call",
    "Callback",
    "CallbackCode",
    "CallbackError",
    "Card",
    "CardBalance",
    "CardNotFound",
    "Consent",
    "Data",
    "DataEndpoint",
    "DataQuery",
    "Deleted",
    "DeprecatedProvider",
    "DirectDebit",
    "Endpoints",
    "ExtendResult",
    "ExtendUser",
    "Extended",
    "Info",
    "InsufficientPermissions",
    "InvalidClient",
    "InvalidDateRange",
    "InvalidGrant",
    "InvalidToken",
    "MalformedCallback",
    "MalformedResponse",
    "NotFound",
    "Operation",
    "PendingTransaction",
    "Provider",
    "ProviderError",
    "ProviderTooManyRequests",
    "ReconfirmationNeeded",
    "Requests",
    "RetryPolicy",
    "RunningBalance",
    "ScaExceeded",
    "StandingOrder",
    "StateMismatch",
    "TaskPending",
    "TemporarilyUnavailable",
    "TokenGrant",
    "Transaction",
    "TransportError",
    "TrueLayerClient",
    "TrueLayerError",
    "UnauthorizedClient",
    "UnexpectedResponse",
    "ValidationError",
    "Webhook",
    "build_auth_link",
    "callback_parameters",
    "parse_callback",
    "parse_webhook",
    "pkce_challenge",
    "provider_covered",
]
