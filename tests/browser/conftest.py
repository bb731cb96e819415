"""Real headless Chromium against the real app process.

Without Debian's chromium and chromium-driver these tests skip and say how to install them — unless
STUDIO_REQUIRE_BROWSER=1 (set by .ci/run), where a missing browser is a failure, not a silent pass.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from pathlib import Path

import pytest

from tests.browser.chrome import INSTALL_HINT, Browser, chromium_paths
from tests.support.app_fixtures import artifacts, failed, pytest_runtest_makereport, start_app  # noqa: F401

OpenBrowser = Callable[..., Browser]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope='session')
def chromium() -> tuple[str, str]:
    browser, driver = chromium_paths()
    missing = [name for name, path in (('chromium', browser), ('chromedriver', driver)) if not path]
    if missing:
        reason = f'{" and ".join(missing)} not found; {INSTALL_HINT}'
        if os.environ.get('STUDIO_REQUIRE_BROWSER', '').strip() == '1':
            pytest.fail(f'{reason} (STUDIO_REQUIRE_BROWSER=1: browser tests must run here)', pytrace=False)
        pytest.skip(reason)
    assert browser and driver
    return browser, driver


@pytest.fixture
def open_browser(chromium: tuple[str, str], artifacts: Path, tmp_path: Path,  # noqa: F811 - the fixture
                 request: pytest.FixtureRequest) -> Generator[OpenBrowser, None, None]:
    """open_browser(base_url) -> a fresh Chromium (own profile); on failure its screen and page are kept."""
    browsers: list[Browser] = []

    def open_one(base_url: str, *, name: str = '', window: tuple[int, int] = (1280, 1000),
                 language: str = 'en-US,en') -> Browser:
        index = len(browsers)
        label = name or f'browser{index}'
        browser = Browser(*chromium, profile_dir=tmp_path / f'profile-{index}',
                          artifacts=artifacts if index == 0 else artifacts / label, base_url=base_url,
                          window=window, language=language)
        browsers.append(browser)
        return browser

    yield open_one
    for index, browser in enumerate(browsers):
        if failed(request):
            browser.shot('failed')
            browser.dump(f'failed-{index}')
        browser.quit()
