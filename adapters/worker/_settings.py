"""What a worker reads from the environment: the TrueLayer client's settings, the clock.

No secret is ever taken from a command line; no message names a value, only a variable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from adapters.truelayer import Endpoints

__all__ = ["ENVIRONMENT", "SettingsError", "sandbox_clock", "truelayer_settings"]

# What the worker reads from the environment, and what each one means (the help and the
# docs list them from here).
ENVIRONMENT: Mapping[str, str] = {
    "LIFECYCLE_STORE": "the store: a SQLite file or a postgresql:// URI (or --store)",
    "LIFECYCLE_KEYS": "the store's encryption keys",
    "LIFECYCLE_CLIENT_ID": "the TrueLayer application's client id",
    "LIFECYCLE_CLIENT_SECRET": "its client secret (never printed)",
    "LIFECYCLE_REDIRECT_URI": "its registered redirect URI",
    "LIFECYCLE_TRUELAYER": "live, sandbox (TrueLayer's hosted sandbox) or the base URL "
    "of a local sandbox such as http://127.0.0.1:8080",
    "LIFECYCLE_WEBHOOK_SECRET": "with --webhook: the key of the events' HMAC-SHA256 signature",
}


class SettingsError(ValueError):
    """A missing or malformed setting in the environment (names it, never its value)."""


def truelayer_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """The TrueLayer client's settings from the environment.

    Raises:
        SettingsError: a variable is missing, or ``LIFECYCLE_TRUELAYER`` is not ``live``,
            ``sandbox`` or an http(s) base URL.
    """
    missing = [
        name
        for name in (
            "LIFECYCLE_CLIENT_ID",
            "LIFECYCLE_CLIENT_SECRET",
            "LIFECYCLE_REDIRECT_URI",
            "LIFECYCLE_TRUELAYER",
        )
        if not environ.get(name, "").strip()
    ]
    if missing:
        raise SettingsError(f"set {', '.join(missing)} (see lifecycle worker --help)")
    where = environ["LIFECYCLE_TRUELAYER"].strip()
    if where == "live":
        endpoints = Endpoints.live()
    elif where == "sandbox":
        endpoints = Endpoints.sandbox()
    else:
        try:
            endpoints = Endpoints.local(where)
        except ValueError:
            raise SettingsError(
                "LIFECYCLE_TRUELAYER must be live, sandbox or http(s)://host[:port]"
            ) from None
    return {
        "client_id": environ["LIFECYCLE_CLIENT_ID"].strip(),
        "client_secret": environ["LIFECYCLE_CLIENT_SECRET"],
        "redirect_uri": environ["LIFECYCLE_REDIRECT_URI"].strip(),
        "endpoints": endpoints,
    }


def sandbox_clock(environ: Mapping[str, str]) -> Callable[[], datetime]:
    """The local sandbox's clock (``GET /_admin/clock``): the worker follows its time."""
    import httpx

    where = environ.get("LIFECYCLE_TRUELAYER", "").strip()
    if not where.startswith(("http://", "https://")):
        raise SettingsError("--clock sandbox needs LIFECYCLE_TRUELAYER=<local sandbox URL>")
    http = httpx.Client(base_url=where, timeout=5.0)

    def now() -> datetime:
        answer = http.get("/_admin/clock")
        answer.raise_for_status()
        return datetime.fromisoformat(answer.json()["now"])

    return now
