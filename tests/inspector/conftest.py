"""Fixtures of the inspector tests: the signature-checking echo platform (module-scoped), a migrated SQLite
database, a request log on it, and a client whose every request that log records. Helpers in support.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import services.platform.client as platform_module
from services.core.db import Database
from services.platform.client import PlatformClient
from services.platform.request_log import RequestLog
from tests.inspector.support import KEY, SECRET
from tests.platform.signing_echo_app import EchoPlatform, serve_echo
from tests.support.postgres import postgres_server, postgres_url  # noqa: F401


@pytest.fixture(scope='module')
def echo_server() -> Iterator[EchoPlatform]:
    with serve_echo({KEY: SECRET}) as platform:
        yield platform


@pytest.fixture
def echo(echo_server: EchoPlatform) -> Iterator[EchoPlatform]:
    echo_server.reset()
    yield echo_server
    echo_server.reset()


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform_module, 'RETRY_BACKOFF', (0.05, 0.1))


@pytest.fixture
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """SQLite, unless a test asks for PostgreSQL too (`@pytest.mark.parametrize('db', DATABASES, indirect=True)`)."""
    if getattr(request, 'param', 'sqlite') == 'postgresql':
        url = str(request.getfixturevalue('postgres_url'))
    else:
        url = f'sqlite:///{tmp_path}/studio.sqlite3'
    database = Database(url)
    database.upgrade()
    yield database
    database.close()


@pytest.fixture
def log(db: Database) -> Iterator[RequestLog]:
    requests = RequestLog(db)
    yield requests
    requests.close()


@pytest.fixture
async def client(echo: EchoPlatform, log: RequestLog) -> AsyncIterator[PlatformClient]:
    platform = PlatformClient(base_url=echo.url, timeout=1.5, slow_timeout=1.5, connect_timeout=1)
    log.attach(platform)
    yield platform
    await platform.aclose()
