"""What a person does in the studio, as browser steps: sign in, pick a look, add a photo, generate, fill in, create.

Steps find things by what is on the screen (button captions, field labels); the studio's `.mark()` markers
are server-side only and cannot be seen by a browser.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from tests.browser.chrome import Browser

FIXTURES = Path(__file__).resolve().parent.parent / 'fixtures'
ASTRONAUT = FIXTURES / 'astronaut.png'
COFFEE = FIXTURES / 'coffee.png'
SELECTED_CLASSES = {'selected', 'ring-4'}  # the tile's highlight (was a Tailwind ring, now the theme's class)
# Wording the studio uses when a step is done or a problem is shown; kept here so a rewording breaks one place.
FACE_FOUND = 'Face found'
NO_FACE = 'No face found'
GENERATING = 'Generating your cover'
SIGNED_OUT = re.compile(r'signed out|sign in', re.IGNORECASE)


def _has_tab(browser: Browser, title: str) -> bool:
    """Several ways in are offered as tabs; a single one is shown as a plain card with the same title."""
    return any(title.casefold() in (tab.text or '').casefold()
               for tab in browser.visible(browser.driver.find_elements(By.CSS_SELECTOR, '.q-tab')))


def sign_in_account(browser: Browser, name: str, password: str, *, then: str = '/studio') -> None:
    browser.open(then)
    browser.wait_text('Sign in to build characters')
    if _has_tab(browser, 'Tool account'):
        browser.click('Tool account', exact=True)
    browser.fill('Username', name)
    browser.fill('Password', password)
    browser.click('Sign in', exact=True)
    browser.wait(lambda: not browser.path.startswith('/login'), 20, 'sign-in did not leave the sign-in page')
    browser.wait_connected()


def sign_in_demo(browser: Browser, *, then: str = '/studio') -> None:
    browser.open(then)
    browser.wait_text('Sign in to build characters')
    if _has_tab(browser, 'Sandbox demo'):
        browser.click('Sandbox demo', exact=True)
    browser.click('Enter the sandbox demo')
    browser.wait(lambda: not browser.path.startswith('/login'), 20, 'the demo did not leave the sign-in page')
    browser.wait_connected()


def sign_out(browser: Browser) -> None:
    browser.click('account_circle')  # the account corner's button: its icon, then the person's name
    browser.click('Sign out', exact=True)
    browser.wait(lambda: browser.path.startswith('/login'), 15, 'sign-out did not reach the sign-in page')


def go_to_step(browser: Browser, title: str) -> None:
    """Open a studio step from the stepper header (header-nav), as a person clicks the step titles, and wait until
    it is on screen as a person sees it: drawn (a step is drawn when first shown) and done sliding in."""
    headers = browser.driver.find_elements(By.CSS_SELECTOR, '.q-stepper__tab')
    for header in headers:
        if title.casefold() in (header.text or '').casefold():
            browser.js('arguments[0].click()', header)
            break
    else:
        browser.click(title)
    browser.wait(lambda: step_shown(browser, title), 15, f'the {title} step did not show')


def step_shown(browser: Browser, title: str) -> bool:
    """The step `title` is the active one, its content is drawn and visible, and no step is sliding."""
    return bool(browser.js('''
        const title = arguments[0].toLowerCase();
        const active = [...document.querySelectorAll('.q-stepper__tab--active')]
            .some(tab => (tab.innerText || '').toLowerCase().includes(title));
        if (!active) return false;
        if (document.querySelector('.q-stepper [class*="q-transition--"][class*="-active"]')) return false;
        return [...document.querySelectorAll('.studio-step-body')]
            .some(body => body.offsetParent !== null && body.children.length > 0);
    ''', title))


def choose_gender(browser: Browser, gender: str) -> None:
    browser.wait_text('Who are you creating?', timeout=15)
    label = gender.capitalize()
    tiles = browser.wait(lambda: [t for t in browser.visible(browser.driver.find_elements(
        By.CSS_SELECTOR, '.studio-tile')) if (t.text or '').strip().endswith(label)], 10, f'no {label} tile')
    tiles[0].click()
    browser.wait(lambda: look_grids(browser), 20, f'the {gender} options did not load')


def look_grids(browser: Browser) -> list[WebElement]:
    """The grids of option tiles on screen: the open look group's (one, once a group switch has faded)."""
    return [grid for grid in browser.visible(browser.driver.find_elements(By.CSS_SELECTOR, 'div.grid'))
            if grid.find_elements(By.CSS_SELECTOR, '.studio-tile')]


