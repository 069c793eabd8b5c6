"""What the sync and async clients share besides the protocol: setup, links, repr."""

from __future__ import annotations

import functools
import ssl
from collections.abc import Iterable
from typing import Generic, TypeVar

import httpx

import lifecycle

from ._endpoints import Endpoints
from ._link import AuthLink, ResponseMode, build_auth_link
from ._protocol import Requests
from ._retry import RetryPolicy

__all__ = ["ClientBase", "tls_context"]

H = TypeVar("H", httpx.Client, httpx.AsyncClient)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``).

    Made once per process: loading the CA bundle reads a file and takes ~0.1 s, which
    every new client would otherwise pay (DESIGN.md: no I/O in constructors).
    """
    return httpx.create_ssl_context()


class ClientBase(Generic[H]):
    """Credentials, endpoints, retry policy and timeout; the auth link (R1, R14)."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: lifecycle.Secret | str,
        redirect_uri: str,
        endpoints: Endpoints,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float = 10.0,
        http: H | None = None,
    ) -> None:
        """Prepare a client; nothing is sent until a call.

        Args:
            client_id: the application's client id.
            client_secret: its secret; held as a ``lifecycle.Secret``, never shown.
            redirect_uri: the registered redirect URI used by links, exchanges, extends.
            endpoints: ``Endpoints.live()``, ``.sandbox()`` or ``.local(base_url)``.
            retry: how transient failures are retried (default ``RetryPolicy()``).
            timeout: the ``httpx`` timeout of every single request (seconds or a
                ``httpx.Timeout``).
            http: an ``httpx`` client to send with; the caller then closes it.

        Raises:
            ValueError: an empty client id or secret, or a redirect URI that is not
                absolute http(s).
        """
        secret = (
            client_secret
            if isinstance(client_secret, lifecycle.Secret)
            else lifecycle.Secret(client_secret)
        )
        self._requests = Requests(
            client_id=client_id,
            client_secret=secret,
            endpoints=endpoints,
            redirect_uri=redirect_uri,
        )
        self._retry = retry if retry is not None else RetryPolicy()
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._owns_http = http is None
        self._http: H = http if http is not None else self._new_http()

    def _new_http(self) -> H:
        raise NotImplementedError  # each client makes its own kind

    @property
    def client_id(self) -> str:
        """The application's client id."""
        return self._requests.client_id

    @property
    def endpoints(self) -> Endpoints:
        """The base URLs called."""
        return self._requests.endpoints

    def auth_link(
        self,
        *,
        scopes: Iterable[str],
        providers: Iterable[str],
        provider_id: str | None = None,
        response_mode: ResponseMode = "query",
        tracking_id: str | None = None,
        nonce: str | None = None,
    ) -> AuthLink:
        """``build_auth_link`` with this client's id, redirect URI and auth URL (R1, R14).

        Nothing is sent: the user's browser opens ``link.url``.

        Raises:
            AuthLinkError: an input is invalid.
        """
        return build_auth_link(
            self._requests.endpoints,
            client_id=self._requests.client_id,
            redirect_uri=self._requests.redirect_uri,
            scopes=scopes,
            providers=providers,
            provider_id=provider_id,
            response_mode=response_mode,
            tracking_id=tracking_id,
            nonce=nonce,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(client_id={self._requests.client_id!r})"
