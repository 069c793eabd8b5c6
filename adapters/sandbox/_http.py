"""Plain HTTP values for the WSGI app: a parsed request, an answer, and answer builders."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from .._json import loads

__all__ = [
    "MAX_BODY",
    "Request",
    "Response",
    "error_json",
    "html_page",
    "iso",
    "json_answer",
    "redirect",
]

MAX_BODY = 1024 * 1024
_JSON = "application/json"
_HTML = "text/html; charset=utf-8"


def _first(values: dict[str, list[str]]) -> dict[str, str]:
    # Repeated parameters are ambiguous; the first one wins, as in most OAuth servers.
    return {key: items[0] for key, items in values.items()}


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request, decoded once. ``repr`` leaves out headers and body (secrets)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    path_params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        """Decode a WSGI environ (reads the body, at most ``MAX_BODY`` bytes)."""
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = str(environ["CONTENT_TYPE"])
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(min(max(length, 0), MAX_BODY)) if length else b""
        query = parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)
        raw_path = str(environ.get("PATH_INFO", "/")) or "/"
        # PEP 3333 hands PATH_INFO over as latin-1 decoded bytes; undo that for UTF-8 paths.
        path = raw_path.encode("latin-1").decode("utf-8", "replace")
        return cls(
            method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
            path=path,
            query=_first(query),
            headers=headers,
            body=body,
        )

    def form(self) -> dict[str, str]:
        """The body as ``application/x-www-form-urlencoded`` fields."""
        text = self.body.decode("utf-8", "replace")
        return _first(parse_qs(text, keep_blank_values=True))

    def json(self) -> Any:
        """The body as JSON.

        Raises:
            ValueError: the body is not JSON, or a string in it holds a lone surrogate
                (``"\\ud800"`` is valid JSON but no text: nothing could encode it).
        """
        value = loads(self.body.decode("utf-8"))
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("a string in the body holds a lone surrogate") from None
        return value

    def bearer(self) -> str | None:
        """The ``Authorization: Bearer`` token, if any."""
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()

    def basic_credentials(self) -> tuple[str, str] | None:
        """HTTP Basic client credentials (RFC 6749 §2.3.1), if any."""
        scheme, _, encoded = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        return (user, password) if sep else None


@dataclass(frozen=True, slots=True)
class Response:
    """One HTTP answer."""

    status: int
    body: bytes = b""
    content_type: str = _JSON
    headers: tuple[tuple[str, str], ...] = ()

    def status_line(self) -> str:
        """``"200 OK"``, as WSGI wants it."""
        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Unknown"
        return f"{self.status} {phrase}"

    def header_list(self) -> list[tuple[str, str]]:
        """All headers, with content type/length and no caching of tokens."""
        return [
            ("Content-Type", self.content_type),
            ("Content-Length", str(len(self.body))),
            ("Cache-Control", "no-store"),
            *self.headers,
        ]


def iso(moment: datetime) -> str:
    """A timestamp as TrueLayer writes them: UTC, ISO 8601, ``Z``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def json_answer(status: int, payload: Any) -> Response:
    """A JSON answer."""
    return Response(status, json.dumps(payload, sort_keys=True).encode("utf-8"), _JSON)


def error_json(status: int, error: str, description: str) -> Response:
    """TrueLayer's error shape ``{"error", "error_description"}`` (R11, R13)."""
    return json_answer(status, {"error": error, "error_description": description})


def html_page(status: int, html: str) -> Response:
    """An HTML page; the caller has escaped everything it echoes."""
    return Response(status, html.encode("utf-8"), _HTML)


def redirect(location: str) -> Response:
    """A 302 to ``location``."""
    return Response(302, b"", _HTML, (("Location", location),))
