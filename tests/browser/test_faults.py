"""Upstream faults, injected into the sandbox, on options, face check, cover and create — seen in a real browser.

For each fault: a message a person understands, the form kept, and the very next request (and another
person's page) working. Timeouts are shortened so a stall costs seconds, not minutes.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest

from tests.browser import studio
from tests.browser.chrome import Browser
from tests.browser.conftest import OpenBrowser
from tests.reliability.socket_user import SocketUser
from tests.support.app_fixtures import StartApp
from tests.support.app_process import AppProcess, SandboxProcess

FAST_FAILING = {
    'PLATFORM_TIMEOUT': '2',
    'PLATFORM_SLOW_TIMEOUT': '3',
    'STUDIO_OPTIONS_CACHE_SECONDS': '0',  # every options request reaches the (faulty) platform
}
# What each fault must turn into: words about what happened, distinct per kind so a stale message cannot pass.
FAULTS = {
    '10500': re.compile(r'problem on its side', re.IGNORECASE),
    'http500': re.compile(r'HTTP 500', re.IGNORECASE),
    'http502': re.compile(r'HTTP 502', re.IGNORECASE),
    'garbage': re.compile(r'\(HTTP 200\)', re.IGNORECASE),  # an HTML page where JSON belongs
    'stall': re.compile(r'did not answer within \d+', re.IGNORECASE),
    'drop': re.compile(r'dropped|could not be reached', re.IGNORECASE),
}
# A person must never be shown these: they mean an exception or raw internals leaked into the page.
NOT_FOR_PEOPLE = re.compile(r'Traceback|Exception\b|httpx\.|Errno|RemoteProtocolError|NoneType|KeyError|'
                            r'<html|<body|<!DOCTYPE|<title', re.IGNORECASE)


def error_texts(browser: Browser) -> str:
    return str(browser.js('''return Array.from(document.querySelectorAll('.q-card'))
        .filter(card => card.className.includes('bg-red-50') || card.className.includes('bg-amber-50'))
        .map(card => card.innerText).join('\\n---\\n')'''))


def expect_fault_message(browser: Browser, kind: str, where: str) -> None:
    pattern = FAULTS[kind]
    browser.wait(lambda: pattern.search(error_texts(browser)), 30, f'no {kind} message on {where}')
    browser.shot(f'{where}-{kind}')
    shown = error_texts(browser)
    assert not NOT_FOR_PEOPLE.search(shown), f'{where}/{kind} shows internals: {shown}'


def other_user_is_served(app: AppProcess, account: tuple[str, str] | None = None) -> float:
    """Another person signs in and opens a page while this one waits on a fault; returns seconds."""
    async def visit() -> float:
        started = time.monotonic()
        user = SocketUser(app.base_url, 'bystander')
        try:
            await user.open('/login')
            if account is None:
                await user.click('Enter the sandbox demo')
            else:
                await user.type('Username', account[0])
                await user.type('Password', account[1])
                await user.click('Sign in')
            await user.wait_for(lambda: not user.path.startswith('/login'), 15, 'the sign-in')
            await user.open('/studio')
            await user.should_see('Create a character', 15)
        finally:
            await user.close()
        return time.monotonic() - started
    return asyncio.run(visit())


def assert_log_clean(app: AppProcess) -> None:
    errors = app.unexpected_errors()
    assert not errors, '\n\n'.join(errors)


@pytest.fixture
def faulty(start_app: StartApp, open_browser: OpenBrowser) -> tuple[AppProcess, Browser]:
    app = start_app(**FAST_FAILING)
    browser = open_browser(app.base_url)
    studio.sign_in_demo(browser)
    return app, browser


def test_options_faults(faulty: tuple[AppProcess, Browser]) -> None:
    app, browser = faulty
    studio.choose_gender(browser, 'female')
    studio.pick_look(browser)
    for kind in FAULTS:
        app.set_fault('options', kind)
        browser.reload()
        if kind == 'stall':
            assert other_user_is_served(app) < 15
        expect_fault_message(browser, kind, 'options')
        app.clear_faults()
        browser.click_within('Options could not be loaded', 'Try again')
        browser.wait(lambda: studio.look_grids(browser), 20, f'options did not come back after {kind}')
        # The look chosen before the fault is still chosen.
        assert studio.look_is_complete(browser), f'the look was lost after the {kind} fault'
    assert_log_clean(app)


def test_face_check_faults(faulty: tuple[AppProcess, Browser]) -> None:
    app, browser = faulty
    studio.choose_gender(browser, 'male')
    studio.pick_look(browser)
    studio.go_to_step(browser, 'Reference photo')
    for kind in FAULTS:
        app.set_fault('face_detect', kind)
        browser.reload()
        studio.upload_photo(browser, studio.ASTRONAUT)
        expect_fault_message(browser, kind, 'face-check')
        app.clear_faults()
        studio.upload_photo(browser, studio.ASTRONAUT)
        browser.wait_text(studio.FACE_FOUND, timeout=30)
        browser.click('Remove photo')
        browser.wait_text('Continue without a photo', timeout=10)
    studio.go_to_step(browser, 'Look')  # first shown on this page since the last reload: drawn now, options too
    browser.wait(lambda: studio.look_is_complete(browser), 15, 'the look was lost')
    assert_log_clean(app)


def test_cover_faults(faulty: tuple[AppProcess, Browser]) -> None:
    app, browser = faulty
    studio.choose_gender(browser, 'female')
    studio.pick_look(browser)
    studio.go_to_step(browser, 'Cover')
    for kind in FAULTS:
        app.set_fault('cover', kind)
        browser.click('Generate')  # "Generate cover", later "Generate again"
        if kind == 'stall':
            assert other_user_is_served(app) < 15
        expect_fault_message(browser, kind, 'cover')
        app.clear_faults()
        browser.click_within('could not be generated', 'Try again')
        # The failure notice goes once a newer cover exists: the very next request worked.
        browser.wait_no_text('could not be generated', timeout=30)
        browser.wait(lambda: studio.cover_image(browser), 15, f'no cover shown after the {kind} fault')
    assert_log_clean(app)


def test_create_faults(faulty: tuple[AppProcess, Browser]) -> None:
    app, browser = faulty
    studio.choose_gender(browser, 'female')
    studio.pick_look(browser)
    studio.go_to_step(browser, 'Cover')
    browser.click('Generate cover')
    browser.wait(lambda: studio.cover_image(browser), 30, 'the cover did not arrive')
    studio.go_to_step(browser, 'Details')
    browser.fill('Name', 'Nova')
    browser.choose_first('Voice')
    studio.go_to_step(browser, 'Create')
    for kind in FAULTS:
        app.set_fault('create', kind)
        browser.click('Create agent')
        expect_fault_message(browser, kind, 'create')
        browser.wait_text('The agent was not created', timeout=5)
    app.clear_faults()
    # Nothing was lost along the way: the same name, voice and cover create the agent now.
    browser.click('Create agent')
    browser.wait_text('Nova is ready', timeout=30)
    browser.shot('created-after-faults')
    assert_log_clean(app)


def test_upstream_down_entirely(start_app: StartApp, open_browser: OpenBrowser, tmp_path: Path,
                                artifacts: Path) -> None:
    """The platform's host goes away (a standalone sandbox process, killed), then comes back on its address."""
    upstream = SandboxProcess(tmp_path / 'upstream', key='studio-key-5be1', secret='studio-secret-a7c2d9f0e4',
                              log_path=artifacts / 'upstream.log')
    upstream.start()
    try:
        app = start_app(PLATFORM_BASE_URL=upstream.base_url, PLATFORM_API_KEY=upstream.key,
                        PLATFORM_API_SECRET=upstream.secret, STUDIO_AUTH_MODES='accounts', **FAST_FAILING)
        app.add_user('uma', 'uma-correct-horse-42')
        app.add_user('bystander', 'bystander-horse-42')
        browser = open_browser(app.base_url)
        studio.sign_in_account(browser, 'uma', 'uma-correct-horse-42')
        studio.choose_gender(browser, 'female')
        studio.pick_look(browser)
        studio.go_to_step(browser, 'Cover')
        browser.click('Generate cover')
        browser.wait(lambda: studio.cover_image(browser), 30, 'the cover did not arrive')
        studio.go_to_step(browser, 'Details')
        browser.fill('Name', 'Uma')
        browser.choose_first('Voice')

        upstream.kill()
        down = re.compile(r'could not be reached', re.IGNORECASE)
        FAULTS['down'] = down
        try:
            studio.go_to_step(browser, 'Create')
            browser.click('Create agent')
            expect_fault_message(browser, 'down', 'create')
            studio.go_to_step(browser, 'Cover')
            browser.click('Generate again')
            expect_fault_message(browser, 'down', 'cover')
            studio.go_to_step(browser, 'Reference photo')
            studio.upload_photo(browser, studio.ASTRONAUT)
            expect_fault_message(browser, 'down', 'face-check')
            browser.reload()
            studio.go_to_step(browser, 'Look')
            expect_fault_message(browser, 'down', 'options')
        finally:
            del FAULTS['down']
        # The studio itself is fine: another person signs in and gets their page.
        assert other_user_is_served(app, ('bystander', 'bystander-horse-42')) < 15

        upstream.start()  # back on the same address
        browser.click_within('Options could not be loaded', 'Try again')
        browser.wait(lambda: studio.look_is_complete(browser), 20, 'the look did not come back with the platform')
        studio.go_to_step(browser, 'Create')
        browser.click('Create agent')
        browser.wait_text('Uma is ready', timeout=30)
        browser.shot('created-after-the-platform-came-back')
        assert_log_clean(app)
    finally:
        upstream.stop()
