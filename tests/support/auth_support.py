"""Helpers for the sign-in tests: configure the app before the `user` fixture loads main.py, sign people in."""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui.testing import User

from services.auth.accounts import AccountStore
from services.core.settings import get_settings
from tests.support.databases import data_dir_db

OPERATOR_KEY = 'opkey_4f1c9a2b7d'
OPERATOR_SECRET = 'opsecret_9d8c7b6a5f4e3d2c1b0a'
PASSWORD = 'correct horse battery'


def configure(monkeypatch: pytest.MonkeyPatch, data_dir: Path, **env: str) -> None:
    """Set the environment main.py reads and forget the cached settings (main.py then builds a fresh runtime:
    no sessions, no sign-in throttle)."""
    monkeypatch.setenv('STUDIO_DATA_DIR', str(data_dir))
    for name in ('PLATFORM_BASE_URL', 'PLATFORM_API_KEY', 'PLATFORM_API_SECRET', 'STUDIO_AUTH_MODES',
                 'STUDIO_STORAGE_SECRET'):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def accounts_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path, *, modes: str = 'accounts') -> None:
    """Tool accounts against a platform address nothing listens on: signing in with an account makes no call."""
    configure(monkeypatch, data_dir, PLATFORM_BASE_URL='http://127.0.0.1:9', PLATFORM_API_KEY=OPERATOR_KEY,
              PLATFORM_API_SECRET=OPERATOR_SECRET, STUDIO_AUTH_MODES=modes)


def add_account(data_dir: Path, name: str, *, admin: bool = False, password: str = PASSWORD) -> None:
    AccountStore(data_dir_db(data_dir)).add(name, password, admin=admin)


async def sign_in(user: User, name: str, password: str = PASSWORD, *, path: str = '/login') -> None:
    await user.open(path)
    user.find(marker='login-username').type(name)
    user.find(marker='login-password').type(password)
    user.find(marker='login-submit').click()


def files_containing(needles: list[str], *dirs: Path) -> list[Path]:
    """Every file under `dirs` that holds any of `needles` in plain text."""
    found = []
    for directory in dirs:
        for path in Path(directory).rglob('*'):
            if path.is_file():
                content = path.read_bytes()
                if any(needle.encode() in content for needle in needles):
                    found.append(path)
    return found
