"""The browser infrastructure itself: Chromium reaches the app process, types, clicks and records traffic.

Runs the app against an upstream that is not there, so it needs nothing but the sign-in page and proves the
harness independently of the studio.
"""

from __future__ import annotations

from tests.browser.conftest import OpenBrowser
from tests.browser.leaks import assert_nowhere
from tests.support.app_fixtures import StartApp
from tests.support.app_process import free_port


def test_chromium_drives_the_app_process_and_records_its_traffic(start_app: StartApp,
                                                                  open_browser: OpenBrowser) -> None:
    dead_upstream = f'http://127.0.0.1:{free_port()}'
    app = start_app(PLATFORM_BASE_URL=dead_upstream, STUDIO_AUTH_MODES='byok')
    browser = open_browser(app.base_url)
    browser.open('/login')
    browser.wait_text('Agent Studio')
    assert browser.shot('sign-in-page').stat().st_size > 1000

    key, secret = 'smoke-key-7f3a9c', 'smoke-secret-0b8e4d2a'
    browser.fill('API key', key)
    browser.fill('API secret', secret)
    browser.fill('User id', 'smoke-user')
    browser.click('Connect')
    browser.wait_text('could not be checked', timeout=30)
    browser.shot('upstream-unreachable')
    assert browser.path.startswith('/login')
    assert browser.field_value('API secret') == '', 'a refused secret should not stay in the page'

    traffic = browser.collect()
    assert any(status == 200 and url.startswith(app.url('/login')) for status, url in traffic.responses)
    assert any('<html' in body.lower() for body in traffic.bodies.values())
    assert traffic.frames_received, 'no websocket frame was recorded'
    # The typed key went up to the server (it had to); nothing may bring it back down.
    assert any(key in frame for frame in traffic.frames_sent)
    assert_nowhere([key, secret], browser, include_sent=False)
    assert browser.xss_effects() == {'xss': 0, 'alerts': []}
