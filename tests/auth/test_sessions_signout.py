"""Sessions end everywhere at once: sign-out in one window, idle timeout, an account removed or re-passworded."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nicegui import Client
from nicegui.testing import User

from runtime import runtime
from services.cli.users import run as users_cli
from tests.support.auth_support import accounts_env, add_account, sign_in
from tests.support.studio_support import eventually


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    accounts_env(monkeypatch, tmp_path)
    add_account(tmp_path, 'alice')


async def arrive(user: User, path: str) -> None:
    for _ in range(200):
        if user.back_history and user.back_history[-1] == path:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f'expected to arrive at {path}, history is {user.back_history}')


def record_pushes(client: Client) -> list[tuple[str, Any]]:
    """Messages the server sends this client (what its browser would receive over the websocket)."""
    sent: list[tuple[str, Any]] = []
    original = client.outbox.enqueue_message

    def spy(message_type: str, data: Any, target_id: str) -> None:
        # A copy: the outbox adds its own '_id' to the very dict when it emits it, which may be before we look.
        sent.append((message_type, dict(data) if isinstance(data, dict) else data))
        original(message_type, data, target_id)

    client.outbox.enqueue_message = spy  # type: ignore[method-assign]
    return sent


async def second_window(create_user: Callable[[], User], first: User) -> User:
    """Another window of the same browser: it carries the same NiceGUI browser-id cookie, hence the same session."""
    other = create_user()
    other.http_client.cookies.update(first.http_client.cookies)
    return other


async def test_signing_out_in_one_window_ends_the_session_in_the_other(user: User,
                                                                      create_user: Callable[[], User]) -> None:
    await sign_in(user, 'alice', path='/login?redirect_to=/logout')
    await arrive(user, '/logout')
    (session,) = runtime.sessions.sessions_for('account-alice')

    other = await second_window(create_user, user)
    await other.open('/logout?x=1')
    assert other.back_history == ['/logout?x=1']
    other_client = other.client
    assert other_client is not None and other_client.id in runtime.sessions.tabs_of(session.sid)
    pushes = record_pushes(other_client)

    user.find(marker='logout-confirm').click()
    await arrive(user, '/login?reason=signed-out')
    await user.should_see(marker='login-reason')

    assert runtime.sessions.peek(session.sid) is None
    # The other window was told at once to go to the sign-in page, and back to its page afterwards.
    assert ('open', {'path': '/login?redirect_to=/logout%3Fx%3D1&reason=signed-out', 'new_tab': False}) in pushes
    # ...and whatever it asks for next is refused.
    response = await other.http_client.get('/admin', follow_redirects=False)
    assert response.status_code == 303 and response.headers['location'] == '/login?redirect_to=/admin'
    assert (await other.http_client.get('/admin/audit.csv')).status_code == 401
    assert [e.event for e in runtime.audit.entries()][:2] == ['auth.sign_out', 'auth.sign_in']


async def test_an_idle_session_expires_and_its_tab_is_sent_to_sign_in(user: User,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    await sign_in(user, 'alice', path='/login?redirect_to=/logout')
    await arrive(user, '/logout')
    (session,) = runtime.sessions.sessions_for('account-alice')
    assert user.client is not None
    pushes = record_pushes(user.client)
    session.last_seen -= 3600
    monkeypatch.setattr(runtime.sessions, 'idle_timeout', 1800.0)
    runtime.access.sweep()
    assert runtime.sessions.peek(session.sid) is None
    assert ('open', {'path': '/login?redirect_to=/logout&reason=expired', 'new_tab': False}) in pushes


@pytest.mark.parametrize('command', [['remove', 'alice'], ['passwd', 'alice', '--password-stdin']])
async def test_removing_an_account_or_changing_its_password_ends_its_sessions(
        user: User, tmp_path: Path, command: list[str]) -> None:
    await sign_in(user, 'alice', path='/login?redirect_to=/logout')
    await arrive(user, '/logout')
    (session,) = runtime.sessions.sessions_for('account-alice')
    assert user.client is not None
    pushes = record_pushes(user.client)

    assert users_cli(['--data-dir', str(tmp_path), *command], stdin=io.StringIO('a brand new password\n'),
                     stdout=io.StringIO()) == 0
    # The change notifier hears of the CLI's change, reloads the accounts and ends the session within a second.
    await eventually(lambda: runtime.sessions.peek(session.sid) is None, seconds=1.0, what='the session to end')
    assert any(kind == 'open' and data['path'].startswith('/login') for kind, data in pushes)
    response = await user.http_client.get('/logout', follow_redirects=False)
    assert response.status_code == 303
