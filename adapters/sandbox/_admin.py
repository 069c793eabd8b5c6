"""``/_admin/*``: the sandbox's controls over HTTP, for tests in other processes and demos.

Not part of TrueLayer's contract. Calls to these paths are not counted and take no faults.
Counts by token are keyed by fingerprint (SHA-256, first 12 hex): never by the token.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from adapters.sandbox._config import ExtendAnswer, Fault, RefreshMode
from adapters.sandbox._http import Request, Response, error_json, iso, json_answer
from adapters.sandbox._state import SandboxState

__all__ = ["calls", "clock", "config", "faults"]


# A century: far beyond any rule's duration (R3-R9), far within timedelta's range.
_MAX_SECONDS = 100 * 366 * 86400.0


def _validation(description: str) -> Response:
    return error_json(400, "validation_error", description)


def _object(req: Request) -> dict[str, Any] | Response:
    try:
        body = req.json()
    except ValueError:
        return _validation("the body must be JSON")
    if not isinstance(body, dict):
        return _validation("the body must be a JSON object")
    return body


def _seconds(value: object, *, limit: float = _MAX_SECONDS) -> float | None:
    """``value`` as seconds if it is a JSON number of at most ``limit`` in size (NaN,
    Infinity and 1e300 are JSON to Python's parser, but no duration); else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an integer beyond any float
        return None
    return seconds if math.isfinite(seconds) and abs(seconds) <= limit else None


def clock(state: SandboxState, req: Request) -> Response:
    """``GET`` the clock, or ``POST {"set": iso}`` / ``{"advance_seconds": n}``."""
    if req.method == "POST":
        body = _object(req)
        if isinstance(body, Response):
            return body
        if set(body) == {"set"} and isinstance(body["set"], str):
            try:
                moment = datetime.fromisoformat(body["set"])
                state.clock.set(moment)
            except ValueError:
                return _validation("set must be a timezone-aware ISO 8601 datetime")
        elif set(body) == {"advance_seconds"}:
            seconds = _seconds(body["advance_seconds"])
            if seconds is None:
                return _validation("advance_seconds must be a finite number of seconds")
            try:
                state.clock.advance(timedelta(seconds=seconds))
            except (OverflowError, ValueError) as exc:
                return _validation(str(exc))
        else:
            return _validation('give exactly one of {"set": "<iso>"} or {"advance_seconds": n}')
    return json_answer(200, {"now": iso(state.clock.now())})


def calls(state: SandboxState, req: Request) -> Response:
    """``GET``: call counts per path and per token fingerprint."""
    with state.lock:
        return json_answer(
            200,
            {
                "by_path": dict(state.calls_by_path),
                "by_token": dict(state.calls_by_fingerprint),
            },
        )


_FAULT_FIELDS = {"path", "status", "delay", "body", "content_type", "count", "error"}


def faults(state: SandboxState, req: Request) -> Response:
    """``POST`` queues a fault, ``DELETE`` clears them all, ``GET`` lists them."""
    if req.method == "DELETE":
        state.faults.clear()
    elif req.method == "POST":
        body = _object(req)
        if isinstance(body, Response):
            return body
        unknown = set(body) - _FAULT_FIELDS
        path = body.get("path")
        if unknown:
            return _validation(f"unknown fields: {', '.join(sorted(unknown))}")
        if not isinstance(path, str) or not path.startswith("/"):
            return _validation("path must be a path such as /connect/token")
        for name in ("body", "content_type", "error"):
            if body.get(name) is not None and not isinstance(body[name], str):
                return _validation(f"{name} must be a string or null")
        status, count = body.get("status"), body.get("count", 1)
        delay = body.get("delay") or 0
        if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
            return _validation("status must be an integer or null")
        if isinstance(count, bool) or not isinstance(count, int):
            return _validation("count must be an integer")
        if _seconds(delay) is None:
            return _validation("delay must be a finite number of seconds")
        try:
            fault = Fault(
                status=status,
                delay=float(delay),
                body=body.get("body"),
                content_type=body.get("content_type"),
                count=count,
                error=body.get("error"),
            )
        except (TypeError, ValueError) as exc:
            return _validation(str(exc))
        state.faults.add(path, fault)
    return json_answer(200, {"pending": state.faults.pending()})


def _settings_json(state: SandboxState) -> dict[str, Any]:
    s = state.settings
    return {
        "refresh_mode": s.refresh_mode.value,
        "refresh_grace_seconds": s.refresh_grace.total_seconds(),
        "strict_reuse_detection": s.strict_reuse_detection,
        "extend_answer": s.extend_answer.value,
    }


def config(state: SandboxState, req: Request) -> Response:
    """``GET`` or ``POST`` the switchable settings (refresh mode R6, extend answer R9)."""
    if req.method == "POST":
        body = _object(req)
        if isinstance(body, Response):
            return body
        allowed = {
            "refresh_mode",
            "refresh_grace_seconds",
            "strict_reuse_detection",
            "extend_answer",
        }
        unknown = set(body) - allowed
        if unknown:
            return _validation(f"unknown fields: {', '.join(sorted(unknown))}")
        try:
            mode = RefreshMode(body["refresh_mode"]) if "refresh_mode" in body else None
            answer = ExtendAnswer(body["extend_answer"]) if "extend_answer" in body else None
            grace = body.get("refresh_grace_seconds")
            if grace is not None:
                grace = _seconds(grace)
                if grace is None or grace < 0:
                    raise ValueError("refresh_grace_seconds must be a finite number >= 0")
        except (TypeError, ValueError) as exc:
            return _validation(str(exc))
        strict = body.get("strict_reuse_detection")
        if strict is not None and not isinstance(strict, bool):
            return _validation("strict_reuse_detection must be true or false")
        with state.lock:
            if mode is not None:
                state.settings.refresh_mode = mode
            if answer is not None:
                state.settings.extend_answer = answer
            if grace is not None:
                state.settings.refresh_grace = timedelta(seconds=float(grace))
            if strict is not None:
                state.settings.strict_reuse_detection = strict
    with state.lock:
        return json_answer(200, _settings_json(state))
