"""Own-key sign-in meeting the messages any endpoint may answer with: busy, out of allowance, an invalid key as an
HTTP 200 business error (docs/platform-api.md) — each in words a person can act on."""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui.testing import User

from runtime import runtime
from tests.auth.test_auth_byok import connect
from tests.conftest import TEST_KEY, TEST_SECRET
from tests.support.auth_support import configure
from tests.support.sandbox_server import RunningSandbox


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> None:
    configure(monkeypatch, tmp_path / 'studio', PLATFORM_BASE_URL=sandbox.base_url, STUDIO_AUTH_MODES='byok')


@pytest.mark.parametrize(('kind', 'words'), [('busy', 'The platform is busy'),
                                             ('quota', 'used up its allowance'),
                                             ('badkey', 'The platform rejected these credentials')])
async def test_documented_refusals_are_said_plainly(user: User, sandbox: RunningSandbox, kind: str,
                                                    words: str) -> None:
    sandbox.controller.faults.set('options', kind, 1)
    await connect(user, TEST_KEY, TEST_SECRET, 'byok-person')
    await user.should_see(words, retries=50)
    assert runtime.sessions.all() == []
    await connect(user, TEST_KEY, TEST_SECRET, 'byok-person')  # the next try gets in
    await user.should_see('Sign out of Agent Studio?', retries=50)
