"""Variations and Compare in a real browser (issue 17 items 1 and 2), at 1280 px and on a 390 px phone: generate
two like this, compare covers side by side (a row to swipe on the phone), keep one, find the others under
Dismissed. The reference-photo drop zone (issue 18 item 2) is looked at on the way."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from tests.browser import studio
from tests.browser.chrome import Browser
from tests.browser.conftest import OpenBrowser
from tests.support.app_fixtures import StartApp

PASSWORD = 'tess-correct-horse-42'
WIDTHS = {'desktop': (1280, 1000), 'phone': (390, 844)}


def panels(browser: Browser) -> list[dict[str, float]]:
    """The compared covers' boxes on screen, in page order."""
    return list(browser.js('''
        return Array.from(document.querySelectorAll('.studio-compare-panel')).map(p => {
            const r = p.getBoundingClientRect(); return {x: r.left, y: r.top, width: r.width, height: r.height};
        });'''))


def drop_file(browser: Browser, path: Path) -> None:
    """Drag `path` onto the drop zone and let go, as a person drags a file from their desktop."""
    data = base64.b64encode(path.read_bytes()).decode()
    browser.js('''
        const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], arguments[1], {type: 'image/png'}));
        const zone = document.querySelector('.studio-drop');
        zone.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: transfer}));
        return new Promise(resolve => setTimeout(() => {
            const target = zone.querySelector('.q-uploader__dnd') || zone;
            target.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: transfer}));
            resolve(true);
        }, 100));''', data, path.name)


def cover_count(browser: Browser) -> int:
    """How many finished covers the gallery lists (its heading counts them)."""
    for element in browser.driver.find_elements(By.XPATH, "//*[starts-with(normalize-space(), 'Covers from this')]"):
        text = (element.text or '').strip()
        if text.endswith(')') and '(' in text:
            return int(text.rsplit('(', 1)[1].rstrip(')'))
    return 0


