"""What successful calls return, each able to say which core event it means."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import field, frozen

import lifecycle

from ._call import Call
from ._link import AuthLink, reauthentication_link

__all__ = [
    "AuthenticationNeeded",
    "Consent",
    "Deleted",
    "ExtendResult",
    "ExtendUser",
    "Extended",
    "ReconfirmationNeeded",
    "TokenGrant",
]

TokenEvent = lifecycle.CodeExchanged | lifecycle.TokenRefreshed | lifecycle.ExtensionGranted


def _grant_call(instance: TokenGrant, attribute: object, value: Call) -> None:
    if value not in (Call.EXCHANGE, Call.REFRESH, Call.EXTEND):
        raise ValueError("a TokenGrant comes from an exchange, a refresh or an extend")
    if value is Call.EXTEND and instance.refresh_token is None:
        raise ValueError("an extension always carries a new refresh token (R9)")


@frozen
class TokenGrant:
    """Tokens from the token endpoint (R4, R6) or from an extension (R9).

    Attributes:
        call: the call that produced them; decides ``to_event``.
        access_token: the new access token; it supersedes every earlier one (R5).
        expires_in: its validity in seconds, counted from when the request was sent (R5).
        refresh_token: present only with ``offline_access`` (R4); on a refresh, absent or
            unchanged means "keep the old one" (R6).
        scope: the granted scopes, when the answer says.
    """

    access_token: lifecycle.Secret
    expires_in: int
    refresh_token: lifecycle.Secret | None = None
    scope: tuple[str, ...] | None = None
    call: Call = field(default=Call.EXCHANGE, validator=_grant_call, kw_only=True)

    def to_event(self, at: datetime, *, request: int | None = None) -> TokenEvent:
        """``CodeExchanged`` (R4), ``TokenRefreshed`` (R6) or ``ExtensionGranted`` (R9).

        Args:
            at: when the answer arrived.
            request: the number of the core's request that the call performed (R15).

        Raises:
            lifecycle.NaiveDatetimeError: ``at`` has no UTC offset.
        """
        if self.call is Call.EXCHANGE:
            return lifecycle.CodeExchanged(
                at,
                request=request,
                expires_in=self.expires_in,
                refresh_token=self.refresh_token,
                access_token=self.access_token,
            )
        if self.call is Call.REFRESH:
            return lifecycle.TokenRefreshed(
                at,
                request=request,
                expires_in=self.expires_in,
                refresh_token=self.refresh_token,
                access_token=self.access_token,
            )
        assert self.refresh_token is not None  # the validator guarantees it for EXTEND
        return lifecycle.ExtensionGranted(
            at,
            request=request,
            expires_in=self.expires_in,
            refresh_token=self.refresh_token,
            access_token=self.access_token,
        )


def _reachable(instance: ExtendUser, attribute: object, value: str | None) -> None:
    # R9: the user's full name and *either* an email or a phone number.
    if not instance.id or not instance.name.strip():
        raise ValueError("an ExtendUser needs an id and the user's full name")
    if not (instance.email or "").strip() and not (instance.phone or "").strip():
        raise ValueError("an ExtendUser needs an email or a phone number")


@frozen
class ExtendUser:
    """The user whose consent was reconfirmed, as extend wants it (R9).

    The full name and *either* an email or a phone number (field names *unconfirmed*).

    Raises:
        ValueError: no id, no name, or neither an email nor a phone number.
    """

    id: str
    name: str = field(repr=False)
    email: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False, validator=_reachable)

    def to_json(self) -> dict[str, str]:
        """The ``user`` object of the extend body; absent contact fields are left out."""
        body = {"id": self.id, "name": self.name}
        if self.email:
            body["email"] = self.email
        if self.phone:
            body["phone"] = self.phone
        return body


@frozen
class Extended:
    """Extend answered ``no_action_needed``: extended, with new tokens (R9)."""

    grant: TokenGrant

    def to_event(self, at: datetime, *, request: int | None = None) -> lifecycle.ExtensionGranted:
        """``ExtensionGranted`` (R9).

        Raises:
            lifecycle.NaiveDatetimeError: ``at`` has no UTC offset.
        """
        event = self.grant.to_event(at, request=request)
        assert isinstance(event, lifecycle.ExtensionGranted)  # parser builds EXTEND grants
        return event


@frozen
class AuthenticationNeeded:
    """Extend answered ``authentication_needed``: the user must authenticate again (R9).

    Send the user to ``auth_link().url``; they come back to the redirect URI with a code,
    exchanged as usual (R4). The link is single use, so it is kept out of ``repr``.
    """

    user_input_link: str = field(repr=False)

    def auth_link(self) -> AuthLink:
        """The link as one attempt with a fresh state and PKCE pair (R14).

        Raises:
            AuthLinkError: the link TrueLayer gave is not usable.
        """
        return reauthentication_link(self.user_input_link)

    def to_event(
        self, at: datetime, *, request: int | None = None
    ) -> lifecycle.ExtensionNeedsAuthentication:
        """``ExtensionNeedsAuthentication`` (R9).

        Raises:
            lifecycle.NaiveDatetimeError: ``at`` has no UTC offset.
        """
        return lifecycle.ExtensionNeedsAuthentication(
            at, request=request, user_input_link=self.user_input_link
        )


@frozen
class ReconfirmationNeeded:
    """Extend answered ``reconfirmation_of_consent_needed`` (R9: not supported yet).

    Nothing changed at TrueLayer: the extension did not take effect, and its request
    is freed (R15); the reconfirmation is not spent.
    """

    def to_event(self, at: datetime, *, request: int | None = None) -> lifecycle.RequestFailed:
        """``RequestFailed`` with ``reconfirmation_of_consent_needed`` (R9, R15).

        Raises:
            lifecycle.NaiveDatetimeError: ``at`` has no UTC offset.
        """
        return lifecycle.RequestFailed(
            at, request=request, error="reconfirmation_of_consent_needed"
        )


ExtendResult = Extended | AuthenticationNeeded | ReconfirmationNeeded


@frozen
class Consent:
    """One result of ``/data/v1/me`` (R10): advisory, to reconcile the core's clocks.

    Attributes:
        credentials_id: TrueLayer's id of the connection.
        consent_status: e.g. ``Authorised``.
        consent_created_at: when the consent was given.
        consent_expires_at: when TrueLayer says it expires (compare with the core's
            ``deadlines(...).consent_expires_at``).
        provider_id: the bank.
        scopes: the scopes granted.
        raw: the whole result, as TrueLayer sent it.
    """

    client_id: str
    credentials_id: str
    consent_status: str | None
    consent_created_at: datetime | None
    consent_expires_at: datetime | None
    provider_id: str | None
    scopes: tuple[str, ...]
    raw: Mapping[str, Any] = field(repr=False, eq=False)


@frozen
class Deleted:
    """``/api/delete`` succeeded: the connection is revoked (R12)."""

    def to_event(self, at: datetime, *, request: int | None = None) -> lifecycle.Revoked:
        """``Revoked`` (R12).

        Raises:
            lifecycle.NaiveDatetimeError: ``at`` has no UTC offset.
        """
        return lifecycle.Revoked(at, request=request)
