"""Bad input in a real browser: each gets a clear message, and nothing the person made is lost."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from tests.browser import studio
from tests.browser.chrome import Browser
from tests.browser.conftest import OpenBrowser
from tests.fixtures import bad
from tests.support.app_fixtures import StartApp

PASSWORD = 'kira-correct-horse-42'
NOT_A_PHOTO = re.compile(r'not an image we can read|not a JPEG, PNG or WebP|not supported', re.IGNORECASE)
# The name field holds 40 characters, so these are short; each would bump window.__alerts if it ever ran.
SCRIPT_NAME = '<script>alert(8)</script>'
IMG_NAME = '<img src=x onerror=alert(7)>'


@pytest.fixture(scope='module')
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    where = tmp_path_factory.mktemp('bad-uploads')
    return {
        'not an image named .png': bad.not_an_image(where),
        '25 MB image': bad.huge_image(where),
        'decompression bomb': bad.decompression_bomb(where),
        'truncated PNG': bad.truncated_png(where),
        'SVG': bad.svg_image(where),
        'animated GIF': bad.animated_gif(where),
        'HEIC photo': _heic(where),
    }


def _heic(where: Path) -> Path:
    """What an iPhone's photo starts with (an ISO media file of brand heic); the picker refuses it by type."""
    path = where / 'IMG_0042.HEIC'
    path.write_bytes(b'\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic' + bytes(4096))
    return path


EXPECTED = {
    'not an image named .png': NOT_A_PHOTO,
    # Three refusals the picker used to word the same ("larger than 10 MB or not a JPEG, PNG or WebP").
    '25 MB image': re.compile(r'The file is 2\d\.\d MB; the limit is 10\.0 MB'),
    'decompression bomb': re.compile(r'too many pixels', re.IGNORECASE),
    'truncated PNG': re.compile(r'damaged or incomplete', re.IGNORECASE),
    'SVG': NOT_A_PHOTO,
    'animated GIF': re.compile(r'GIF is not supported: choose a photo in JPEG, PNG or WebP format'),
    'HEIC photo': re.compile(r'HEIC is not supported: export the photo as JPEG'),
}


def done_steps(browser: Browser) -> set[str]:
    return {(tab.text or '').strip().splitlines()[-1] for tab in browser.driver.find_elements(
        By.CSS_SELECTOR, '.q-stepper__tab--done') if (tab.text or '').strip()}


def prepare_character(browser: Browser, name: str) -> None:
    """A complete look, a finished cover, a name and a voice: what a bad upload must not take away."""
    studio.choose_gender(browser, 'female')
    studio.pick_look(browser, choice=1)
    studio.go_to_step(browser, 'Cover')
    browser.click('Generate cover')
    browser.wait(lambda: studio.cover_image(browser), 30, 'the cover did not arrive')
    studio.go_to_step(browser, 'Details')
    browser.fill('Name', name)
    browser.choose_first('Voice')
    browser.wait(lambda: {'Look', 'Cover'} <= done_steps(browser), 10, 'the draft is not complete')


def assert_nothing_lost(browser: Browser, name: str) -> None:
    # Read the content itself: Quasar only ticks steps before the active one, so the ticks prove little here.
    studio.go_to_step(browser, 'Look')
    browser.wait(lambda: studio.look_is_complete(browser), 10, 'the look was lost')
    studio.go_to_step(browser, 'Details')
    browser.wait(lambda: browser.field_value('Name') == name, 10, f'the name {name!r} was lost')
    studio.go_to_step(browser, 'Cover')
    browser.wait(lambda: studio.cover_image(browser), 10, 'the cover was lost')


def test_bad_uploads_get_clear_messages_and_lose_nothing(start_app: StartApp, open_browser: OpenBrowser,
                                                         bad_files: dict[str, Path], tmp_path: Path) -> None:
    app = start_app()
    app.add_user('kira', PASSWORD)
    browser = open_browser(app.base_url)
    studio.sign_in_account(browser, 'kira', PASSWORD)
    prepare_character(browser, 'Kira')
    browser.shot('character-ready')

    for label, path in bad_files.items():
        browser.reload()  # a fresh page, so the message we wait for is this file's and not the last one's
        studio.go_to_step(browser, 'Reference photo')
        browser.wait_text('Add a reference photo', timeout=15)
        studio.upload_photo(browser, path)
        browser.wait_text(EXPECTED[label], timeout=30)
        browser.shot(f'rejected {label}')
        assert not browser.has_text(studio.FACE_FOUND)
        assert_nothing_lost(browser, 'Kira')

    # A good photo whose file name carries dots and HTML: accepted, the name never becomes markup.
    browser.reload()
    studio.go_to_step(browser, 'Reference photo')
    studio.upload_photo(browser, bad.hostile_named_copy(tmp_path))
    browser.wait_text(studio.FACE_FOUND, timeout=30)
    browser.shot('hostile-file-name-accepted')
    assert browser.js('return document.querySelectorAll("img[src=x]").length') == 0
    assert browser.xss_effects() == {'xss': 0, 'alerts': []}
    assert_nothing_lost(browser, 'Kira')
    assert not app.error_lines(), app.error_lines()


