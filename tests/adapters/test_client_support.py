"""Helpers shared by the TrueLayer client's tests (no tests here).

``open_client`` gives the sync client, or the async one behind a blocking facade, so a
test written once runs against both; ``consent`` drives the sandbox's dialog with httpx
as a browser would (GET the page, read the hidden fields, POST the decision).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import re
from collections.abc import Coroutine, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import urlencode, urlsplit

import httpx

import lifecycle
from adapters.sandbox import Sandbox
from adapters.truelayer import (
    AsyncTrueLayerClient,
    AuthLink,
    CallbackCode,
    Consent,
    Deleted,
    Endpoints,
    ExtendResult,
    ExtendUser,
    RetryPolicy,
    TokenGrant,
    TrueLayerClient,
    parse_callback,
)

Kind = Literal["sync", "async"]
KINDS: tuple[Kind, ...] = ("sync", "async")
CLIENT_ID, CLIENT_SECRET = "sandbox-client", "sandbox-secret"
REDIRECT_URI = "http://127.0.0.1/callback"
SCOPES = ("info", "accounts", "balance", "transactions", "offline_access")
USER = ExtendUser("user-1", "Ada Lovelace", "ada@example.com")
# Real backoff and jitter, only tiny: retries are exercised, tests stay fast.
FAST = RetryPolicy(attempts=3, timeout=5.0, wait_initial=0.001, wait_max=0.005, wait_jitter=0.001)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
T = TypeVar("T")


class Client(Protocol):
    """What a test needs of a client: ``TrueLayerClient`` and ``Blocking`` both fit."""

    def auth_link(
        self,
        *,
        scopes: Iterable[str],
        providers: Iterable[str],
        provider_id: str | None = None,
        response_mode: Literal["query", "form_post"] = "query",
        tracking_id: str | None = None,
        nonce: str | None = None,
    ) -> AuthLink: ...

    def exchange_code(
        self, code: lifecycle.Secret, *, code_verifier: lifecycle.Secret | None
    ) -> TokenGrant: ...

    def refresh(self, refresh_token: lifecycle.Secret) -> TokenGrant: ...

    def extend(self, refresh_token: lifecycle.Secret, *, user: ExtendUser) -> ExtendResult: ...

    def me(
        self, access_token: lifecycle.Secret, *, psu_ip: str | None = None
    ) -> tuple[Consent, ...]: ...

    def accounts(
        self, access_token: lifecycle.Secret, *, psu_ip: str | None = None
    ) -> list[dict[str, Any]]: ...

    def balance(
        self, access_token: lifecycle.Secret, account_id: str, *, psu_ip: str | None = None
    ) -> list[dict[str, Any]]: ...

    def transactions(
        self,
        access_token: lifecycle.Secret,
        account_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        psu_ip: str | None = None,
    ) -> list[dict[str, Any]]: ...

    def delete(self, access_token: lifecycle.Secret) -> Deleted: ...


class Blocking:
    """``AsyncTrueLayerClient`` run on one event loop, with the sync client's signatures."""

    def __init__(self, client: AsyncTrueLayerClient, runner: asyncio.Runner) -> None:
        self.client = client
        self._runner = runner

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._runner.run(coroutine)

    def auth_link(self, **kwargs: Any) -> AuthLink:
        return self.client.auth_link(**kwargs)

    def exchange_code(
        self, code: lifecycle.Secret, *, code_verifier: lifecycle.Secret | None
    ) -> TokenGrant:
        return self._run(self.client.exchange_code(code, code_verifier=code_verifier))

    def refresh(self, refresh_token: lifecycle.Secret) -> TokenGrant:
        return self._run(self.client.refresh(refresh_token))

    def extend(self, refresh_token: lifecycle.Secret, *, user: ExtendUser) -> ExtendResult:
        return self._run(self.client.extend(refresh_token, user=user))

    def me(
        self, access_token: lifecycle.Secret, *, psu_ip: str | None = None
    ) -> tuple[Consent, ...]:
        return self._run(self.client.me(access_token, psu_ip=psu_ip))

    def accounts(
        self, access_token: lifecycle.Secret, *, psu_ip: str | None = None
    ) -> list[dict[str, Any]]:
        return self._run(self.client.accounts(access_token, psu_ip=psu_ip))

    def balance(
        self, access_token: lifecycle.Secret, account_id: str, *, psu_ip: str | None = None
    ) -> list[dict[str, Any]]:
        return self._run(self.client.balance(access_token, account_id, psu_ip=psu_ip))

    def transactions(
        self,
        access_token: lifecycle.Secret,
        account_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        psu_ip: str | None = None,
    ) -> list[dict[str, Any]]:
        return self._run(
            self.client.transactions(
                access_token, account_id, since=since, until=until, psu_ip=psu_ip
            )
        )

    def delete(self, access_token: lifecycle.Secret) -> Deleted:
        return self._run(self.client.delete(access_token))


