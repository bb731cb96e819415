"""The real app in its own process and headless Chromium, for the figures a browser sees (4, 5, 6).

Reuses the test suite's app process (tests/app_process.py) and Chromium driver (tests/browser/chrome.py),
so the benchmark signs in and finds buttons exactly as the browser tests do: one place to change when the
studio's wording changes.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.common import ROOT
from bench.sandbox_server import BENCH_KEY, BENCH_SECRET
from tests.browser.chrome import Browser, chromium_paths
from tests.support.app_process import AppProcess

ARTIFACTS = ROOT / 'test-artifacts' / 'bench'


@contextlib.contextmanager
def app_on(upstream: str | None, *, env: dict[str, str] | None = None) -> Iterator[AppProcess]:
    """`python main.py` on a free port and a fresh data directory; on `upstream` (BYOK sign-in) or, with None,
    on its embedded sandbox (demo sign-in)."""
    with tempfile.TemporaryDirectory(prefix='bench-app-') as tmp:
        extra = {'STUDIO_AUTH_MODES': 'byok', 'PLATFORM_BASE_URL': upstream} if upstream else {}
        app = AppProcess(Path(tmp) / 'data', env={**extra, **(env or {})}, log_path=Path(tmp) / 'app.log')
        app.start(timeout=60)
        try:
            yield app
        finally:
            app.stop()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / f'app-{app.port}.log').write_text(app.log_text())


@contextlib.contextmanager
def chromium(base_url: str, name: str = 'bench') -> Iterator[Browser]:
    browser_path, driver_path = chromium_paths()
    if not browser_path or not driver_path:
        raise RuntimeError('Debian chromium and chromium-driver are needed (apt-get install chromium chromium-driver)')
    with tempfile.TemporaryDirectory(prefix='bench-chromium-') as profile:
        browser = Browser(browser_path, driver_path, profile_dir=Path(profile), artifacts=ARTIFACTS / name,
                          base_url=base_url)
        try:
            yield browser
        finally:
            browser.quit()


def sign_in_byok(browser: Browser, user_id: str, *, then: str = '/studio') -> None:
    browser.open(then)
    browser.wait_text('Sign in to build characters')
    browser.fill('API key', BENCH_KEY)
    browser.fill('API secret', BENCH_SECRET)
    browser.fill('User id', user_id)
    browser.click('Connect', exact=True)
    browser.wait(lambda: not browser.path.startswith('/login'), 30, 'sign-in did not leave the sign-in page')
    browser.wait_connected()


def upstream_events(base_url: str) -> dict[str, Any]:
    """What bench.sandbox_server recorded: request counts per path and cover answer times."""
    return dict(httpx.get(f'{base_url}/_bench/events', timeout=5).json())
