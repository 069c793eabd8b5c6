"""Fixed facts the sandbox serves: scopes and providers (the mock bank's data: ``_bank``)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SCOPES", "Provider", "covered_providers", "provider"]

# R1: the scopes TrueLayer knows, with what the dialog tells the user about each.
SCOPES: dict[str, str] = {
    "info": "Your name, address and contact details",
    "accounts": "Your accounts and their details",
    "balance": "Your account balances",
    "cards": "Your cards and their details",
    "transactions": "Your transactions",
    "direct_debits": "Your direct debits",
    "standing_orders": "Your standing orders",
    "offline_access": "Access while you are not using the app (up to 90 days)",
}


@dataclass(frozen=True, slots=True)
class Provider:
    """A bank the dialog can connect to."""

    provider_id: str
    display_name: str
    logo_uri: str


_LOGOS = "https://truelayer-provider-assets.s3.amazonaws.com/global/logos"
_PROVIDERS: dict[str, Provider] = {
    p.provider_id: p
    for p in (
        Provider("uk-cs-mock", "Mock UK Bank", f"{_LOGOS}/mock.svg"),
        Provider("ob-sandbox-bank", "Open Banking Sandbox Bank", f"{_LOGOS}/ob.svg"),
        Provider("oauth-sandbox-bank", "OAuth Sandbox Bank", f"{_LOGOS}/oauth.svg"),
    )
}

# R1: ``providers`` takes provider ids and groups; a group covers several providers.
_GROUPS: dict[str, tuple[str, ...]] = {
    "uk-ob-all": ("ob-sandbox-bank",),
    "uk-oauth-all": ("oauth-sandbox-bank",),
}


def covered_providers(tokens: list[str]) -> tuple[list[str], list[str]]:
    """The provider ids covered by a ``providers`` list, and the unknown entries."""
    covered: list[str] = []
    unknown: list[str] = []
    for token in tokens:
        members = _GROUPS.get(token, (token,) if token in _PROVIDERS else ())
        if not members:
            unknown.append(token)
        covered.extend(m for m in members if m not in covered)
    return covered, unknown


def provider(provider_id: str) -> Provider:
    """The provider with this id (it must be known)."""
    return _PROVIDERS[provider_id]
