"""The app on PostgreSQL, and the database goes away and comes back: the open page keeps working and says what is
wrong when it needs the database, /readyz fails meanwhile, no draft edit is lost, and everything recovers without
a restart of the app."""

from __future__ import annotations

import time

import httpx

from tests.browser import studio
from tests.browser.conftest import OpenBrowser
from tests.support.app_fixtures import StartApp
from tests.support.postgres import PostgresServer

PASSWORD = 'ola-correct-horse-42'
SHARED = {'STUDIO_STORAGE_SECRET': 'outage-test-storage-secret-0123456789abcdef',
          'SANDBOX_DEMO_KEY': 'sbx_demo_outage:outage-demo-secret-123456'}


def ready(app_url: str) -> int:
    return httpx.get(app_url + '/readyz', timeout=10).status_code


def wait_ready(app_url: str, want: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while ready(app_url) != want:
        assert time.monotonic() < deadline, f'/readyz did not turn {want} within {seconds:g} s'
        time.sleep(0.2)


def test_a_database_outage_loses_no_draft_and_recovers_without_a_restart(
        start_app: StartApp, open_browser: OpenBrowser, private_postgres: PostgresServer) -> None:
    app = start_app(STUDIO_DATABASE_URL=private_postgres.create_database(), **SHARED)
    app.add_user('ola', PASSWORD)
    assert ready(app.base_url) == 200
    browser = open_browser(app.base_url)
    studio.sign_in_account(browser, 'ola', PASSWORD)
    studio.choose_gender(browser, 'female')
    studio.go_to_step(browser, 'Details')
    browser.fill('Name', 'Before')

    private_postgres.stop()
    wait_ready(app.base_url, 503, 10)
    assert 'database unreachable' in httpx.get(app.url('/readyz'), timeout=10).json()['problems']
    # The open page keeps working: the edit is kept in memory and queued for the database.
    browser.fill('Name', 'During the outage')
    time.sleep(1.0)
    # A page that needs the database now says so, in words.
    response = httpx.get(app.url('/studio'), timeout=20, follow_redirects=False)
    assert response.status_code in (303, 503)  # a stranger is sent to sign in; nothing crashes
    browser.shot('during-the-outage')

    private_postgres.start()  # the same server comes back: no restart of the app
    wait_ready(app.base_url, 200, 30)
    time.sleep(1.0)  # the queued save lands
    browser.reload()
    browser.wait_connected()
    studio.go_to_step(browser, 'Details')
    browser.wait(lambda: browser.field_value('Name') == 'During the outage', 15, 'the edit made during the outage '
                 'was lost')
    # ...and it is in the database, not only in this process's memory: a restart reads it back from there.
    app.stop()
    app.start()
    browser.open('/studio')
    browser.wait_connected()
    studio.go_to_step(browser, 'Details')
    browser.wait(lambda: browser.field_value('Name') == 'During the outage', 15, 'the edit never reached the database')
    unexpected = [line for line in app.error_lines() if 'database' not in line.lower()]
    assert not unexpected, unexpected
