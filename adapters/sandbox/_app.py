"""The WSGI app: count the call, apply an injected fault, route, answer.

Every answer is JSON with ``Content-Type: application/json`` except the HTML pages;
unknown paths answer 404 JSON, wrong methods 405 JSON. An unexpected error answers 500
JSON and is logged without the request's headers or body (they carry secrets).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from adapters.sandbox import _admin, _auth, _data, _extend, _token
from adapters.sandbox._api import ENDPOINTS
from adapters.sandbox._faults import fault_answer
from adapters.sandbox._gate import results
from adapters.sandbox._http import Request, Response, error_json
from adapters.sandbox._state import SandboxState

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["make_app"]

_log = logging.getLogger("adapters.sandbox")

Handler = Callable[[SandboxState, Request], Response]

_ROUTES: dict[str, dict[str, Handler]] = {
    "/": {"GET": _auth.dialog},
    "/dialog/decision": {"POST": _auth.decision},
    "/redirect": {"GET": _auth.default_redirect, "POST": _auth.default_redirect},
    "/connect/token": {"POST": _token.token},
    "/data/v1/connections/extend": {"POST": _extend.extend},
    **{e.path: {"GET": e.handle} for e in ENDPOINTS if "{" not in e.path},
    "/api/delete": {"DELETE": _data.delete_connection},
    "/_admin/clock": {"GET": _admin.clock, "POST": _admin.clock},
    "/_admin/calls": {"GET": _admin.calls},
    "/_admin/faults": {"GET": _admin.faults, "POST": _admin.faults, "DELETE": _admin.faults},
    "/_admin/config": {"GET": _admin.config, "POST": _admin.config},
}

_Route = tuple[re.Pattern[str], dict[str, Handler]]
_DATA: list[_Route] = [(e.pattern, {"GET": e.handle}) for e in ENDPOINTS if "{" in e.path]
_PATTERNS: tuple[_Route, ...] = (
    *_DATA,
    (re.compile(r"/data/v1/results/(?P<task_id>[^/]+)"), {"GET": results}),
)


def _route(req: Request) -> tuple[dict[str, Handler], Request] | None:
    methods = _ROUTES.get(req.path)
    if methods is not None:
        return methods, req
    for pattern, handlers in _PATTERNS:
        match = pattern.fullmatch(req.path)
        if match:
            return handlers, dataclasses.replace(req, path_params=match.groupdict())
    return None


def _tokens_carried(req: Request) -> list[str]:
    """The secrets a call was made with, for counting by fingerprint."""
    tokens = [t for t in (req.bearer(),) if t]
    if req.path == "/connect/token":
        form = req.form()
        tokens += [form[k] for k in ("refresh_token", "code") if form.get(k)]
    elif req.path == "/data/v1/connections/extend":
        try:
            body = req.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("refresh_token"), str):
            tokens.append(body["refresh_token"])
    return tokens


def _admin_refusal(state: SandboxState, req: Request) -> Response | None:
    """Why an ``/_admin/*`` request is refused, or None: the controls have no password,
    so only the sandbox's own address may reach them (DNS rebinding sends a foreign
    ``Host``), no other site may (a page's ``fetch`` sends its ``Origin``), and a change
    must be JSON (a cross-site form or ``text/plain`` POST cannot be)."""
    bound = state.base_url.removeprefix("http://")
    ours = {bound, f"localhost:{bound.rpartition(':')[2]}"}
    if req.headers.get("host", "").lower() not in ours:
        return error_json(403, "forbidden", "the admin endpoints answer the sandbox's address")
    origin = req.headers.get("origin")
    if origin is not None and origin.lower() not in {f"http://{where}" for where in ours}:
        return error_json(403, "forbidden", "the admin endpoints refuse other origins")
    media_type = req.headers.get("content-type", "").partition(";")[0].strip().lower()
    if req.method == "POST" and media_type != "application/json":
        return error_json(
            400, "validation_error", "send the body as Content-Type: application/json"
        )
    return None


def _dispatch(state: SandboxState, req: Request) -> Response:
    if req.path.startswith("/_admin/"):
        refused = _admin_refusal(state, req)
        if refused is not None:
            return refused
    else:
        state.count_call(req.path, _tokens_carried(req))
        fault = state.faults.take(req.path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)  # the injected slowness itself; outside any lock
            if fault.replaces_answer:
                return fault_answer(fault)
    routed = _route(req)
    if routed is None:
        return error_json(404, "not_found", f"no endpoint at {req.path}")
    methods, req = routed
    handler = methods.get(req.method)
    if handler is None:
        allowed = ", ".join(sorted(methods))
        answer = error_json(405, "method_not_allowed", f"use {allowed}")
        return dataclasses.replace(answer, headers=(("Allow", allowed),))
    return handler(state, req)


def make_app(state: SandboxState) -> WSGIApplication:
    """The WSGI application serving ``state``."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            req = Request.from_environ(dict[str, Any](environ))
            answer = _dispatch(state, req)
        except Exception as exc:
            # Log the error's type and code locations only: its message could quote a
            # token or a code taken from the request.
            where = "; ".join(
                f"{frame.filename}:{frame.lineno}"
                for frame in traceback.extract_tb(exc.__traceback__)
            )
            _log.error("sandbox: unexpected %s at %s", type(exc).__name__, where)
            answer = error_json(500, "internal_error", "the sandbox failed unexpectedly")
        # Every answer is named, as TrueLayer's are, so a report can point at one call.
        headers = [*answer.header_list(), ("X-TL-Correlation-Id", str(uuid.uuid4()))]
        start_response(answer.status_line(), headers)
        return [answer.body]

    return app
