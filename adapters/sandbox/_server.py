"""``Sandbox``: the WSGI app on a threaded ``wsgiref`` server on loopback, in a thread."""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
from collections.abc import Iterable
from datetime import timedelta
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from adapters.sandbox._app import make_app
from adapters.sandbox._clock import SandboxClock
from adapters.sandbox._config import ExtendAnswer, Fault, RefreshMode, SandboxConfig
from adapters.sandbox._state import SandboxState, fingerprint
from adapters.sandbox._user import consent

__all__ = ["Sandbox"]

_log = logging.getLogger("adapters.sandbox")

DEFAULT_SCOPES = ("info", "accounts", "balance", "transactions", "offline_access")


class _QuietHandler(WSGIRequestHandler):
    """No request log: request lines carry codes and states in their query strings.

    ``timeout`` bounds every read of a request: a client that sends half a request and
    waits is dropped after it, instead of holding its thread for ever.
    """

    timeout = 10.0

    def log_message(self, format: str, *args: Any) -> None:
        return None


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False  # a delayed (faulted) answer must not hold up stop()
    allow_reuse_address = True
    request_queue_size = 128  # socketserver's 5 makes a burst of clients wait seconds

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Typically the client hung up during an injected delay; nothing secret is logged.
        _log.debug("sandbox: connection error while answering %s", client_address[0])


def _loopback(host: str) -> str:
    """The IPv4 loopback address to bind for ``host``; the admin endpoints have no auth."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or address.version != 4 or not address.is_loopback:
        raise ValueError(f"the sandbox only binds an IPv4 loopback address, not {host!r}")
    return host


class Sandbox:
    """A local TrueLayer-compatible auth server and Data API on 127.0.0.1.

    Serves the auth dialog and token endpoint (R1-R6, R13), the Data API (R9-R11), the
    revocation endpoint (R12) and ``/_admin/*`` controls, all at ``base_url``. It shares
    no code with the ``lifecycle`` package: it is an independent model of TrueLayer's side.

    Example:
        with Sandbox(SandboxConfig()) as sb:
            sb.clock.advance(timedelta(minutes=6))
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        read_timeout: float = 10.0,
    ) -> None:
        """Prepare a sandbox; nothing is bound until ``start()`` (or ``with``).

        Args:
            config: what to serve; defaults to ``SandboxConfig()``.
            host: an IPv4 loopback address (or ``localhost``).
            port: the port; 0 picks a free one.
            read_timeout: seconds a client may take to send each part of a request
                before it is disconnected (a partial request holds no thread longer).

        Raises:
            ValueError: ``host`` is not loopback, or ``read_timeout`` is not positive.
        """
        if not (read_timeout > 0 and math.isfinite(read_timeout)):
            raise ValueError("read_timeout must be a positive number of seconds")

        class _Handler(_QuietHandler):
            timeout = float(read_timeout)

        self._handler = _Handler
        self.config = config if config is not None else SandboxConfig()
        self._host = _loopback(host)
        self._port = port
        self.clock = SandboxClock(self.config.start, ticks=self.config.clock_ticks)
        self._state = SandboxState(self.config, self.clock)
        self._server: _ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- running --------------------------------------------------------------------------
    def start(self) -> Self:
        """Bind and serve in a daemon thread.

        Raises:
            RuntimeError: already started.
            OSError: the port cannot be bound.
        """
        if self._server is not None:
            raise RuntimeError("the sandbox is already running")
        server = make_server(
            self._host,
            self._port,
            make_app(self._state),
            server_class=_ThreadingWSGIServer,
            handler_class=self._handler,
        )
        self._state.base_url = f"http://{self._host}:{server.server_port}"
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="truelayer-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (safe to call twice)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: auth and data endpoints both live here.

        Raises:
            RuntimeError: the sandbox is not running.
        """
        if self._server is None:
            raise RuntimeError("the sandbox is not running: use start() or `with Sandbox(...)`")
        return self._state.base_url

    # -- controls -------------------------------------------------------------------------
    def calls(self, path: str) -> int:
        """How many calls reached ``path`` (admin calls are not counted)."""
        with self._state.lock:
            return self._state.calls_by_path[path]

    def calls_by_token(self, token: str) -> int:
        """How many calls carried ``token`` (bearer, refresh token or code)."""
        with self._state.lock:
            return self._state.calls_by_fingerprint[fingerprint(token)]

    def inject(self, path: str, fault: Fault) -> None:
        """Apply ``fault`` to the next ``fault.count`` calls to ``path`` (glob allowed)."""
        self._state.faults.add(path, fault)

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        self._state.faults.clear()

    def configure(
        self,
        *,
        refresh_mode: RefreshMode | None = None,
        refresh_grace: timedelta | None = None,
        strict_reuse_detection: bool | None = None,
        extend_answer: ExtendAnswer | None = None,
    ) -> None:
        """Switch TrueLayer's behaviour while running (R6 rotation, R9 extend answer).

        Raises:
            ValueError: ``refresh_grace`` is negative.
        """
        if refresh_grace is not None and refresh_grace < timedelta(0):
            raise ValueError("refresh_grace must not be negative")
        with self._state.lock:
            settings = self._state.settings
            if refresh_mode is not None:
                settings.refresh_mode = RefreshMode(refresh_mode)
            if refresh_grace is not None:
                settings.refresh_grace = refresh_grace
            if strict_reuse_detection is not None:
                settings.strict_reuse_detection = strict_reuse_detection
            if extend_answer is not None:
                settings.extend_answer = ExtendAnswer(extend_answer)

    # -- conveniences for tests -----------------------------------------------------------
    def auth_link(
        self,
        *,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        redirect_uri: str | None = None,
        providers: str = "uk-cs-mock",
        **extra: str,
    ) -> str:
        """A valid dialog link (R1) for the configured client.

        Args:
            scopes: the scopes asked for.
            redirect_uri: defaults to ``{base_url}/redirect``.
            providers: the ``providers`` parameter.
            **extra: more parameters, e.g. ``state``, ``code_challenge``.
        """
        params = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri or f"{self.base_url}/redirect",
            "scope": " ".join(scopes),
            "providers": providers,
            **extra,
        }
        return f"{self.base_url}/?{urlencode(params)}"

    def consent(self, link: str, *, allow: bool = True) -> dict[str, str]:
        """Act as the user: open ``link`` and click Allow (or Deny), over HTTP.

        Returns:
            The callback parameters (``code``/``state``, or ``error``/``state``; R2).

        Raises:
            ConsentError: the dialog refused the link.
        """
        return consent(self.base_url, link, allow=allow)

    def __repr__(self) -> str:
        where = self._state.base_url if self._server is not None else "not running"
        return f"Sandbox({where}, client_id={self.config.client_id!r})"
