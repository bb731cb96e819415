"""Re-create docs/screenshots/: every studio step and the agents page, at 1280 px and on a 390 px phone, in
English (docs/screenshots/) and Chinese (docs/screenshots/zh/).

    .venv/bin/python docs/make_screenshots.py [en|zh|ja ...]

Starts the app on its embedded sandbox (2 s cover latency) on a free port with a throw-away data
directory, signs in with the sandbox demo, walks the flow in headless Chromium and stops the app again.
Elements are found by their visible text, as a person would (NiceGUI markers never reach the browser), in the
walk's language through the app's own catalogs; option tiles by their place, since their labels come from the
platform in the language chosen.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import httpx
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from services.core.i18n import translations  # the app's own catalogs, for the walk's words

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / 'docs' / 'screenshots'
PHOTO = ROOT / 'tests' / 'fixtures' / 'astronaut.png'
WIDE, PHONE = (1280, 900), (390, 844)
# (group, tile) by place: age 26-35, East Asian, athletic, auburn, long wavy, medium, medium (sandbox order).
LOOK = [(0, 1), (1, 0), (2, 1), (3, 6), (4, 1), (5, 1), (6, 1)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def start_app(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, 'SANDBOX_LATENCY': '2', 'STUDIO_PORT': str(port), 'STUDIO_HOST': '127.0.0.1',
           'STUDIO_DATA_DIR': str(data_dir)}
    for name in ('PLATFORM_BASE_URL', 'PLATFORM_API_KEY', 'PLATFORM_API_SECRET', 'STUDIO_AUTH_MODES'):
        env.pop(name, None)
    process = subprocess.Popen([sys.executable, 'main.py'], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=open(data_dir / 'app.log', 'wb'))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f'http://127.0.0.1:{port}/login', timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.3)
    process.terminate()
    raise SystemExit(f'the app did not start; see {data_dir / "app.log"}')


class Shots:
    def __init__(self, base_url: str, language: str) -> None:
        options = webdriver.ChromeOptions()
        options.binary_location = '/usr/bin/chromium'
        browser_language = {'zh': 'zh-CN', 'ja': 'ja-JP'}.get(language, 'en-US')
        for arg in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                    f'--window-size={WIDE[0]},{WIDE[1]}', '--hide-scrollbars', '--force-device-scale-factor=1',
                    f'--lang={browser_language}'):
            options.add_argument(arg)
        # The page follows the browser's Accept-Language before anyone signs in, as a visitor's would.
        options.add_experimental_option('prefs', {'intl.accept_languages': browser_language})
        self.driver = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=options)
        self.base_url = base_url
        self.size = WIDE
        self.t = translations(language).gettext
        self.out = OUT if language == 'en' else OUT / language
        self.out.mkdir(parents=True, exist_ok=True)

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def wait(self, condition: Callable[[], object], what: str, seconds: float = 20) -> object:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                result = condition()
                if result:
                    return result
            except WebDriverException:
                pass
            time.sleep(0.15)
        failed = Path(tempfile.gettempdir()) / 'studio-shots-failed.png'
        self.driver.save_screenshot(str(failed))
        raise SystemExit(f'timed out waiting for {what} (the page as it was: {failed})')

    def text(self, text: str, seconds: float = 20) -> WebElement:
        xpath = f'//*[normalize-space(text())="{text}"]'
        return self.wait(lambda: next((e for e in self.driver.find_elements(By.XPATH, xpath) if e.is_displayed()),
                                      None), repr(text), seconds)  # type: ignore[return-value]

    def has(self, text: str) -> bool:
        return any(e.is_displayed() for e in self.driver.find_elements(
            By.XPATH, f'//*[normalize-space(text())="{text}" or normalize-space(.)="{text}"]'))

    def placeholder(self, text: str) -> None:
        self.wait(lambda: self.driver.find_elements(By.XPATH, f'//input[@placeholder="{text}"]'), repr(text))

    def choose_first(self, label: str) -> None:
        """Open the select labelled `label` and take its first option."""
        field = cast(WebElement, self.wait(lambda: next((e for e in self.driver.find_elements(
            By.XPATH, f'//label[contains(@class,"q-field")][.//div[contains(@class,"q-field__label")]'
                      f'[normalize-space(text())="{label}"]]') if e.is_displayed()), None), label))
        field.click()
        option = cast(WebElement, self.wait(lambda: next((e for e in self.driver.find_elements(
            By.CSS_SELECTOR, '.q-menu .q-item') if e.is_displayed()), None), f'an option of {label}'))
        option.click()
        time.sleep(0.3)
        self.driver.find_element(By.TAG_NAME, 'body').send_keys('\ue00c')

    def click(self, text: str) -> None:
        element = self.text(text)
        self.driver.execute_script('arguments[0].scrollIntoView({block: "center"})', element)
        element.click()
        time.sleep(0.3)

    def tile(self, group: int, tile: int) -> None:
        # The Look step shows one group at a time: open the group by its button, then pick in its (only) grid.
        def nth(css: str, index: int) -> WebElement | None:
            shown = [e for e in self.driver.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]
            return shown[index] if len(shown) > index else None

        button = cast(WebElement, self.wait(lambda: nth('.look-group', group), f'look group {group}'))
        button.click()
        time.sleep(0.3)
        element = cast(WebElement, self.wait(lambda: nth('.q-tab-panels .studio-tile', tile),  # not the gender tiles
                                            f'tile {tile} of group {group}'))
        self.driver.execute_script('arguments[0].scrollIntoView({block: "center"})', element)
        element.click()
        time.sleep(0.3)

    def step(self, index: int) -> None:
        """Open the stepper's step by its place (0 Look … 4 Create)."""
        header = cast(WebElement, self.wait(lambda: self.driver.find_elements(
            By.CSS_SELECTOR, '.q-stepper__tab')[index], f'step {index}'))
        header.click()
        time.sleep(0.6)

    def resize(self, size: tuple[int, int]) -> None:
        self.size = size
        self.driver.set_window_size(*size)
        time.sleep(0.5)

    def shot(self, name: str, *, full: bool = False, scroll_to: str | None = None) -> None:
        if scroll_to:
            self.driver.execute_script('arguments[0].scrollIntoView({block: "end"})', self.text(scroll_to))
        else:
            self.driver.execute_script('window.scrollTo(0, 0)')
        time.sleep(0.4)
        if full:
            height = self.driver.execute_script('return document.documentElement.scrollHeight')
            self.driver.set_window_size(self.size[0], min(int(height) + 20, 3200))
            time.sleep(0.6)
        self.driver.save_screenshot(str(self.out / f'{name}.png'))
        if full:
            self.driver.set_window_size(*self.size)
        print('saved', name)

    def quit(self) -> None:
        self.driver.quit()


