"""The example web app (examples/web_app.py, under 40 lines), clicked through in real
headless Chromium: the app, the sandbox's dialog, the callback, the accounts."""

from __future__ import annotations

import importlib.util
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

from browser_support import ARGS, CHROMIUM, NEEDS_CHROMIUM
from connections_support import sync_client

from adapters.sandbox import Sandbox
from adapters.service import Connections
from adapters.stores import Store

pytestmark = NEEDS_CHROMIUM
EXAMPLE = Path(__file__).parents[2] / "examples" / "web_app.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("web_app", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_app_is_under_forty_lines() -> None:
    assert len(EXAMPLE.read_text(encoding="utf-8").splitlines()) < 40


def test_a_user_connects_a_bank_in_the_example_app_in_chromium(
    sandbox: Sandbox, store: Store
) -> None:
    from playwright.sync_api import sync_playwright

    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    base = f"http://127.0.0.1:{server.server_port}"
    with sync_client(sandbox, redirect_uri=f"{base}/callback") as client:
        connections = Connections(store=store, client=client, clock=sandbox.clock.now)
        server.RequestHandlerClass = _example().app(connections, providers="uk-cs-mock")
        serving = threading.Thread(target=server.serve_forever, daemon=True)
        serving.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                try:
                    page = browser.new_page()
                    page.goto(base)
                    page.click("#connect")
                    page.click("#allow")  # the sandbox's dialog
                    page.wait_for_selector("#accounts")
                    shown = page.locator("#accounts li").all_inner_texts()
                    page.reload()  # a reload of the callback: nothing exchanged again
                    reloaded = page.inner_text("body")
                finally:
                    browser.close()
        finally:
            server.shutdown()
            server.server_close()
    assert len(shown) == 3
    assert sandbox.calls("/connect/token") == 1
    assert "Not connected" not in reloaded
