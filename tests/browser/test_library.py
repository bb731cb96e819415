"""The agents library in a real browser: create an agent, find it, make a variant of it and create that (the
library then says what it is a variant of); import character cards (another tool's PNG, Agent Studio's own JSON)
into a prefilled studio and create from them."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from tests.browser import studio
from tests.browser.chrome import Browser
from tests.browser.conftest import OpenBrowser
from tests.support.app_fixtures import StartApp

PASSWORD = 'ines-correct-horse-42'
CARDS = Path(__file__).parents[1] / 'fixtures' / 'cards'  # written by tests/fixtures/cards/make_cards.py


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


def create_prefilled(browser: Browser, name: str, *, choose_voice: bool = False) -> None:
    """From a studio a variant or a card filled in: a new cover, the name, create. 'Create agent' is enabled only
    once the new cover is in and chosen (the first agent's spent cover on the board does not count)."""
    browser.click('Next: Reference photo')
    browser.click('Continue without a photo')
    generate = browser.wait_any_text('Generate again', 'Generate cover', timeout=15)
    browser.click(str(generate), timeout=15)
    studio.go_to_step(browser, 'Details')
    browser.fill('Name', name)
    if choose_voice:
        browser.choose_first('Voice')
    studio.go_to_step(browser, 'Create')
    browser.click('Create agent', timeout=60)
    # The step redraws when the cover's news lands; a click in that moment is lost, so it is pressed again once.
    if not browser.has_text(f'Creating {name}') and not browser.has_text(f'{name} is ready'):
        time.sleep(3)
        if not browser.has_text(f'Creating {name}') and not browser.has_text(f'{name} is ready'):
            browser.click('Create agent', timeout=30)
    browser.wait_text(f'{name} is ready', timeout=40)


def records(app_data: Path) -> dict[str, tuple[str, str | None]]:
    """agent_records as name on the platform -> (maker, derived from), read straight from the app's database."""
    with sqlite3.connect(app_data / 'studio.sqlite3') as db:
        rows = db.execute('SELECT agent_id, display_name, derived_from FROM agent_records').fetchall()
    return {agent_id: (maker, source) for agent_id, maker, source in rows}


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
    [(first_id, (maker, source))] = records(app.data_dir).items()
    assert (maker, source) == ('ines', None)  # the first agent was recorded as Ines's when the studio created it

    create_prefilled(browser, 'Ines Two')  # the voice came over with the variant
    made = records(app.data_dir)
    [second_id] = [agent_id for agent_id in made if agent_id != first_id]
    assert made[second_id] == ('ines', first_id)  # recorded with its origin, from the draft in the database
    browser.click('See your agents')
    browser.wait(lambda: browser.path.startswith('/agents'), 15, 'did not reach the agents page')
    browser.wait_text('Variant of Ines', timeout=20)  # the card says what it was made from
    browser.click('Ines Two')
    browser.wait_text('For integrators')
    assert browser.has_text('Variant of Ines')  # and so do its details
    assert not app.error_lines(), app.error_lines()


def test_import_a_png_and_a_json_card_then_create(start_app: StartApp, open_browser: OpenBrowser) -> None:
    app = start_app(SANDBOX_LATENCY='1')
    app.add_user('ines', PASSWORD)
    browser = open_browser(app.base_url)
    studio.sign_in_account(browser, 'ines', PASSWORD, then='/agents')
    browser.wait_text('Import a card', timeout=20)
    # A plain button, not the stock uploader with its queue and '0.0B / 0.00%'.
    assert not browser.has_text('0.00%') and not browser.has_text('0.0B')
    browser.click('Import a card')  # opens the browser's file chooser (headless Chromium shows none) ...
    browser.upload(CARDS / 'aiko-v2.png')  # ... and this is the file a person picks in it
    browser.wait_text('Not understood from that card', timeout=20)  # what another tool's card had, said first
    assert browser.has_text('character_book') and browser.has_text('mes_example')
    browser.click('Open the studio')
    browser.wait(lambda: browser.path.startswith('/studio'), 20, 'the card did not open the studio')
    browser.wait_text('Create a character', timeout=20)
    assert studio.look_grids(browser)  # the gender came from the card's text: its options are shown
    # The look shows one group's tiles at a time; each group's button says what is chosen in it.
    picked = sum(studio.group_chosen(group) for group in studio.look_groups(browser))
    assert picked >= 3  # slim, black hair, bob: named by the card's description
    studio.pick_look(browser)  # the person completes what the card did not say
    studio.go_to_step(browser, 'Details')
    assert browser.field_value('Name') == 'Aiko'
    studio.go_to_step(browser, 'Look')
    create_prefilled(browser, 'Aiko', choose_voice=True)

    browser.open('/agents', wait_for='Import a card')
    browser.click('Import a card')
    browser.upload(CARDS / 'mia-v3.json')  # Agent Studio's own card: every choice comes back
    browser.wait(lambda: browser.path.startswith('/studio'), 20, 'the card did not open the studio')
    browser.wait_text('Create a character', timeout=20)
    browser.wait(lambda: studio.look_is_complete(browser), 10, 'the look did not come back whole')
    assert not browser.has_text('Not understood from that card')
    create_prefilled(browser, 'Mia')  # name and voice came with the card; only the cover is new

    made = {maker_source for maker_source in records(app.data_dir).values()}
    assert made == {('ines', None), ('ines', 'agent-mia-original')}  # Mia's card named the agent it was made from
    browser.click('See your agents')
    browser.wait_text('By ines', timeout=20)
    assert browser.has_text('Aiko') and browser.has_text('Mia')
    assert not app.error_lines(), app.error_lines()
