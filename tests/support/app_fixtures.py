"""Fixtures shared by the browser and reliability suites: the app as a subprocess, and a place for evidence.

Imported by tests/browser/conftest.py and tests/reliability/conftest.py (a conftest that imports a fixture
registers it), so neither suite depends on the other's directory.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Generator
from pathlib import Path

import pytest

from tests.support.app_process import ROOT, AppProcess

ARTIFACTS = ROOT / 'test-artifacts'

# Every app a test starts runs with these unless the test says otherwise: instant sandbox, loopback only.
BASE_ENV = {
    'SANDBOX_LATENCY': '0',
    'SANDBOX_FAULT_CONTROL': '1',
}

StartApp = Callable[..., AppProcess]


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, None, None]:
    """Keep each phase's outcome on the test item, so fixtures can save evidence only when a test failed."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f'rep_{report.when}', report)


def failed(request: pytest.FixtureRequest) -> bool:
    return any(getattr(getattr(request.node, f'rep_{when}', None), 'failed', False)
               for when in ('setup', 'call'))


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """test-artifacts/<suite>/<test>/ — emptied first, so what is there belongs to the last run of this test."""
    suite = Path(str(request.node.path)).parent.name
    name = re.sub(r'[^A-Za-z0-9_.-]+', '-', request.node.name).strip('-')[:100]
    path = ARTIFACTS / suite / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def start_app(tmp_path: Path, artifacts: Path, request: pytest.FixtureRequest) -> Generator[StartApp, None, None]:
    """start_app(**env) -> a running `python main.py` on its own port and data dir; stopped after the test.

    Keyword arguments are environment variables (`SANDBOX_LATENCY='3'`); `data_dir=` reuses a directory.
    """
    started: list[AppProcess] = []

    def start(*, data_dir: Path | None = None, port: int | None = None, **env: str) -> AppProcess:
        index = len(started)
        app = AppProcess(data_dir or tmp_path / f'data-{index}', env={**BASE_ENV, **env}, port=port,
                         log_path=artifacts / f'app-{index}.log')
        app.start()
        started.append(app)
        return app

    yield start
    for app in started:
        app.stop()
    if not failed(request):
        # Logs of passing tests are noise; the failing ones stay next to their screenshots.
        for app in started:
            app.log_path.unlink(missing_ok=True)
