"""The Cover step (issue 18 item 3, issue 17 items 1 and 2): one way to generate again, chips that name their
group, messages that never lie over the preview, a validity badge that says what happens at 0:00, covers compared
side by side (keep one, dismiss the others), and "Generate 2 like this" within the per-person limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui.testing import User

from runtime import runtime
from services.platform.models import Option
from services.studio.covers import compare_refusal, look_chips, variations_message
from services.studio.jobs import Job
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import (
    FEMALE_LOOK,
    StudioEnv,
    choose_look,
    click,
    eventually,
    open_studio,
    see,
    studio_env,
    texts,
)

OWNER = 'account-alice'


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    sandbox.controller.config.latency = (0.0, 0.0)
    return studio_env(monkeypatch, tmp_path, sandbox, STUDIO_MAX_COVERS_PER_USER='2')


@pytest.fixture
async def cover_step(env: StudioEnv, user: User) -> User:
    await open_studio(user)
    await choose_look(user, 'female', FEMALE_LOOK)
    click(user, 'next-photo')
    click(user, 'photo-skip')
    return user


def covers() -> list[Job]:
    return runtime.jobs.jobs_for(OWNER, 'cover')


def finished(count: int) -> bool:
    done = [c for c in covers() if c.status == 'done']
    return len(done) == count and not any(c.running for c in covers())


async def generate(user: User, total: int) -> None:
    """Click Generate until `total` covers are done (one at a time, as a person would)."""
    while len([c for c in covers() if c.status == 'done']) < total:
        before = len(covers())
        click(user, 'generate-cover')
        await eventually(lambda n=before: finished(n + 1), what='a cover')
        await see(user, 'cover-preview')


async def test_one_way_to_generate_again_and_a_badge_that_says_what_happens_at_zero(cover_step: User) -> None:
    user = cover_step
    assert texts(user, 'generate-cover') == ['Generate cover']
    click(user, 'generate-cover')
    await see(user, 'cover-preview')
    await eventually(lambda: texts(user, 'generate-cover') == ['Generate again'], what='Generate again')
    await user.should_not_see('Regenerate')
    await user.should_not_see('Generate another')
    await see(user, 'cover-validity', content='then it expires and you need a new cover')
    assert texts(user, 'cover-validity')[0].startswith('Valid for 29:')
    # Nothing floats over the preview: the running card said what was happening, no toast did.
    assert not user.notify.messages


async def test_chips_name_their_group_where_the_label_is_ambiguous(cover_step: User) -> None:
    user = cover_step
    chips = texts(user, 'look-chip')
    # The sandbox offers "Black" as a hair colour and as an ethnicity; East Asian is only an ethnicity.
    assert 'Hair colour: Black' in chips and 'East Asian' in chips
    assert 'Breast size: Medium' in chips and 'Butt size: Medium' in chips


def test_look_chips_rule() -> None:
    options = {'HairColor': [Option(code='black', label='Black'), Option(code='red', label='Red')],
               'Ethnicity': [Option(code='black', label='Black'), Option(code='white', label='White')],
               'Age': [Option(code='18-25', label='18-25')]}
    look = {'Age': '18-25', 'Ethnicity': 'black', 'HairColor': 'red'}
    assert look_chips(look, ['Age', 'Ethnicity', 'HairColor'], options) == ['18-25', 'Ethnicity: Black', 'Red']
    assert look_chips({'HairColor': 'black'}, ['HairColor'], options) == ['Hair colour: Black']


async def test_a_limit_is_said_under_the_buttons_not_over_the_preview(cover_step: User, env: StudioEnv) -> None:
    user = cover_step
    await generate(user, 1)
    env.sandbox.controller.config.latency = (30.0, 30.0)
    click(user, 'generate-cover')
    click(user, 'generate-cover')
    await eventually(lambda: sum(c.running for c in covers()) == 2, what='two running')
    click(user, 'generate-cover')  # a third: over the limit of two per person
    await see(user, 'cover-notice-text', content='the limit is 2 per person')
    assert not user.notify.messages
    await see(user, 'cover-preview')  # the chosen cover is still shown, uncovered
    for job in covers():
        runtime.jobs.cancel(OWNER, job.id)


async def test_generate_two_like_this_starts_two_of_that_look(cover_step: User, env: StudioEnv) -> None:
    user = cover_step
    await generate(user, 1)
    first = covers()[0]
    env.sandbox.controller.config.latency = (1.0, 1.0)
    click(user, 'cover-variations')
    await eventually(lambda: sum(c.running for c in covers()) == 2, what='two variations running')
    await see(user, 'cover-running')
    running = [c for c in covers() if c.running]
    assert all(c.request == first.request for c in running)  # the same look, twice
    await user.should_not_see(marker='cover-notice')
    await eventually(lambda: finished(3), seconds=20, what='both variations')


async def test_the_limit_stops_the_second_variation_and_says_so(cover_step: User, env: StudioEnv) -> None:
    user = cover_step
    await generate(user, 1)
    env.sandbox.controller.config.latency = (30.0, 30.0)
    click(user, 'generate-cover')  # one running already: room for one more under the limit of two
    await eventually(lambda: sum(c.running for c in covers()) == 1, what='one running')
    click(user, 'cover-variations')
    await eventually(lambda: sum(c.running for c in covers()) == 2, what='the first variation')
    await see(user, 'cover-notice-text', content='Started 1 of the 2; the other was not started because of the limit')
    await see(user, 'cover-notice-text', content='the limit is 2 per person')
    assert len(covers()) == 3
    for job in covers():
        runtime.jobs.cancel(OWNER, job.id)


def test_variation_and_compare_messages() -> None:
    assert variations_message(0, 2, 'Limit.') == 'Limit.'
    assert variations_message(1, 3, 'Limit.').startswith('Started 1 of the 3; the others were not started')
    assert compare_refusal(1) == 'Choose at least 2 covers to compare (1 chosen so far).'
    assert compare_refusal(5) == 'Compare at most 4 covers at a time.'
    assert compare_refusal(2) is None and compare_refusal(4) is None


async def test_compare_keep_one_and_the_others_stay_reachable_until_they_expire(cover_step: User) -> None:
    user = cover_step
    await generate(user, 3)
    third, second, first = covers()
    click(user, 'compare-start')
    await see(user, 'compare-count', content='0 of 2 to 4 chosen')  # the gallery is redrawn for picking
    click(user, f'cover-thumb-{first.id}')  # while picking, a click ticks instead of choosing
    await see(user, 'compare-count', content='1 of 2 to 4 chosen')
    assert runtime.drafts.get(OWNER).selected_cover_job == third.id
    assert not next(iter(user.find(marker='compare-show').elements)).enabled
    click(user, f'cover-thumb-{second.id}')
    await see(user, 'compare-count', content='2 of 2 to 4 chosen')
    await eventually(lambda: next(iter(user.find(marker='compare-show').elements)).enabled, what='Show enabled')
    click(user, 'compare-show')
    await see(user, 'compare')
    await see(user, content='Comparing 2 covers')
    await see(user, f'compare-{first.id}')
    await see(user, f'compare-{second.id}')
    await user.should_not_see(marker=f'compare-{third.id}')
    # Each one large with its look and its time left.
    await see(user, 'compare-validity', content='Valid for 29:')
    await see(user, content='Hair colour: Black')
    click(user, f'compare-keep-{first.id}')
    draft = runtime.drafts.get(OWNER)
    assert draft.selected_cover_job == first.id and draft.dismissed_covers == [second.id]
    await see(user, 'cover-notice-text', content='Kept.')
    await see(user, 'covers-dismissed')
    await see(user, content='Dismissed (1)')
    # A dismissed cover can still be chosen: it comes back.
    click(user, f'cover-thumb-{second.id}')
    await see(user, content='Covers from this session (3)')
    assert runtime.drafts.get(OWNER).dismissed_covers == []
    assert runtime.drafts.get(OWNER).selected_cover_job == second.id


async def test_compare_refuses_a_fifth_and_dismiss_moves_the_choice(cover_step: User) -> None:
    user = cover_step
    await generate(user, 5)
    jobs = covers()
    click(user, 'compare-start')
    await see(user, 'compare-count', content='0 of 2 to 4 chosen')  # the gallery is redrawn for picking
    for count, job in enumerate(jobs[:4], 1):
        click(user, f'cover-thumb-{job.id}')
        await see(user, 'compare-count', content=f'{count} of 2 to 4 chosen')
    click(user, f'cover-thumb-{jobs[4].id}')
    await see(user, 'cover-notice-text', content='Compare at most 4 covers at a time.')
    assert runtime.drafts.get(OWNER).selected_cover_job == jobs[0].id
    click(user, 'compare-show')
    await see(user, content='Comparing 4 covers')
    await see(user, f'compare-{jobs[0].id}')
    click(user, f'compare-dismiss-{jobs[0].id}')  # the chosen one
    draft = runtime.drafts.get(OWNER)
    assert jobs[0].id in draft.dismissed_covers
    assert draft.selected_cover_job == jobs[1].id  # the newest left takes over
    await see(user, content='Comparing 3 covers')


async def test_an_expired_dismissed_cover_is_no_longer_listed(cover_step: User) -> None:
    user = cover_step
    await generate(user, 2)
    newest, older = covers()
    studio_draft = runtime.drafts.get(OWNER)
    click(user, 'compare-start')
    await see(user, 'compare-count', content='0 of 2 to 4 chosen')  # the gallery is redrawn for picking
    click(user, f'cover-thumb-{newest.id}')
    await see(user, 'compare-count', content='1 of 2 to 4 chosen')
    click(user, f'cover-thumb-{older.id}')
    await see(user, 'compare-count', content='2 of 2 to 4 chosen')
    click(user, 'compare-show')
    await see(user, f'compare-{older.id}')
    click(user, f'compare-keep-{newest.id}')
    await see(user, 'covers-dismissed')
    assert studio_draft.dismissed_covers == [older.id]
    older.expires_at = 0.0  # as if its thirty minutes were up: the clock alone takes it off the list
    await user.should_not_see(marker='covers-dismissed', retries=50)
