"""``TrueLayerClient``: sends what ``Requests`` builds, with ``httpx.Client``; no decisions."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

import lifecycle

from ._base import ClientBase, tls_context
from ._protocol import Answer, Operation
from ._results import Consent, Deleted, ExtendResult, ExtendUser, TokenGrant
from ._retry import retry_sync
from ._sync_data import SyncDataCalls

__all__ = ["TrueLayerClient"]

T = TypeVar("T")


class TrueLayerClient(ClientBase[httpx.Client], SyncDataCalls):
    """The blocking client: one method per TrueLayer call, each returning a checked result.

    Results and errors say which core event they mean (``to_event``, ``core_event``):
    the client performs the core's effects and never decides anything itself. In
    particular it never refreshes on its own: on ``InvalidToken`` feed
    ``lifecycle.Refresh`` to the core, refresh, then retry once (R11).
    """

    def _new_http(self) -> httpx.Client:
        return httpx.Client(follow_redirects=False, verify=tls_context())

    def _send(self, operation: Operation[T]) -> T:
        return retry_sync(self._retry, lambda: operation.parse(self._once(operation)))

    def _once(self, operation: Operation[Any]) -> Answer:
        try:
            response = self._http.request(**operation.send_args(), timeout=self._timeout)
        except httpx.RequestError as error:
            raise operation.no_answer(error) from error
        return operation.answer(response)

    def exchange_code(
        self, code: lifecycle.Secret, *, code_verifier: lifecycle.Secret | None
    ) -> TokenGrant:
        """R4: exchange the callback's code, within 5 minutes of it (R3).

        Raises:
            TrueLayerError: e.g. ``InvalidGrant`` (its ``core_event`` is ``CodeRejected``).
        """
        return self._send(self._requests.exchange(code, code_verifier))

    def refresh(self, refresh_token: lifecycle.Secret) -> TokenGrant:
        """R6: a new access token; ``to_event`` gives ``TokenRefreshed``.

        Raises:
            TrueLayerError: e.g. ``InvalidGrant`` (its ``core_event`` is ``RefreshRejected``).
        """
        return self._send(self._requests.refresh(refresh_token))

    def extend(self, refresh_token: lifecycle.Secret, *, user: ExtendUser) -> ExtendResult:
        """R9: extend the connection; only after the core accepted ``lifecycle.Extend``.

        Raises:
            TrueLayerError: e.g. ``InvalidGrant`` once past the extend window.
        """
        return self._send(self._requests.extend(refresh_token, user))

    def me(
        self, access_token: lifecycle.Secret, *, psu_ip: str | None = None
    ) -> tuple[Consent, ...]:
        """R10: the consent as TrueLayer sees it.

        Raises:
            TrueLayerError: e.g. ``InvalidToken``, ``AccessDeniedError``.
        """
        return self._send(self._requests.me(access_token, psu_ip))

    def delete(self, access_token: lifecycle.Secret) -> Deleted:
        """R12: revoke the connection; ``to_event`` gives ``Revoked``.

        Raises:
            TrueLayerError: e.g. ``AccessDeniedError`` when it is already gone.
        """
        return self._send(self._requests.delete(access_token))

    def close(self) -> None:
        """Close the HTTP client, unless it was given by the caller."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