def test_names_are_text_never_markup_and_must_be_sensible(start_app: StartApp, open_browser: OpenBrowser) -> None:
    app = start_app()
    app.add_user('kira', PASSWORD)
    browser = open_browser(app.base_url)
    studio.sign_in_account(browser, 'kira', PASSWORD)
    prepare_character(browser, 'Kira')

    browser.fill('Name', '')
    browser.wait_text('A name is required')
    studio.go_to_step(browser, 'Create')
    browser.wait_text('Give your character a name')
    assert browser.js('return arguments[0].disabled || arguments[0].classList.contains("disabled")',
                      browser.find_clickable('Create agent')), 'Create must wait for a name'
    browser.shot('empty-name-refused')

    studio.go_to_step(browser, 'Details')
    browser.fill('Name', 'x' * 500)
    # Not cut short (a pasted name keeps what was typed): the field says the limit.
    browser.wait_text('At most 40 characters', timeout=10)
    assert len(browser.field_value('Name')) == 500
    browser.shot('long-name-refused')

    for hostile in (SCRIPT_NAME, IMG_NAME):
        studio.go_to_step(browser, 'Details')
        browser.fill('Name', hostile)
        studio.go_to_step(browser, 'Create')  # the review there shows the name (Details no longer repeats it)
        browser.wait(lambda h=hostile: h in browser.text(), 10, f'{hostile!r} is not shown as text')
    browser.shot('hostile-name-as-text')
    browser.click('Create agent')
    browser.wait_text(f'{IMG_NAME} is ready', timeout=30)
    browser.shot('hostile-name-created')
    browser.click('See your agents')
    browser.wait(lambda: browser.path.startswith('/agents'), 15, 'did not reach the agents page')
    browser.wait(lambda: IMG_NAME in browser.text(), 20, 'the agent is not listed by its name as text')
    browser.shot('hostile-name-on-agents-page')
    assert browser.js('return document.querySelectorAll("img[src=x]").length') == 0
    assert browser.xss_effects() == {'xss': 0, 'alerts': []}
    assert not app.error_lines(), app.error_lines()


def test_retired_option_and_expired_cover_after_time_away(start_app: StartApp, open_browser: OpenBrowser) -> None:
    """Come back later: an option the catalogue dropped is cleared with a notice; an expired cover says so."""
    app = start_app()
    app.add_user('kira', PASSWORD)
    browser = open_browser(app.base_url)
    studio.sign_in_account(browser, 'kira', PASSWORD)
    prepare_character(browser, 'Kira')
    app.stop()

    # While the studio is down: the platform retires the hair colour she chose, and her cover's 30 minutes pass.
    with sqlite3.connect(app.data_dir / 'studio.sqlite3') as db:
        (data,) = db.execute("SELECT data FROM drafts WHERE owner_id = 'account-kira'").fetchone()
        draft = json.loads(data)
        draft['look']['HairColor'] = 'retired-teal'
        db.execute("UPDATE drafts SET data = ? WHERE owner_id = 'account-kira'", (json.dumps(draft),))
        for job_id, data in db.execute('SELECT id, data FROM jobs').fetchall():
            job = json.loads(data)
            if job.get('kind') == 'cover' and job.get('status') == 'done':
                job['expires_at'] = time.time() - 60
                db.execute('UPDATE jobs SET data = ? WHERE id = ?', (json.dumps(job), job_id))
    app.start()

    browser.open('/studio')  # still signed in: sessions outlive a restart
    if browser.path.startswith('/login'):
        studio.sign_in_account(browser, 'kira', PASSWORD)
    browser.wait_connected()
    # Said on whatever step the page opens on (here Details): the options are checked as the page opens.
    browser.wait_text(re.compile(r'Cleared .*hair colou?r', re.IGNORECASE), timeout=20)
    browser.shot('retired-option-cleared')
    studio.go_to_step(browser, 'Look')  # the cleared group is to choose again
    browser.wait(lambda: studio.look_groups(browser) and not studio.look_is_complete(browser), 15,
                 'the retired hair colour still reads as chosen')
    studio.go_to_step(browser, 'Cover')
    browser.wait_text('Expired', timeout=15)
    browser.shot('cover-expired')
    studio.go_to_step(browser, 'Create')
    browser.wait_text(re.compile(r'cover has expired|complete the look', re.IGNORECASE), timeout=15)
    studio.go_to_step(browser, 'Details')
    browser.wait(lambda: browser.field_value('Name') == 'Kira', 10, 'the name was lost while away')
    assert not app.error_lines(), app.error_lines()
