"""The agents library in a real browser: create an agent, find it, make a variant of it."""

from __future__ import annotations

import sqlite3

from tests.browser import studio
from tests.browser.chrome import Browser
from tests.browser.conftest import OpenBrowser
from tests.support.app_fixtures import StartApp

PASSWORD = 'ines-correct-horse-42'


def create_from_studio(browser: Browser, name: str) -> None:
    studio.choose_gender(browser, 'male')
    studio.pick_look(browser)
    browser.click('Next: Reference photo')
    browser.click('Continue without a photo')
    browser.click('Generate cover', timeout=15)
    image = browser.wait(lambda: studio.cover_image(browser), 40, 'the cover never arrived')
    assert image is not None
    studio.go_to_step(browser, 'Details')
    browser.fill('Name', name)
    browser.choose_first('Voice')
    studio.go_to_step(browser, 'Create')
    browser.click('Create agent')
    browser.wait_text(f'{name} is ready', timeout=40)


def test_find_variant_create(start_app: StartApp, open_browser: OpenBrowser) -> None:
    app = start_app(SANDBOX_LATENCY='1')
    app.add_user('ines', PASSWORD)
    browser = open_browser(app.base_url)
    studio.sign_in_account(browser, 'ines', PASSWORD)
    create_from_studio(browser, 'Ines')

    browser.click('See your agents')
    browser.wait(lambda: browser.path.startswith('/agents'), 15, 'did not reach the agents page')
    browser.wait_text('By ines', timeout=20)  # 'Made by me', with the maker on the card
    browser.fill('Search by name', 'ine')
    browser.click('Ines')
    browser.wait_text('For integrators')
    browser.click('Make a variant')
    browser.wait_text('Create a character', timeout=20)
    assert studio.look_is_complete(browser)  # every look choice came over
    # Left: creating the variant from here (the spent first cover stays on the board; the test's wait for the new
    # one needs a better signal than page text) and checking agent_records.derived_from; the hook is covered by
    # tests/studio/test_library.py::test_a_finished_create_job_records_its_maker_and_source.
    with sqlite3.connect(app.data_dir / 'studio.sqlite3') as db:
        rows = db.execute('SELECT display_name, derived_from FROM agent_records').fetchall()
    assert rows == [('ines', None)]  # the first agent was recorded as Ines's when the studio created it
    assert not app.error_lines(), app.error_lines()
