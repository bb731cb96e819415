"""Issue 18 as a newcomer meets it, at 1280 px and on a 390 px phone: the Look step fits the eye with Next always in
reach, the body tiles picture the part chosen, platform field names read as words, the name counter counts what a
person sees, Create has Back and its own review, and the stepper stays complete after the agent is made.

Screenshots of every stage are kept in test-artifacts/browser/<test>/ (look at them: they are the evidence).
"""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from tests.browser import studio
from tests.browser.chrome import Browser
from tests.browser.conftest import OpenBrowser
from tests.support.app_fixtures import StartApp

ASTRONAUT = '\U0001F469\u200D\U0001F680'  # woman astronaut: 1 character, 3 code points, 5 UTF-16 units
WIDTHS = {'desktop': (1280, 900), 'phone': (390, 844)}


def in_view(browser: Browser, element: WebElement) -> bool:
    """Wholly inside the window: nothing of it cut off or a scroll away."""
    return bool(browser.js('const r = arguments[0].getBoundingClientRect();'
                           'return r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight + 1'
                           ' && r.right <= window.innerWidth + 1;', element))


def no_sideways_scroll(browser: Browser) -> bool:
    return bool(browser.js('return document.documentElement.scrollWidth <= window.innerWidth + 1'))


def next_in_reach(browser: Browser, caption: str = 'Next: Reference photo') -> bool:
    return in_view(browser, browser.find_clickable(caption))


def tile_pictures(browser: Browser, grid: WebElement) -> list[str]:
    """A digest of each tile picture's pixels, once all have loaded (what the person sees, not the URL)."""
    images = grid.find_elements(By.CSS_SELECTOR, 'img')
    browser.wait(lambda: images and all(browser.image_loaded(i) for i in images), 15, 'tile pictures did not load')
    return [str(browser.js('''const img = arguments[0], c = document.createElement('canvas');
        c.width = 32; c.height = 32; const g = c.getContext('2d'); g.drawImage(img, 0, 0, 32, 32);
        return Array.from(g.getImageData(0, 0, 32, 32).data).join(',');''', image)) for image in images]


def settled(browser: Browser, name: str) -> None:
    """A screenshot once the stepper's slide and Quasar's transitions are over (they take 0.3 s)."""
    time.sleep(0.6)
    browser.shot(name)


def stepper_done(browser: Browser) -> list[str]:
    """The step titles whose header shows its check mark."""
    return [(tab.text or '').strip() for tab in browser.driver.find_elements(By.CSS_SELECTOR, '.q-stepper__tab')
            if 'q-stepper__tab--done' in (tab.get_attribute('class') or '')]


@pytest.mark.parametrize('width', list(WIDTHS))
def test_a_newcomer_walks_through_the_studio(width: str, start_app: StartApp, open_browser: OpenBrowser) -> None:
    app = start_app(SANDBOX_LATENCY='1')
    browser = open_browser(app.base_url)
    browser.driver.set_window_size(*WIDTHS[width])
    studio.sign_in_demo(browser)
    studio.choose_gender(browser, 'female')
    settled(browser, f'{width}-look-first-group')

    # Eight groups (gender and seven of the look) on one screen: the seven look groups are buttons in a summary
    # row, each saying it is still to choose; Next is on screen without scrolling.
    groups = studio.look_groups(browser)
    assert [g.text.split('\n')[-2].strip() for g in groups] == ['Age', 'Ethnicity', 'Body type', 'Hair colour',
                                                       'Hair style', 'Breast size', 'Butt size']
    assert not any(studio.group_chosen(g) for g in groups)
    assert next_in_reach(browser) and no_sideways_scroll(browser)

    # The size tiles picture the part chosen: every tile of a group a different picture.
    for index, title in ((5, 'Breast size'), (6, 'Butt size'), (2, 'Body type')):
        grid = studio.open_group(browser, index)
        pictures = tile_pictures(browser, grid)
        assert len(set(pictures)) == len(pictures) >= 4, f'{title} tiles look alike'
        assert all(in_view(browser, tile) for tile in grid.find_elements(By.CSS_SELECTOR, '.studio-tile')) \
            or width == 'phone', f'{title} tiles do not fit the window'
        settled(browser, f'{width}-look-{title}')

    # Choosing a first time opens the next group still to choose; the summary says what was chosen.
    grid = studio.open_group(browser, 0)
    grid.find_elements(By.CSS_SELECTOR, '.studio-tile')[1].click()
    browser.wait(lambda: 'look-group-open' in (studio.look_groups(browser)[1].get_attribute('class') or ''), 10,
                 'choosing an age did not open the next group')
    assert studio.look_groups(browser)[0].text.rstrip().endswith('26-35')
    studio.pick_look(browser)
    assert studio.look_is_complete(browser)
    browser.wait_text('All chosen')
    browser.js('window.scrollTo(0, document.body.scrollHeight)')
    assert next_in_reach(browser) and no_sideways_scroll(browser)
    browser.js('window.scrollTo(0, 0)')
    assert next_in_reach(browser)  # the Next bar sticks to the window's bottom at either end of the page
    settled(browser, f'{width}-look-complete')

    studio.go_to_step(browser, 'Cover')
    browser.click('Generate cover')
    browser.wait(lambda: studio.cover_image(browser), 40, 'the cover never arrived')

    # Details: the platform's 'Fetish' reads as words; the counter counts an emoji once.
    studio.go_to_step(browser, 'Details')
    browser.wait_text('Your character so far')
    assert browser.has_text('Interaction style (optional)') and not browser.has_text('Fetish')
    browser.fill('Name', 'Mia ')
    browser.field('Name').click()
    browser.driver.execute_cdp_cmd('Input.insertText', {'text': ASTRONAUT})  # as an emoji keyboard types it
    browser.wait(lambda: browser.field_value('Name') == f'Mia {ASTRONAUT}', 10, 'the emoji did not arrive')
    browser.wait_text('5 / 40')
    browser.choose_first('Voice')
    settled(browser, f'{width}-details')

    # Create: its review is the whole character by step (the Details step showed only the look), with Back.
    studio.go_to_step(browser, 'Create')
    browser.wait_text('Review and create')
    review = browser.text()
    assert 'Interaction style' in review and f'Mia {ASTRONAUT}' in review
    settled(browser, f'{width}-create-review')
    browser.click('Back', exact=True)
    browser.wait_text('Your character so far')
    studio.go_to_step(browser, 'Create')
    browser.click('Create agent')
    browser.wait_text(f'Mia {ASTRONAUT} is ready', timeout=40)
    browser.wait(lambda: len(stepper_done(browser)) == 5, 10,
                 f'the stepper did not stay complete: done are {stepper_done(browser)}')
    assert no_sideways_scroll(browser)
    settled(browser, f'{width}-created')
    assert not app.error_lines(), app.error_lines()
