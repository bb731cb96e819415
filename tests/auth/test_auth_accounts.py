"""Signing in with a tool account: redirects, wrong passwords, audit entries, admin-only routes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from nicegui.testing import User

from runtime import runtime
from services.auth import throttle as throttle_module
from services.auth.signin import WRONG_ACCOUNT
from tests.support.auth_support import PASSWORD, accounts_env, add_account, sign_in


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    accounts_env(monkeypatch, tmp_path)
    add_account(tmp_path, 'alice')
    add_account(tmp_path, 'root', admin=True)


async def wait_for_path(user: User, path: str) -> None:
    for _ in range(200):
        if user.back_history and user.back_history[-1] == path:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f'expected to arrive at {path}, history is {user.back_history}')


async def test_a_page_sends_a_stranger_to_sign_in_and_back_after(user: User) -> None:
    response = await user.http_client.get('/admin?page=2', follow_redirects=False)
    assert response.status_code == 303
    assert response.headers['location'] == '/login?redirect_to=/admin%3Fpage%3D2'

    await sign_in(user, 'root', path=response.headers['location'])
    await wait_for_path(user, '/admin?page=2')
    await user.should_see('Audit log')
    await user.should_not_see(marker='admin-forbidden')


async def test_non_page_routes_answer_401_without_a_session(user: User) -> None:
    await user.open('/login')
    for path in ('/admin/audit.csv', '/media/anything.png', '/_nicegui/auto/static/x/y.png', '/api/x'):
        response = await user.http_client.get(path, follow_redirects=False)
        assert response.status_code == 401, path
        assert 'opkey' not in response.text


async def test_wrong_password_and_unknown_name_get_the_same_message(user: User) -> None:
    await sign_in(user, 'alice', 'not the password')
    await user.should_see(WRONG_ACCOUNT, retries=50)
    await sign_in(user, 'mallory', 'not the password')
    await user.should_see(WRONG_ACCOUNT, retries=50)
    assert user.find(marker='login-password').elements.pop().value == ''
    response = await user.http_client.get('/admin', follow_redirects=False)
    assert response.status_code == 303  # still not signed in

    failures = runtime.audit.entries(event='auth.sign_in_failed')
    assert {e.actor for e in failures} == {'alice', 'mallory'}
    assert all('not the password' not in e.detail for e in failures)


async def test_signing_in_records_who(user: User) -> None:
    await sign_in(user, 'alice', path='/login?redirect_to=/logout')
    await wait_for_path(user, '/logout')
    entries = runtime.audit.entries(event='auth.sign_in')
    assert [e.actor for e in entries] == ['alice']
    assert PASSWORD not in entries[0].detail
    (session,) = runtime.sessions.sessions_for('account-alice')
    assert session.principal.user_id == 'alice'
    assert session.principal.credentials.user_id == 'alice'  # sent as X-User-ID
    assert session.principal.credentials.api_key == runtime.operator_credentials.api_key


async def test_a_non_admin_cannot_see_or_export_the_audit_log(user: User) -> None:
    await sign_in(user, 'alice', path='/login?redirect_to=/logout')
    await wait_for_path(user, '/logout')
    response = await user.http_client.get('/admin')
    assert response.status_code == 403
    assert 'Only administrators' in response.text
    response = await user.http_client.get('/admin/audit.csv')
    assert response.status_code == 403


async def test_guessing_is_paused_alike_for_real_and_unknown_names(user: User) -> None:
    for name in ('alice', 'nobody'):
        runtime.auth.throttle.reset()
        for _ in range(runtime.auth.throttle.max_failures):
            await sign_in(user, name, 'wrong guess')
            await user.should_see(WRONG_ACCOUNT, retries=50)
        await sign_in(user, name, PASSWORD if name == 'alice' else 'wrong guess')
        await user.should_see('Too many failed sign-in attempts. Try again in', retries=50)
    assert runtime.sessions.sessions_for('account-alice') == []  # even the right password waits out the pause


def test_the_pause_ends_after_its_window(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(throttle_module.time, 'monotonic', lambda: now[0])
    gate = throttle_module.FailureThrottle(max_failures=3, window=60)
    for _ in range(3):
        gate.check('k')
        gate.failed('k')
    with pytest.raises(throttle_module.TooManyAttempts) as paused:
        gate.check('k')
    assert paused.value.retry_after == pytest.approx(60)
    gate.check('other')  # other names and addresses are not affected
    now[0] += 61
    gate.check('k')
