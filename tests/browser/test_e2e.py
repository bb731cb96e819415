"""A person's whole session in a real browser, with the leak audit running over everything it received."""

from __future__ import annotations

from tests.browser import studio
from tests.browser.conftest import OpenBrowser
from tests.browser.leaks import assert_nowhere
from tests.support.app_fixtures import StartApp

PASSWORD = 'maya-correct-horse-42'


def test_create_an_agent_end_to_end(start_app: StartApp, open_browser: OpenBrowser) -> None:
    app = start_app(SANDBOX_LATENCY='8')
    app.add_user('maya', PASSWORD)
    browser = open_browser(app.base_url)

    studio.sign_in_account(browser, 'maya', PASSWORD)
    browser.shot('signed-in')

    studio.choose_gender(browser, 'female')
    female_categories = studio.pick_look(browser)
    assert browser.has_text('Breast size') and browser.has_text('Butt size')
    browser.shot('female-look')

    studio.choose_gender(browser, 'male')
    browser.wait_no_text('Breast size')
    browser.wait_text('not available for a male character')  # told what was cleared, not silently dropped
    male_categories = studio.pick_look(browser)
    assert male_categories < female_categories
    assert studio.look_is_complete(browser)
    browser.shot('male-look')

    browser.click('Next: Reference photo')
    browser.wait_text('Add a reference photo')
    studio.upload_photo(browser, studio.ASTRONAUT)
    browser.wait_text(studio.FACE_FOUND, timeout=30)
    browser.shot('astronaut-face-found')
    browser.click('Remove photo')
    studio.upload_photo(browser, studio.COFFEE)
    browser.wait_text(studio.NO_FACE, timeout=30)
    browser.shot('coffee-no-face-warning')
    browser.click('Continue anyway')

    browser.wait_text('Generate cover', timeout=15)
    browser.click('Generate cover')
    browser.wait_text(studio.GENERATING, timeout=10)
    browser.shot('cover-generating')

    # While the platform paints, the person fills in the details.
    browser.click('Next: Details')
    browser.fill('Name', 'Maya')
    voice = browser.choose_first('Voice')
    browser.shot('details-filled-while-generating')

    # A reload in the middle of the generation loses nothing: the job belongs to the server, not the tab.
    browser.reload()
    browser.wait_text('Name and personality', timeout=15)
    browser.wait(lambda: browser.field_value('Name') == 'Maya', 10, 'the name was lost in the reload')
    studio.go_to_step(browser, 'Cover')
    browser.wait_text(studio.GENERATING, timeout=10)
    browser.shot('reloaded-still-generating')
    image = browser.wait(lambda: studio.cover_image(browser), 40, 'the cover never arrived after the reload')
    assert browser.js('return arguments[0].naturalWidth', image) > 0
    browser.shot('cover-arrived')

    # A second tab shows the same person, the same draft, the same cover.
    first_tab = browser.driver.current_window_handle
    second_tab = browser.new_tab('/studio')
    browser.wait_text('Create a character', timeout=15)
    studio.go_to_step(browser, 'Details')
    browser.wait(lambda: browser.field_value('Name') == 'Maya', 10, 'the second tab does not show the name')
    assert browser.has_text(voice)
    browser.shot('second-tab-same-state')
    browser.driver.close()
    browser.switch_to(first_tab)
    assert second_tab not in browser.driver.window_handles

    studio.go_to_step(browser, 'Create')
    browser.click('Create agent')
    browser.wait_text('Maya is ready', timeout=40)
    browser.shot('agent-created')
    browser.click('See your agents')
    browser.wait(lambda: browser.path.startswith('/agents'), 15, 'did not reach the agents page')
    browser.wait_text('Maya', timeout=20)
    image = browser.wait(lambda: studio.agent_card_image(browser, 'Maya'), 20,
                         'the agent card has no cover that actually loaded')
    assert browser.js('return arguments[0].naturalWidth', image) > 0
    browser.shot('agents-page-with-cover')

    studio.sign_out(browser)
    browser.shot('signed-out')
    browser.open('/agents')
    assert browser.path.startswith('/login'), 'the agents page is still reachable after signing out'
    studio.sign_in_account(browser, 'maya', PASSWORD, then='/agents')
    assert browser.path.startswith('/agents')
    browser.wait(lambda: studio.agent_card_image(browser, 'Maya'), 20, 'the agent is gone after signing back in')
    browser.shot('signed-back-in')

    key, secret = app.demo_credentials()  # the operator credentials tool accounts sign with
    assert_nowhere([key, secret], browser)
    assert browser.xss_effects() == {'xss': 0, 'alerts': []}
    assert not app.error_lines(), app.error_lines()