def look_groups(browser: Browser) -> list[WebElement]:
    """The look's group buttons (Age, Ethnicity, ...), each showing its chosen label or 'Choose'."""
    return browser.visible(browser.driver.find_elements(By.CSS_SELECTOR, '.look-group'))


LOOK_TO_CHOOSE = 'Choose'  # what a look group's button says under its title until something is chosen


def group_chosen(group: WebElement, to_choose: str = LOOK_TO_CHOOSE) -> bool:
    """`to_choose`: the caption in the page's language ('待选择' in Chinese)."""
    return not (group.text or '').rstrip().endswith(to_choose)


def open_group(browser: Browser, index: int) -> WebElement:
    """Open the index-th look group, as a person clicks its button; returns its one grid of tiles."""
    group = look_groups(browser)[index]
    browser.js('arguments[0].scrollIntoView({block: "center"})', group)
    group.click()
    browser.wait(lambda: 'look-group-open' in (look_groups(browser)[index].get_attribute('class') or ''), 10,
                 'the look group did not open')
    grids = browser.wait(lambda: (lambda g: g if len(g) == 1 else None)(look_grids(browser)), 10,
                         'the open group shows no single grid of tiles')
    return grids[0]


def _group_chosen_at(browser: Browser, index: int, to_choose: str = LOOK_TO_CHOOSE) -> bool:
    return group_chosen(look_groups(browser)[index], to_choose)


def pick_look(browser: Browser, *, choice: int = 0, to_choose: str = LOOK_TO_CHOOSE) -> int:
    """Pick the `choice`-th tile of every look group that has none picked; returns how many groups there are."""
    groups = look_groups(browser)
    for index in range(len(groups)):
        if group_chosen(look_groups(browser)[index], to_choose):
            continue
        grid = open_group(browser, index)
        tiles = grid.find_elements(By.CSS_SELECTOR, '.studio-tile')
        tile = tiles[min(choice, len(tiles) - 1)]
        browser.js('arguments[0].scrollIntoView({block: "center"})', tile)
        tile.click()
        chosen = functools.partial(_group_chosen_at, browser, index, to_choose)
        try:
            browser.wait(chosen, 4, 'a tile did not get selected')
        except AssertionError:
            # Under a busy CPU the first click sometimes lands while the page is still scrolling; a person
            # would simply click again. A second miss is a real failure.
            grid = open_group(browser, index)
            grid.find_elements(By.CSS_SELECTOR, '.studio-tile')[min(choice, len(tiles) - 1)].click()
            browser.wait(chosen, 10, 'a tile did not get selected, even on a second click')
    return len(groups)


def look_is_complete(browser: Browser) -> bool:
    groups = look_groups(browser)
    return bool(groups) and all(group_chosen(g) for g in groups)


def is_selected(tile: WebElement) -> bool:
    return bool(SELECTED_CLASSES & set((tile.get_attribute('class') or '').split()))


def upload_photo(browser: Browser, path: Path) -> None:
    browser.upload(path)


def cover_image(browser: Browser) -> WebElement | None:
    """A cover (or photo) served by the app's /media route that has really loaded (naturalWidth > 0), else None."""
    for image in browser.visible(browser.driver.find_elements(By.CSS_SELECTOR, '.q-img img, img')):
        src = image.get_attribute('src') or ''
        if '/media/' in src and browser.image_loaded(image):
            return image
    return None


def agent_card_image(browser: Browser, name: str) -> WebElement | None:
    """The cover <img> on the agents-page card that carries `name`, if it has really loaded."""
    literal = "'" + name + "'" if "'" not in name else '"' + name + '"'
    cards = browser.visible(browser.driver.find_elements(
        By.XPATH, f"//*[contains(@class,'q-card')][.//*[normalize-space()={literal}]]"))
    for card in cards:
        for image in card.find_elements(By.TAG_NAME, 'img'):
            if browser.image_loaded(image):
                return image
    return None
