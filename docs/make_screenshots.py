"""Re-create docs/screenshots/: every studio step and the agents page, at 1280 px and on a 390 px phone.

    .venv/bin/python docs/make_screenshots.py

Starts the app on its embedded sandbox (2 s cover latency) on a free port with a throw-away data
directory, signs in with the sandbox demo, walks the flow in headless Chromium and stops the app again.
Elements are found by their visible text, as a person would (NiceGUI markers never reach the browser).
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

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / 'docs' / 'screenshots'
PHOTO = ROOT / 'tests' / 'fixtures' / 'astronaut.png'
WIDE, PHONE = (1280, 900), (390, 844)
LOOK = [('Age', '26-35'), ('Ethnicity', 'East Asian'), ('Body type', 'Athletic'), ('Hair colour', 'Auburn'),
        ('Hair style', 'Long wavy'), ('Breast size', 'Medium'), ('Butt size', 'Medium')]


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
    def __init__(self, base_url: str) -> None:
        options = webdriver.ChromeOptions()
        options.binary_location = '/usr/bin/chromium'
        for arg in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                    f'--window-size={WIDE[0]},{WIDE[1]}', '--hide-scrollbars', '--force-device-scale-factor=1'):
            options.add_argument(arg)
        self.driver = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=options)
        self.base_url = base_url
        self.size = WIDE

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
        raise SystemExit(f'timed out waiting for {what}')

    def text(self, text: str, seconds: float = 20) -> WebElement:
        xpath = f'//*[normalize-space(text())="{text}"]'
        return self.wait(lambda: next((e for e in self.driver.find_elements(By.XPATH, xpath) if e.is_displayed()),
                                      None), repr(text), seconds)  # type: ignore[return-value]

    def click(self, text: str) -> None:
        element = self.text(text)
        self.driver.execute_script('arguments[0].scrollIntoView({block: "center"})', element)
        element.click()
        time.sleep(0.3)

    def tile(self, category: str, label: str) -> None:
        # The Look step shows one group at a time: open the group by its button, then pick in its (only) grid.
        group = cast(WebElement, self.wait(lambda: next((e for e in self.driver.find_elements(
            By.XPATH, f'//*[contains(@class,"look-group")][.//div[normalize-space(text())="{category}"]]')
            if e.is_displayed()), None), f'the {category} group'))
        group.click()
        xpath = f'//div[contains(@class,"studio-tile")]//div[normalize-space(text())="{label}"]'
        element = cast(WebElement, self.wait(lambda: next(
            (e for e in self.driver.find_elements(By.XPATH, xpath) if e.is_displayed()), None), f'{category}: {label}'))
        self.driver.execute_script('arguments[0].scrollIntoView({block: "center"})', element)
        element.click()
        time.sleep(0.15)

    def step(self, title: str) -> None:
        header = self.wait(lambda: self.driver.find_element(
            By.XPATH, f'//div[contains(@class,"q-stepper__tab")]//div[normalize-space(text())="{title}"]'), title)
        header.click()  # type: ignore[union-attr]
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
        self.driver.save_screenshot(str(OUT / f'{name}.png'))
        if full:
            self.driver.set_window_size(*self.size)
        print('saved', name)

    def quit(self) -> None:
        self.driver.quit()


def walk(shots: Shots) -> None:
    shots.open('/login')
    shots.click('Enter the sandbox demo')
    shots.text('Who are you creating?')
    shots.shot('01-look-gender')
    shots.click('Female')
    shots.text('Hair style')
    for category, label in LOOK:
        shots.tile(category, label)
    shots.shot('02-look-chosen', full=True)

    shots.step('Reference photo')
    shots.shot('03-photo-upload')
    upload = shots.driver.find_element(By.CSS_SELECTOR, 'input[type=file]')
    upload.send_keys(str(PHOTO))
    shots.text('Face found', seconds=30)
    shots.shot('04-photo-face-found')

    shots.step('Cover')
    shots.click('Generate cover')
    shots.text('Generating your cover…')
    time.sleep(0.8)
    shots.shot('05-cover-generating')
    shots.text('Chosen cover', seconds=30)
    time.sleep(1.2)  # let the image load
    shots.shot('06-cover-ready', full=True)

    shots.step('Details')
    name = shots.wait(lambda: shots.driver.find_element(By.XPATH, '//input[@aria-label="Name"]'), 'name input')
    name.send_keys('Mia')  # type: ignore[union-attr]
    time.sleep(0.4)
    shots.driver.find_element(By.XPATH, '//*[@aria-label="Voice"]').click()
    shots.click('Warm')
    shots.click('日本語')
    shots.driver.find_element(By.XPATH, '//*[@aria-label="Personality (optional)"]').click()
    shots.click('Playful')
    shots.driver.find_element(By.TAG_NAME, 'body').click()
    time.sleep(0.5)
    shots.shot('07-details-and-review', full=True)

    shots.step('Create')
    shots.shot('08-create-review', scroll_to='Create agent')
    shots.click('Create agent')
    shots.text('Mia is ready', seconds=30)
    time.sleep(1.0)
    shots.shot('09-created')

    shots.click('See your agents')
    shots.text('Your agents')
    time.sleep(1.5)
    shots.shot('10-agents')
    shots.click('Mia')
    shots.text('agentId')
    time.sleep(0.8)
    shots.shot('11-agent-details')
    shots.driver.find_element(By.TAG_NAME, 'body').send_keys('\ue00c')  # Escape closes the dialog

    shots.resize(PHONE)
    shots.open('/studio')
    shots.text('Mia is ready')
    time.sleep(1.0)
    shots.shot('12-phone-created', full=True)
    shots.click('Create another')
    shots.click('Male')
    shots.text('Hair style')
    time.sleep(1.0)
    shots.shot('13-phone-look', full=True)
    shots.click('Surprise me')
    time.sleep(0.5)
    shots.step('Cover')
    shots.click('Generate again')  # the first character's cover is still in this session's gallery
    shots.text('Generating your cover…')
    time.sleep(3.5)
    shots.shot('14-phone-cover', full=True)
    shots.open('/agents')
    shots.text('Your agents')
    time.sleep(1.5)
    shots.shot('15-phone-agents', full=True)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix='studio-shots-') as tmp:
        port = free_port()
        app = start_app(Path(tmp), port)
        shots = Shots(f'http://127.0.0.1:{port}')
        try:
            walk(shots)
        finally:
            shots.quit()
            app.terminate()
            app.wait(timeout=20)


if __name__ == '__main__':
    main()
