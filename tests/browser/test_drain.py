"""SIGTERM drains instead of interrupting: readiness fails at once, new generations are refused with a message,
the page keeps working, the running cover finishes and is shown, then the process exits; after a restart the
cover is there, not "interrupted". /healthz and /readyz answer without a session."""

from __future__ import annotations

import signal
import time

import httpx

from tests.browser import studio
from tests.browser.conftest import OpenBrowser
from tests.support.app_fixtures import StartApp

PASSWORD = 'dee-correct-horse-42'


def test_health_endpoints_answer_without_a_session(start_app: StartApp) -> None:
    app = start_app()
    live, ready = httpx.get(app.url('/healthz'), timeout=5), httpx.get(app.url('/readyz'), timeout=5)
    assert live.status_code == 200 and live.json()['status'] == 'ok' and live.json()['draining'] is False
    assert ready.status_code == 200 and ready.json()['status'] == 'ready' and ready.json()['problems'] == []
    assert ready.json()['instance'] == live.json()['instance'] and 'upstream' in ready.json()
    assert ready.headers['cache-control'] == 'no-store'


def test_sigterm_lets_the_running_cover_finish_and_refuses_new_ones(start_app: StartApp,
                                                                    open_browser: OpenBrowser) -> None:
    app = start_app(SANDBOX_LATENCY='6', STUDIO_DRAIN_SECONDS='60')
    app.add_user('dee', PASSWORD)
    browser = open_browser(app.base_url)
    studio.sign_in_account(browser, 'dee', PASSWORD)
    studio.choose_gender(browser, 'female')
    studio.pick_look(browser)
    studio.go_to_step(browser, 'Cover')
    browser.click('Generate cover')
    browser.wait_text(studio.GENERATING, timeout=10)

    assert app.process is not None
    app.process.send_signal(signal.SIGTERM)  # a rolling restart reaches this instance
    deadline = time.monotonic() + 5
    while httpx.get(app.url('/readyz'), timeout=5).status_code != 503:
        assert time.monotonic() < deadline, 'readiness did not fail on SIGTERM'
        time.sleep(0.1)
    assert 'draining' in httpx.get(app.url('/readyz'), timeout=5).json()['problems'][0]
    assert httpx.get(app.url('/healthz'), timeout=5).json()['draining'] is True  # alive: do not kill it

    # The page still works; a new generation is refused with a reason, the running one goes on.
    browser.click('Generate again') if browser.has_text('Generate again') else browser.click('Generate cover')
    browser.wait_text('restarting for an update', timeout=10)
    browser.wait(lambda: studio.cover_image(browser), 30, 'the running cover did not finish while draining')
    browser.shot('drained-cover-arrived')
    assert app.process.wait(30) == 0, app.log_tail()
    assert 'draining' in app.log_text()

    app.start()
    browser.open('/studio')
    browser.wait_connected()
    studio.go_to_step(browser, 'Cover')
    browser.wait(lambda: studio.cover_image(browser), 15, 'the cover finished while draining is gone')
    assert not browser.has_text('Generation interrupted')
    assert not app.error_lines(), app.error_lines()
