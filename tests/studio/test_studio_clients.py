"""Jobs belong to the person, not the tab: later clients see earlier work; images only reach their owner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from nicegui import app, ui
from nicegui.testing import User

from runtime import runtime
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import (
    FEMALE_LOOK,
    StudioEnv,
    choose_look,
    click,
    close_tab,
    eventually,
    go_to_step,
    open_studio,
    see,
    stepper,
    studio_env,
    type_into,
)

OWNER = 'account-alice'


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox)


async def test_generation_started_in_one_client_is_finished_in_later_ones(
        env: StudioEnv, create_user: Callable[[], User]) -> None:
    env.sandbox.controller.config.latency = (4.0, 4.0)
    first = create_user()
    await open_studio(first)
    await choose_look(first, 'female', FEMALE_LOOK)
    await go_to_step(first, 'cover')
    click(first, 'generate-cover')
    await see(first, 'cover-running')
    job = runtime.jobs.jobs_for(OWNER, 'cover')[0]
    close_tab(first)  # the first tab is closed while the cover is still generating

    second = create_user()  # another browser of the same person, while it is still running
    await open_studio(second)
    if job.running:  # (a slow sign-in on a busy machine may take longer than the generation)
        await see(second, 'cover-running')
        await see(second, 'cover-elapsed', content='elapsed')
    await see(second, 'cover-preview', seconds=20)  # appears without a reload when the job finishes
    assert job.status == 'done'
    close_tab(second)

    third = create_user()  # and one that connects after it finished
    await open_studio(third)
    await see(third, 'cover-preview')
    assert runtime.drafts.get(OWNER).selected_cover_job == job.id
    await third.should_see(content='Valid for')


async def test_another_person_does_not_see_my_covers(env: StudioEnv, create_user: Callable[[], User]) -> None:
    alice = create_user()
    await open_studio(alice)
    await choose_look(alice, 'female', FEMALE_LOOK)
    await go_to_step(alice, 'cover')
    click(alice, 'generate-cover')
    await eventually(lambda: any(j.status == 'done' for j in runtime.jobs.jobs_for(OWNER, 'cover')), what='cover')
    close_tab(alice)
    bob = create_user()
    await open_studio(bob, 'bob')
    await bob.should_not_see(marker='cover-preview')
    assert runtime.jobs.jobs_for('account-bob') == []


async def test_cover_image_url_works_only_for_its_owner(env: StudioEnv, create_user: Callable[[], User]) -> None:
    alice = create_user()
    await open_studio(alice)
    await choose_look(alice, 'female', FEMALE_LOOK)
    await go_to_step(alice, 'cover')
    click(alice, 'generate-cover')
    await eventually(lambda: any(j.status == 'done' for j in runtime.jobs.jobs_for(OWNER, 'cover')), what='cover')
    job = runtime.jobs.jobs_for(OWNER, 'cover')[0]
    url = runtime.previews.url(OWNER, 'cover', job.id)

    mine = await alice.http_client.get(url)
    assert mine.status_code == 200 and mine.headers['content-type'] == 'image/png'
    assert mine.content.startswith(b'\x89PNG') and 'private' in mine.headers['cache-control']
    forged = await alice.http_client.get(url[:-3] + ('AAA' if not url.endswith('AAA') else 'BBB'))
    assert forged.status_code == 404

    close_tab(alice)
    bob = create_user()
    await open_studio(bob, 'bob')
    theirs = await bob.http_client.get(url)
    assert theirs.status_code == 403

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url='http://test') as stranger:
        anonymous = await stranger.get(url)
    assert anonymous.status_code in (401, 403)


def shows(user: User, marker: str) -> bool:
    try:
        return bool(user.find(marker=marker).elements)
    except AssertionError:  # find() insists on at least one match
        return False


def tile_selected(user: User, marker: str) -> bool:
    return any('selected' in element.classes for element in user.find(marker=marker).elements)


async def test_a_second_tab_follows_changes_live(env: StudioEnv, create_user: Callable[[], User]) -> None:
    first, second = create_user(), create_user()
    await open_studio(first)
    close_tab(first)  # sign the second browser in with no other page live, then reopen the first
    await open_studio(second)
    await first.open('/studio')
    click(first, 'gender-female')
    await see(second, 'tile-Age-26-35')  # the other tab loads the female options by itself
    click(first, 'tile-Age-26-35')
    await eventually(lambda: tile_selected(second, 'tile-Age-26-35'), what='the choice in the other tab')
    await go_to_step(second, 'details')  # the first tab follows to the step, drawing it with the draft's state
    type_into(second, 'name', 'Kai')
    await see(first, content='Kai')


async def test_first_visit_shows_options_in_the_browser_language(env: StudioEnv, user: User) -> None:
    user.http_client.headers['Accept-Language'] = 'ja-JP,ja;q=0.9,en;q=0.8'
    await open_studio(user)
    click(user, 'gender-female')
    await see(user, content='東アジア系')
    assert runtime.drafts.get(OWNER).options_language == 'ja'


async def test_after_a_restart_a_running_generation_shows_as_interrupted_with_regenerate(
        env: StudioEnv, user: User) -> None:
    from runtime import runtime
    from services.studio.jobs import JobManager

    env.sandbox.controller.config.latency = (30.0, 30.0)
    await open_studio(user)
    await choose_look(user, 'female', FEMALE_LOOK)
    await go_to_step(user, 'cover')
    click(user, 'generate-cover')
    await see(user, 'cover-running')
    old = runtime.jobs
    # What a new process (the same instance, restarted) finds in the same database: the job's record, still saying
    # "running".
    assert runtime.writer.flush(10)
    runtime.jobs = JobManager(runtime.db, runtime.writer, images=runtime.images, platform=runtime.platform,
                              limits=runtime.limits, audit=runtime.audit, instance=runtime.settings.instance_id,
                              origin=runtime.origin, drafts=runtime.drafts)
    old.close()
    env.sandbox.controller.config.latency = (0.0, 0.0)
    await user.open('/studio')
    await see(user, content='Generation interrupted')
    await eventually(lambda: not shows(user, 'cover-running'), what='the running card to go')
    click(user, 'error-action')  # "Try again" on the interrupted job
    await see(user, 'cover-preview')
    assert [j.status for j in runtime.jobs.jobs_for(OWNER, 'cover')] == ['done', 'interrupted']


async def test_options_are_fetched_once_for_many_page_views(env: StudioEnv, create_user: Callable[[], User]) -> None:

    for name in ('alice', 'bob'):  # two people with the same key share the cached options
        visitor = create_user()
        await open_studio(visitor, name)
        click(visitor, 'gender-female')
        await see(visitor, 'tile-Age-18-25')
        for _ in range(2):
            await visitor.open('/studio')  # reloads
            await see(visitor, 'tile-Age-18-25')
        close_tab(visitor)
    assert runtime.options.upstream_calls == 1


@pytest.fixture
def one_at_a_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox, STUDIO_MAX_COVERS_PER_USER='1')


async def test_over_the_cover_limit_says_when_to_try_again(one_at_a_time: StudioEnv, user: User) -> None:
    one_at_a_time.sandbox.controller.config.latency = (30.0, 30.0)
    await open_studio(user)
    await choose_look(user, 'male', {'Age': '26-35', 'Ethnicity': 'latino', 'BodyType': 'muscular',
                                     'HairColor': 'brown', 'HairStyle': 'undercut'})
    await go_to_step(user, 'cover')
    click(user, 'generate-cover')
    await see(user, 'cover-running')
    click(user, 'generate-cover')
    # The limit is counted in the database (it holds for every instance): the refusal comes after that query. It is
    # said under the buttons, not in a toast that would lie over the preview (issue 18 item 3).
    await see(user, 'cover-notice-text', content='the limit is 1 per person')
    assert not user.notify.messages
    assert len(runtime.jobs.jobs_for(OWNER, 'cover')) == 1
    click(user, 'cover-cancel')
    await eventually(lambda: runtime.jobs.jobs_for(OWNER, 'cover')[0].status == 'cancelled', what='cancelled')
    await eventually(lambda: not shows(user, 'cover-running'), what='the running card to go')


async def test_a_step_another_tab_went_to_is_drawn_the_moment_this_tab_shows_it(
        env: StudioEnv, create_user: Callable[[], User]) -> None:
    """The second tab goes to Details; the first, before its timer has caught up, shows Details by its title in
    the header. The draft is on Details already (nothing to save), yet the step must be drawn, and as it is now."""
    first, second = create_user(), create_user()
    await open_studio(first)
    close_tab(first)
    await open_studio(second)
    await first.open('/studio')
    await go_to_step(second, 'details')
    type_into(second, 'name', 'Kai')
    assert not shows(first, 'name')  # not caught up yet: the first tab still shows the Look step
    with first:
        stepper(first).value = 'details'  # at once, not waiting for the tab's timer as go_to_step would
    (name,) = first.find(marker='name').elements
    assert isinstance(name, ui.input) and name.value == 'Kai'