def walk(shots: Shots) -> None:
    t = shots.t
    shots.open('/login')
    shots.click(t('Enter the sandbox demo'))
    shots.text(t('Who are you creating?'))
    shots.shot('01-look-gender')
    shots.click(t('Female'))
    for group, tile in LOOK:
        shots.tile(group, tile)
    shots.shot('02-look-chosen', full=True)

    shots.step(1)  # Reference photo
    shots.shot('03-photo-upload')
    upload = shots.driver.find_element(By.CSS_SELECTOR, 'input[type=file]')
    upload.send_keys(str(PHOTO))
    shots.text(t('Face found'), seconds=30)
    shots.shot('04-photo-face-found')

    shots.step(2)  # Cover
    shots.click(t('Generate cover'))
    shots.text(t('Generating your cover…'))
    time.sleep(0.8)
    shots.shot('05-cover-generating')
    shots.text(t('Chosen cover'), seconds=30)
    time.sleep(1.2)  # let the image load
    shots.shot('06-cover-ready', full=True)

    shots.step(3)  # Details
    name = shots.wait(lambda: next((e for e in shots.driver.find_elements(By.CSS_SELECTOR, '.q-stepper input')
                                   if e.is_displayed()), None), 'name input')
    name.send_keys('Mia')  # type: ignore[attr-defined]
    time.sleep(0.4)
    shots.choose_first(t('Voice'))
    shots.shot('07-details', full=True)

    shots.step(4)  # Create
    shots.shot('08-create-review', scroll_to=t('Create agent'))
    shots.click(t('Create agent'))
    shots.wait(lambda: shots.has(t('See your agents')), 'the agent created', 30)
    time.sleep(1.0)
    shots.shot('09-created')

    shots.click(t('See your agents'))
    shots.placeholder(t('Search by name'))
    time.sleep(1.5)
    shots.shot('10-agents')
    shots.click('Mia')
    shots.text(t('For integrators'))
    time.sleep(0.8)
    shots.shot('11-agent-details')
    shots.driver.find_element(By.TAG_NAME, 'body').send_keys('\ue00c')  # Escape closes the dialog

    shots.resize(PHONE)
    shots.open('/studio')
    shots.wait(lambda: shots.has(t('Create another')), 'the created agent', 30)
    time.sleep(1.0)
    shots.shot('12-phone-created', full=True)
    shots.click(t('Create another'))
    shots.click(t('Male'))
    time.sleep(1.0)
    shots.shot('13-phone-look', full=True)
    shots.click(t('Surprise me'))
    time.sleep(0.5)
    shots.step(2)
    shots.click(t('Generate again'))  # the first character's cover is still in this session's gallery
    shots.text(t('Generating your cover…'))
    time.sleep(3.5)
    shots.shot('14-phone-cover', full=True)
    shots.open('/agents')
    shots.placeholder(t('Search by name'))
    time.sleep(1.5)
    shots.shot('15-phone-agents', full=True)


def main() -> None:
    for language in sys.argv[1:] or ['en', 'zh']:
        with tempfile.TemporaryDirectory(prefix='studio-shots-') as tmp:
            port = free_port()
            app = start_app(Path(tmp), port)
            shots = Shots(f'http://127.0.0.1:{port}', language)
            try:
                walk(shots)
            finally:
                shots.quit()
                app.terminate()
                app.wait(timeout=20)


if __name__ == '__main__':
    main()
