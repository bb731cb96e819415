"""Headless Debian Chromium driven by Selenium, with everything the browser received kept for the leak audit.

Finds things the way a person does — by the text on buttons and the labels of fields — because NiceGUI's
`.mark()` markers exist only on the server and never reach the DOM.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from selenium import webdriver
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    JavascriptException,
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

T = TypeVar('T')

CHROMIUM_CANDIDATES = ('/usr/bin/chromium', '/usr/bin/chromium-browser')
CHROMEDRIVER_CANDIDATES = ('/usr/bin/chromedriver',)
INSTALL_HINT = 'install them with: sudo apt-get install chromium chromium-driver'

# Runs before any page script: dialogs are counted instead of blocking the driver, so an XSS that calls
# alert() is recorded as a fact a test can assert on rather than surfacing as an unrelated driver error.
_DIALOG_TRAP = '''
(() => {
  window.__alerts = [];
  for (const name of ['alert', 'confirm', 'prompt']) {
    window[name] = (message) => { window.__alerts.push(name + ':' + String(message)); return null; };
  }
})();
'''


def find_executable(candidates: tuple[str, ...], name: str) -> str | None:
    for candidate in candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which(name)


def chromium_paths() -> tuple[str | None, str | None]:
    return (find_executable(CHROMIUM_CANDIDATES, 'chromium'),
            find_executable(CHROMEDRIVER_CANDIDATES, 'chromedriver'))


@dataclass
class Traffic:
    """What the browser sent and received, as text, for "the secret appears nowhere" assertions."""

    urls: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    bodies: dict[str, str] = field(default_factory=dict)  # url + request id -> response body
    frames_received: list[str] = field(default_factory=list)
    frames_sent: list[str] = field(default_factory=list)
    responses: list[tuple[int, str]] = field(default_factory=list)  # (status, url)

    def everything(self) -> Iterator[tuple[str, str]]:
        """(where, text) pairs; `where` names the place for a helpful failure message."""
        for url in self.urls:
            yield 'request URL', url
        for header in self.headers:
            yield 'HTTP headers', header
        for where, body in self.bodies.items():
            yield f'response body of {where}', body
        for frame in self.frames_received:
            yield 'websocket frame received', frame
        for frame in self.frames_sent:
            yield 'websocket frame sent', frame

    def received_count(self) -> int:
        return len(self.bodies) + len(self.frames_received)


class Browser:
    """One Chromium with a fresh profile; tabs, screenshots and traffic capture."""

    def __init__(self, chromium: str, chromedriver: str, profile_dir: Path, artifacts: Path, base_url: str,
                 *, window: tuple[int, int] = (1280, 1000), language: str = 'en-US,en') -> None:
        options = webdriver.ChromeOptions()
        # What the browser asks for in Accept-Language (the studio's language before anyone chooses one).
        options.add_experimental_option('prefs', {'intl.accept_languages': language})
        options.add_argument(f'--lang={language.split(",")[0]}')
        options.binary_location = chromium
        for argument in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                         '--disable-background-networking', '--disable-component-update', '--disable-sync',
                         '--no-first-run', '--disable-extensions', '--disable-default-apps',
                         '--password-store=basic', f'--user-data-dir={profile_dir}',
                         f'--window-size={window[0]},{window[1]}'):
            options.add_argument(argument)
        options.set_capability('goog:loggingPrefs', {'performance': 'ALL', 'browser': 'ALL'})
        options.add_experimental_option('perfLoggingPrefs', {'enableNetwork': True, 'enablePage': False})
        self.driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
        self.driver.set_page_load_timeout(30)
        self.driver.execute_cdp_cmd('Network.enable', {'maxTotalBufferSize': 200_000_000,
                                                       'maxResourceBufferSize': 50_000_000})
        self.driver.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument', {'source': _DIALOG_TRAP})
        # Chromium builds Accept-Language from its UI language, whatever the profile says: set the header itself.
        self.driver.execute_cdp_cmd('Network.setUserAgentOverride', {
            'userAgent': self.driver.execute_script('return navigator.userAgent'), 'acceptLanguage': language})
        self.base_url = base_url.rstrip('/')
        self.artifacts = artifacts
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.steps = 0
        self.traffic = Traffic()
        self.console: list[dict[str, Any]] = []

    # ----- navigation and tabs -----

    def open(self, path: str = '/', *, wait_for: str | None = None, timeout: float = 20) -> None:
        self.driver.get(self.base_url + path if path.startswith('/') else path)
        self.wait_connected(timeout)
        if wait_for:
            self.wait_text(wait_for, timeout=timeout)

    def reload(self, timeout: float = 20) -> None:
        self.collect()  # bodies of the old page can no longer be fetched once it is gone
        self.driver.refresh()
        self.wait_connected(timeout)

    def wait_connected(self, timeout: float = 20) -> None:
        """Until NiceGUI's page has mounted and its websocket is up (before that, clicks go nowhere)."""
        self.wait(lambda: self.js('return !!(window.socket && window.socket.connected && window.did_handshake)'),
                  timeout,
                  'the page never connected its websocket')

    def new_tab(self, path: str = '/') -> str:
        self.driver.switch_to.new_window('tab')
        self.open(path)
        return self.driver.current_window_handle

    def switch_to(self, handle: str) -> None:
        self.driver.switch_to.window(handle)

    @property
    def path(self) -> str:
        url = self.driver.current_url
        return url[len(self.base_url):] if url.startswith(self.base_url) else url

    # ----- waiting and finding -----

    # `T | None` in, `T` out: it returns only once `condition` gives something truthy, so callers need no check.
    def wait(self, condition: Callable[[], T | None], timeout: float = 10, message: str = 'condition not met') -> T:
        def attempt(_: object) -> T | bool:
            try:
                return condition() or False
            except (NoSuchElementException, StaleElementReferenceException, JavascriptException):
                return False
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.15).until(attempt)  # type: ignore[return-value]
        except TimeoutException:
            self.shot('timeout')
            raise AssertionError(f'{message} (after {timeout:g}s); page text:\n{self.text()[:3000]}') from None

    def text(self) -> str:
        try:
            return str(self.js('return document.body ? document.body.innerText : ""'))
        except WebDriverException:
            return ''

    def has_text(self, text: str | re.Pattern[str]) -> bool:
        # innerText is what is on screen, including Quasar's upper-casing of buttons: compare ignoring case.
        body = self.text()
        return bool(text.search(body)) if isinstance(text, re.Pattern) else text.casefold() in body.casefold()

    def wait_text(self, text: str | re.Pattern[str], timeout: float = 10) -> None:
        self.wait(lambda: self.has_text(text), timeout, f'text {getattr(text, "pattern", text)!r} did not appear')

    def wait_no_text(self, text: str | re.Pattern[str], timeout: float = 10) -> None:
        self.wait(lambda: not self.has_text(text), timeout, f'text {getattr(text, "pattern", text)!r} stayed')

    def wait_any_text(self, *texts: str | re.Pattern[str], timeout: float = 10) -> str | re.Pattern[str]:
        shown = self.wait(lambda: next((t for t in texts if self.has_text(t)), None), timeout,
                          f'none of {texts!r} appeared')
        # The cast because mypy solves `T` as the join of str and Pattern (object), not their union.
        return cast('str | re.Pattern[str]', shown)

    def visible(self, elements: list[WebElement]) -> list[WebElement]:
        shown = []
        for element in elements:
            with contextlib.suppress(StaleElementReferenceException):
                if element.is_displayed():
                    shown.append(element)
        return shown

    def find_clickable(self, text: str, *, exact: bool = False) -> WebElement:
        """A visible button, link, tab, radio, checkbox or menu item whose own text (or aria-label) is `text`."""
        literal = _xpath_literal(text)
        match = f'normalize-space()={literal}' if exact else f'contains(normalize-space(), {literal})'
        roles = ("self::button or self::a or @role='button' or @role='tab' or @role='radio' or @role='checkbox' "
                 "or @role='option' or @role='menuitem' or contains(@class,'q-item') or contains(@class,'q-chip') "
                 "or contains(@class,'q-btn') or contains(@class,'q-radio') or contains(@class,'q-checkbox') "
                 "or contains(@class,'q-toggle') or contains(@class,'q-tab') or contains(@class,'q-card')")
        candidates = self.driver.find_elements(
            By.XPATH, f'//*[({roles}) and ({match} or @aria-label={literal} or @title={literal})]')
        shown = self.visible(candidates)
        if not shown:
            raise NoSuchElementException(f'nothing clickable reads {text!r}')
        # The innermost match is the control itself rather than a card around it.
        return min(shown, key=lambda el: len(el.text or ''))

    def enabled(self, element: WebElement) -> bool:
        return not self.js('const e = arguments[0]; return e.disabled || e.getAttribute("aria-disabled") === "true"'
                           ' || e.classList.contains("disabled") || e.classList.contains("q-btn--disabled")',
                           element)

    def click(self, text: str, *, exact: bool = False, timeout: float = 10) -> None:
        """Click the control reading `text` once it is there and enabled, as a person waits for a grey button."""
        def ready() -> WebElement | None:
            element = self.find_clickable(text, exact=exact)
            return element if self.enabled(element) else None
        element = self.wait(ready, timeout, f'no enabled clickable {text!r}')
        self.js('arguments[0].scrollIntoView({block: "center"})', element)
        try:
            element.click()
        except WebDriverException:  # covered by a tooltip or a transition: a person would click through it
            self.js('arguments[0].click()', element)

    def click_within(self, context: str, text: str, *, timeout: float = 10) -> None:
        """Click the button reading `text` inside the smallest box that also reads `context` (e.g. an alert)."""
        txt = _xpath_literal(text)

        def find() -> WebElement | None:
            buttons = self.visible(self.driver.find_elements(
                By.XPATH, f"//*[contains(@class,'q-btn') and contains(normalize-space(), {txt})]"))
            scored = []
            for button in buttons:
                box = self.js('''let e = arguments[0].parentElement;
                    while (e && !e.innerText.includes(arguments[1])) e = e.parentElement;
                    return e ? e.innerText.length : null;''', button, context)
                if box is not None and self.enabled(button):
                    scored.append((box, button))
            return min(scored, key=lambda pair: pair[0])[1] if scored else None

        button = self.wait(find, timeout, f'no {text!r} button near {context!r}')
        self.js('arguments[0].scrollIntoView({block: "center"})', button)
        try:
            button.click()
        except ElementClickInterceptedException:
            # A notice sliding in over it (or the page still settling after the scroll): a person would wait a
            # moment and press again.
            time.sleep(1.0)
            self.js('arguments[0].scrollIntoView({block: "center"})', button)
            button.click()

    def field(self, label: str) -> WebElement:
        """The input or textarea of the Quasar field labelled `label` (or with that placeholder/aria-label)."""
        literal = _xpath_literal(label)
        queries = (
            f"//label[.//*[contains(@class,'q-field__label') and normalize-space()={literal}]]//*[self::input or "
            f'self::textarea]',
            f"//label[.//*[contains(@class,'q-field__label') and contains(normalize-space(), {literal})]]"
            f'//*[self::input or self::textarea]',
            f'//*[(self::input or self::textarea) and (@placeholder={literal} or @aria-label={literal})]',
        )
        for query in queries:
            shown = [el for el in self.visible(self.driver.find_elements(By.XPATH, query))
                     if el.get_attribute('type') != 'file']
            if shown:
                return shown[0]
        raise NoSuchElementException(f'no field labelled {label!r}')

    def fill(self, label: str, value: str, *, timeout: float = 10) -> None:
        element = self.wait(lambda: self.field(label), timeout, f'no field labelled {label!r}')
        element.click()
        element.send_keys(Keys.CONTROL, 'a', Keys.NULL, Keys.BACKSPACE)  # a person's way to clear; Vue sees it
        if value:
            element.send_keys(value)
        # NiceGUI sends the value on input events; blur makes sure "on change" handlers fire as well.
        self.js('arguments[0].blur()', element)

    def field_value(self, label: str, *, timeout: float = 10) -> str:
        # Sections are redrawn as data arrives; read from whichever element is there once it settles.
        return str(self.wait(lambda: [self.field(label).get_attribute('value') or ''], timeout,
                             f'no field labelled {label!r}')[0])

    def field_box(self, label: str) -> WebElement:
        """The whole Quasar field (input, select, ...) whose floating label reads `label`."""
        literal = _xpath_literal(label)
        for match in (f'normalize-space()={literal}', f'starts-with(normalize-space(), {literal})'):
            shown = self.visible(self.driver.find_elements(
                By.XPATH, f"//label[contains(@class,'q-field')][.//*[contains(@class,'q-field__label') and {match}]]"))
            if shown:
                return shown[0]
        raise NoSuchElementException(f'no field labelled {label!r}')

    def _open_select(self, label: str, timeout: float) -> list[WebElement]:
        box = self.wait(lambda: self.field_box(label), timeout, f'no select labelled {label!r}')
        self.js('arguments[0].scrollIntoView({block: "center"})', box)
        box.click()
        return self.wait(lambda: self.visible(self.driver.find_elements(By.CSS_SELECTOR, '.q-menu .q-item')),
                         timeout, f'{label!r} offers no options')

    def _close_select(self, label: str, timeout: float) -> None:
        self.wait(lambda: not self.visible(self.driver.find_elements(By.CSS_SELECTOR, '.q-menu')), timeout,
                  f'the {label!r} menu did not close')

    def choose(self, label: str, option: str, *, timeout: float = 10) -> None:
        """Pick `option` in the Quasar select labelled `label`."""
        items = self._open_select(label, timeout)
        match = [item for item in items if (item.text or '').strip() == option]
        if not match:
            raise AssertionError(f'{label!r} has no option {option!r}; it offers {[i.text for i in items]}')
        match[0].click()
        self._close_select(label, timeout)

    def choose_first(self, label: str, *, timeout: float = 10) -> str:
        """Pick the first option of the select labelled `label`; returns the option's text."""
        items = self._open_select(label, timeout)
        text = (items[0].text or '').strip()
        items[0].click()
        self._close_select(label, timeout)
        return text

    def upload(self, path: Path, *, index: int = 0) -> None:
        """Give a file to the page's file input the way a file chooser does (hidden inputs accept keys too)."""
        inputs = self.wait(lambda: self.driver.find_elements(By.CSS_SELECTOR, 'input[type=file]'), 10,
                           'the page has no file input')
        inputs[index].send_keys(str(Path(path).resolve()))

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def image_loaded(self, element: WebElement) -> bool:
        return bool(self.js('return arguments[0].complete && arguments[0].naturalWidth > 0', element))

    def loaded_images(self) -> list[dict[str, Any]]:
        return list(self.js('''
            return Array.from(document.images)
              .filter(img => img.offsetParent !== null)
              .map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth, alt: img.alt,
                            complete: img.complete}));'''))

    def xss_effects(self) -> dict[str, Any]:
        """Side effects an injected script would leave: a counter it bumps and dialogs it opens."""
        return dict(self.js('return {xss: window.__xss || 0, alerts: window.__alerts || []}'))

    # ----- evidence -----

    def shot(self, name: str) -> Path:
        self.steps += 1
        slug = re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-')[:60]
        path = self.artifacts / f'{self.steps:02d}-{slug}.png'
        with contextlib.suppress(WebDriverException):
            self.driver.save_screenshot(str(path))
        return path

    def dump(self, name: str) -> None:
        """Page HTML and console next to the screenshots, for looking at a failed run."""
        with contextlib.suppress(WebDriverException):
            (self.artifacts / f'{name}.html').write_text(self.driver.page_source)
        with contextlib.suppress(WebDriverException):
            self.console.extend(self.driver.get_log('browser'))
        (self.artifacts / f'{name}.console.json').write_text(json.dumps(self.console, indent=1))

    def collect(self) -> Traffic:
        """Drain the DevTools performance log into `traffic`, fetching response bodies while they still exist."""
        try:
            entries = self.driver.get_log('performance')
        except WebDriverException:
            return self.traffic
        finished: list[tuple[str, str]] = []
        urls: dict[str, str] = {}
        for entry in entries:
            message = json.loads(entry['message'])['message']
            method, params = message.get('method', ''), message.get('params', {})
            if method == 'Network.requestWillBeSent':
                request = params.get('request', {})
                urls[params.get('requestId', '')] = request.get('url', '')
                self.traffic.urls.append(request.get('url', ''))
                self.traffic.headers.append(json.dumps(request.get('headers', {})))
                if request.get('postData'):
                    self.traffic.frames_sent.append(request['postData'])
            elif method == 'Network.responseReceived':
                response = params.get('response', {})
                urls[params.get('requestId', '')] = response.get('url', '')
                self.traffic.responses.append((int(response.get('status', 0)), response.get('url', '')))
                self.traffic.headers.append(json.dumps(response.get('headers', {})))
            elif method == 'Network.responseReceivedExtraInfo':
                self.traffic.headers.append(json.dumps(params.get('headers', {})))
            elif method == 'Network.requestWillBeSentExtraInfo':
                self.traffic.headers.append(json.dumps(params.get('headers', {})))
            elif method == 'Network.loadingFinished':
                request_id = params.get('requestId', '')
                finished.append((request_id, urls.get(request_id, '?')))
            elif method == 'Network.webSocketFrameReceived':
                self.traffic.frames_received.append(params.get('response', {}).get('payloadData', ''))
            elif method == 'Network.webSocketFrameSent':
                self.traffic.frames_sent.append(params.get('response', {}).get('payloadData', ''))
            elif method == 'Network.webSocketHandshakeResponseReceived':
                self.traffic.headers.append(json.dumps(params.get('response', {}).get('headers', {})))
        for request_id, url in finished:
            try:
                body = self.driver.execute_cdp_cmd('Network.getResponseBody', {'requestId': request_id})
            except WebDriverException:
                continue  # redirects, evicted or cross-tab bodies: their headers were still recorded
            text = body.get('body', '')
            if body.get('base64Encoded'):
                raw = base64.b64decode(text)
                text = raw.decode('utf-8', errors='replace') if not _looks_binary(raw) else raw.decode('latin-1')
            self.traffic.bodies[f'{url} #{request_id}'] = text
        return self.traffic

    def storage_snapshot(self) -> dict[str, Any]:
        """Cookies, localStorage and sessionStorage of the current page, and its final DOM."""
        return {
            'cookies': self.driver.get_cookies(),
            'localStorage': self.js('return Object.assign({}, window.localStorage)'),
            'sessionStorage': self.js('return Object.assign({}, window.sessionStorage)'),
            'dom': self.js('return document.documentElement.outerHTML'),
            'url': self.driver.current_url,
        }

    def quit(self) -> None:
        with contextlib.suppress(WebDriverException):
            self.driver.quit()


def _looks_binary(raw: bytes) -> bool:
    return b'\x00' in raw[:1024]


def _xpath_literal(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    parts = text.split("'")
    return 'concat(' + ', "\'", '.join(f"'{part}'" for part in parts) + ')'


def wait_until(condition: Callable[[], T], timeout: float, message: str, interval: float = 0.2) -> T:
    """Polling helper for things outside the browser (the app's log, its data directory)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(interval)
    raise AssertionError(f'{message} (after {timeout:g}s)')
