"""Signing out forgets a person's own key: covers still generating with it are cancelled, nothing keeps it."""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui.testing import User

from runtime import runtime
from sandbox.config import SandboxConfig
from services.auth.sessions import owner_id_for
from services.core.secret import Secret, scrub
from tests.conftest import TEST_KEY, TEST_SECRET
from tests.support.auth_support import configure
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import FEMALE_LOOK, choose_look, click, eventually, see


@pytest.fixture
def sandbox_config(tmp_path: Path) -> SandboxConfig:  # a platform slow enough to sign out mid-generation
    return SandboxConfig(data_dir=tmp_path / 'sandbox', keys={TEST_KEY: Secret(TEST_SECRET)}, latency=(20.0, 20.0),
                         allow_fault_control=True)


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> None:
    configure(monkeypatch, tmp_path / 'studio', PLATFORM_BASE_URL=sandbox.base_url, STUDIO_AUTH_MODES='byok')


async def test_signing_out_cancels_covers_running_on_the_own_key(user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    # runtime.configure keeps operator credentials from an earlier test's app; this app has none.
    monkeypatch.setattr(runtime, 'operator_credentials', None)
    await user.open('/login?redirect_to=/studio')
    user.find(marker='byok-key').type(TEST_KEY)
    user.find(marker='byok-secret').type(TEST_SECRET)
    user.find(marker='byok-user').type('leaving-early')
    click(user, 'byok-submit')
    await see(user, content='Create a character', seconds=10)
    await choose_look(user, 'female', FEMALE_LOOK)
    click(user, 'next-photo')
    click(user, 'photo-skip')
    click(user, 'generate-cover')
    await see(user, 'cover-running')
    owner = owner_id_for('byok', 'leaving-early', TEST_KEY)
    (job,) = runtime.jobs.jobs_for(owner, 'cover')
    assert job.running

    click(user, 'user-menu-button')
    click(user, 'sign-out')
    await eventually(lambda: not job.running, seconds=5, what='the cover job to stop')
    assert runtime.sessions.sessions_for(owner) == []
    assert scrub(TEST_SECRET) != '[redacted]'  # not even the log scrubber holds it any more
