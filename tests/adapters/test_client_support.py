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
from typing import Any, Literal, TypeAlias, TypeVar
from urllib.parse import urlencode, urlsplit

import httpx

import lifecycle
from adapters.sandbox import Sandbox
from adapters.truelayer import (
    Account,
    AsyncTask,
    AsyncTrueLayerClient,
    AuthLink,
    Balance,
    CallbackCode,
    Card,
    CardBalance,
    Consent,
    Deleted,
    DirectDebit,
    Endpoints,
    ExtendResult,
    ExtendUser,
    Info,
    PendingTransaction,
    RetryPolicy,
    StandingOrder,
    TokenGrant,
    Transaction,
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


class Blocking:
    """``AsyncTrueLayerClient`` run on one event loop, called as the sync client is.

    Each method passes its arguments on unchanged: a test's calls are type-checked
    against ``TrueLayerClient`` through ``Client``, and run against both.
    """

    def __init__(self, client: AsyncTrueLayerClient, runner: asyncio.Runner) -> None:
        self.client = client
        self._runner = runner

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._runner.run(coroutine)

    def auth_link(self, **kwargs: Any) -> AuthLink:
        return self.client.auth_link(**kwargs)

    def exchange_code(self, *args: Any, **kwargs: Any) -> TokenGrant:
        return self._run(self.client.exchange_code(*args, **kwargs))

    def refresh(self, *args: Any, **kwargs: Any) -> TokenGrant:
        return self._run(self.client.refresh(*args, **kwargs))

    def extend(self, *args: Any, **kwargs: Any) -> ExtendResult:
        return self._run(self.client.extend(*args, **kwargs))

    def me(self, *args: Any, **kwargs: Any) -> tuple[Consent, ...]:
        return self._run(self.client.me(*args, **kwargs))

    def info(self, *args: Any, **kwargs: Any) -> tuple[Info, ...]:
        return self._run(self.client.info(*args, **kwargs))

    def accounts(self, *args: Any, **kwargs: Any) -> tuple[Account, ...]:
        return self._run(self.client.accounts(*args, **kwargs))

    def account(self, *args: Any, **kwargs: Any) -> Account:
        return self._run(self.client.account(*args, **kwargs))

    def balance(self, *args: Any, **kwargs: Any) -> Balance:
        return self._run(self.client.balance(*args, **kwargs))

    def transactions(self, *args: Any, **kwargs: Any) -> tuple[Transaction, ...]:
        return self._run(self.client.transactions(*args, **kwargs))

    def pending_transactions(self, *args: Any, **kwargs: Any) -> tuple[PendingTransaction, ...]:
        return self._run(self.client.pending_transactions(*args, **kwargs))

    def standing_orders(self, *args: Any, **kwargs: Any) -> tuple[StandingOrder, ...]:
        return self._run(self.client.standing_orders(*args, **kwargs))

    def direct_debits(self, *args: Any, **kwargs: Any) -> tuple[DirectDebit, ...]:
        return self._run(self.client.direct_debits(*args, **kwargs))

    def cards(self, *args: Any, **kwargs: Any) -> tuple[Card, ...]:
        return self._run(self.client.cards(*args, **kwargs))

    def card(self, *args: Any, **kwargs: Any) -> Card:
        return self._run(self.client.card(*args, **kwargs))

    def card_balance(self, *args: Any, **kwargs: Any) -> CardBalance:
        return self._run(self.client.card_balance(*args, **kwargs))

    def card_transactions(self, *args: Any, **kwargs: Any) -> tuple[Transaction, ...]:
        return self._run(self.client.card_transactions(*args, **kwargs))

    def card_pending_transactions(
        self, *args: Any, **kwargs: Any
    ) -> tuple[PendingTransaction, ...]:
        return self._run(self.client.card_pending_transactions(*args, **kwargs))

    def queue(self, *args: Any, **kwargs: Any) -> AsyncTask[Any]:
        return self._run(self.client.queue(*args, **kwargs))

    def results(self, *args: Any, **kwargs: Any) -> Any:
        return self._run(self.client.results(*args, **kwargs))

    def delete(self, *args: Any, **kwargs: Any) -> Deleted:
        return self._run(self.client.delete(*args, **kwargs))


# What a test is given: calls on it must fit both, so ``TrueLayerClient``'s signatures.
Client: TypeAlias = TrueLayerClient | Blocking


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
