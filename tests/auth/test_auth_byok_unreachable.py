"""Bring your own key while the platform cannot be reached: the message says so instead of blaming the key."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from nicegui.testing import User

from tests.support.auth_support import configure


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    configure(monkeypatch, tmp_path, PLATFORM_BASE_URL=f'http://127.0.0.1:{closed_port()}',
              STUDIO_AUTH_MODES='byok', PLATFORM_CONNECT_TIMEOUT='2')


async def test_an_unreachable_platform_is_not_reported_as_a_bad_key(user: User) -> None:
    await user.open('/login')
    user.find(marker='byok-key').type('some-key-123')
    user.find(marker='byok-secret').type('some-secret-456')
    user.find(marker='byok-user').type('someone')
    user.find(marker='byok-submit').click()
    await user.should_see('could not be checked because the platform is not reachable', retries=60)
    await user.should_not_see('rejected')
    response = await user.http_client.get('/logout', follow_redirects=False)
    assert response.status_code == 303
