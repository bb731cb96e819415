"""The access rules themselves: which paths are public, and where a sign-in may send a person afterwards."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from nicegui.testing import User

from services.auth import access
from tests.support.auth_support import accounts_env, add_account, sign_in


@pytest.mark.parametrize('target', ['//evil.example/x', 'https://evil.example', '/\\evil.example', 'evil',
                                    '/ok\r\nSet-Cookie: x=y', '', None, '/login?redirect_to=/x'])
def test_only_local_paths_are_accepted_as_a_destination(target: str | None) -> None:
    assert access.safe_redirect_target(target) == '/'


@pytest.mark.parametrize('target', ['/studio', '/agents?page=2', '/admin'])
def test_local_paths_are_kept(target: str) -> None:
    assert access.safe_redirect_target(target) == target


def test_public_and_protected_paths() -> None:
    for path in ('/login', '/favicon.ico', '/sandbox', '/sandbox/v1/config/options', '/_nicegui_ws/socket.io/',
                 '/_nicegui/3.18.0/static/quasar.js'):
        assert access.is_public(path), path
    for path in ('/', '/studio', '/media/abc', '/admin/audit.csv', '/_nicegui/client/abc/upload/1',
                 '/_nicegui/auto/static/abc/cover.png', '/loginx', '/sandboxed'):
        assert not access.is_public(path), path


def test_the_sign_in_url_carries_the_destination_encoded() -> None:
    assert access.login_url('/agents?page=2&size=10') == '/login?redirect_to=/agents%3Fpage%3D2%26size%3D10'
    assert access.login_url('/', 'expired') == '/login?reason=expired'
    assert access.login_url('//evil.example') == '/login'


@pytest.fixture
def accounts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    accounts_env(monkeypatch, tmp_path)
    add_account(tmp_path, 'alice')


async def arrive(user: User, path: str) -> None:
    for _ in range(200):
        if user.back_history and user.back_history[-1] == path:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f'expected to arrive at {path}, history is {user.back_history}')


async def test_a_foreign_destination_is_replaced_by_the_home_page(accounts: None, user: User) -> None:
    await sign_in(user, 'alice', path='/login?redirect_to=//evil.example/steal')
    for _ in range(200):
        if len(user.back_history) > 1:
            break
        await asyncio.sleep(0.05)
    assert user.back_history[1] == '/'


async def test_the_sign_in_page_sends_a_signed_in_person_on(accounts: None, user: User) -> None:
    await sign_in(user, 'alice', path='/login?redirect_to=/logout')
    await arrive(user, '/logout')
    await user.open('/login?redirect_to=/logout%3Fagain%3D1')
    await arrive(user, '/logout?again=1')
