"""The sandbox's memory: dialog attempts, codes, connections, tokens, call counts.

Theory of operation: one ``SandboxState`` per server. Every handler takes ``state.lock``
(re-entrant) for the whole of its read-decide-write, so concurrent requests see the store
change atomically, as they would against one TrueLayer database row. Injected faults
live in their own queue (``_faults``), outside this lock. Tokens are kept raw
in memory (the sandbox must hand a grace-period successor back, R6) but no record's
``repr`` shows them, and counts are kept by fingerprint only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from adapters.sandbox._clock import SandboxClock
from adapters.sandbox._config import ExtendAnswer, RefreshMode, SandboxConfig
from adapters.sandbox._faults import FaultQueue
from adapters.sandbox._tasks import TaskBook

__all__ = [
    "Attempt",
    "CodeGrant",
    "Connection",
    "RefreshGrant",
    "RefreshStatus",
    "SandboxState",
    "Settings",
    "fingerprint",
    "same_secret",
]


def fingerprint(token: str) -> str:
    """A short, non-reversible name for a secret: the first 12 hex of its SHA-256."""
    # surrogatepass: a hostile JSON body can carry a lone surrogate ("\ud800"); it is
    # still counted, never a reason to fail the call.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _bytes(text: str) -> bytes:
    """``text`` as UTF-8, lone surrogates included: for comparing, never for sending."""
    return text.encode("utf-8", "surrogatepass")


def same_secret(given: str, expected: str) -> bool:
    """Whether two secrets are equal, compared in constant time (no early exit)."""
    return hmac.compare_digest(_bytes(given), _bytes(expected))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(slots=True)
class Settings:
    """What ``/_admin/config`` may switch while the sandbox runs."""

    refresh_mode: RefreshMode
    refresh_grace: timedelta
    strict_reuse_detection: bool
    extend_answer: ExtendAnswer


@dataclass(slots=True)
class Attempt:
    """One opened auth dialog; single use (R1: one link, one attempt)."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    provider_id: str
    response_mode: str
    state: str | None = field(repr=False)
    code_challenge: str | None = field(repr=False)
    reauth_connection: str | None
    used: bool = False


@dataclass(slots=True)
class CodeGrant:
    """An issued authorization code (R3) and what exchanging it grants (R4)."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    provider_id: str
    code_challenge: str | None = field(repr=False)
    issued_at: datetime
    reauth_connection: str | None
    used: bool = False
    connection_id: str | None = None


@dataclass(slots=True)
class Connection:
    """One connection: its consent clock (R7/R8) and its only valid access token (R5)."""

    id: str
    client_id: str
    scopes: tuple[str, ...]
    provider_id: str
    created_at: datetime
    lifetime_start: datetime
    lifetime: timedelta
    revoked: bool = False
    access_token: str | None = field(default=None, repr=False)
    access_expires_at: datetime | None = None

    @property
    def expires_at(self) -> datetime:
        """When the consent ends (R8): lifetime after creation or the last extend."""
        return self.lifetime_start + self.lifetime

    def active(self, now: datetime) -> bool:
        """Not revoked and ``now`` before the end of its lifetime (R8)."""
        return not self.revoked and now < self.expires_at


class RefreshStatus(StrEnum):
    """Where a refresh token stands in its family."""

    CURRENT = "current"
    ROTATED = "rotated"  # replaced by a refresh (R6): a later use is a reuse
    REVOKED = "revoked"  # replaced by extend/re-auth (R9) or revoked (R3, R12, RFC 9700)


@dataclass(slots=True)
class RefreshGrant:
    """One refresh token's facts (R6)."""

    connection_id: str
    issued_at: datetime
    first_used_at: datetime | None = None
    status: RefreshStatus = RefreshStatus.CURRENT
    rotated_at: datetime | None = None
    successor: str | None = field(default=None, repr=False)


