"""Where TrueLayer lives: the auth server and the Data API, as two base URLs."""

from __future__ import annotations

from urllib.parse import urlsplit

from attrs import field, frozen

__all__ = ["Endpoints"]


def _base_url(instance: object, attribute: object, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"a base URL must be http(s)://host[:port], got {value!r}")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError("a base URL must carry no credentials, query or fragment")


def _strip(value: str) -> str:
    return value.rstrip("/")


@frozen
class Endpoints:
    """The two base URLs the client talks to.

    Attributes:
        auth_url: the auth server: the dialog (R1), ``/connect/token`` (R4, R6) and
            ``/api/delete`` (R12).
        api_url: the Data API: ``/data/v1/...`` (R9-R11).

    Raises:
        ValueError: a URL is not ``http(s)://host[:port][/path]``.
    """

    auth_url: str = field(converter=_strip, validator=_base_url)
    api_url: str = field(converter=_strip, validator=_base_url)

    @classmethod
    def live(cls) -> Endpoints:
        """TrueLayer's production endpoints (R1)."""
        return cls("https://auth.truelayer.com", "https://api.truelayer.com")

    @classmethod
    def sandbox(cls) -> Endpoints:
        """TrueLayer's hosted sandbox (R1; its mock bank is ``uk-cs-mock``)."""
        return cls("https://auth.truelayer-sandbox.com", "https://api.truelayer-sandbox.com")

    @classmethod
    def local(cls, base_url: str) -> Endpoints:
        """A local sandbox serving both halves at one base URL (``adapters.sandbox``).

        Raises:
            ValueError: ``base_url`` is not ``http(s)://host[:port]``.
        """
        return cls(base_url, base_url)
