"""``AsyncTrueLayerClient``: sends what ``Requests`` builds, with ``httpx.AsyncClient``."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

import lifecycle

from ._async_data import AsyncDataCalls
from ._base import ClientBase, tls_context
from ._protocol import Answer, Operation
from ._results import Consent, Deleted, ExtendResult, ExtendUser, TokenGrant
from ._retry import retry_async

__all__ = ["AsyncTrueLayerClient"]

T = TypeVar("T")


class AsyncTrueLayerClient(ClientBase[httpx.AsyncClient], AsyncDataCalls):
    """The asyncio client: one coroutine per TrueLayer call, each returning a checked result.

    Results and errors say which core event they mean (``to_event``, ``core_event``):
    the client performs the core's effects and never decides anything itself. In
    particular it never refreshes on its own: on ``InvalidToken`` feed
    ``lifecycle.Refresh`` to the core, refresh, then retry once (R11).
    """

    def _new_http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(follow_redirects=False, verify=tls_context())

    async def _send(self, operation: Operation[T]) -> T:
        return await retry_async(self._retry, lambda: self._parsed(operation))

    async def _parsed(self, operation: Operation[T]) -> T:
        return operation.parse(await self._once(operation))

    async def _once(self, operation: Operation[Any]) -> Answer:
        try:
            response = await self._http.request(**operation.send_args(), timeout=self._timeout)
        except httpx.RequestError as error:
            raise operation.no_answer(error) from error
        return operation.answer(response)

    async def exchange_code(
        self, code: lifecycle.Secret, *, code_verifier: lifecycle.Secret | None
    ) -> TokenGrant:
        """R4: exchange the callback's code, within 5 minutes of it (R3).

        Raises:
            TrueLayerError: e.g. ``InvalidGrant`` (its ``core_event`` is ``CodeRejected``).
        """
        return await self._send(self._requests.exchange(code, code_verifier))

    async def refresh(self, refresh_token: lifecycle.Secret) -> TokenGrant:
        """R6: a new access token; ``to_event`` gives ``TokenRefreshed``.

        Raises:
            TrueLayerError: e.g. ``InvalidGrant`` (its ``core_event`` is ``RefreshRejected``).
        """
        return await self._send(self._requests.refresh(refresh_token))

    async def extend(self, refresh_token: lifecycle.Secret, *, user: ExtendUser) -> ExtendResult:
        """R9: extend the connection; only after the core accepted ``lifecycle.Extend``.

        Raises:
            TrueLayerError: e.g. ``InvalidGrant`` once past the extend window.
        """
        return await self._send(self._requests.extend(refresh_token, user))

    async def me(
        self, access_token: lifecycle.Secret, *, psu_ip: str | None = None
    ) -> tuple[Consent, ...]:
        """R10: the consent as TrueLayer sees it.

        Raises:
            TrueLayerError: e.g. ``InvalidToken``, ``AccessDeniedError``.
        """
        return await self._send(self._requests.me(access_token, psu_ip))

    async def delete(self, access_token: lifecycle.Secret) -> Deleted:
        """R12: revoke the connection; ``to_event`` gives ``Revoked``.

        Raises:
            TrueLayerError: e.g. ``AccessDeniedError`` when it is already gone.
        """
        return await self._send(self._requests.delete(access_token))

    async def aclose(self) -> None:
        """Close the HTTP client (await it), unless it was given by the caller."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