class SandboxState:
    """All of the sandbox's mutable state, guarded by ``lock``."""

    def __init__(self, config: SandboxConfig, clock: SandboxClock) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self.base_url = ""
        self.settings = Settings(
            refresh_mode=config.refresh_mode,
            refresh_grace=config.refresh_grace,
            strict_reuse_detection=config.strict_reuse_detection,
            extend_answer=config.extend_answer,
        )
        self.attempts: dict[str, Attempt] = {}
        self.codes: dict[str, CodeGrant] = {}
        self.connections: dict[str, Connection] = {}
        self.refresh_tokens: dict[str, RefreshGrant] = {}
        self.access_tokens: dict[str, str] = {}  # token -> connection id
        self.reauth_links: dict[str, str] = {}  # reauth id -> connection id (R9)
        self.calls_by_path: Counter[str] = Counter()
        self.calls_by_fingerprint: Counter[str] = Counter()
        self.faults = FaultQueue()
        self.tasks = TaskBook()  # async=true Data API calls
        self._signing_key = secrets.token_bytes(32)

    # -- clients and redirect URIs -------------------------------------------------------
    def client_secret_ok(self, client_id: str, client_secret: str) -> bool:
        """Constant-time check of the registered client's credentials (R13)."""
        id_ok = hmac.compare_digest(_bytes(client_id), _bytes(self.config.client_id))
        secret_ok = hmac.compare_digest(_bytes(client_secret), _bytes(self.config.client_secret))
        return id_ok and secret_ok

    def redirect_registered(self, uri: str) -> bool:
        """Exact match, ``{base_url}/redirect``, or a loopback URI on any port (RFC 8252).

        Compared as strings, as TrueLayer does, never through a URL parser: parsers and
        browsers disagree on backslashes, userinfo and control characters, so a URI
        that a parser reads as loopback may send the browser (with the code) elsewhere.
        The one freedom is the port of a loopback URI registered without one: the asked
        URI must then be that URI with ``:PORT`` (1-65535, ASCII digits) after the host.
        """
        if uri == f"{self.base_url}/redirect" or uri in self.config.redirect_uris:
            return True
        for registered in self.config.redirect_uris:
            origin, rest = _loopback_parts(registered)
            if origin is None or not uri.startswith(origin + ":"):
                continue
            after = uri[len(origin) + 1 :]
            port = _PORT.match(after)
            if port and 0 < int(port.group()) <= 65535 and after[port.end() :] == rest:
                return True
        return False

    # -- tokens ---------------------------------------------------------------------------
    def issue_access_token(self, connection: Connection, now: datetime) -> str:
        """Mint a JWT-looking access token; it supersedes every earlier one (R5)."""
        ttl = int(self.config.access_token_ttl.total_seconds())
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {
            "iss": self.base_url or "truelayer-sandbox",
            "sub": connection.id,
            "client_id": connection.client_id,
            "scope": " ".join(connection.scopes),
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(now.timestamp()) + ttl,
            "jti": secrets.token_hex(8),
        }
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = hmac.new(self._signing_key, signing_input.encode(), hashlib.sha256).digest()
        token = f"{signing_input}.{_b64url(signature)}"
        # Superseded tokens stay known so a call with one is told why it is refused (R5).
        self.access_tokens[token] = connection.id
        connection.access_token = token
        connection.access_expires_at = now + self.config.access_token_ttl
        return token

    def issue_refresh_token(self, connection: Connection, now: datetime) -> str:
        """Mint a refresh token with its own 30-day first-use window (R6)."""
        token = secrets.token_hex(32).upper()
        self.refresh_tokens[token] = RefreshGrant(connection_id=connection.id, issued_at=now)
        return token

    def revoke_refresh_family(self, connection: Connection) -> None:
        """Invalidate every refresh token of the connection."""
        for grant in self.refresh_tokens.values():
            if grant.connection_id == connection.id:
                grant.status = RefreshStatus.REVOKED

    def revoke_tokens(self, connection: Connection) -> None:
        """Revoke everything issued for a connection (R3 code reuse; RFC 9700 reuse)."""
        self.revoke_refresh_family(connection)
        self.access_tokens = {
            token: cid for token, cid in self.access_tokens.items() if cid != connection.id
        }
        connection.access_token = None
        connection.access_expires_at = None
        connection.revoked = True

    def new_id(self, prefix: str) -> str:
        """A fresh opaque identifier."""
        return f"{prefix}{secrets.token_urlsafe(18)}"

    # -- calls --------------------------------------------------------------------------
    def count_call(self, path: str, tokens: list[str]) -> None:
        """Count a call to ``path`` and one for each token it carried (by fingerprint)."""
        with self.lock:
            self.calls_by_path[path] += 1
            for token in tokens:
                self.calls_by_fingerprint[fingerprint(token)] += 1


_PORT = re.compile(r"[0-9]{1,5}")
# A registered loopback URI without a port: scheme, host, then a path (and query).
_LOOPBACK_URI = re.compile(r"(https?://(?:127\.0\.0\.1|localhost|\[::1\]))(/[!-~]*)?")


def _loopback_parts(registered: str) -> tuple[str | None, str]:
    """``("http://127.0.0.1", "/callback")`` for a loopback URI registered without a
    port; ``(None, "")`` for any other (it only matches exactly)."""
    match = _LOOPBACK_URI.fullmatch(registered)
    if match is None or "#" in registered or "\\" in registered or "@" in registered:
        return None, ""
    return match.group(1), match.group(2) or ""
