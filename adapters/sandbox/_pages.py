"""The sandbox's HTML pages. Every value shown is passed through ``html.escape``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

from adapters.sandbox._catalogue import SCOPES, Provider

__all__ = ["dialog_page", "error_page", "form_post_page", "redirect_page"]

_STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;background:#f4f5f7;
margin:0;color:#1c1c28}
main{max-width:30rem;margin:3rem auto;background:#fff;border-radius:12px;padding:2rem;
box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:1.3rem;margin-top:0}.who{color:#5b5b6e}ul{padding-left:1.2rem}
li{margin:.3rem 0}.buttons{display:flex;gap:1rem;margin-top:1.5rem}
button{flex:1;padding:.7rem;border-radius:8px;border:1px solid #1c1c28;font-size:1rem;
cursor:pointer;background:#fff}#allow{background:#1c1c28;color:#fff}
.problem{color:#a4161a}code{background:#eef;padding:.1rem .3rem;border-radius:4px;
word-break:break-all}table{border-collapse:collapse;width:100%}
td{border-top:1px solid #ddd;padding:.3rem;vertical-align:top;word-break:break-all}
.badge{font-size:.75rem;background:#ffe08a;border-radius:4px;padding:.1rem .4rem}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><main><p><span class="badge">TrueLayer sandbox</span></p>{body}</main>'
        "</body></html>\n"
    )


def dialog_page(client_id: str, provider: Provider, scopes: Iterable[str], attempt_id: str) -> str:
    """The consent dialog (R1): who asks, for which bank, for what; Allow or Deny."""
    items = "".join(
        f"<li><strong>{escape(s)}</strong>: {escape(SCOPES.get(s, s))}</li>" for s in scopes
    )
    body = (
        f"<h1>Connect {escape(provider.display_name)}</h1>"
        f'<p class="who"><code>{escape(client_id)}</code> asks to access, at '
        f'<span id="provider" data-provider-id="{escape(provider.provider_id)}">'
        f"{escape(provider.display_name)}</span>:</p>"
        f'<ul id="scopes">{items}</ul>'
        '<form method="post" action="/dialog/decision">'
        f'<input type="hidden" name="attempt_id" value="{escape(attempt_id)}">'
        '<div class="buttons">'
        '<button type="submit" name="decision" value="deny" id="deny">Deny</button>'
        '<button type="submit" name="decision" value="allow" id="allow">Allow</button>'
        "</div></form>"
    )
    return _page(f"Connect {provider.display_name}", body)


def error_page(title: str, problems: Iterable[str], received: Mapping[str, str]) -> str:
    """A 400 page: what is wrong, and every parameter received (escaped)."""
    listed = "".join(f'<li class="problem">{escape(p)}</li>' for p in problems)
    rows = "".join(
        f"<tr><td><code>{escape(k)}</code></td><td><code>{escape(v)}</code></td></tr>"
        for k, v in sorted(received.items())
    )
    table = f"<h2>Received</h2><table>{rows}</table>" if rows else ""
    return _page(title, f'<h1>{escape(title)}</h1><ul id="problems">{listed}</ul>{table}')


def form_post_page(redirect_uri: str, params: Mapping[str, str]) -> str:
    """``response_mode=form_post`` (R2): a form that posts itself to ``redirect_uri``."""
    inputs = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in params.items()
    )
    body = (
        f'<form id="callback" method="post" action="{escape(redirect_uri)}">{inputs}'
        '<noscript><button type="submit">Continue</button></noscript></form>'
        "<script>document.getElementById('callback').submit()</script>"
    )
    return _page("Returning to the application", body)


def redirect_page(params: Mapping[str, str]) -> str:
    """The default redirect page: shows the code (``id="code"``), or the error."""
    if "code" in params:
        head = (
            "<h1>Authorised</h1><p>Authorisation code (valid for 5 minutes, single use):</p>"
            f'<p><code id="code">{escape(params["code"])}</code></p>'
        )
    elif "error" in params:
        head = f'<h1>Not authorised</h1><p><code id="error">{escape(params["error"])}</code></p>'
    else:
        head = "<h1>Nothing to show</h1><p>No <code>code</code> and no <code>error</code>.</p>"
    state = (
        f'<p>state: <code id="state">{escape(params["state"])}</code></p>'
        if "state" in params
        else ""
    )
    return _page("Sandbox redirect", head + state)