@pytest.mark.parametrize('width', list(WIDTHS))
def test_variations_then_compare_keep_one(start_app: StartApp, open_browser: OpenBrowser, width: str) -> None:
    app = start_app(SANDBOX_LATENCY='2', STUDIO_MAX_COVERS_PER_USER='2')
    app.add_user('tess', PASSWORD)
    browser = open_browser(app.base_url)
    browser.driver.set_window_size(*WIDTHS[width])
    studio.sign_in_account(browser, 'tess', PASSWORD)
    studio.choose_gender(browser, 'female')
    studio.pick_look(browser)
    browser.click('Next: Reference photo')

    # The drop zone: the studio's own words, no stock bar, no empty box, one way on without a photo.
    browser.wait_text('Drop a photo here, or click to choose one')
    browser.wait_text('JPEG, PNG or WebP, up to 10 MB')
    browser.wait_text('What works best')
    assert not browser.has_text('0.00%') and not browser.has_text('Skip: no reference photo')
    assert not browser.has_text('Next: Cover')
    time.sleep(0.6)  # the stepper slides the step in
    browser.shot(f'{width}-photo-drop-zone')
    if width == 'desktop':
        # A slow line (200 kB/s up) makes the upload last long enough to see its progress, with the file's name.
        browser.driver.execute_cdp_cmd('Network.emulateNetworkConditions', {
            'offline': False, 'latency': 20, 'downloadThroughput': 5_000_000, 'uploadThroughput': 200_000})
        # A click anywhere on the zone lands on its file input (what opens the chooser).
        assert browser.js('''const r = document.querySelector('.studio-drop-face').getBoundingClientRect();
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return hit.tagName === 'INPUT' && hit.type === 'file';''')
        drop_file(browser, studio.ASTRONAUT)
        browser.wait_text('Uploading astronaut.png', timeout=10)
        browser.shot(f'{width}-photo-uploading')
        browser.driver.execute_cdp_cmd('Network.emulateNetworkConditions', {
            'offline': False, 'latency': 0, 'downloadThroughput': -1, 'uploadThroughput': -1})
        browser.wait_text(studio.FACE_FOUND, timeout=30)
        browser.wait_text('astronaut.png · 512×512 pixels')
        assert not browser.has_text('astronaut.jpg') and not browser.has_text('Uploading')
        browser.shot(f'{width}-photo-checked')
        browser.click('Remove photo')
    browser.click('Continue without a photo')

    browser.click('Generate cover', timeout=15)
    browser.wait(lambda: studio.cover_image(browser), 40, 'the first cover never arrived')
    browser.wait_text('then it expires and you need a new cover', timeout=10)
    assert not browser.has_text('Regenerate') and not browser.has_text('Generate another')
    assert not browser.driver.find_elements(By.CSS_SELECTOR, '.q-notification')  # nothing over the preview
    browser.shot(f'{width}-cover-ready')

    browser.click('Generate 2 like this')
    browser.wait(lambda: len(browser.visible(browser.driver.find_elements(
        By.XPATH, "//*[normalize-space()='Generating your cover…']"))) == 2, 10, 'two generations did not start')
    browser.shot(f'{width}-two-variations-running')
    browser.wait(lambda: cover_count(browser) == 3, 60, 'the two variations did not arrive')
    browser.wait_no_text('Generating your cover…', timeout=30)

    browser.click('Compare covers')
    browser.wait_text('Tap the covers to compare')
    for index in range(3):
        # Found again each time: a tick redraws the gallery.
        thumbs = browser.wait(lambda: browser.visible(browser.driver.find_elements(
            By.CSS_SELECTOR, '.studio-tile')), 10, 'no cover thumbnails')
        browser.js('arguments[0].scrollIntoView({block: "center"})', thumbs[index])
        thumbs[index].click()
        browser.wait_text(f'{index + 1} of 2 to 4 chosen', timeout=10)
    browser.click('Show side by side')
    browser.wait_text('Comparing 3 covers', timeout=10)
    browser.wait(lambda: len(panels(browser)) == 3, 10, 'three panels were not shown')
    browser.wait(lambda: all(studio.cover_image(browser) is not None for _ in [0]), 20, 'compare images')
    boxes = panels(browser)
    if width == 'desktop':
        # Side by side: one row, each large.
        assert len({round(box['y']) for box in boxes}) == 1, boxes
        assert all(box['width'] >= 250 for box in boxes), boxes
    else:
        # A row to swipe: each panel nearly the row's width, all in one row, the next one starting at the edge.
        row = browser.js("return document.querySelector('.studio-compare-panel').parentElement"
                         ".getBoundingClientRect().width")
        assert all(box['width'] >= 0.8 * row for box in boxes), (row, boxes)
        assert len({round(box['y']) for box in boxes}) == 1, boxes
        assert boxes[1]['x'] >= boxes[0]['x'] + 0.8 * row and boxes[1]['x'] + boxes[1]['width'] > 390, boxes
        assert browser.has_text('Swipe sideways to see every cover')
    browser.shot(f'{width}-compare-three')
    if width == 'phone':
        row = browser.driver.find_element(By.CSS_SELECTOR, '.studio-compare-panel').find_element(By.XPATH, '..')
        browser.js('arguments[0].scrollBy({left: arguments[0].clientWidth, behavior: "instant"})', row)
        browser.wait(lambda: panels(browser)[1]['x'] < 100, 5, 'swiping did not bring the next cover into view')
        browser.shot(f'{width}-compare-swiped')

    keep = browser.wait(lambda: browser.visible(browser.driver.find_elements(
        By.XPATH, "//button[.//*[normalize-space()='Keep this one']]")), 10, 'no Keep button')
    browser.js('arguments[0].scrollIntoView({block: "center"})', keep[1])
    keep[1].click()
    browser.wait_text('Dismissed (2)', timeout=10)
    browser.wait_text('Chosen cover', timeout=10)
    assert cover_count(browser) == 1
    browser.shot(f'{width}-kept-one')
    assert not app.error_lines(), app.error_lines()
