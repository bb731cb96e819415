"""Bring your own key: checked against the real sandbox over HTTP with one signed options call."""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui.storage import Storage
from nicegui.testing import User

from runtime import runtime
from services.auth.sessions import owner_id_for
from tests.conftest import TEST_KEY, TEST_SECRET
from tests.support.auth_support import configure, files_containing
from tests.support.sandbox_server import RunningSandbox


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> None:
    configure(monkeypatch, tmp_path / 'studio', PLATFORM_BASE_URL=sandbox.base_url, STUDIO_AUTH_MODES='byok')


async def connect(user: User, key: str, secret: str, user_id: str, path: str = '/login?redirect_to=/logout') -> None:
    await user.open(path)
    user.find(marker='byok-key').type(key)
    user.find(marker='byok-secret').type(secret)
    user.find(marker='byok-user').type(user_id)
    user.find(marker='byok-submit').click()


def form_values(user: User) -> list[str]:
    return [next(iter(user.find(marker=m).elements)).value for m in ('byok-key', 'byok-secret')]


async def test_a_working_key_signs_in_and_is_kept_only_in_the_session(user: User) -> None:
    await connect(user, TEST_KEY, TEST_SECRET, 'byok-person')
    await user.should_see('Sign out of Agent Studio?', retries=50)
    (session,) = runtime.sessions.sessions_for(owner_id_for('byok', 'byok-person', TEST_KEY))
    assert session.principal.mode == 'byok'
    assert session.principal.credentials.api_secret.get() == TEST_SECRET
    assert session.principal.credentials.user_id == 'byok-person'
    # Nothing about the key is on disk: not in the user storage NiceGUI persists, not in the audit log.
    assert files_containing([TEST_KEY, TEST_SECRET], runtime.data_dir, Storage.path) == []
    assert [e.event for e in runtime.audit.entries()] == ['auth.sign_in']


async def test_a_wrong_secret_is_rejected_clearly_and_the_form_forgets_it(user: User) -> None:
    await connect(user, TEST_KEY, 'wrong-secret-123456', 'byok-person')
    await user.should_see('The platform rejected these credentials', retries=50)
    assert form_values(user) == ['', '']
    assert next(iter(user.find(marker='byok-user').elements)).value == 'byok-person'
    response = await user.http_client.get('/logout', follow_redirects=False)
    assert response.status_code == 303
    (entry,) = runtime.audit.entries(event='auth.sign_in_failed')
    assert 'refused' in entry.detail and 'wrong-secret' not in entry.detail


async def test_an_unknown_key_is_rejected(user: User) -> None:
    await connect(user, 'no-such-key', TEST_SECRET, 'byok-person')
    await user.should_see('The platform rejected these credentials', retries=50)


async def test_a_missing_field_is_named(user: User) -> None:
    await user.open('/login')
    user.find(marker='byok-key').type(TEST_KEY)
    user.find(marker='byok-submit').click()
    await user.should_see('Enter your secret and user id.')
    assert runtime.audit.entries() == []
