"""The one implementation of TrueLayer's wire protocol, shared by the sync and async clients.

Theory of operation: a method of ``Requests`` *builds* an ``Operation``, a pure value
holding the HTTP request to send and the parser of its answer. A client sends the
request, hands the answer (status, headers, body) back to ``Operation.parse`` and
returns what that gives, or raises what it raises. No decision is made in the clients,
so the sync and async clients cannot drift apart (DESIGN.md on authlib).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode, urlsplit

import httpx
from attrs import field, frozen

import lifecycle

from . import _parse as parse
from ._call import Call
from ._classify import error_for_transport
from ._data import AsyncTask, Data, DataQuery, queued, segment
from ._endpoints import Endpoints
from ._errors import MalformedResponse, TrueLayerError
from ._link import check_redirect_uri
from ._models import Account, Balance, Transaction
from ._results import Consent, Deleted, ExtendResult, ExtendUser, TokenGrant

__all__ = ["Answer", "Operation", "Requests", "log"]

T = TypeVar("T")
log = logging.getLogger("adapters.truelayer")
_USER_AGENT = "truelayer-lifecycle/0.1"


@frozen
class Answer:
    """An HTTP answer as the parsers see it; header names are lower case."""

    status: int
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)


@frozen
class Operation(Generic[T]):
    """One call, ready to send: the request and the parser of its answer.

    ``repr`` shows the method and path only: headers and bodies carry secrets. URLs
    never do (tokens travel in headers and bodies), so an HTTP library may log them.
    """

    call: Call
    method: str
    url: str = field(repr=False)
    path: str
    headers: Mapping[str, str] = field(repr=False)
    parse: Callable[[Answer], T] = field(repr=False)
    form: Mapping[str, str] | None = field(default=None, repr=False)
    json: Mapping[str, Any] | None = field(default=None, repr=False)
    fingerprint: str | None = None  # of the credential carried, for logs

    def send_args(self) -> dict[str, Any]:
        """The arguments of ``httpx.Client.request`` (add ``timeout``)."""
        return {
            "method": self.method,
            "url": self.url,
            "headers": self.headers,
            "data": self.form,
            "json": self.json,
        }

    def answer(self, response: httpx.Response) -> Answer:
        """The answer to feed to ``parse``; logs method, path, status, fingerprint."""
        answer = Answer(
            response.status_code,
            {name.lower(): value for name, value in response.headers.items()},
            response.content,
        )
        self._log(str(answer.status))
        return answer

    def no_answer(self, error: httpx.RequestError) -> TrueLayerError:
        """The error for a call that got no usable answer (logged, without secrets)."""
        self._log(f"no answer, {type(error).__name__}")
        if isinstance(error, httpx.TransportError):
            return error_for_transport(self.call, error)
        return MalformedResponse(self.call, detail=f"unreadable answer: {type(error).__name__}")

    def _log(self, outcome: str) -> None:
        # DESIGN.md: method, path (never a query string) and a fingerprint, no secret.
        log.debug(
            "%s %s -> %s (%s, credential sha256:%s)",
            self.method,
            self.path,
            outcome,
            self.call.value,
            self.fingerprint or "-",
        )


def _bearer(token: lifecycle.Secret, psu_ip: str | None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token.reveal()}", "Accept": "application/json"}
    if psu_ip is not None:
        # R11: banks may limit unattended calls; X-PSU-IP says the user is present.
        headers["X-PSU-IP"] = str(ipaddress.ip_address(psu_ip))
    return headers


class Requests:
    """Builds every call of the client from its credentials and endpoints (pure)."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: lifecycle.Secret,
        endpoints: Endpoints,
        redirect_uri: str,
    ) -> None:
        """Hold what every call needs; no I/O.

        Raises:
            ValueError: ``client_id`` or the secret is empty.
        """
        if not client_id or not client_secret.reveal():
            raise ValueError("client_id and client_secret must not be empty")
        check_redirect_uri(redirect_uri)
        self.client_id = client_id
        self._client_secret = client_secret
        self.endpoints = endpoints
        self.redirect_uri = redirect_uri
        self._common = {"Accept": "application/json", "User-Agent": _USER_AGENT}
        # R9: an extend's user_input_link may also point to the configured endpoints.
        self._origins = frozenset(_origin(url) for url in (endpoints.auth_url, endpoints.api_url))

    def _token(
        self, call: Call, form: dict[str, str], credential: lifecycle.Secret
    ) -> Operation[TokenGrant]:
        form.update(client_id=self.client_id, client_secret=self._client_secret.reveal())
        return Operation(
            call=call,
            method="POST",
            url=f"{self.endpoints.auth_url}/connect/token",
            path="/connect/token",
            headers=dict(self._common),
            form=form,
            parse=lambda answer: parse.token_grant(call, answer),
            fingerprint=credential.fingerprint,
        )

    def exchange(
        self,
        code: lifecycle.Secret,
        code_verifier: lifecycle.Secret | None,
        redirect_uri: str | None = None,
    ) -> Operation[TokenGrant]:
        """R4: exchange a code (with its PKCE verifier, R14) for tokens."""
        form = {
            "grant_type": "authorization_code",
            "redirect_uri": redirect_uri or self.redirect_uri,
            "code": code.reveal(),
        }
        if code_verifier is not None:
            form["code_verifier"] = code_verifier.reveal()
        return self._token(Call.EXCHANGE, form, code)

    def refresh(self, refresh_token: lifecycle.Secret) -> Operation[TokenGrant]:
        """R6: a new access token (and maybe a rotated refresh token)."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token.reveal()}
        return self._token(Call.REFRESH, form, refresh_token)

    def extend(
        self, refresh_token: lifecycle.Secret, user: ExtendUser, redirect_uri: str | None = None
    ) -> Operation[ExtendResult]:
        """R9: extend the connection; the caller has the user's reconfirmed consent."""
        body = {
            "client_id": self.client_id,
            "client_secret": self._client_secret.reveal(),
            "refresh_token": refresh_token.reveal(),
            "redirect_uri": redirect_uri or self.redirect_uri,
            "user_has_reconfirmed_consent": True,
            "user": user.to_json(),
        }
        return Operation(
            call=Call.EXTEND,
            method="POST",
            url=f"{self.endpoints.api_url}/data/v1/connections/extend",
            path="/data/v1/connections/extend",
            headers=dict(self._common),
            json=body,
            parse=lambda answer: parse.extend_result(answer, self._origins),
            fingerprint=refresh_token.fingerprint,
        )

    def _data(
        self,
        path: str,
        token: lifecycle.Secret,
        psu_ip: str | None,
        parser: Callable[[Answer], T],
        query: Mapping[str, str] | None = None,
    ) -> Operation[T]:
        url = f"{self.endpoints.api_url}{path}"
        if query:
            url = f"{url}?{urlencode(query)}"
        return Operation(
            call=Call.DATA,
            method="GET",
            url=url,
            path=path,
            headers={**self._common, **_bearer(token, psu_ip)},
            parse=parser,
            fingerprint=token.fingerprint,
        )

    def me(self, token: lifecycle.Secret, psu_ip: str | None) -> Operation[tuple[Consent, ...]]:
        """R10: the connection's consent as TrueLayer sees it."""
        return self.query(Data.me(), token, psu_ip)

    def query(
        self, query: DataQuery[T], token: lifecycle.Secret, psu_ip: str | None
    ) -> Operation[T]:
        """R11: one Data API read, answered at once."""
        return self._data(query.path, token, psu_ip, query.parse, query.query)

    def queue(
        self,
        query: DataQuery[T],
        token: lifecycle.Secret,
        psu_ip: str | None,
        webhook_uri: str | None = None,
    ) -> Operation[AsyncTask[T]]:
        """R11: the same read queued (``async=true``), with a webhook when it is done.

        Raises:
            ValueError: ``webhook_uri`` is not an absolute http(s) URI.
        """
        params = {**query.query, "async": "true"}
        if webhook_uri is not None:
            parts = urlsplit(webhook_uri)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
                raise ValueError("webhook_uri must be an absolute http(s) URI, no fragment")
            params["webhook_uri"] = webhook_uri
        return self._data(query.path, token, psu_ip, lambda answer: queued(query, answer), params)

    def results(
        self, task: AsyncTask[T], token: lifecycle.Secret, psu_ip: str | None = None
    ) -> Operation[T]:
        """R11: a queued read's outcome, from this client's own API URL."""
        path = f"/data/v1/results/{segment(task.task_id, 'task_id')}"
        return self._data(path, token, psu_ip, task.parse_results)

    def accounts(
        self, token: lifecycle.Secret, psu_ip: str | None
    ) -> Operation[tuple[Account, ...]]:
        """R11: the accounts."""
        return self.query(Data.accounts(), token, psu_ip)

    def balance(
        self, token: lifecycle.Secret, account_id: str, psu_ip: str | None
    ) -> Operation[Balance]:
        """R11: one account's balance."""
        return self.query(Data.balance(account_id), token, psu_ip)

    def transactions(
        self,
        token: lifecycle.Secret,
        account_id: str,
        psu_ip: str | None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Operation[tuple[Transaction, ...]]:
        """R11: one account's transactions, optionally between two times."""
        return self.query(Data.transactions(account_id, since, until), token, psu_ip)

    def delete(self, token: lifecycle.Secret) -> Operation[Deleted]:
        """R12: revoke the connection the access token belongs to."""
        return Operation(
            call=Call.DELETE,
            method="DELETE",
            url=f"{self.endpoints.auth_url}/api/delete",
            path="/api/delete",
            headers={**self._common, **_bearer(token, None)},
            parse=parse.deleted,
            fingerprint=token.fingerprint,
        )


def _origin(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}".lower()
