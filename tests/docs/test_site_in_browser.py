"""The diagrams page in a real browser: Mermaid renders, offline, without errors.

Builds the site, serves it on 127.0.0.1, opens it in headless Chromium (Debian's, never a
downloaded one) and looks at what a reader would see. Any request to a host other than
the local server fails the test (and is aborted, so none leaves the machine).
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from browser_support import ARGS, CHROMIUM, NEEDS_CHROMIUM

from lifecycle import DEFAULT_POLICY, Status

STATE_NAMES = [status.value for status in Status]

# Material renders each Mermaid diagram into a *closed* shadow root, which no test can
# look into; opening it changes nothing else about the page.
OPEN_SHADOW_ROOTS = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  return attach.call(this, Object.assign({}, init, { mode: "open" }));
};
"""

# Every rendered diagram: its SVG's text, read through the (now open) shadow roots.
RENDERED = """
() => Array.from(document.querySelectorAll("div.mermaid")).map((host) => {
  const svg = host.shadowRoot && host.shadowRoot.querySelector("svg");
  return svg ? svg.textContent : null;
})
"""

pytestmark = NEEDS_CHROMIUM


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output for failures


@pytest.fixture
def served(site: Path) -> Iterator[str]:
    """The built site on http://127.0.0.1:<port>/, for the duration of one test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _mermaid_blocks(page: Path) -> list[str]:
    """The Mermaid sources the built page carries, as the browser will read them."""
    found = re.findall(r'<pre class="mermaid"><code>(.*?)</code></pre>', page.read_text(), re.S)
    return [html.unescape(block) for block in found]


def test_the_diagrams_page_renders_every_mermaid_diagram_offline(
    site: Path, served: str, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    blocks = _mermaid_blocks(site / "diagrams" / "index.html")
    assert len(blocks) == 1 + len(DEFAULT_POLICY.regions), "one state diagram, one chart a region"

    foreign: list[str] = []
    errors: list[str] = []

    def route(route: Any) -> None:
        url = route.request.url
        if url.startswith(served) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            foreign.append(url)
            route.abort()

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.add_init_script(OPEN_SHADOW_ROOTS)
            page.route("**/*", route)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "console",
                lambda message: errors.append(message.text) if message.type == "error" else None,
            )
            page.goto(served + "diagrams/", wait_until="load")
            # Wait for every diagram, but stop early on a foreign request or an error:
            # the assertions below then say what went wrong instead of timing out.
            deadline = time.monotonic() + 30
            while True:
                rendered: list[str | None] = page.evaluate(RENDERED)
                done = len(rendered) == len(blocks) and None not in rendered
                if done or foreign or errors or time.monotonic() > deadline:
                    break
                page.wait_for_timeout(200)
            body = page.evaluate("() => document.body.innerText")
            page.screenshot(path=str(tmp_path / "diagrams.png"), full_page=True)
            for number, diagram in enumerate(page.locator("div.mermaid").all()):
                diagram.screenshot(path=str(tmp_path / f"diagram-{number}.png"))
        finally:
            browser.close()

    assert foreign == [], f"the page asked other hosts for {foreign}"
    assert errors == [], f"the page logged errors: {errors}"
    assert len(rendered) == len(blocks), f"{len(rendered)} of {len(blocks)} diagrams rendered"
    assert None not in rendered, "a diagram has no SVG"
    texts = [text for text in rendered if text is not None]
    for text in texts:
        assert "Syntax error" not in text
    assert "Syntax error" not in body
    state_diagrams = [text for text in texts if "connection_started" in text]
    assert len(state_diagrams) == 1
    for name in STATE_NAMES:
        assert name in state_diagrams[0], f"{name} missing from the rendered state diagram"
    charts = [text for text in texts if "connection_started" not in text]
    assert sorted(re.search(r"region (\w+)", text).group(1) for text in charts) == sorted(  # type: ignore[union-attr]
        DEFAULT_POLICY.regions
    )
    for text in charts:
        assert "consent with offline_access" in text
    assert (tmp_path / "diagrams.png").stat().st_size > 10_000


def _open(playwright: Any, width: int = 1400) -> Any:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    page = browser.new_page(viewport={"width": width, "height": 1000})
    return browser, page


def test_a_reader_follows_a_rule_code_to_the_glossary_and_keeps_the_navigation(
    served: str, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser, page = _open(playwright)
        try:
            page.goto(served + "diagrams/", wait_until="load")
            # The Diagrams page keeps the site's navigation.
            navigation = page.locator("nav.md-nav--primary")
            assert navigation.first.is_visible()
            assert page.get_by_role("link", name="Glossary of the rules").first.is_visible()

            page.goto(served + "concepts/clocks/", wait_until="load")
            link = page.locator("a.rule", has_text="R6").first
            link.click()
            page.wait_for_load_state("load")
            assert page.url.endswith("/reference/glossary/#r6")
            heading = page.locator("h2#r6")
            assert heading.is_visible()
            assert heading.inner_text().startswith("R6 The refresh")
            box = heading.bounding_box()
            assert box is not None and 0 <= box["y"] < 1000  # scrolled to it
            page.screenshot(path=str(tmp_path / "glossary.png"))
        finally:
            browser.close()


def test_the_home_page_draws_the_lifecycle_at_a_readable_size(served: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser, page = _open(playwright)
        try:
            page.goto(served, wait_until="load")
            image = page.locator("img.lifecycle-drawing")
            image.wait_for()
            shown, natural = image.evaluate("(img) => [img.clientWidth, img.naturalWidth]")
        finally:
            browser.close()
    # The drawing's text is 9 pt (12 px) at its natural size: shown at 80 % or more it
    # stays at about 10 px, readable without opening it.
    assert natural > 0
    assert shown / natural >= 0.8, f"shown at {shown} of {natural} px"
