"""What goes wrong, shown in plain words with the traceId, and nothing the person entered is lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui.testing import User

from runtime import runtime
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import (
    FEMALE_LOOK,
    MALE_LOOK,
    StudioEnv,
    choose_look,
    click,
    create_enabled,
    eventually,
    go_to_step,
    open_studio,
    see,
    select_value,
    studio_env,
    texts,
    type_into,
    upload,
)

OWNER = 'account-alice'


def covers() -> list:
    return runtime.jobs.jobs_for(OWNER, 'cover')


def kept(look: dict[str, str], name: str = '') -> None:
    draft = runtime.drafts.get(OWNER)
    assert draft.look == look
    assert draft.name == name


async def ready_to_create(user: User, name: str = 'Nova') -> None:
    await choose_look(user, 'male', MALE_LOOK)
    await go_to_step(user, 'cover')
    click(user, 'generate-cover')
    await eventually(lambda: bool(covers()) and covers()[0].status == 'done', what='a cover')
    click(user, 'next-details')
    type_into(user, 'name', name)
    select_value(user, 'voice', 'voice_m_calm')
    await create_enabled(user)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox)


async def test_cover_upstream_10500_is_explained_then_regenerate_works(env: StudioEnv, user: User) -> None:
    env.sandbox.controller.faults.set('cover', '10500', times=1)
    await open_studio(user)
    await choose_look(user, 'female', FEMALE_LOOK)
    await go_to_step(user, 'cover')
    click(user, 'generate-cover')
    await see(user, content='The cover could not be generated')
    await user.should_see(content='problem on its side')
    failed = covers()[0]
    assert failed.status == 'failed' and failed.trace_id
    assert failed.trace_id in texts(user, 'trace-id')
    kept(FEMALE_LOOK)
    user.find('Try again').click()  # the failed generation's own action (issue 18: one 'Generate again')
    await see(user, 'cover-preview')
    assert covers()[0].status == 'done'


async def test_create_upstream_10500_keeps_the_form_and_retry_works(env: StudioEnv, user: User) -> None:
    await open_studio(user)
    await ready_to_create(user)
    env.sandbox.controller.faults.set('create', '10500', times=1)
    click(user, 'create-agent')
    await see(user, content='The agent was not created')
    await user.should_see(content='could not create the agent because of a problem on its side')
    await see(user, 'trace-id')
    kept(MALE_LOOK, 'Nova')
    await create_enabled(user)
    click(user, 'create-agent')
    await see(user, 'create-success')


async def test_expired_cover_cannot_be_used_and_says_why(env: StudioEnv, user: User) -> None:
    await open_studio(user)
    runtime.jobs.cover_ttl = 1.0  # a cover that lives one second instead of thirty minutes
    await ready_to_create(user)
    await see(user, 'cover-validity', content='Expired')
    await user.should_see(content='This cover has expired: the platform keeps a cover for 30 minutes')
    await eventually(lambda: not next(iter(user.find(marker='create-agent').elements)).enabled,
                     what='Create to be disabled')
    click(user, 'create-agent')
    assert runtime.jobs.jobs_for(OWNER, 'create') == []
    kept(MALE_LOOK, 'Nova')


async def test_platform_side_expiry_is_explained_and_the_cover_marked(env: StudioEnv, user: User) -> None:
    env.sandbox.controller.config.cover_ttl_seconds = 0.0  # the platform forgets covers at once
    await open_studio(user)
    await ready_to_create(user)
    click(user, 'create-agent')
    await see(user, content='The agent was not created')
    await user.should_see(content='This cover has expired')
    await see(user, 'trace-id')
    assert not covers()[0].usable()
    kept(MALE_LOOK, 'Nova')


async def test_cover_about_to_expire_is_flagged(env: StudioEnv, user: User) -> None:
    await open_studio(user)
    runtime.jobs.cover_ttl = 200.0  # under the five-minute mark
    await ready_to_create(user)
    await see(user, 'cover-validity', content='Expires in 3:')
    await user.should_see(content='Create your agent within the next few minutes')


async def test_not_an_image_upload_is_refused_and_nothing_is_lost(env: StudioEnv, user: User) -> None:
    await open_studio(user)
    await choose_look(user, 'female', FEMALE_LOOK)
    click(user, 'next-photo')
    await upload(user, 'holiday.jpg', b'%PDF-1.7 this is a document, not a photo', 'image/jpeg')
    await see(user, content='This photo could not be used')
    await user.should_see(content='This file is not an image we can read')
    await see(user, 'photo-upload')  # free to try another
    assert runtime.drafts.get(OWNER).ref is None
    kept(FEMALE_LOOK)


async def test_options_failure_offers_a_retry(env: StudioEnv, user: User) -> None:
    env.sandbox.controller.faults.set('options', '10500', times=1)
    await open_studio(user)
    click(user, 'gender-female')
    await see(user, content='Options could not be loaded')
    await see(user, 'trace-id')
    user.find('Try again').click()
    await see(user, 'tile-Age-18-25')


@pytest.fixture
def slow_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox, PLATFORM_SLOW_TIMEOUT='1.5')


async def test_cover_timeout_is_explained_and_the_form_kept(slow_env: StudioEnv, user: User) -> None:
    slow_env.sandbox.controller.faults.set('cover', 'stall', times=1)
    await open_studio(user)
    await choose_look(user, 'male', MALE_LOOK)
    await go_to_step(user, 'details')
    type_into(user, 'name', 'Orion')
    await go_to_step(user, 'cover')
    click(user, 'generate-cover')
    await see(user, content='did not answer within 1.5 seconds', seconds=15)
    assert covers()[0].status == 'failed'
    kept(MALE_LOOK, 'Orion')


@pytest.fixture
def small_upload_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox, STUDIO_MAX_UPLOAD_MB='0.05')


async def test_too_large_upload_is_refused_with_the_limit(small_upload_env: StudioEnv, user: User) -> None:
    await open_studio(user)
    click(user, 'next-photo')
    await upload(user, 'astronaut.png')
    await see(user, content='the limit is 0.0 MB')
    assert runtime.drafts.get(OWNER).ref is None
