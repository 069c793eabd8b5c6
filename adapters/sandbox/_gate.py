"""The gate of every Data API endpoint: bearer, scopes, sync or async, the answer's headers.

Theory of operation: a bearer token names a connection. A connection that is revoked or
past its lifetime answers 403 ``access_denied`` (R8, R12: a lifecycle change); a token that
is missing, unknown, superseded by a later one or expired answers 401 ``invalid_token``
(R5, R11: refresh once and retry). Then the endpoint's scopes, as TrueLayer's scopes table
lists them, must all have been granted, or it answers 403 ``insufficient_permissions``
(not a consent problem). Only then is the endpoint's own answer made: at once, or, with
``async=true``, as a queued task (``_tasks``). Every answer after authentication carries
``X-Credentials-Id``; Data API error bodies carry ``error_details``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlencode, urlsplit

from adapters.sandbox import _tasks as tasks
from adapters.sandbox._http import Request, Response, iso, json_answer
from adapters.sandbox._state import Connection, SandboxState, same_secret

__all__ = ["Context", "authenticate", "data_error", "envelope", "results", "serve"]


def data_error(
    status: int, error: str, description: str, details: dict[str, Any] | None = None
) -> Response:
    """A Data API error: ``{"error", "error_description", "error_details"}``."""
    return json_answer(
        status, {"error": error, "error_description": description, "error_details": details or {}}
    )


def envelope(results: list[dict[str, Any]]) -> Response:
    """The Data API's success envelope ``{"results": [...], "status": "Succeeded"}``."""
    return json_answer(200, {"results": results, "status": "Succeeded"})


def authenticate(state: SandboxState, req: Request) -> Connection | Response:
    """The bearer's connection, or the R11 error to answer. Call under ``state.lock``."""
    token = req.bearer()
    if token is None:
        return data_error(401, "invalid_token", "an Authorization: Bearer token is required")
    connection_id = state.access_tokens.get(token)
    if connection_id is None:
        return data_error(401, "invalid_token", "unknown access token")
    connection = state.connections[connection_id]
    now = state.clock.now()
    if connection.revoked:
        return data_error(403, "access_denied", "the connection was revoked")  # R12
    if now >= connection.expires_at:
        return data_error(403, "access_denied", "the consent has expired")  # R8
    if connection.access_token is None or not same_secret(token, connection.access_token):
        return data_error(401, "invalid_token", "superseded: only the last token is valid")  # R5
    if connection.access_expires_at is None or now >= connection.access_expires_at:
        return data_error(401, "invalid_token", "the access token has expired")  # R5
    return connection


@dataclass(frozen=True, slots=True)
class Context:
    """What an endpoint's answer may read: the request, its connection, the time."""

    req: Request
    connection: Connection
    now: datetime
    base_url: str

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scopes the connection was granted."""
        return self.connection.scopes

    @property
    def updated(self) -> str:
        """``update_timestamp``: when the bank's data was read, i.e. now."""
        return iso(self.now)


Answer = Callable[[Context], Response]


def _credentials(answer: Response, connection: Connection) -> Response:
    return dataclasses.replace(
        answer, headers=(*answer.headers, ("X-Credentials-Id", connection.id))
    )


def _loopback_uri(uri: str) -> bool:
    # The sandbox never calls out: webhooks go to the test's own server on loopback.
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def serve(state: SandboxState, req: Request, scopes: Iterable[str], answer: Answer) -> Response:
    """Authenticate, check ``scopes``, then answer now or queue the answer (``async``)."""
    mode = req.query.get("async", "false").lower()
    if mode not in ("true", "false"):
        return data_error(400, "validation_error", "async must be true or false")
    with state.lock:
        found = authenticate(state, req)
        if isinstance(found, Response):
            return found
        context = Context(req, found, state.clock.now(), state.base_url)
    missing = [scope for scope in scopes if scope not in found.scopes]
    if missing:
        refused = data_error(
            403,
            "insufficient_permissions",
            f"this endpoint needs the scope(s) {' '.join(missing)}",
            {"missing_scopes": missing},
        )
        return _credentials(refused, found)
    if mode == "false":
        return _credentials(answer(context), found)
    webhook_uri = req.query.get("webhook_uri")
    if webhook_uri is not None and not _loopback_uri(webhook_uri):
        refused = data_error(
            400, "validation_error", "webhook_uri must be an http(s) URI on a loopback host"
        )
        return _credentials(refused, found)
    queued = tasks.queue(
        state.tasks,
        connection_id=found.id,
        request_uri=_request_uri(state.base_url, req),
        request_timestamp=context.updated,
        results_base=f"{state.base_url}/data/v1/results",
        outcome=answer(context),  # the data as of the request: a snapshot
        webhook_uri=webhook_uri,
        delay=state.config.async_delay,
    )
    return _credentials(queued, found)


def _request_uri(base_url: str, req: Request) -> str:
    query = urlencode(req.query)
    return f"{base_url}{req.path}" + (f"?{query}" if query else "")


def results(state: SandboxState, req: Request) -> Response:
    """``GET /data/v1/results/{task_id}``: a queued call's outcome, for its own connection."""
    with state.lock:
        found = authenticate(state, req)
        if isinstance(found, Response):
            return found
    task = state.tasks.get(req.path_params["task_id"])
    if task is None or task.connection_id != found.id:
        # Another connection's task is as unknown as a made-up id: nothing leaks.
        return _credentials(data_error(404, "task_not_found", "no such task"), found)
    return _credentials(task.answer(), found)
