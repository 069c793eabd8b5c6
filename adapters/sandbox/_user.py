"""A scripted user: opens a dialog link and clicks Allow or Deny, over real HTTP.

For tests that need a code without a browser. It reads the dialog page as a browser
would (the attempt id in the form), so it exercises the same path a person does.
"""

from __future__ import annotations

import http.client
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = ["ConsentError", "consent"]


class ConsentError(ValueError):
    """The dialog refused the link or the decision; ``problems`` says why."""

    def __init__(self, status: int, problems: list[str]) -> None:
        super().__init__(f"the sandbox dialog answered {status}: {'; '.join(problems)}")
        self.status = status
        self.problems = problems


class _FormReader(HTMLParser):
    """Collects hidden inputs and the texts of ``li.problem`` items."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.problems: list[str] = []
        self._in_problem = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "input" and found.get("type") == "hidden" and "name" in found:
            self.hidden[found["name"]] = found.get("value", "")
        self._in_problem = tag == "li" and found.get("class") == "problem"

    def handle_data(self, data: str) -> None:
        if self._in_problem:
            self.problems.append(data)
            self._in_problem = False


def _read(page: bytes) -> _FormReader:
    reader = _FormReader()
    reader.feed(page.decode("utf-8", "replace"))
    return reader


def consent(
    base_url: str, link: str, *, allow: bool = True, timeout: float = 5.0
) -> dict[str, str]:
    """Open ``link`` on the sandbox at ``base_url`` and answer the dialog.

    Returns:
        The callback parameters the user's browser would bring to ``redirect_uri``:
        ``code``, ``scope`` and ``state`` on Allow, ``error`` (``access_denied``) and
        ``state`` on Deny, whether in the query or in a ``form_post`` form (R2).

    Raises:
        ConsentError: the dialog refused the link (400), or answered unexpectedly.
        ValueError: ``link`` does not point at this sandbox.
    """
    if not link.startswith(f"{base_url}/"):
        raise ValueError("the link does not point at this sandbox's dialog")
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        target = link[len(base_url) :]
        conn.request("GET", target)
        answer = conn.getresponse()
        page = _read(answer.read())
        if answer.status != 200 or "attempt_id" not in page.hidden:
            raise ConsentError(answer.status, page.problems or ["no consent form"])
        conn.close()
        form = urlencode(
            {"attempt_id": page.hidden["attempt_id"], "decision": "allow" if allow else "deny"}
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        conn.request("POST", "/dialog/decision", body=form, headers=headers)
        answer = conn.getresponse()
        body = answer.read()
        if answer.status == 302:
            return dict(parse_qsl(urlsplit(answer.getheader("Location", "")).query))
        if answer.status == 200:
            return _read(body).hidden  # response_mode=form_post: the auto-submitting form
        raise ConsentError(answer.status, _read(body).problems or ["unexpected answer"])
    finally:
        conn.close()
