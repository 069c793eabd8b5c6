"""The auth dialog clicked through in real headless Chromium, then the code exchanged (R1-R4)."""

from __future__ import annotations

from browser_support import ARGS, CHROMIUM, NEEDS_CHROMIUM
from test_client_support import SCOPES, must, open_client

import lifecycle
from adapters.sandbox import Sandbox
from adapters.truelayer import CallbackCode, parse_callback

pytestmark = NEEDS_CHROMIUM


def test_a_user_clicks_allow_in_chromium_and_the_client_exchanges_the_code(
    sandbox: Sandbox,
) -> None:
    from playwright.sync_api import sync_playwright

    now = sandbox.clock.now()
    redirect = f"{sandbox.base_url}/redirect"  # the sandbox's page showing the code
    with open_client("sync", sandbox, redirect_uri=redirect) as client:
        record = lifecycle.start(lifecycle.ConnectionStarted(now, region="uk", scopes=SCOPES))
        link = client.auth_link(scopes=SCOPES, providers=("uk-cs-mock",))
        record = must(record, link.link_issued(now)).record

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = browser.new_page()
                page.goto(link.url)
                assert page.locator("#provider").inner_text() == "Mock UK Bank"
                page.click("#allow")
                page.wait_for_selector("#code")
                landed, shown_code = page.url, page.inner_text("#code")
            finally:
                browser.close()

        assert landed.startswith(f"{redirect}?")
        callback = parse_callback(landed, link.state)  # the whole URL the browser shows
        assert isinstance(callback, CallbackCode)
        assert callback.code.reveal() == shown_code
        record = must(record, callback.to_event(now)).record
        decision = must(record, lifecycle.ExchangeCode(now))
        grant = client.exchange_code(callback.code, code_verifier=link.code_verifier)
        record = must(decision.record, grant.to_event(now)).record
        assert record.status is lifecycle.Status.ACTIVE
        assert record.grant.access_token is not None
        assert len(client.accounts(record.grant.access_token)) == 3
