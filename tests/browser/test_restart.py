"""The studio stops (crash or orderly stop) with one cover finished and one generating, then starts again: the
person is still signed in, the finished cover is usable and the interrupted one regenerates with one click."""

from __future__ import annotations

import pytest

from tests.browser import studio
from tests.browser.conftest import OpenBrowser
from tests.support.app_fixtures import StartApp

PASSWORD = 'rae-correct-horse-42'


@pytest.mark.parametrize('how', ['crash', 'orderly stop'])
def test_restart_keeps_the_finished_cover_and_offers_to_regenerate_the_interrupted_one(
        start_app: StartApp, open_browser: OpenBrowser, how: str) -> None:
    app = start_app()
    app.add_user('rae', PASSWORD)
    browser = open_browser(app.base_url)
    studio.sign_in_account(browser, 'rae', PASSWORD)
    studio.choose_gender(browser, 'female')
    studio.pick_look(browser)
    studio.go_to_step(browser, 'Cover')
    browser.click('Generate cover')
    browser.wait(lambda: studio.cover_image(browser), 30, 'the first cover did not arrive')
    studio.go_to_step(browser, 'Details')
    browser.fill('Name', 'Rae')
    voice = browser.choose_first('Voice')

    app.set_latency('120')  # the second one will still be painting when the studio goes down
    studio.go_to_step(browser, 'Cover')
    browser.click('Generate again')
    browser.wait_text(studio.GENERATING, timeout=10)
    browser.shot('one-finished-one-generating')

    if how == 'crash':
        app.kill()
    else:
        app.stop()
    app.start()
    app.set_latency('0')

    # Sessions are stored like everything else: the person is still signed in after the restart.
    browser.open('/studio')
    assert not browser.path.startswith('/login'), f'signed out by the restart ({browser.path})'
    studio.go_to_step(browser, 'Cover')
    browser.wait_text('Generation interrupted', timeout=15)
    assert not browser.has_text(studio.GENERATING), 'the interrupted cover is stuck "generating"'
    browser.wait(lambda: studio.cover_image(browser), 15, 'the finished cover is gone after the restart')
    browser.wait_text('Valid for', timeout=10)
    browser.shot('after-restart')

    # The finished cover is still usable: the agent is created with it.
    studio.go_to_step(browser, 'Details')
    browser.wait(lambda: browser.field_value('Name') == 'Rae', 10, 'the name was lost in the restart')
    assert browser.has_text(voice)
    studio.go_to_step(browser, 'Create')
    browser.click('Create agent')
    browser.wait_text('Rae is ready', timeout=30)
    browser.shot('created-with-the-restored-cover')

    # The interrupted one comes back with one click.
    browser.click('Create another')
    studio.go_to_step(browser, 'Cover')
    browser.click_within('Generation interrupted', 'Try again')
    browser.wait_no_text('Generation interrupted', timeout=15)
    # The sandbox is quick again after the restart: the regenerated cover may be done before 'Generating' is seen.
    browser.wait_text('Covers from this session (2)', timeout=40)
    browser.wait_no_text(studio.GENERATING, timeout=30)
    browser.shot('interrupted-cover-regenerated')
    assert not app.error_lines(), app.error_lines()