@contextmanager
def open_client(
    kind: Kind,
    sandbox: Sandbox,
    *,
    retry: RetryPolicy = FAST,
    timeout: float = 5.0,
    client_secret: str = CLIENT_SECRET,
    client_id: str = CLIENT_ID,
    redirect_uri: str = REDIRECT_URI,
) -> Iterator[Client]:
    """The sync client, or the async one behind ``Blocking``, on ``sandbox``; closed after."""
    settings: dict[str, Any] = {
        "client_id": client_id,
        "client_secret": lifecycle.Secret(client_secret),
        "redirect_uri": redirect_uri,
        "endpoints": Endpoints.local(sandbox.base_url),
        "retry": retry,
        "timeout": timeout,
    }
    if kind == "sync":
        with TrueLayerClient(**settings) as client:
            yield client
        return
    with asyncio.Runner() as runner:
        async_client = AsyncTrueLayerClient(**settings)
        try:
            yield Blocking(async_client, runner)
        finally:
            runner.run(async_client.aclose())


_browsing = contextvars.ContextVar("browsing", default=False)


def not_the_browser(record: logging.LogRecord) -> bool:
    """A log filter dropping what the simulated user's browser logs while in the dialog.

    The browser is the user's, not the application's: its httpx logs show the auth link
    (with ``state``) and the redirect (with ``code``), as any browser history would.
    """
    return not _browsing.get()


@functools.cache
def _browser() -> httpx.Client:
    # One for the session: each new httpx.Client loads the CA bundle (~0.1 s).
    return httpx.Client(timeout=5.0, follow_redirects=False)


def consent(link: AuthLink | str, *, allow: bool = True) -> str:
    """Act as the user in the sandbox's dialog, over httpx, without following redirects.

    Returns:
        The callback: the redirect's query string, or for ``form_post`` the form body.
    """
    url = link if isinstance(link, str) else link.url
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    browser, browsing = _browser(), _browsing.set(True)
    try:
        page = browser.get(url)
        assert page.status_code == 200, page.text
        hidden = dict(_HIDDEN.findall(page.text))
        answer = browser.post(
            f"{base}/dialog/decision",
            data={"attempt_id": hidden["attempt_id"], "decision": "allow" if allow else "deny"},
        )
    finally:
        _browsing.reset(browsing)
    if answer.status_code == 302:
        return urlsplit(answer.headers["location"]).query
    assert answer.status_code == 200, answer.text  # form_post: a self-submitting form
    return urlencode(dict(_HIDDEN.findall(answer.text)))


def authorise(client: Client, *, scopes: Iterable[str] = SCOPES) -> tuple[AuthLink, CallbackCode]:
    """A link, the user's Allow, and the checked callback."""
    link = client.auth_link(scopes=scopes, providers=("uk-cs-mock",))
    callback = parse_callback(consent(link), link.state)
    assert isinstance(callback, CallbackCode)
    return link, callback


def connect(client: Client, *, scopes: Iterable[str] = SCOPES) -> TokenGrant:
    """Authorise and exchange: the tokens of a new connection."""
    link, callback = authorise(client, scopes=scopes)
    return client.exchange_code(callback.code, code_verifier=link.code_verifier)


def must(record: lifecycle.Connection, input: lifecycle.Input) -> lifecycle.Decision:
    """Apply an input the core must accept."""
    decision = lifecycle.apply(record, input)
    assert decision.accepted, f"{input.TYPE} refused: {decision.reason} ({decision.detail})"
    return decision
