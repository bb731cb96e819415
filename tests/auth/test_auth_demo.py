"""The sandbox demo: one click, a fresh demo user per visitor, and the frame says plainly it is the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from nicegui.testing import User

from runtime import runtime
from services.auth.sessions import Session
from services.core.settings import SettingsError, load_settings
from tests.support.auth_support import configure


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    configure(monkeypatch, tmp_path)  # no PLATFORM_BASE_URL: the embedded sandbox, demo and accounts


async def enter_demo(user: User) -> Session:
    before = {s.sid for s in _all_sessions()}
    await user.open('/login?redirect_to=/logout')
    await user.should_see('Sandbox demo')
    user.find(marker='demo-enter').click()
    for _ in range(200):
        if user.back_history[-1] == '/logout':
            break
        await asyncio.sleep(0.05)
    (session,) = [s for s in _all_sessions() if s.sid not in before]
    return session


def _all_sessions() -> list[Session]:
    with runtime.sessions._lock:
        return list(runtime.sessions._sessions.values())


async def test_one_click_enters_as_a_fresh_demo_user_on_the_sandbox(user: User,
                                                                    create_user: Callable[[], User]) -> None:
    assert runtime.uses_sandbox and runtime.settings.auth_modes == ('demo', 'accounts')
    first = await enter_demo(user)
    await user.should_see(marker='upstream-badge')  # the frame's "Sandbox" badge
    await user.should_see('Sandbox')
    user.find(marker='user-menu-button').click()
    await user.should_see('Sandbox demo · user id ' + first.principal.user_id)
    await user.should_see(marker='sandbox-note')

    second = await enter_demo(create_user())
    for session in (first, second):
        assert session.principal.mode == 'demo'
        assert session.principal.user_id.startswith('demo-')
        assert session.principal.credentials.user_id == session.principal.user_id  # sent as X-User-ID
        # A sandbox key of its own, accepted by the embedded sandbox, and never the tool accounts' key.
        assert session.principal.credentials.api_key != runtime.operator_credentials.api_key
        assert runtime.sandbox is not None
        assert session.principal.credentials.api_key in runtime.sandbox.controller.config.keys
    assert first.principal.owner_id != second.principal.owner_id
    assert first.principal.credentials.api_key != second.principal.credentials.api_key
    assert [e.event for e in runtime.audit.entries()] == ['auth.sign_in', 'auth.sign_in']


def test_the_demo_is_refused_against_a_real_platform() -> None:
    with pytest.raises(SettingsError, match='only available on the embedded sandbox'):
        load_settings({'PLATFORM_BASE_URL': 'https://api.example.com', 'STUDIO_AUTH_MODES': 'demo'})


async def test_only_the_configured_ways_in_are_offered(user: User) -> None:
    await user.open('/login')
    await user.should_see(marker='demo-enter')
    await user.should_see(marker='login-username')
    await user.should_not_see(marker='byok-key')


async def test_no_shared_key_when_no_key_of_its_own_can_be_had(user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(label: str) -> tuple[str, object]:
        raise OSError('disk full')

    monkeypatch.setattr(runtime.auth, 'demo_keys', broken)
    await user.open('/login')
    user.find(marker='demo-enter').click()
    await user.should_see('The sandbox could not open a demo for you just now', retries=50)
    assert _all_sessions() == []  # never signed in on the shared key instead


async def test_the_sign_in_page_says_what_a_visitor_keeps(user: User) -> None:
    await user.open('/login')
    await user.should_see(marker='demo-terms')
    await user.should_see('a sandbox key of your own: only you see the characters you make')
