"""Sign-in and sign-out in real Chromium: the redirect back to where one was going, and signing out in one tab
sending the other tab of the same browser to the sign-in page by itself."""

from __future__ import annotations

from tests.browser.conftest import OpenBrowser
from tests.browser.leaks import assert_nowhere
from tests.support.app_fixtures import StartApp

PASSWORD = 'tabs-password-42'


def test_signing_out_in_one_tab_signs_the_other_tab_out(start_app: StartApp, open_browser: OpenBrowser) -> None:
    app = start_app()
    app.add_user('maya', PASSWORD, admin=True)
    browser = open_browser(app.base_url)

    browser.open('/admin')
    browser.wait(lambda: browser.path.startswith('/login?redirect_to=/admin'), 10, 'no redirect to sign-in')
    browser.click('Tool account', exact=True)
    browser.fill('Username', 'maya')
    browser.fill('Password', 'a wrong password')
    browser.click('Sign in', exact=True)
    browser.wait_text('Wrong username or password.')
    assert browser.field_value('Password') == ''
    browser.fill('Password', PASSWORD)
    browser.click('Sign in', exact=True)
    browser.wait(lambda: browser.path == '/admin', 20, 'sign-in did not return to /admin')
    browser.wait_text('auth.sign_in_failed', timeout=20)  # the audit log shows the failed attempt
    first_tab = browser.driver.current_window_handle

    browser.new_tab('/studio')
    browser.wait_text('Create a character', timeout=20)
    second_tab = browser.driver.current_window_handle

    browser.switch_to(first_tab)
    browser.click('account_circle')
    browser.click('Sign out', exact=True)
    browser.wait(lambda: browser.path.startswith('/login'), 15, 'sign-out did not reach the sign-in page')
    browser.wait_text('You were signed out')

    browser.switch_to(second_tab)
    browser.wait(lambda: browser.path.startswith('/login'), 15, 'the other tab kept its page after sign-out')
    assert 'redirect_to=/studio' in browser.path
    browser.wait_text('Sign in to build characters')
    browser.shot('other-tab-signed-out')

    key, secret = app.demo_credentials()
    assert_nowhere([key, secret], browser, include_sent=False)
    assert not app.unexpected_errors()
