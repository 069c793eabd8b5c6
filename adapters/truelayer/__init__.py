"""The TrueLayer HTTP client: performs the core's effects, reports outcomes as core events.

One implementation of the wire protocol (``_protocol``, ``_parse``) is shared by a
blocking client (``TrueLayerClient``) and an asyncio one (``AsyncTrueLayerClient``);
transient failures are retried through ``stamina`` (``RetryPolicy``). Nothing here decides
a status: results have ``to_event(at)``, errors ``core_event(at)``, to feed to
``lifecycle.apply``. Logs (logger ``adapters.truelayer``, DEBUG) show method, path,
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
    parse_callback,
)
from ._endpoints import Endpoints
from ._errors import (
    AccessDeniedError,
    InsufficientPermissions,
    InvalidClient,
    InvalidGrant,
    InvalidToken,
    MalformedResponse,
    NotFound,
    ProviderError,
    ProviderTooManyRequests,
    ScaExceeded,
    TemporarilyUnavailable,
    TransportError,
    TrueLayerError,
    UnauthorizedClient,
    UnexpectedResponse,
    ValidationError,
)
from ._link import AuthLink, AuthLinkError, build_auth_link, pkce_challenge, provider_covered
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

__all__ = [
    "AccessDeniedError",
    "Answer",
    "AsyncTrueLayerClient",
    "AuthLink",
    "AuthLinkError",
    "AuthenticationNeeded",
    "Call",
    "Callback",
    "CallbackCode",
    "CallbackError",
    "Consent",
    "Deleted",
    "Endpoints",
    "ExtendResult",
    "ExtendUser",
    "Extended",
    "InsufficientPermissions",
    "InvalidClient",
    "InvalidGrant",
    "InvalidToken",
    "MalformedCallback",
    "MalformedResponse",
    "NotFound",
    "Operation",
    "ProviderError",
    "ProviderTooManyRequests",
    "ReconfirmationNeeded",
    "Requests",
    "RetryPolicy",
    "ScaExceeded",
    "StateMismatch",
    "TemporarilyUnavailable",
    "TokenGrant",
    "TransportError",
    "TrueLayerClient",
    "TrueLayerError",
    "UnauthorizedClient",
    "UnexpectedResponse",
    "ValidationError",
    "build_auth_link",
    "parse_callback",
    "pkce_challenge",
    "provider_covered",
]
